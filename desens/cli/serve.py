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
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desens.consent.errors import ConsentError
from desens.errors import BadRecordError, InputError

__all__ = ["register", "run", "settings_from_args"]


def add_settings_arguments(p: argparse.ArgumentParser) -> None:
    """The flags ``serve`` and ``audit`` share."""
    p.add_argument("--env-file", type=Path, help="a .env file of DESENS_* settings")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: sqlite:///desens-consent.db)")
    p.add_argument("--keyring", type=Path, help="key-ring file (default: DESENS_KEYRING)")


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Any:
    """The :class:`ConsentSettings` for ``args`` (flags over env file over environment)."""
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
    if args.env_file is not None:
        return ConsentSettings(_env_file=args.env_file, **overrides)  # type: ignore[call-arg]
    return ConsentSettings(**overrides)


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
    p.add_argument("--create-admin", metavar="NAME", help="register an admin, print its key, exit")
    p.add_argument(
        "--load-records",
        nargs=2,
        metavar=("DATASET_ID", "FILE"),
        help="load a CSV or JSONL file into a dataset, then exit",
    )
    p.set_defaults(run=run)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                for line, text in enumerate(fh, start=1):
                    if not text.strip():
                        continue
                    try:
                        row = json.loads(text)
                    except json.JSONDecodeError as exc:
                        raise BadRecordError(str(path), line, "invalid JSON", exc.colno) from None
                    if not isinstance(row, dict):
                        raise BadRecordError(str(path), line, "expected a JSON object")
                    yield row
            else:
                yield from csv.DictReader(fh)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({type(exc).__name__})") from None


def run(args: argparse.Namespace) -> int:
    """Execute ``desens serve``."""
    from desens.consent.store import ConsentStore

    settings = settings_from_args(args, host=args.host, port=args.port)
    if args.create_admin or args.load_records:
        store = ConsentStore(settings)
        store.migrate()
        try:
            _admin_task(store, args)
        except ConsentError as exc:
            print(f"desens: error: {exc}", file=sys.stderr)
            return 2
        finally:
            store.close()
        return 0

    import uvicorn

    from api import create_app

    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=settings.access_log,
    )
    return 0


def _admin_task(store: Any, args: argparse.Namespace) -> None:
    from desens.consent.datasets import add_records, get_dataset
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
        count = add_records(
            session, store.keys, department, dataset, _rows(Path(file)), source=file
        )
    print(f"{file}: {count} records loaded into dataset {dataset_id}")
