"""Reversing encrypt tokens and fpe columns with the key ring."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desens.anonymizer import TextAnonymizer
from desens.errors import BadRecordError, ConfigError, WrongKeyError
from desens.keys import KeyRing, MasterKey
from desens.operators import EncryptParams, FpeParams, encrypt, fpe_encrypt
from desens.policy import Policy, parse_policy, read_policy
from desens.release.reidentify import Reidentifier, read_release_report, reidentify_file
from desens.tables import file_sha256
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


def _report(digest: str, key: str | None, columns: list[dict[str, object]], **more: object) -> str:
    body = {
        "policy": {"name": "by-report", "digest": digest},
        "key_id": key,
        "output_sha256": "0" * 64,
        "columns": columns,
    }
    return json.dumps({**body, **more})


def _col(name: str, action: str, entity: str | None = None, operator: str | None = None):
    return {"column": name, "action": action, "entity": entity, "operator": operator}


def report_beside(
    released: Path, policy: Policy, ring: KeyRing, columns: list[dict], **more: object
) -> Path:
    """The report a release of ``released`` under ``policy`` and ``ring`` would write."""
    report = released.with_name(released.name + ".report.json")
    fingerprints = {k: ring.get(k).fingerprint() for k in ring.ids}
    report.write_text(
        _report(
            policy.digest, ring.default_id, columns,
            policy={"name": policy.name, "digest": policy.digest},
            output_sha256=file_sha256(released), key_fingerprints=fingerprints, **more,
        ),
        encoding="utf-8",
    )  # fmt: skip
    return report


FPE_COLUMNS = [
    {"column": "身份证号", "action": "operator", "entity": "CN_RESIDENT_ID", "operator": "fpe"},
    {"column": "手机", "action": "operator", "entity": "PHONE_NUMBER", "operator": "fpe"},
    {"column": "备注", "action": "scan", "entity": None, "operator": None},
]


def test_fpe_columns_and_tokens_in_a_csv(ring: KeyRing, tmp_path: Path) -> None:
    policy = parse_policy(FPE_POLICY)
    released = tmp_path / "r.csv"
    fake_id = fpe_encrypt(ID, FpeParams(), ring, "CN_RESIDENT_ID")
    fake_phone = fpe_encrypt(PHONE, FpeParams(keep_prefix=3), ring, "PHONE_NUMBER")
    assert fake_id != ID and fake_phone != PHONE
    token = encrypt(PHONE, EncryptParams(), ring)
    with released.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["身份证号", "手机", "备注"], [fake_id, fake_phone, token]])
    report = report_beside(released, policy, ring, FPE_COLUMNS)
    out = tmp_path / "o.csv"
    result = reidentify_file(released, out, policy, ring, report=report)
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh))[1] == [ID, PHONE, PHONE]
    assert (result.rows, result.tokens, result.fpe_values) == (1, 1, 2)
    assert result.key_ids == {"k7"}
    # Without the report: tokens only, and a note says why.
    result = reidentify_file(released, out, policy, ring)
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh))[1] == [fake_id, fake_phone, PHONE]
    assert result.notes[0].startswith("fpe columns of a release are reversed only with its")


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


# Tokens inside free text --------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    plain=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t),
    before=st.text("，。 电话张" + "abc", max_size=3),
    after=st.text("ABCxyz0123456789_-*", max_size=12),
    twice=st.booleans(),
)
def test_a_token_is_found_whatever_ascii_follows_it(
    plain: str, before: str, after: str, twice: bool
) -> None:
    # A name written next to a phone number, under share: the name's token
    # runs into the phone's token, or into masked or fpe digits.
    ring = KeyRing([MasterKey("k1", bytes(range(32)))])
    token = encrypt(plain, EncryptParams(), ring)
    text = f"{before}{token}{token if twice else ''}{after}"
    worker = Reidentifier(read_policy("share"), ring)
    assert worker.text(text) == f"{before}{plain}{plain if twice else ''}{after}"
    assert worker.result.tokens == 1 + twice


def test_adjacent_tokens_from_anonymize_round_trip(analyzer, ring: KeyRing) -> None:
    texts = ["申请人张伟13812345678。", "联系人张伟138****5678", "张伟abc"]
    policy = read_policy("share")
    released = [t.text for t in TextAnonymizer(policy, analyzer, ring).anonymize_batch(texts)]
    assert released[0].count("enc:k7:") == 2 and "enc:k7:" in released[1]
    worker = Reidentifier(policy, ring)
    assert [worker.text(t) for t in released] == texts


def test_a_prefix_written_before_a_token_is_text(analyzer, ring: KeyRing) -> None:
    policy = parse_policy(
        "name: p\ndata_class: custom\nentities:\n"
        "  PHONE_NUMBER: {operator: encrypt, params: {prefix: tel}}\n"
        "  PERSON: {operator: encrypt}\ndefault: {operator: keep}\n"
    )
    texts = [f"联系方式 tel:{PHONE}", "王芳 enc:张伟"]
    released = [t.text for t in TextAnonymizer(policy, analyzer, ring).anonymize_batch(texts)]
    assert released[0].startswith("联系方式 tel:tel:k7:")
    assert [Reidentifier(policy, ring).text(t) for t in released] == texts


def test_a_token_that_no_length_decrypts_is_a_wrong_key(ring: KeyRing) -> None:
    other = KeyRing([MasterKey("k7", bytes(range(32)))])
    text = f"申请人{encrypt('张伟', EncryptParams(), ring)}{encrypt(PHONE, EncryptParams(), ring)}"
    for extra in range(4):  # whatever the run's length: not merely "not base64"
        with pytest.raises(WrongKeyError, match="does not decrypt"):
            Reidentifier(read_policy("share"), other).text(text + "x" * extra)
    with pytest.raises(WrongKeyError, match="not in the key ring"):
        Reidentifier(read_policy("share"), KeyRing.generate("k1")).text(text)
    # Inside an ASCII word, a run is a token only if it decrypts.
    worker = Reidentifier(read_policy("share"), ring)
    token = encrypt("张伟", EncryptParams(), ring)
    assert worker.text(f"编号A0001{token}") == "编号A0001张伟"
    words = "xenc:k7:abc, Xenc:k9:" + "A" * 30 + " yenc:k7:" + "B" * 30
    assert worker.text(words) == words


def test_a_cut_token_is_located_and_data_is_never_quoted(ring: KeyRing, tmp_path: Path) -> None:
    token = encrypt("张伟", EncryptParams(), ring)
    src = tmp_path / "r.csv"
    # Row 3 holds a token cut short; its key decrypted row 2's.
    src.write_text(f"编号,备注\nA1,{token}\nA2,见{token[:-3]}\n", encoding="utf-8")
    with pytest.raises(BadRecordError, match="altered or cut") as info:
        reidentify_file(src, tmp_path / "o.csv", read_policy("share"), ring)
    assert (info.value.line, info.value.column) == (3, 2)
    assert list(tmp_path.iterdir()) == [src]
    # A key id the ring lacks is named by place, never quoted (it may be data).
    src.write_text(f"编号,备注\nA1,回访 enc:{ID}:{'A' * 30}\n", encoding="utf-8")
    with pytest.raises(WrongKeyError, match=r"r.csv:2:2: column '备注': a token names") as key:
        reidentify_file(src, tmp_path / "o.csv", read_policy("share"), ring)
    assert ID not in str(key.value)
    # Too short to be a token: text, as released.
    src.write_text(f"编号,备注\nA1,回访 enc:{ID}:1\nA2,工单号 enc:2024:0012\n", encoding="utf-8")
    reidentify_file(src, tmp_path / "o.csv", read_policy("share"), ring)
    assert (tmp_path / "o.csv").read_text(encoding="utf-8") == src.read_text(encoding="utf-8")


def test_tokens_of_a_prefix_the_policy_does_not_write_are_counted(ring: KeyRing) -> None:
    token = encrypt("张伟", EncryptParams(prefix="nm"), ring)
    worker = Reidentifier(read_policy("share"), ring)  # its encrypt writes "enc" only
    text = f"经办人{token}，B1{token}"
    assert worker.text(text) == text
    assert (worker.result.tokens, worker.result.foreign) == (0, 2)
    worker.note_unreversed(None, free_text=True)
    assert worker.result.notes[0].startswith("2 token(s) with a prefix this policy's encrypt")
    # A run of an unknown prefix that does not decrypt is counted, not an error.
    assert worker.text("note:k7:" + "A" * 30) == "note:k7:" + "A" * 30
    assert worker.result.undecrypted == 1


def test_an_fpe_cell_that_cannot_be_fpe_output_is_located(ring: KeyRing, tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    fake = fpe_encrypt(ID, FpeParams(), ring, "CN_RESIDENT_ID")
    src.write_text(f"身份证号,手机\n{fake},\n{fake},1380\n", encoding="utf-8")
    policy = parse_policy(FPE_POLICY)
    report = report_beside(src, policy, ring, FPE_COLUMNS)
    with pytest.raises(BadRecordError) as info:
        reidentify_file(src, tmp_path / "o.csv", policy, ring, report=report)
    assert (info.value.line, info.value.column) == (3, 2)
    assert "'手机'" in str(info.value) and "not an fpe output" in str(info.value)
    assert sorted(tmp_path.iterdir()) == [src, report]


FPE_TEXT_POLICY = """\
name: fpe-text
data_class: custom
entities:
  CN_RESIDENT_ID: {operator: fpe}
