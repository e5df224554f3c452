"""Reversing encrypt tokens and fpe columns with the key ring."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import cards, grouped, mobiles, valid_ids

from desens.anonymizer import TextAnonymizer
from desens.errors import BadRecordError, ConfigError, WrongKeyError
from desens.keys import KeyRing, MasterKey
from desens.operators import EncryptParams, FpeParams, encrypt, fpe_encrypt
from desens.policy import parse_policy, read_policy
from desens.release.reidentify import Reidentifier, read_release_report, reidentify_file
from recognizers.checksums import gb11643_check_char

FIRST = "44070319850312201"
ID = FIRST + gb11643_check_char(FIRST)
PHONE = "13800138000"

FPE_POLICY = """\
name: f
data_class: custom
entities:
  CN_RESIDENT_ID: {operator: fpe}
columns:
  - name: 身份证号
    entity: CN_RESIDENT_ID
  - name: 手机
    operator: fpe
    entity: PHONE_NUMBER
    params: {keep_prefix: 3}
  - name: 备注
    scan: true
"""


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.generate("k7")


def test_tokens_in_free_text_are_decrypted(ring: KeyRing) -> None:
    token = encrypt(PHONE, EncryptParams(), ring)
    worker = Reidentifier(read_policy("share"), ring)
    text = f"电话{token}，身份证{encrypt(ID, EncryptParams(), ring)}。末尾{token}"
    assert worker.text(text) == f"电话{PHONE}，身份证{ID}。末尾{PHONE}"
    assert worker.result.tokens == 3 and worker.result.key_ids == {"k7"}
    assert worker.text("nothing:here and enc without token") == "nothing:here and enc without token"


def test_custom_prefix_is_recognized(ring: KeyRing) -> None:
    policy = parse_policy(
        "name: p\ndata_class: custom\nentities:\n"
        "  PHONE_NUMBER: {operator: encrypt, params: {prefix: sec}}\n"
    )
    token = encrypt(PHONE, EncryptParams(prefix="sec"), ring)
    assert Reidentifier(policy, ring).text(f"[{token}]") == f"[{PHONE}]"


def test_wrong_key_is_an_error(ring: KeyRing) -> None:
    token = encrypt(PHONE, EncryptParams(), ring)
    other = KeyRing.generate("k7")
    with pytest.raises(WrongKeyError, match="does not decrypt"):
        Reidentifier(read_policy("share"), other).text(token)
    with pytest.raises(WrongKeyError, match="not in the key ring"):
        Reidentifier(read_policy("share"), KeyRing.generate("k1")).text(token)


def test_fpe_columns_and_tokens_in_a_csv(ring: KeyRing, tmp_path: Path) -> None:
    policy = parse_policy(FPE_POLICY)
    worker = Reidentifier(policy, ring)
    assert set(worker.fpe_columns) == {"身份证号", "手机"}
    released = tmp_path / "r.csv"
    fake_id = fpe_encrypt(ID, FpeParams(), ring, "CN_RESIDENT_ID")
    fake_phone = fpe_encrypt(PHONE, FpeParams(keep_prefix=3), ring, "PHONE_NUMBER")
    assert fake_id != ID and fake_phone != PHONE
    token = encrypt(PHONE, EncryptParams(), ring)
    with released.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["身份证号", "手机", "备注"], [fake_id, fake_phone, token]])
    out = tmp_path / "o.csv"
    result = reidentify_file(released, out, policy, ring)
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh))[1] == [ID, PHONE, PHONE]
    assert (result.rows, result.tokens, result.fpe_values) == (1, 1, 2)
    assert result.key_ids == {"k7"}


def test_jsonl_nested_and_text(ring: KeyRing, tmp_path: Path) -> None:
    token = encrypt(PHONE, EncryptParams(), ring)
    src = tmp_path / "r.jsonl"
    src.write_text(
        json.dumps({"text": f"电话{token}", "n": 1, "more": [{"x": token}]}) + "\n\n",
        encoding="utf-8",
    )
    out = tmp_path / "o.jsonl"
    reidentify_file(src, out, read_policy("share"), ring)
    assert json.loads(out.read_text(encoding="utf-8")) == {
        "text": f"电话{PHONE}",
        "n": 1,
        "more": [{"x": PHONE}],
    }
    txt = tmp_path / "r.txt"
    txt.write_text(f"a {token}\nb\n", encoding="utf-8")
    reidentify_file(txt, tmp_path / "o.txt", read_policy("share"), ring)
    assert (tmp_path / "o.txt").read_text(encoding="utf-8") == f"a {PHONE}\nb\n"


def test_wrong_key_writes_nothing(ring: KeyRing, tmp_path: Path) -> None:
    src = tmp_path / "r.txt"
    src.write_text("ok\n" * 10 + encrypt(PHONE, EncryptParams(), ring) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "o.txt"
    out.parent.mkdir()
    with pytest.raises(WrongKeyError):
        reidentify_file(src, out, read_policy("share"), KeyRing.generate("k7"))
    assert list(out.parent.iterdir()) == []


# fpe inside free text ------------------------------------------------------

FPE_TEXT_POLICY = """\
name: fpe-text
data_class: custom
entities:
  CN_RESIDENT_ID: {operator: fpe}
  PHONE_NUMBER: {operator: fpe}
  CN_BANK_CARD: {operator: fpe}
  PERSON: {operator: encrypt}
