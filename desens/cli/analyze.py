"""``desens analyze``: find personal data in plain text or JSONL.

Plain text (the default) is analyzed line by line; each finding reports its
offsets in the whole input (Python string indices) and its line and column.
On a terminal the findings print as a table, otherwise as one JSON array.

With ``--jsonl`` each input line is a JSON object; the output line is the same
object with ``"entities": [{"entity_type", "start", "end", "score"}]`` added
(offsets into the text field), in input order, other fields untouched.

Findings never include the matched text unless ``--show-text`` asks for it:
the output of ``analyze`` is a report, and reports carry no personal data by
default.

Records go to the analyzer in batches (``--batch-size``) and, with
``--workers N``, to N processes; at most ``4 * N`` batches are in flight, so
memory stays flat whatever the input size. Output written with ``-o`` appears
only when the run succeeds (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

from desens.analyzer import DEFAULT_THRESHOLD, DesensAnalyzer, build_analyzer
from desens.cli._common import (
    good_records,
    open_input,
    open_output,
    paired,
    positive_int,
    settle,
    skipper,
)
from desens.errors import ConfigError
from desens.records import TextLine, chunked, read_lines
from recognizers import ENTITIES

__all__ = ["register", "run"]

Finding = tuple[str, int, int, float]

# Per-process analyzer of a worker (set by _init_worker in each process).
_worker: dict[str, DesensAnalyzer] = {}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` subcommand."""
    p = sub.add_parser(
        "analyze",
        help="find personal data in text or JSONL",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument("path", nargs="?", default="-", help="input file, or - for stdin (default)")
    p.add_argument("--jsonl", action="store_true", help="input is JSON Lines; add 'entities'")
    p.add_argument("--text-field", default="text", help="JSONL field to analyze (default: text)")
    p.add_argument(
        "--entities",
        type=_entity_list,
        default=None,
        help=f"comma-separated entities to find (default: all of {','.join(ENTITIES)})",
    )
    p.add_argument(
        "--threshold",
        type=_unit_float,
        default=DEFAULT_THRESHOLD,
        help=f"minimum score, 0-1 (default: {DEFAULT_THRESHOLD})",
    )
    p.add_argument("--workers", type=positive_int, default=1, help="processes (default: 1)")
    p.add_argument(
        "--batch-size", type=positive_int, default=1024, help="records per batch (default: 1024)"
    )
    p.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="bad JSONL record: stop with an error (default) or report it and skip it",
    )
    p.add_argument("-o", "--output", help="write here (atomically) instead of stdout")
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default=None,
        help="plain-text findings as a table or JSON (default: table on a terminal)",
    )
    p.add_argument(
        "--show-text", action="store_true", help="include the matched text in each finding"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``desens analyze``."""
    if args.jsonl and args.format == "table":
        raise ConfigError("--format table is for plain text; --jsonl output is always JSONL")
    source = "<stdin>" if args.path == "-" else args.path
    with open_input(args.path) as raw, open_output(args.output) as out:
        fmt = args.format or ("table" if args.output is None and out.isatty() else "json")
        if args.jsonl:
            skipped = _run_jsonl(args, raw, source, out)
        else:
            skipped = _run_text(args, raw, source, out, fmt)
    if skipped:
        print(f"desens: {skipped} bad record(s) skipped", file=sys.stderr)
    return 0


def _init_worker(entities: Sequence[str] | None, threshold: float) -> None:
    _worker["analyzer"] = build_analyzer(entities=entities, threshold=threshold)
    settle()


def _analyze_chunk(texts: list[str]) -> list[list[Finding]]:
    batch = _worker["analyzer"].analyze_batch(texts)
    return [[(r.entity_type, r.start, r.end, r.score) for r in results] for results in batch]


def _analyzed(
    args: argparse.Namespace, chunks: Iterator[list[Any]]
) -> Iterator[tuple[list[Any], list[list[Finding]]]]:
    """Pair each chunk of records with its findings, in order."""
    return paired(
        _analyze_chunk,
        chunks,
        workers=args.workers,
        initializer=_init_worker,
        initargs=(args.entities, args.threshold),
    )


def _run_jsonl(args: argparse.Namespace, raw: IO[bytes], source: str, out: IO[str]) -> int:
    skipped = [0]
    records = good_records(raw, source, args.text_field, args.on_error, skipped)
    for chunk, findings in _analyzed(args, chunked(records, args.batch_size)):
        for record, found in zip(chunk, findings, strict=True):
            obj = dict(record.obj)
            obj["entities"] = [_finding(f, record.text, args.show_text) for f in found]
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return skipped[0]


def _run_text(args: argparse.Namespace, raw: IO[bytes], source: str, out: IO[str], fmt: str) -> int:
    """Analyze plain text; returns the lines skipped (``--on-error skip``)."""
    table = fmt == "table"
    count = 0
    skipped = [0]
    if table:
        header = f"{'line:col':<12} {'entity':<18} {'score':>5}  {'length':>6}"
        out.write(header + ("  text" if args.show_text else "") + "\n")
    else:
        out.write("[")
    lines: Iterator[TextLine] = read_lines(raw, source, skipper(args.on_error, skipped))
    for chunk, findings in _analyzed(args, chunked(lines, args.batch_size)):
        for line, found in zip(chunk, findings, strict=True):
            for entity, start, end, score in found:
                if table:
                    where = f"{line.line}:{start + 1}"
                    row = f"{where:<12} {entity:<18} {score:>5.2f}  {end - start:>6}"
                    if args.show_text:
                        row += "  " + line.text[start:end]
                    out.write(row + "\n")
                else:
                    item = _finding((entity, start, end, score), line.text, args.show_text)
                    item["start"] += line.offset
                    item["end"] += line.offset
                    item["line"] = line.line
                    item["column"] = start + 1
                    out.write(
                        ("," if count else "") + "\n  " + json.dumps(item, ensure_ascii=False)
                    )
                count += 1
    if not table:
        out.write("\n]\n" if count else "]\n")
    return skipped[0]


def _finding(f: Finding, text: str, show_text: bool) -> dict[str, Any]:
    entity, start, end, score = f
    item: dict[str, Any] = {
        "entity_type": entity,
        "start": start,
        "end": end,
        "score": round(score, 4),
    }
    if show_text:
        item["text"] = text[start:end]
    return item


def _entity_list(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    unknown = sorted(set(names) - set(ENTITIES))
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown entity {', '.join(unknown) or '(none given)'}; known: {', '.join(ENTITIES)}"
        )
    return names


def _unit_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return number