default: {operator: keep}
"""


def test_notes_say_what_may_be_left(ring: KeyRing, tmp_path: Path) -> None:
    text_note = (
        "fpe inside free text is reversed only with a release report and its span file "
        "(desens anonymize output's is not; the policy's entities use fpe)"
    )
    src = tmp_path / "r.txt"
    src.write_text("身份证440703198005284213\n", encoding="utf-8")
    result = reidentify_file(src, tmp_path / "o.txt", parse_policy(FPE_TEXT_POLICY), ring)
    assert result.notes == [text_note]
    assert (tmp_path / "o.txt").read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    assert reidentify_file(src, tmp_path / "o.txt", read_policy("share"), ring).notes == []
    # JSONL without a report may be anonymize output: its fields were never fpe'd.
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(json.dumps({"text": "无", "身份证号": ID}) + "\n", encoding="utf-8")
    result = reidentify_file(jsonl, tmp_path / "o.jsonl", parse_policy(FPE_POLICY), ring)
    assert json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))["身份证号"] == ID
    assert result.notes == [
        "fpe columns of a release are reversed only with its report, which pins the key: "
        "pass --report",
        text_note,
    ]
    # Token-like runs inside words that do not decrypt are counted.
    words = tmp_path / "w.txt"
    token = encrypt("张伟", EncryptParams(), KeyRing.generate("k7"))
    words.write_text(f"编号A0001{token}\n", encoding="utf-8")
    result = reidentify_file(words, tmp_path / "o.txt", read_policy("share"), ring)
    assert result.tokens == 0 and result.undecrypted == 1
    assert result.notes == [
        "1 token-like run(s) did not decrypt and were left as they are (plain text, or "
        "tokens of another key ring)"
    ]


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


def test_the_reports_format_wins_over_the_file_name(ring: KeyRing, tmp_path: Path) -> None:
    policy = parse_policy(FPE_POLICY)
    released = tmp_path / "r.txt"  # a CSV a release wrote under a text-like name
    fake_id = fpe_encrypt(ID, FpeParams(), ring, "CN_RESIDENT_ID")
    released.write_text(f"身份证号,手机,备注\n{fake_id},,\n", encoding="utf-8")
    report = report_beside(released, policy, ring, FPE_COLUMNS, output={"format": "csv"})
    out = tmp_path / "o.tsv"
    result = reidentify_file(released, out, policy, ring, report=report)
    assert out.read_text(encoding="utf-8") == f"身份证号\t手机\t备注\n{ID}\t\t\n"
    assert result.fpe_values == 1
    with pytest.raises(ConfigError, match="is a table by its release report"):
        reidentify_file(released, out, policy, ring, fmt="text", report=report)
    with pytest.raises(ConfigError, match="is csv by its release report, not tsv"):
        reidentify_file(released, out, policy, ring, fmt="tsv", report=report)
    # Without a format from the report or -o's extension, the input's is kept.
    reidentify_file(released, tmp_path / "o.out", policy, ring, fmt="csv", report=report)
    assert (tmp_path / "o.out").read_text(encoding="utf-8").startswith("身份证号,手机")


def test_report_places_classified_fpe_columns_and_names_the_key(tmp_path: Path) -> None:
    # Released under k1; the ring has since gained k2 as its default.
    old = MasterKey("k1", bytes(range(32)))
    released_ring = KeyRing([old])
    ring = KeyRing([old, MasterKey("k2", bytes(range(40, 72)))], default="k2")
    policy = parse_policy(REPORT_POLICY)
    fake_id = fpe_encrypt(ID, FpeParams(), released_ring, "CN_RESIDENT_ID")
    fake_phone = fpe_encrypt(PHONE, FpeParams(), released_ring, "PHONE_NUMBER")
    src = tmp_path / "r.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "联系电话", "备注", "编号"])
        writer.writerow([fake_id, fake_phone, f"电话{fake_phone}", "A1"])
    columns = [
        _col("身份证号", "operator", "CN_RESIDENT_ID", "fpe"),
        _col("联系电话", "operator", "PHONE_NUMBER", "fpe"),  # classified
        _col("备注", "scan"),
        _col("编号", "keep"),
    ]
    report = report_beside(src, policy, released_ring, columns)
    out = tmp_path / "o.csv"
    result = reidentify_file(src, out, policy, ring, report=report)
    with out.open(encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh))[1] == [ID, PHONE, f"电话{fake_phone}", "A1"]
    assert (result.fpe_values, result.key_ids) == (2, {"k1"})
    # This report (as before span files) does not say whether the release wrote any.
    assert result.notes == [
        "fpe inside free text is not reversed: the release report names no span file "
        "(an older desens wrote it)"
    ]


def test_a_report_is_refused_unless_it_is_this_files_policys_and_keys(
    ring: KeyRing, tmp_path: Path
) -> None:
    policy = parse_policy(REPORT_POLICY)
    released = tmp_path / "r.csv"
    released.write_text("备注\n无\n", encoding="utf-8")
    sha = file_sha256(released)
    pinned = {"k7": ring.get("k7").fingerprint()}
    report = tmp_path / "r.report.json"
    fpe_column = [_col("身份证号", "operator", "CN_RESIDENT_ID", "fpe")]

    def refused(error: type[Exception], match: str, columns=(), **fields: object) -> None:
        fields = {"output_sha256": sha, "key_fingerprints": pinned, **fields}
        report.write_text(_report(policy.digest, "k7", list(columns), **fields), "utf-8")
        with pytest.raises(error, match=match):
            read_release_report(report, policy, ring, released)

    refused(ConfigError, "release used policy 'x'", policy={"name": "x", "digest": "0"})
    refused(ConfigError, "report of a failed release", output_sha256=None)
    refused(ConfigError, "not the report of", output_sha256="1" * 64)
    refused(WrongKeyError, "not the key the release used", key_fingerprints={"k7": "fp-0"})
    refused(WrongKeyError, "'k9' is not in the key ring", fpe_column, key_id="k9")
    # An fpe column's key must be pinned by a fingerprint (older reports had none).
    refused(ConfigError, "no fingerprint for key 'k7'", fpe_column, key_fingerprints={})
    for text in ("[]", "{", json.dumps({"policy": {}})):
        report.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match="is not a desens release report"):
            read_release_report(report, policy, ring)
    with pytest.raises(ConfigError, match="cannot read the release report"):
        read_release_report(tmp_path / "none.json", policy, ring)
    report.write_text(
        _report(policy.digest, "k7", [_col("备注", "scan"), *fpe_column], output_sha256=sha,
                key_fingerprints=pinned),
        encoding="utf-8",
    )  # fmt: skip
    info = read_release_report(report, policy, ring, released)
    assert info.scanned == ("备注",) and info.columns["身份证号"].fpe is not None
