"""FF1 against the NIST SP 800-38G sample vectors, plus round-trip properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desens.operators.ff1 import ALPHABET, FF1

K128 = "2B7E151628AED2A6ABF7158809CF4F3C"
K192 = K128 + "EF4359D8D580AA4F"
K256 = K192 + "7F036D6F04FC6A94"
T10 = "39383736353433323130"
T36 = "3737373770717273373737"
PT10 = "0123456789"
PT36 = "0123456789abcdefghi"

NIST_SAMPLES = [
    pytest.param(K128, 10, "", PT10, "2433477484", id="sample1-aes128"),
    pytest.param(K128, 10, T10, PT10, "6124200773", id="sample2-aes128-tweak"),
    pytest.param(K128, 36, T36, PT36, "a9tv40mll9kdu509eum", id="sample3-aes128-radix36"),
    pytest.param(K192, 10, "", PT10, "2830668132", id="sample4-aes192"),
    pytest.param(K192, 10, T10, PT10, "2496655549", id="sample5-aes192-tweak"),
    pytest.param(K192, 36, T36, PT36, "xbj3kv35jrawxv32ysr", id="sample6-aes192-radix36"),
    pytest.param(K256, 10, "", PT10, "6657667009", id="sample7-aes256"),
    pytest.param(K256, 10, T10, PT10, "1001623463", id="sample8-aes256-tweak"),
    pytest.param(K256, 36, T36, PT36, "xs8a0azh2avyalyzuwd", id="sample9-aes256-radix36"),
]


@pytest.mark.parametrize(("key", "radix", "tweak", "plain", "cipher"), NIST_SAMPLES)
def test_nist_sample_encrypts(key: str, radix: int, tweak: str, plain: str, cipher: str) -> None:
    assert FF1(bytes.fromhex(key), radix).encrypt(plain, bytes.fromhex(tweak)) == cipher


@pytest.mark.parametrize(("key", "radix", "tweak", "plain", "cipher"), NIST_SAMPLES)
def test_nist_sample_decrypts(key: str, radix: int, tweak: str, plain: str, cipher: str) -> None:
    assert FF1(bytes.fromhex(key), radix).decrypt(cipher, bytes.fromhex(tweak)) == plain


@given(
    key=st.binary(min_size=32, max_size=32),
    digits=st.text("0123456789", min_size=6, max_size=40),
    tweak=st.binary(max_size=40),
)
def test_decrypt_inverts_encrypt(key: bytes, digits: str, tweak: bytes) -> None:
    cipher = FF1(key)
    out = cipher.encrypt(digits, tweak)
    assert len(out) == len(digits) and out.isdigit()
    assert cipher.decrypt(out, tweak) == digits


@given(radix=st.integers(2, 36), data=st.data())
def test_round_trip_any_radix(radix: int, data: st.DataObject) -> None:
    min_len = next(n for n in range(1, 30) if radix**n >= 1_000_000)
    numerals = data.draw(st.text(ALPHABET[:radix], min_size=min_len, max_size=min_len + 10))
    cipher = FF1(bytes(16), radix)
    assert cipher.decrypt(cipher.encrypt(numerals, b"t"), b"t") == numerals


def test_tweak_and_key_change_the_output() -> None:
    a = FF1(bytes(16)).encrypt("0123456789", b"PHONE_NUMBER")
    assert a != FF1(bytes(16)).encrypt("0123456789", b"CN_BANK_CARD")
    assert a != FF1(bytes([1]) + bytes(15)).encrypt("0123456789", b"PHONE_NUMBER")


@pytest.mark.parametrize(
    "numerals",
    [
        pytest.param("12345", id="domain-below-10^6"),
        pytest.param("12345a", id="letter-in-radix-10"),
        pytest.param("１２３４５６", id="full-width-digits"),
    ],
)
def test_rejects_bad_input(numerals: str) -> None:
    with pytest.raises(ValueError, match="FF1") as err:
        FF1(bytes(16)).encrypt(numerals)
    assert numerals not in str(err.value)


@pytest.mark.parametrize("length", [0, 15, 20, 33])
def test_rejects_bad_key_length(length: int) -> None:
    with pytest.raises(ValueError, match="16, 24 or 32"):
        FF1(bytes(length))


def test_repr_shows_no_key() -> None:
    assert repr(FF1(bytes.fromhex(K128))) == "FF1(radix=10)"
