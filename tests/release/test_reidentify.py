"""Reversing encrypt tokens and fpe columns with the key ring."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from desens.errors import WrongKeyError
from desens.keys import KeyRing
from desens.operators import EncryptParams, FpeParams, encrypt, fpe_encrypt
from desens.policy import parse_policy, read_policy
from desens.release.reidentify import Reidentifier, reidentify_file
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
