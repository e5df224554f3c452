"""fpe/fpe_decrypt: formats and checksums kept, reversible, keyed, tweaked by entity."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    OTHER_RING,
    RING,
    TWO_KEY_RING,
    cards,
    fullwidth,
    grouped,
    ids,
    make_card,
    make_id,
    mobiles,
    valid_ids,
)

from desens.errors import InputError, WrongKeyError
from desens.keys import KeyRing
from desens.operators import FpeParams, fpe_decrypt, fpe_encrypt
from recognizers.checksums import (
    is_plausible_division_code,
    is_valid_resident_id,
    luhn_valid,
    to_halfwidth,
)

P = FpeParams()


def enc(value: str, entity: str, params: FpeParams = P, ring: KeyRing = RING) -> str:
    return fpe_encrypt(value, params, ring, entity)


def dec(value: str, entity: str, params: FpeParams = P, ring: KeyRing = RING) -> str:
    return fpe_decrypt(value, params, ring, entity)


# ---- resident IDs -----------------------------------------------------------------


@given(valid_ids)
def test_id_stays_valid_keeps_division_and_round_trips(value: str) -> None:
    out = enc(value, "CN_RESIDENT_ID")
    assert is_valid_resident_id(out)
    assert out[:6] == value[:6]
    assert dec(out, "CN_RESIDENT_ID") == value
    assert enc(value, "CN_RESIDENT_ID") == out


@given(valid_ids)
def test_id_differs_under_another_key(value: str) -> None:
    # Collisions are possible in a 7e7 domain, but hypothesis will not find one.
    assert enc(value, "CN_RESIDENT_ID") != enc(value, "CN_RESIDENT_ID", ring=OTHER_RING)


@given(ids(min_date=dt.date(2026, 1, 1), max_date=dt.date(2099, 12, 31)))
def test_ids_born_after_the_split_stay_after_it(value: str) -> None:
    out = enc(value, "CN_RESIDENT_ID")
    born = dt.date(int(out[6:10]), int(out[10:12]), int(out[12:14]))
    assert dt.date(2026, 1, 1) <= born <= dt.date(2099, 12, 31)
    assert dec(out, "CN_RESIDENT_ID") == value


@given(valid_ids)
def test_id_with_division_encrypted(value: str) -> None:
    params = FpeParams(keep_division=False)
    out = enc(value, "CN_RESIDENT_ID", params)
    assert is_valid_resident_id(out) and is_plausible_division_code(out[:6])
    assert dec(out, "CN_RESIDENT_ID", params) == value


@given(valid_ids)
def test_id_written_form_is_kept(value: str) -> None:
    written = fullwidth(value[:6]) + " " + value[6:14] + " " + value[14:]
    out = enc(written, "CN_RESIDENT_ID")
    assert out[:7] == written[:7] and out[15] == " "
    assert to_halfwidth(out).replace(" ", "") == enc(value, "CN_RESIDENT_ID")
    assert dec(out, "CN_RESIDENT_ID") == written


def test_id_lowercase_x_comes_back_uppercase() -> None:
    value = make_id("44070319850312006")
    assert value.endswith("X")
    lower = value[:-1] + "x"
    assert dec(enc(lower, "CN_RESIDENT_ID"), "CN_RESIDENT_ID") == value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("440703198503121235", id="wrong-check-char"),
        pytest.param("440703850312123", id="15-digit"),
        pytest.param(make_id("44070319850231123"), id="no-such-date"),
        pytest.param(make_id("44070318990312123"), id="before-1900"),
    ],
)
def test_invalid_ids_are_refused_without_echoing(value: str) -> None:
    with pytest.raises(InputError, match="CN_RESIDENT_ID") as err:
        enc(value, "CN_RESIDENT_ID")
    assert value not in str(err.value)


# ---- phones -----------------------------------------------------------------------


@given(mobiles, st.sampled_from(["", " ", "-"]), st.booleans(), st.booleans())
def test_mobile_keeps_prefix_and_form(number: str, sep: str, plus86: bool, wide: bool) -> None:
    written = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    if plus86:
        written = "+86 " + written
    if wide:
        written = fullwidth(written)
    out = enc(written, "PHONE_NUMBER")
    assert len(out) == len(written)
    digits = "".join(c for c in to_halfwidth(out) if c.isdigit())
    number_digits = digits[2:] if plus86 else digits
    assert number_digits[:3] == number[:3]
    assert [c for c in out if not c.isdigit()] == [c for c in written if not c.isdigit()]
    assert dec(out, "PHONE_NUMBER") == written
    assert enc(written, "PHONE_NUMBER", ring=OTHER_RING) != out


@given(mobiles)
def test_mobile_keep_prefix_param(number: str) -> None:
    params = FpeParams(keep_prefix=4)
    out = enc(number, "PHONE_NUMBER", params)
    assert out[:4] == number[:4]
    assert dec(out, "PHONE_NUMBER", params) == number


def test_landline_keeps_area_code() -> None:
    out = enc("0750-1234567", "PHONE_NUMBER")
    assert out.startswith("0750-") and len(out) == 12
    assert dec(out, "PHONE_NUMBER") == "0750-1234567"


def test_too_few_digits_are_refused() -> None:
    with pytest.raises(InputError, match="fewer than 6"):
        enc("13812345678", "PHONE_NUMBER", FpeParams(keep_prefix=6))


# ---- bank cards -------------------------------------------------------------------


@given(cards, st.booleans())
def test_card_keeps_bin_luhn_and_round_trips(card: str, spaced: bool) -> None:
    written = grouped(card) if spaced else card
    out = enc(written, "CN_BANK_CARD")
    assert luhn_valid(out)
    assert out.replace(" ", "")[:6] == card[:6]
    assert [i for i, c in enumerate(out) if c == " "] == [
        i for i, c in enumerate(written) if c == " "
    ]
    assert dec(out, "CN_BANK_CARD") == written
    assert enc(written, "CN_BANK_CARD", ring=OTHER_RING) != out


def test_card_without_valid_luhn_is_refused() -> None:
    card = make_card("622202123456789")
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    with pytest.raises(InputError, match="Luhn") as err:
        enc(bad, "CN_BANK_CARD")
    assert bad not in str(err.value)


# ---- general ----------------------------------------------------------------------


def test_tweak_is_the_entity_type() -> None:
    # The same digits encrypt differently as a phone number and as plain digits.
    assert enc("13812345678", "PHONE_NUMBER") != enc(
        "13812345678", "OTHER", FpeParams(keep_prefix=3)
    )


def test_other_entities_encrypt_all_digits() -> None:
    out = enc("E12345678", "CN_PASSPORT")
    assert out[0] == "E" and out[1:].isdigit() and out != "E12345678"
    assert dec(out, "CN_PASSPORT") == "E12345678"


def test_key_id_selects_the_key() -> None:
    k1 = enc("13812345678", "PHONE_NUMBER", FpeParams(key_id="k1"), TWO_KEY_RING)
    k2 = enc("13812345678", "PHONE_NUMBER", FpeParams(key_id="k2"), TWO_KEY_RING)
    assert k1 == enc("13812345678", "PHONE_NUMBER") and k1 != k2
    with pytest.raises(WrongKeyError):
        enc("13812345678", "PHONE_NUMBER", FpeParams(key_id="k3"), TWO_KEY_RING)


def test_split_date_bounds() -> None:
    from desens.errors import ConfigError
    from desens.operators import build_operator

    with pytest.raises(ConfigError, match="birth_date_split"):
        build_operator("fpe", {"birth_date_split": "2100-01-01"})
