"""encrypt/decrypt: deterministic AES-SIV tokens with a key id, reversible only with the key."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import OTHER_RING, RING, TWO_KEY_RING, valid_ids

from desens.errors import InputError, WrongKeyError
from desens.keys import KeyRing, MasterKey
from desens.operators import DecryptParams, EncryptParams, decrypt, decrypt_run, encrypt

TOKEN = re.compile(r"enc:k1:[A-Za-z0-9_-]+")


@given(st.text(min_size=1, max_size=200))
def test_round_trip_any_text(value: str) -> None:
    token = encrypt(value, EncryptParams(), RING)
    assert TOKEN.fullmatch(token)
    assert decrypt(token, DecryptParams(), RING) == value


@given(valid_ids)
def test_deterministic_under_one_key_different_under_another(value: str) -> None:
    token = encrypt(value, EncryptParams(), RING)
    assert encrypt(value, EncryptParams(), RING) == token
    assert encrypt(value, EncryptParams(), OTHER_RING) != token


def test_token_names_the_key_used() -> None:
    token = encrypt("张三", EncryptParams(key_id="k2"), TWO_KEY_RING)
    assert token.startswith("enc:k2:")
    # Decryption follows the id in the token, not the ring's default.
    assert decrypt(token, DecryptParams(), TWO_KEY_RING) == "张三"
    assert "=" not in token


def test_empty_value_stays_empty() -> None:
    assert encrypt("", EncryptParams(), RING) == ""
    assert decrypt("", DecryptParams(), RING) == ""


def test_wrong_key_under_the_same_id_is_a_clear_error() -> None:
    token = encrypt("440703198503121234", EncryptParams(), RING)
    with pytest.raises(WrongKeyError, match="key 'k1'") as err:
        decrypt(token, DecryptParams(), OTHER_RING)
    assert "440703198503121234" not in str(err.value) and token not in str(err.value)


def test_unknown_key_id_is_a_clear_error() -> None:
    token = encrypt("张三", EncryptParams(key_id="k2"), TWO_KEY_RING)
    with pytest.raises(WrongKeyError, match="'k2' is not in the key ring") as err:
        decrypt(token, DecryptParams(), RING)
    assert token not in str(err.value)


def test_altered_token_is_rejected() -> None:
    token = encrypt("张三", EncryptParams(), RING)
    body = token.split(":")[2]
    altered = "enc:k1:" + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(WrongKeyError):
        decrypt(altered, DecryptParams(), RING)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("13812345678", id="plain-value"),
        pytest.param("enc:k1", id="no-body"),
        pytest.param("xyz:k1:AAAA", id="other-prefix"),
        pytest.param("enc:k 1:AAAA", id="bad-key-id"),
        pytest.param("enc:k1:A", id="bad-base64"),
    ],
)
def test_malformed_tokens_are_input_errors(text: str) -> None:
    with pytest.raises(InputError) as err:
        decrypt(text, DecryptParams(), RING)
    assert text not in str(err.value)


def test_key_rings_with_the_same_material_interoperate() -> None:
    twin = KeyRing([MasterKey("k1", bytes(range(32)))])
    assert decrypt(encrypt("张三", EncryptParams(), RING), DecryptParams(), twin) == "张三"


@given(value=st.text(min_size=1, max_size=40), after=st.text("AZaz09_-", max_size=40))
def test_decrypt_run_finds_the_body_whatever_follows(value: str, after: str) -> None:
    body = encrypt(value, EncryptParams(), RING).split(":", 2)[2]
    assert decrypt_run(body + after, "k1", RING) == (value, len(body))
    assert decrypt_run(body + after, "k1", OTHER_RING) is None
