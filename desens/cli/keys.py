"""``desens keys new``: make a key-ring file.

The file holds one random 256-bit key, is written atomically with mode 0600
and is never overwritten unless ``--force`` says so. The command prints the
file's path and the key's id, never the key. Use the file with ``--keyring``
or ``DESENS_KEYRING=PATH``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from desens.cli._common import check_output
from desens.keys import KeyRing

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``keys`` subcommand group."""
    p = sub.add_parser(
        "keys",
        help="manage key rings",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    actions = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    new = actions.add_parser("new", help="write a new key-ring file (mode 0600)")
    new.add_argument("path", help="the key-ring file to create")
    new.add_argument("--id", dest="key_id", default="k1", help="the key's id (default: k1)")
    new.add_argument(
        "--force",
        action="store_true",
        help="replace an existing file (data protected with its keys can no longer be restored)",
    )
    new.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``desens keys new``."""
    check_output(Path(args.path))
    ring = KeyRing.new(args.path, overwrite=args.force, key_id=args.key_id)
    print(f"{args.path}: new key ring, key id {ring.default_id}")
    return 0