default: {operator: keep}
deny_list:
  CN_RESIDENT_ID: [档案1234567]
"""

#: Free-text templates of the kind a release scans; the slots take an ID, a
#: mobile number and a bank card, written as people write them.
TEMPLATES = (
    "张伟的身份证号{id}，联系电话{phone}，银行卡号{card}。",
    "来电人手机：{phone}；证件号码 {id}",
    "退款至银行卡{card}，经办人王芳（电话{phone}），身份证{id}。",
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    template=st.sampled_from(TEMPLATES),
    rid=valid_ids,
    phone=mobiles,
    card=cards,
    spaced=st.booleans(),
)
def test_fpe_spans_in_free_text_are_reversed(
    analyzer, ring: KeyRing, template: str, rid: str, phone: str, card: str, spaced: bool
) -> None:
    policy = parse_policy(FPE_TEXT_POLICY)
    text = template.format(id=rid, phone=grouped(phone, 4) if spaced else phone, card=card)
    released = TextAnonymizer(policy, analyzer, ring).anonymize_batch([text])[0]
    fpe_count = sum(n for e, n in released.entities.items() if e != "PERSON")
    worker = Reidentifier(policy, ring, analyzer=analyzer)
    assert worker.text(released.text) == text
    assert worker.result.fpe_values == fpe_count
    assert worker.result.tokens == released.entities["PERSON"]


def test_fpe_text_needs_no_analyzer_without_fpe_entities(ring: KeyRing) -> None:
    worker = Reidentifier(read_policy("share"), ring)
    assert not worker.fpe_in_text
    assert worker.text(f"身份证{ID}") == f"身份证{ID}"  # left as it is: share has no fpe
    assert worker._finder is None


def test_a_span_inside_a_token_is_left_to_the_token(analyzer, tmp_path: Path) -> None:
    # A key id of digits puts a phone-shaped run inside every token.
    ring = KeyRing.generate("13800138000")
    policy = parse_policy(FPE_TEXT_POLICY)
    token = encrypt("张伟", EncryptParams(), ring)
    worker = Reidentifier(policy, ring, analyzer=analyzer)
    assert worker._get_finder().find([token])[0], "the analyzer sees a phone in the token"
    assert worker.text(f"经办人{token}。") == "经办人张伟。"
    assert (worker.result.tokens, worker.result.fpe_values) == (1, 0)


def test_text_file_round_trip_through_anonymize(analyzer, ring: KeyRing, tmp_path: Path) -> None:
    policy = parse_policy(FPE_TEXT_POLICY)
    lines = [f"联系电话{PHONE}，身份证{ID}", "无", f"卡号{grouped('6222021234567890128')}"]
    anonymizer = TextAnonymizer(policy, analyzer, ring)
    released = tmp_path / "r.txt"
    released.write_text(
        "".join(t.text + "\n" for t in anonymizer.anonymize_batch(lines)), encoding="utf-8"
    )
    assert PHONE not in released.read_text(encoding="utf-8")
    out = tmp_path / "o.txt"
    result = reidentify_file(released, out, policy, ring, analyzer=analyzer)
    assert out.read_text(encoding="utf-8").splitlines() == lines
    assert (result.rows, result.fpe_values) == (3, 3)


def test_jsonl_text_field_is_free_text(analyzer, ring: KeyRing, tmp_path: Path) -> None:
    policy = parse_policy(FPE_TEXT_POLICY)
    fake = fpe_encrypt(PHONE, FpeParams(), ring, "PHONE_NUMBER")
    src = tmp_path / "r.jsonl"
    rows = [{"body": f"电话{fake}", "id": 1, "note": f"电话{fake}"}, {"id": 2}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = tmp_path / "o.jsonl"
    reidentify_file(src, out, policy, ring, text_field="body", analyzer=analyzer)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # Only the named field was anonymized as text; the others are left alone.
    assert got == [{"body": f"电话{PHONE}", "id": 1, "note": f"电话{fake}"}, {"id": 2}]


def test_a_span_that_cannot_be_fpe_output_is_located(
    analyzer, ring: KeyRing, tmp_path: Path
) -> None:
    # The deny word is an "ID" no fpe can have written: anonymize would refuse it.
    src = tmp_path / "r.csv"
    src.write_text("编号,备注\nA1,\nA2,见档案1234567号\n", encoding="utf-8")
    policy = parse_policy(FPE_TEXT_POLICY + "columns:\n  - name: 备注\n    scan: true\n")
    with pytest.raises(BadRecordError) as info:
        reidentify_file(src, tmp_path / "o.csv", policy, ring, analyzer=analyzer)
    assert (info.value.line, info.value.column) == (3, 2)
    assert "CN_RESIDENT_ID" in str(info.value) and "1234567" not in str(info.value)
    assert list(tmp_path.iterdir()) == [src]


def test_an_fpe_cell_that_cannot_be_fpe_output_is_located(ring: KeyRing, tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    fake = fpe_encrypt(ID, FpeParams(), ring, "CN_RESIDENT_ID")
    src.write_text(f"身份证号,手机\n{fake},\n{fake},1380\n", encoding="utf-8")
    with pytest.raises(BadRecordError) as info:
        reidentify_file(src, tmp_path / "o.csv", parse_policy(FPE_POLICY), ring)
    assert (info.value.line, info.value.column) == (3, 2)
    assert "'手机'" in str(info.value) and "not an fpe output" in str(info.value)


# The release report ----------------------------------------------------------

REPORT_POLICY = """\
name: by-report
data_class: custom
entities:
  PHONE_NUMBER: {operator: fpe}
