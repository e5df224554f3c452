"""``desens audit``: verify the consent API's audit chain, sign checkpoints.

``desens audit verify`` recomputes every entry's hash, checks the sequence,
the chain head and every checkpoint's Ed25519 signature; it prints a JSON
report and exits with 1 if any entry was edited, deleted, reordered or the
log truncated. ``desens audit checkpoint`` signs the current head.
"""

from __future__ import annotations

import argparse
import json

from desens.cli.serve import add_settings_arguments, database_error, settings_from_args

__all__ = ["register", "run"]

EXIT_BROKEN = 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``audit`` subcommand group."""
    p = sub.add_parser(
        "audit",
        help="verify the consent audit log",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    actions = p.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="check the hash chain and the checkpoints")
    add_settings_arguments(verify)
    verify.add_argument(
        "--public-key",
        help="Ed25519 key (hex) checkpoints must carry (default: the key ring's)",
    )
    verify.set_defaults(run=run)
    cp = actions.add_parser("checkpoint", help="sign the current chain head")
    add_settings_arguments(cp)
    cp.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``desens audit verify|checkpoint``."""
    from sqlalchemy.exc import SQLAlchemyError

    from desens.consent.audit import checkpoint, verify_chain
    from desens.consent.store import ConsentStore

    settings = settings_from_args(args)
    try:
        store = ConsentStore(settings)
        try:
            if args.audit_command == "checkpoint":
                with store.transaction() as session:
                    cp = checkpoint(session, store.keys)
                print(json.dumps({"seq": cp.seq, "head_hash": cp.head_hash} if cp else None))
                return 0
            with store.reading() as session:
                report = verify_chain(session, args.public_key or store.keys.public_key)
        finally:
            store.close()
    except SQLAlchemyError as exc:
        raise database_error(exc) from None
    print(
        json.dumps(
            {
                "ok": report.ok,
                "entries": report.entries,
                "checkpoints": report.checkpoints,
                "problems": report.problems,
            },
            ensure_ascii=False,
        )
    )
    return 0 if report.ok else EXIT_BROKEN
