"""``desens release``: desensitize a table as a policy says, with a report.

The input is CSV, TSV, JSONL or Parquet (by extension, or ``--input-format``);
CSV and TSV may be UTF-8 (with or without BOM), GBK or GB18030, detected or
given with ``--encoding``. The output format follows the output's extension
unless ``--format`` says otherwise. The output is written to a temporary file
and renamed only when the run succeeded; a failed run leaves no output behind.

Next to the output a JSON report (``OUTPUT.report.json``, or ``--report``)
records the policy, the key id (never the key), what was done to each column,
the counts, k-anonymity and the residual scan; a short summary goes to stderr.
When the policy's ``fpe`` changed spans of free text, their positions go to
``OUTPUT.fpe-spans.jsonl`` (:mod:`desens.release.fpe_spans`), which
``desens reidentify`` needs to reverse them.

Exit status: 0 released; 1 bad input (file, row and column named); 2 usage,
policy or key problem; 3 the residual scan still found resident IDs, phones,
cards, USCCs or passports in the output, which was therefore withheld (the
report of the failed run is written all the same, as
``OUTPUT.report.failed.json``: an earlier release's report beside its output
stays as it is).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desens.atomic import atomic_output
from desens.cli._common import (
    add_keyring_argument,
    check_output,
    keyring_from,
    positive_int,
    used_files,
)
from desens.errors import ConfigError
from desens.policy import read_policy
from desens.release import ReleaseOptions, ReleaseReport, ResidualDataError, release
from desens.release.fpe_spans import span_path
from desens.release.pipeline import default_report_path
from desens.tables import FORMATS

__all__ = ["EXIT_RESIDUAL", "register", "run"]

#: Exit status when the residual scan found personal data (output withheld).
EXIT_RESIDUAL = 3


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``release`` subcommand."""
    p = sub.add_parser(
        "release",
        help="desensitize a table (CSV/TSV/JSONL/Parquet) with a report",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument("input", help="the table to release")
    p.add_argument("--policy", required=True, help="built-in policy name or policy file")
    p.add_argument("-o", "--output", required=True, help="the released table")
    p.add_argument("--report", help="the JSON report (default: OUTPUT.report.json)")
    p.add_argument("--format", choices=FORMATS, help="output format (default: by extension)")
    p.add_argument("--input-format", choices=FORMATS, help="input format (default: by extension)")
    p.add_argument(
        "--encoding", help="CSV/TSV input encoding: utf-8, gbk, gb18030 (default: detected)"
    )
    p.add_argument(
        "--withhold",
        metavar="FILE",
        help="ID numbers (one a line) of subjects whose records are left out",
    )
    p.add_argument("--workers", type=positive_int, default=1, help="processes (default: 1)")
    add_keyring_argument(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``desens release``."""
    output = Path(args.output)
    report_path = Path(args.report) if args.report else default_report_path(output)
    used = used_files(args)
    spans = span_path(output)
    check_output(output, args.input, *used, create_folder=True)
    check_output(report_path, args.input, output, spans, *used, create_folder=True)
    check_output(spans, args.input, *used, create_folder=True)
    check_output(
        failed_report_path(report_path), args.input, output, spans, *used, create_folder=True
    )
    options = ReleaseOptions(
        input=Path(args.input),
        output=output,
        policy=read_policy(args.policy),
        keys=keyring_from(args.keyring),
        input_format=args.input_format,
        output_format=args.format,
        encoding=args.encoding,
        withhold=Path(args.withhold) if args.withhold else None,
        workers=args.workers,
        progress=sys.stderr.isatty(),
    )
    try:
        report = release(options)
    except OSError as exc:  # the disk: full, failing, gone
        where = f" ({exc.filename})" if exc.filename else ""
        raise ConfigError(
            f"release stopped by a system error: {exc.strerror or exc.__class__.__name__}{where}; "
            f"nothing was written to {output}"
        ) from None
    except ResidualDataError as exc:
        failed: ReleaseReport | None = getattr(exc, "report", None)
        failed_path = failed_report_path(report_path)
        if failed is not None:
            _write_report(failed, failed_path)
            print(failed.summary(), file=sys.stderr)
        print(f"desens: error: {exc}", file=sys.stderr)
        if failed is not None:
            print(f"desens: report of the failed run: {failed_path}", file=sys.stderr)
        return EXIT_RESIDUAL
    _write_report(report, report_path)
    failed_report_path(report_path).unlink(missing_ok=True)  # of an earlier run
    print(report.summary(), file=sys.stderr)
    wrote = f", {spans}" if report.fpe_spans is not None else ""
    print(f"desens: wrote {output}{wrote} and {report_path}", file=sys.stderr)
    return 0


def failed_report_path(report: Path) -> Path:
    """Where a failed run's report goes: ``OUTPUT.report.failed.json``.

    Not over the report of an earlier release of the same output, which
    still describes that output (and holds what ``reidentify`` needs).
    """
    return report.with_name(f"{report.stem}.failed{report.suffix or '.json'}")


def _write_report(report: ReleaseReport, path: Path) -> None:
    try:
        with atomic_output(path) as fh:
            fh.write(report.to_json())
    except OSError as exc:
        raise ConfigError(f"cannot write the report {path}: {exc.strerror}") from None