default: {operator: keep}
columns:
  - name: 身份证号
    entity: CN_RESIDENT_ID
    operator: fpe
  - name: 备注
    scan: true
"""


def _report(policy_digest: str, key_id: str | None, columns: list[dict[str, object]]) -> str:
    return json.dumps(
        {"policy": {"name": "by-report", "digest": policy_digest}, "key_id": key_id,
         "columns": columns}
    )  # fmt: skip


def _col(name: str, action: str, entity: str | None = None, operator: str | None = None):
    return {"column": name, "action": action, "entity": entity, "operator": operator}


def test_report_places_detected_fpe_columns_and_names_the_key(analyzer, tmp_path: Path) -> None:
    # Released under k1; the ring has since gained k2 as its default.
    old = MasterKey("k1", bytes(range(32)))
    released_ring = KeyRing([old])
    ring = KeyRing([old, MasterKey("k2", bytes(range(40, 72)))], default="k2")
    policy = parse_policy(REPORT_POLICY)
    fake_id = fpe_encrypt(ID, FpeParams(), released_ring, "CN_RESIDENT_ID")
    fake_phone = fpe_encrypt(PHONE, FpeParams(), released_ring, "PHONE_NUMBER")
    src = tmp_path / "r.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["身份证号", "联系电话", "备注", "编号"],
                [fake_id, fake_phone, f"电话{fake_phone}", "A1"],
            ]
        )
    report = tmp_path / "r.csv.report.json"
    report.write_text(
        _report(
            policy.digest,
            "k1",
            [
                _col("身份证号", "operator", "CN_RESIDENT_ID", "fpe"),
                _col("联系电话", "operator", "PHONE_NUMBER", "fpe"),  # detected
                _col("备注", "scan"),
                _col("编号", "keep"),
            ],
        ),
        encoding="utf-8",
    )
    out = tmp_path / "o.csv"
    result = reidentify_file(src, out, policy, ring, report=report, analyzer=analyzer)
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh))[1] == [ID, PHONE, f"电话{PHONE}", "A1"]
    assert (result.fpe_values, result.key_ids, result.unplaced_columns) == (3, {"k1"}, [])
    # Without the report: the detected column is unknown, and the ring's
    # default key (k2) is not the release's.
    result = reidentify_file(src, out, policy, ring, analyzer=analyzer)
    with out.open(encoding="utf-8", newline="") as fh:
        row = list(csv.reader(fh))[1]
    assert row[1] == fake_phone and row[0] != ID
    assert result.unplaced_columns == ["联系电话", "编号"]


def test_report_of_another_policy_or_key_is_refused(ring: KeyRing, tmp_path: Path) -> None:
    policy = parse_policy(REPORT_POLICY)
    report = tmp_path / "r.report.json"
    report.write_text(_report("0" * 64, "k7", []), encoding="utf-8")
    with pytest.raises(ConfigError, match="release used policy 'by-report'"):
        read_release_report(report, policy, ring)
    report.write_text(_report(policy.digest, "k9", []), encoding="utf-8")
    with pytest.raises(WrongKeyError, match="'k9' is not in the key ring"):
        read_release_report(report, policy, ring)
    for text in ("[]", "{", json.dumps({"policy": {}})):
        report.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match="is not a desens release report"):
            read_release_report(report, policy, ring)
    with pytest.raises(ConfigError, match="cannot read the release report"):
        read_release_report(tmp_path / "none.json", policy, ring)
    report.write_text(_report(policy.digest, "k7", [_col("备注", "scan")]), encoding="utf-8")
    assert read_release_report(report, policy, ring).columns["备注"].scan


def test_without_report_undeclared_columns_follow_the_policy(analyzer, ring: KeyRing) -> None:
    fake = fpe_encrypt(PHONE, FpeParams(), ring, "PHONE_NUMBER")
    scanned = parse_policy(FPE_TEXT_POLICY + "undeclared: scan\n")
    assert Reidentifier(scanned, ring, analyzer=analyzer).cell("备注", f"电话{fake}") == (
        f"电话{PHONE}"
    )
    for undeclared in ("classify", "keep"):
        policy = parse_policy(FPE_TEXT_POLICY + f"undeclared: {undeclared}\n")
        worker = Reidentifier(policy, ring, analyzer=analyzer)
        assert worker.cell("备注", f"电话{fake}") == f"电话{fake}"
