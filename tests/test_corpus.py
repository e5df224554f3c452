from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.corpus import ENTITIES, KINDS, MAX_CHARS, generate_records
from recognizers.checksums import (
    is_valid_resident_id,
    is_valid_uscc,
    luhn_valid,
    to_halfwidth,
)

REPO = Path(__file__).resolve().parents[1]
N = 3000


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return list(generate_records(N, seed=11))


def _values(records: list[dict], entity: str) -> list[str]:
    return [r["text"][s:e] for r in records for s, e, label in r["spans"] if label == entity]


def test_record_shape(records: list[dict]) -> None:
    assert [r["id"] for r in records] == list(range(N))
    assert {r["kind"] for r in records} == set(KINDS)
    for r in records:
        assert set(r) == {"id", "kind", "text", "spans", "negatives"}
        assert 30 <= len(r["text"]) <= MAX_CHARS, r["text"]


def test_spans_are_nonempty_sorted_and_disjoint(records: list[dict]) -> None:
    for r in records:
        text = r["text"]
        prev_end = 0
        for start, end, label in r["spans"]:
            assert label in ENTITIES
            assert prev_end <= start < end <= len(text), r
            span = text[start:end]
            assert span.strip() == span, (span, r)
            prev_end = end


def test_negatives_do_not_overlap_gold(records: list[dict]) -> None:
    for r in records:
        for ns, ne, _ in r["negatives"]:
            assert r["text"][ns:ne]
            for s, e, _ in r["spans"]:
                assert ne <= s or e <= ns, r


def test_every_entity_is_present(records: list[dict]) -> None:
    counts = Counter(label for r in records for _, _, label in r["spans"])
    assert set(counts) == set(ENTITIES)
    assert min(counts.values()) >= 50, counts


def test_resident_ids_pass_the_checksum(records: list[dict]) -> None:
    ids = _values(records, "CN_RESIDENT_ID")
    assert ids
    for value in ids:
        assert is_valid_resident_id(value), value
    assert any(v != to_halfwidth(v) for v in ids), "no full-width IDs generated"


def test_cards_pass_luhn(records: list[dict]) -> None:
    cards = _values(records, "CN_BANK_CARD")
    assert any(" " in c for c in cards)
    for value in cards:
        digits = value.replace(" ", "")
        assert 16 <= len(digits) <= 19, value
        assert luhn_valid(digits), value


def test_uscc_pass_the_checksum(records: list[dict]) -> None:
    for value in _values(records, "CN_USCC"):
        assert is_valid_uscc(value), value


def test_hard_negatives_fail_the_checks(records: list[dict]) -> None:
    kinds: Counter[str] = Counter()
    for r in records:
        for s, e, kind in r["negatives"]:
            kinds[kind] += 1
            value = r["text"][s:e]
            if kind == "ORDER_NO":
                assert len(value) == 18 and not is_valid_resident_id(value), value
            elif kind == "INVOICE_NO":
                assert not luhn_valid(value), value
            elif kind == "LONG_DIGITS":
                assert value.isdigit() and len(value) > 19, value
    assert {"ORDER_NO", "DATE", "AMOUNT", "DOC_NO", "LONG_DIGITS", "NR_WORD"} <= set(kinds)


def test_names_cover_compound_minority_and_titles(records: list[dict]) -> None:
    names = _values(records, "PERSON")
    assert any("·" in n for n in names)
    assert any(n[:2] in {"欧阳", "司马", "上官", "诸葛", "慕容"} for n in names)
    single = [n for n in names if len(n) == 1]
    assert single, "surname + title should be labelled as the surname alone"
    titled = [r["text"][s : e + 2] for r in records for s, e, lab in r["spans"] if lab == "PERSON"]
    assert any(t.endswith(("先生", "女士")) for t in titled)


def test_phone_forms(records: list[dict]) -> None:
    phones = _values(records, "PHONE_NUMBER")
    assert any(p.startswith("+86") for p in phones)
    assert any(p.startswith("0086") for p in phones)
    assert any(p.startswith(("(", "（")) for p in phones)
    assert any(p != to_halfwidth(p) for p in phones), "no full-width phones generated"


def test_deterministic_per_seed() -> None:
    assert list(generate_records(200, seed=5)) == list(generate_records(200, seed=5))
    assert list(generate_records(50, seed=5)) == list(generate_records(200, seed=5))[:50]


def test_seeds_differ() -> None:
    a = [r["text"] for r in generate_records(100, seed=1)]
    b = [r["text"] for r in generate_records(100, seed=2)]
    assert sum(x != y for x, y in zip(a, b, strict=True)) > 90


def test_cli_writes_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "corpus.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.corpus", "--n", "25", "--seed", "3", "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == list(generate_records(25, seed=3))


def test_score_counts_exact_partial_and_hard_negative_hits() -> None:
    from collections import namedtuple

    from benchmarks.eval_quality import score

    R = namedtuple("R", "entity_type start end")
    recs = [
        {
            "text": "申请人张伟，订单号202301011234567890",
            "spans": [[3, 5, "PERSON"]],
            "negatives": [[9, 27, "ORDER_NO"]],
        }
    ]
    exact = score(recs, [[R("PERSON", 3, 5)]])
    assert exact["per_entity"]["PERSON"]["f1"] == 1.0
    assert exact["hard_negative_false_positives"]["total"] == 0

    wrong = score(recs, [[R("PERSON", 3, 6), R("CN_RESIDENT_ID", 9, 27), R("DATE_TIME", 0, 2)]])
    assert wrong["per_entity"]["PERSON"]["true_positives"] == 0
    assert wrong["per_entity"]["PERSON"]["partial"] == 1
    assert wrong["per_entity"]["CN_RESIDENT_ID"]["precision"] == 0.0
    assert wrong["hard_negative_false_positives"]["by_kind"] == {"ORDER_NO": 1}
    assert wrong["other_entities"] == {"DATE_TIME": 1}
