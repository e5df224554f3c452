"""PERSON F1 on the public dev sets; fails below the project's targets.

The dev sets live outside the repository (``$DESENS_SHARED_DIR/data/ner``,
default ``<repo>/../shared``); the tests skip when they are absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from recognizers.person import CnPersonRecognizer

REPO = Path(__file__).resolve().parents[2]
NER = Path(os.environ.get("DESENS_SHARED_DIR", REPO.parent / "shared")) / "data" / "ner"


def load(name: str) -> list[dict[str, Any]]:
    path = NER / f"{name}.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (set DESENS_SHARED_DIR to the shared folder)")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def f1(records: list[dict[str, Any]], threshold: float = 0.5) -> float:
    results = CnPersonRecognizer().analyze_batch([r["text"] for r in records])
    gold = {(i, s, e) for i, r in enumerate(records) for s, e, lab in r["spans"] if lab == "PERSON"}
    pred = {(i, x.start, x.end) for i, rs in enumerate(results) for x in rs if x.score >= threshold}
    tp = len(gold & pred)
    p, r = tp / max(1, len(pred)), tp / max(1, len(gold))
    return 2 * p * r / (p + r) if p + r else 0.0


@pytest.mark.parametrize(
    ("name", "target"),
    [pytest.param("cluener_dev", 0.75, id="cluener"), pytest.param("weibo_dev", 0.55, id="weibo")],
)
def test_person_f1_meets_target(name: str, target: float) -> None:
    score = f1(load(name))
    assert score >= target, f"PERSON F1 on {name} is {score:.4f}, target {target}"
