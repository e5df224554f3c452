"""``desens serve``: run the consent API with uvicorn.

Settings come from ``DESENS_*`` environment variables, ``--env-file`` and
the flags below (flags win). The database is migrated at start.
``--create-admin NAME`` registers the first admin and prints its API key
once; ``--load-records DATASET_ID FILE`` loads a CSV (UTF-8, header row) or
JSONL file into a dataset; both exit without serving.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desens.errors import BadRecordError, ConfigError, InputError
from desens.records import parse_json_object

__all__ = ["database_error", "register", "run", "settings_from_args"]


def add_settings_arguments(p: argparse.ArgumentParser) -> None:
    """The flags ``serve`` and ``audit`` share."""
    p.add_argument("--env-file", type=Path, help="a .env file of DESENS_* settings")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: sqlite:///desens-consent.db)")
    p.add_argument("--keyring", type=Path, help="key-ring file (default: DESENS_KEYRING)")


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Any:
    """The :class:`ConsentSettings` for ``args`` (flags over env file over environment).

    Raises:
        ConfigError: If a setting is invalid; names the setting, never its value.
    """
    from pydantic import ValidationError

    from desens.consent.settings import ConsentSettings

    overrides: dict[str, Any] = {
        k: v
        for k, v in {
            "database_url": args.database_url,
            "keyring": args.keyring,
            **extra,
        }.items()
        if v is not None
    }
    try:
        if args.env_file is not None:
            return ConsentSettings(_env_file=args.env_file, **overrides)  # type: ignore[call-arg]
        return ConsentSettings(**overrides)
    except ValidationError as exc:
        # str(exc) quotes the input: name the setting and pydantic's message,
        # except for a validator's own message, which may quote it too.
        problems = []
        for e in exc.errors():
            name = "DESENS_" + str(e["loc"][0]).upper() if e.get("loc") else "a DESENS_ setting"
            custom = e.get("type") in ("value_error", "assertion_error")
            problems.append(name if custom else f"{name} ({e.get('msg', 'invalid')})")
        raise ConfigError(
            f"invalid setting {'; '.join(problems)}: check the environment, --env-file or the flags"
        ) from None


def database_error(exc: Exception) -> ConfigError:
    """The :class:`ConfigError` for a database that cannot be used (type only, no URL)."""
    return ConfigError(
        "the database (DESENS_DATABASE_URL or --database-url) cannot be used "
        f"({type(exc).__name__}): check the URL and that the server is reachable"
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand."""
    p = sub.add_parser(
        "serve",
        help="run the consent API (uvicorn)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    add_settings_arguments(p)
    p.add_argument("--host", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: 8000)")
    p.add_argument(
        "--migrate",
        action="store_true",
        help="migrate the database, seal records stored in clear, rewrite their table, exit",
    )
    p.add_argument("--create-admin", metavar="NAME", help="register an admin, print its key, exit")
    p.add_argument(
        "--load-records",
        nargs=2,
        metavar=("DATASET_ID", "FILE"),
        help="load a CSV or JSONL file into a dataset, then exit",
    )
    p.set_defaults(run=run)


# Sentinels for a CSV row with more cells than the header (``restkey``) or
# fewer (``restval``): neither can be a header name or a cell's text.
_MORE_CELLS: Any = object()
_FEWER_CELLS: Any = object()


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, record)`` pairs of a CSV or JSONL file; the line is the file's."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                for line, text in enumerate(fh, start=1):
                    if not text.strip():
                        continue
                    yield line, parse_json_object(text, str(path), line)
            else:
                reader = csv.DictReader(fh, restkey=_MORE_CELLS, restval=_FEWER_CELLS)
                for row in reader:
                    # A record may span lines (a quoted newline): name its first.
                    line = reader.line_num - sum(
                        v.count("\n") for v in row.values() if isinstance(v, str)
                    )
                    if _MORE_CELLS in row:
                        raise BadRecordError(
                            str(path), line, "the row has more cells than the header"
                        )
                    if any(v is _FEWER_CELLS for v in row.values()):
                        raise BadRecordError(
                            str(path), line, "the row has fewer cells than the header"
                        )
                    yield line, row
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot be read ({type(exc).__name__})") from None


def run(args: argparse.Namespace) -> int:
    """Execute ``desens serve``."""
    from sqlalchemy.exc import SQLAlchemyError

    from desens.consent.errors import ConsentError
    from desens.consent.store import ConsentStore

    settings = settings_from_args(args, host=args.host, port=args.port)
    try:
        if args.migrate:
            return _migrate(ConsentStore(settings))
        if args.create_admin or args.load_records:
            store = ConsentStore(settings)
            try:
                store.migrate()
                _admin_task(store, args)
            except ConsentError as exc:
                print(f"desens: error: {exc}", file=sys.stderr)
                return 2
            finally:
                store.close()
            return 0

        from api import create_app

        app = create_app(settings)
    except SQLAlchemyError as exc:
        raise database_error(exc) from None

    import uvicorn

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=settings.access_log,
    )
    return 0


def _migrate(store: Any) -> int:
    """``desens serve --migrate``: 0 when nothing is owed any more, 1 when the rewrite still is."""
    try:
        sealed = store.migrate()
        _, owed = store.owed()
    finally:
        store.close()
    print(f"desens: database migrated; {sealed} records sealed", file=sys.stderr)
    if owed:
        print(
            "desens: the records table still has to be rewritten (see the warning above); "
            "run this again with no other server running",
            file=sys.stderr,
        )
        return 1
    return 0


def _admin_task(store: Any, args: argparse.Namespace) -> None:
    from desens.consent.datasets import add_numbered_records, get_dataset
    from desens.consent.models import Principal
    from desens.consent.principals import create_principal

    with store.transaction() as session:
        if args.create_admin:
            admin, key = create_principal(
                session, store.keys, role="admin", name=args.create_admin, actor="cli"
            )
            print(f"admin {admin.id}: API key (shown once): {key}")
            return
        dataset_id, file = args.load_records
        dataset = get_dataset(session, dataset_id)
        department = session.get(Principal, dataset.department_id)
        assert department is not None
        count = add_numbered_records(
            session, store.keys, department, dataset, _rows(Path(file)), source=file
        )
    print(f"{file}: {count} records loaded into dataset {dataset_id}")
