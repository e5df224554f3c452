"""``desens policies``: list, show and check policies.

- ``list``: the built-in policies with their data class and description;
- ``show NAME|FILE``: the policy's YAML, as written;
- ``check FILE...``: validate policy files; ``FILE: ok`` for each good one,
  the located errors (``file:line: key: what is wrong``) otherwise, and exit
  status 2 if any file is invalid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desens.errors import ConfigError
from desens.policy import read_policy

__all__ = ["register", "run_check", "run_list", "run_show"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``policies`` subcommand group."""
    p = sub.add_parser(
        "policies",
        help="list, show and check policies",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    actions = p.add_subparsers(dest="policies_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="the built-in policies").set_defaults(run=run_list)
    show = actions.add_parser("show", help="print a policy's YAML")
    show.add_argument("policy", help="built-in policy name or policy file")
    show.set_defaults(run=run_show)
    check = actions.add_parser("check", help="validate policy files")
    check.add_argument("files", nargs="+", metavar="FILE", help="policy files")
    check.set_defaults(run=run_check)


def run_list(args: argparse.Namespace) -> int:
    """Execute ``desens policies list``."""
    from policies import builtin_names

    loaded = [read_policy(name) for name in builtin_names()]
    width = max(len(p.name) for p in loaded)
    class_width = max(len(p.data_class) for p in loaded)
    for policy in loaded:
        print(f"{policy.name:<{width}}  {policy.data_class:<{class_width}}  {policy.description}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Execute ``desens policies show``."""
    from policies import builtin_names, builtin_path

    name = args.policy
    path = builtin_path(name) if name in builtin_names() else Path(name)
    read_policy(path)  # a policy that does not load is an error, not something to show
    sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Execute ``desens policies check``."""
    failed = 0
    for file in args.files:
        try:
            read_policy(Path(file))
        except ConfigError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        print(f"{file}: ok")
    return 2 if failed else 0
