"""``desens reidentify``: restore released data with the key it was released with.

Reverses ``encrypt`` tokens (``enc:<key id>:...``) in any cell, JSONL string
or line of text, and, with the release report, ``fpe`` in whole columns:
those the policy declares with it and those the release classified as an
``fpe`` type (see :mod:`desens.release.reidentify`; ``fpe`` inside free text
is not reversed). The report is ``INPUT.report.json`` when it exists, or
``--report``; it must be the report of INPUT and of the policy, and the
ring's keys must have the fingerprints it names. ``--no-report`` reverses
tokens only. Prints which key id(s) it used, and notes (counts, no values)
on what may be left as released. A wrong or missing key is an error (exit
status 2) and nothing is written. The output is personal data again: keep it
where the original is kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desens.cli._common import add_keyring_argument, check_output, keyring_from, used_files
from desens.errors import ConfigError, MissingKeyError
from desens.policy import read_policy
from desens.release.fpe_spans import span_path
from desens.release.pipeline import default_report_path
from desens.release.reidentify import reidentify_file
from desens.tables import FORMATS

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``reidentify`` subcommand."""
    p = sub.add_parser(
        "reidentify",
        help="reverse encrypt and fpe with the key",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument("input", help="released table, JSONL or text file")
    p.add_argument("--policy", required=True, help="the policy the data was released with")
    p.add_argument("-o", "--output", required=True, help="where the restored data goes")
    p.add_argument(
        "--format",
        choices=(*FORMATS, "text"),
        help="input format (default: the release report's, else by extension; .txt is "
        "text); the output's format follows -o's extension, else the input's",
    )
    p.add_argument("--encoding", help="CSV/TSV input encoding (default: detected)")
    reports = p.add_mutually_exclusive_group()
    reports.add_argument(
        "--report",
        help="the release report of INPUT (default: INPUT.report.json, when it exists)",
    )
    reports.add_argument(
        "--no-report",
        action="store_true",
        help="use no release report: encrypt tokens only, no fpe",
    )
    add_keyring_argument(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``desens reidentify``."""
    source, output = Path(args.input), Path(args.output)
    beside = _beside(source)  # never replaced, even when not used
    kept: list[str | Path] = [*used_files(args), *([beside] if beside else []), span_path(source)]
    if args.report:
        kept.append(args.report)
    check_output(output, source, *kept)
    if not source.is_file():
        raise ConfigError(f"cannot read {source}: no such file")
    policy = read_policy(args.policy)
    keys = keyring_from(args.keyring)
    if keys is None:
        raise MissingKeyError(
            "reidentify needs the key ring the data was released with: pass --keyring "
            "or set DESENS_KEYRING (or DESENS_KEY)"
        )
    fmt = args.format
    report = None if args.no_report else Path(args.report) if args.report else _beside(source)
    if report is not None and not report.is_file():
        raise ConfigError(f"cannot read the release report {report}: no such file")
    result = reidentify_file(
        source,
        output,
        policy,
        keys,
        fmt=fmt,
        encoding=args.encoding,
        report=report,
    )
    if report is not None:
        print(f"desens: columns as the release report {report} says", file=sys.stderr)
    for note in result.notes:
        print(f"desens: note: {note}", file=sys.stderr)
    used = ", ".join(sorted(result.key_ids)) or "none (nothing to reverse)"
    print(
        f"desens: {result.rows} record(s), {result.tokens} token(s) and "
        f"{result.fpe_values} fpe value(s) reversed with key id(s): {used}",
        file=sys.stderr,
    )
    return 0


def _beside(source: Path) -> Path | None:
    """The release report next to ``source``, as ``desens release`` names it."""
    report = default_report_path(source)
    return report if report.is_file() else None
