"""Exact-span scoring shared by the quality benchmarks and tests.

``load_ner`` reads the public NER sets in ``../shared/data/ner`` (or
``$DESENS_SHARED_DIR/data/ner``); they are never copied into this repository.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared folder beside the repository (``$DESENS_SHARED_DIR`` overrides)."""
    return Path(os.environ.get("DESENS_SHARED_DIR", REPO.parent / "shared"))


def load_ner(name: str) -> list[dict[str, Any]] | None:
    """Records of ``<shared>/data/ner/<name>.jsonl``, or None when absent."""
    path = shared_dir() / "data" / "ner" / f"{name}.jsonl"
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def prf(gold: set[Any], predicted: set[Any]) -> dict[str, float | int]:
    """Precision, recall and F1 of two sets of exact spans."""
    tp = len(gold & predicted)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "gold": len(gold),
        "predicted": len(predicted),
        "true_positives": tp,
    }


def spans_of(
    records: Iterable[dict[str, Any]], entity: str, key: str = "spans"
) -> set[tuple[int, int, int]]:
    """(record index, start, end) of every gold span labelled ``entity``."""
    return {
        (i, s, e) for i, rec in enumerate(records) for s, e, label in rec[key] if label == entity
    }


def person_scores(
    records: Sequence[dict[str, Any]], predicted: Sequence[Sequence[Any]]
) -> dict[str, float | int]:
    """PERSON exact-span scores of analyzer results (one list per record)."""
    found = {
        (i, r.start, r.end)
        for i, rs in enumerate(predicted)
        for r in rs
        if r.entity_type == "PERSON"
    }
    return prf(spans_of(records, "PERSON"), found)
