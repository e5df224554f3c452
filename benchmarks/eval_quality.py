"""Detection quality of the desens analyzer on the generated government corpus.

Generates records with :func:`benchmarks.corpus.generate_records` in memory,
runs ``desens.build_analyzer(threshold=...).analyze_batch`` over them and scores
the results against the gold spans by exact match (same start, end and entity).

Prints one JSON object on stdout: per-entity precision, recall, F1 and counts,
the micro average over all entities, partial matches (a prediction that
overlaps a gold span of the same entity without matching it exactly), false
positives that fall on a hard negative (order numbers, dates, amounts, …)
broken down by kind, false positives on real government prose
(``benchmarks/corpora/gov_prose``: published laws and regulations with no
personal data, so every detection there is wrong unless ``names.json`` lists
it), throughput and the machine; and a human line on stderr.

    python -m benchmarks.eval_quality --n 5000 --seed 7
    python -m benchmarks.eval_quality --jsonl-out corpus.jsonl --no-prose
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.corpus import ENTITIES, generate_records
from benchmarks.scoring import prf

Span = tuple[int, int, int, str]  # record index, start, end, entity

PROSE_DIR = Path(__file__).resolve().parent / "corpora" / "gov_prose"


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(records: Sequence[dict[str, Any]], predicted: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Scores analyzer results against the gold spans of generated records.

    Args:
        records: Records from :func:`benchmarks.corpus.generate_records`.
        predicted: One list of results (``entity_type``, ``start``, ``end``) per record.

    Returns:
        ``per_entity`` and ``micro`` scores (see :func:`benchmarks.scoring.prf`),
        ``partial`` (false positives overlapping a gold span of the same entity),
        ``hard_negative_false_positives`` (total and by negative kind) and
        ``other_entities`` (predicted entity types outside :data:`ENTITIES`).
    """
    gold: set[Span] = set()
    for i, rec in enumerate(records):
        gold.update((i, s, e, label) for s, e, label in rec["spans"])
    pred: set[Span] = set()
    other: Counter[str] = Counter()
    for i, results in enumerate(predicted):
        for r in results:
            if r.entity_type in ENTITIES:
                pred.add((i, r.start, r.end, r.entity_type))
            else:
                other[r.entity_type] += 1

    per_entity = {}
    for entity in ENTITIES:
        g = {s for s in gold if s[3] == entity}
        p = {s for s in pred if s[3] == entity}
        per_entity[entity] = prf(g, p)

    partial: Counter[str] = Counter()
    hard_fp: Counter[str] = Counter()
    hard_fp_by_entity: Counter[str] = Counter()
    for i, start, end, entity in pred - gold:
        rec = records[i]
        if any(label == entity and _overlaps((start, end), (s, e)) for s, e, label in rec["spans"]):
            partial[entity] += 1
        for s, e, kind in rec["negatives"]:
            if _overlaps((start, end), (s, e)):
                hard_fp[kind] += 1
                hard_fp_by_entity[entity] += 1
                break
    for entity, n in partial.items():
        per_entity[entity]["partial"] = n

    return {
        "per_entity": per_entity,
        "micro": prf(gold, pred),
        "hard_negatives": sum(len(r["negatives"]) for r in records),
        "hard_negative_false_positives": {
            "total": sum(hard_fp.values()),
            "by_kind": dict(sorted(hard_fp.items())),
            "by_entity": dict(sorted(hard_fp_by_entity.items())),
        },
        "other_entities": dict(sorted(other.items())),
    }


def _prose_lines(directory: Path) -> list[tuple[str, int, str]]:
    """(file name, offset in the file, line) for every non-empty line of the prose files."""
    lines = []
    for path in sorted(directory.glob("*.txt")):
        pos = 0
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            text = line.rstrip("\r\n")
            if text.strip():
                lines.append((path.name, pos, text))
            pos += len(line)
    return lines


