"""The ``desens`` command line.

``desens analyze`` finds personal data in text, ``desens anonymize`` applies a
policy to text, ``desens release`` to a table (with a report), ``desens
reidentify`` reverses the reversible operators with the key, ``desens keys``
and ``desens policies`` manage key rings and policies. Each subcommand is a
module with ``register(sub)`` and ``run(args)``.

Exit status: 0 on success, 1 when the input is bad, 2 for a usage,
configuration or key error, 3 when ``release`` withheld its output because the
residual scan found personal data.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from desens import __version__
from desens.cli import analyze, anonymize, keys, policies, reidentify, release
from desens.cli import audit as audit_cmd
from desens.cli import serve as serve_cmd
from desens.errors import ConfigError, InputError, KeyError_

__all__ = ["EXIT_BAD_INPUT", "EXIT_USAGE", "build_parser", "main"]

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="desens",
        description="Find and desensitize personal data in Chinese public-sector records.",
    )
    parser.add_argument("--version", action="version", version=f"desens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (analyze, anonymize, release, reidentify, keys, policies):
        module.register(sub)
    serve_cmd.register(sub)
    audit_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except (ConfigError, KeyError_) as exc:
        print(f"desens: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as exc:
        print(f"desens: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); not an error of ours.
        sys.stderr.close()
        return 0
    return status