def prose_false_positives(analyzer: Any, directory: Path, batch_size: int) -> dict[str, Any]:
    """Counts detections on government prose that contains no personal data.

    Args:
        analyzer: An analyzer with ``analyze_batch``.
        directory: Folder of UTF-8 ``.txt`` files and an optional ``names.json``
            (``{"file.txt": [[start, end], ...]}``) of real name mentions, which
            are true positives and not counted.
        batch_size: Lines per ``analyze_batch`` call.

    Returns:
        Files, characters, the false-positive count (total, per 10,000 characters,
        by entity) and up to 25 examples.
    """
    names_path = directory / "names.json"
    names = json.loads(names_path.read_text(encoding="utf-8")) if names_path.exists() else {}
    lines = _prose_lines(directory)
    texts = [text for _, _, text in lines]
    found: list[list[Any]] = []
    for i in range(0, len(texts), batch_size):
        found.extend(analyzer.analyze_batch(texts[i : i + batch_size]))
    by_entity: Counter[str] = Counter()
    examples = []
    for (name, offset, text), results in zip(lines, found, strict=True):
        true_spans = [(s, e) for s, e in names.get(name, [])]
        for r in results:
            span = (offset + r.start, offset + r.end)
            if any(_overlaps(span, t) for t in true_spans):
                continue
            by_entity[r.entity_type] += 1
            if len(examples) < 25:
                examples.append(
                    {"file": name, "entity": r.entity_type, "text": text[r.start : r.end]}
                )
    chars = sum(len(p.read_text(encoding="utf-8")) for p in directory.glob("*.txt"))
    total = sum(by_entity.values())
    return {
        "files": len({name for name, _, _ in lines}),
        "chars": chars,
        "false_positives": total,
        "per_10k_chars": round(total * 10_000 / chars, 2) if chars else None,
        "by_entity": dict(sorted(by_entity.items())),
        "examples": examples,
    }


def _summary(report: dict[str, Any]) -> str:
    micro = report["micro"]
    worst = min(report["per_entity"].items(), key=lambda kv: kv[1]["f1"])
    prose = report.get("gov_prose")
    prose_note = (
        f"; {prose['false_positives']} false positives on {prose['chars']} chars of gov prose"
        if prose
        else ""
    )
    return (
        f"eval_quality: {report['corpus']['records']} records, micro "
        f"P={micro['precision']:.3f} R={micro['recall']:.3f} F1={micro['f1']:.3f}; "
        f"lowest F1 {worst[0]}={worst[1]['f1']:.3f}; "
        f"{report['hard_negative_false_positives']['total']} false positives on "
        f"{report['hard_negatives']} hard negatives; "
        f"{report['throughput']['records_per_s']:.0f} records/s{prose_note}"
    )


def main(argv: list[str] | None = None) -> int:
    """Runs the quality benchmark and prints the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="number of records (default 5000)")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    parser.add_argument("--threshold", type=float, default=0.5, help="analyzer threshold")
    parser.add_argument("--batch-size", type=int, default=500, help="texts per analyze_batch")
    parser.add_argument("--jsonl-out", type=Path, help="also write the corpus as JSON Lines")
    parser.add_argument(
        "--prose-dir", type=Path, default=PROSE_DIR, help="government prose for false positives"
    )
    parser.add_argument("--no-prose", action="store_true", help="skip the government prose")
    args = parser.parse_args(argv)

    import desens  # late: building the corpus or --help needs no analyzer

    records = list(generate_records(args.n, args.seed))
    if args.jsonl_out:
        with args.jsonl_out.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

    t0 = time.perf_counter()
    analyzer = desens.build_analyzer(threshold=args.threshold)
    t_build = time.perf_counter() - t0
    texts = [r["text"] for r in records]
    predicted: list[list[Any]] = []
    t0 = time.perf_counter()
    for i in range(0, len(texts), args.batch_size):
        predicted.extend(analyzer.analyze_batch(texts[i : i + args.batch_size]))
    t_run = time.perf_counter() - t0

    report: dict[str, Any] = {
        "benchmark": "eval_quality",
        "corpus": {
            "generator": "benchmarks/corpus.py",
            "seed": args.seed,
            "records": len(records),
            "chars": sum(len(t) for t in texts),
        },
        "settings": {"threshold": args.threshold, "batch_size": args.batch_size},
        **score(records, predicted),
        "gov_prose": (
            None
            if args.no_prose or not args.prose_dir.is_dir()
            else prose_false_positives(analyzer, args.prose_dir, args.batch_size)
        ),
        "throughput": {
            "build_s": round(t_build, 2),
            "analyze_s": round(t_run, 2),
            "records_per_s": round(len(texts) / t_run, 1) if t_run else None,
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
        },
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    print(_summary(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
