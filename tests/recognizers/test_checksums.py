"""Unit and property tests for recognizers.checksums (all values synthetic)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import divisions, make_id

from recognizers.checksums import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    gb11643_check_char,
    gb11714_check_char,
    is_plausible_division_code,
    is_valid_resident_id,
    is_valid_uscc,
    luhn_check_digit,
    luhn_valid,
    to_halfwidth,
    uscc_check_char,
)


def fullwidth(s: str) -> str:
    """Independent inverse of to_halfwidth for printable ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def ref_uscc_check(first17: str) -> str:
    """A second, independent GB 32100 implementation to cross-check ours."""
    weights = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, ...
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
    return USCC_ALPHABET[-total % 31]


# ---- strategies ----------------------------------------------------------------

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today())
valid_ids = st.builds(
    lambda div, born, seq: make_id(f"{div}{born:%Y%m%d}{seq:03d}"),
    divisions,
    birth_dates,
    st.integers(0, 999),
)
uscc_chars = st.sampled_from(USCC_ALPHABET)
valid_usccs = st.builds(
    lambda head, div, org: head + div + org + uscc_check_char(head + div + org),
    st.text(uscc_chars, min_size=2, max_size=2),
    st.text(st.sampled_from("0123456789"), min_size=6, max_size=6),
    st.text(uscc_chars, min_size=9, max_size=9),
)
card_payloads = st.text(st.sampled_from("0123456789"), min_size=15, max_size=18)


def replace_at(s: str, i: int, c: str) -> str:
    return s[:i] + c + s[i + 1 :]


# ---- resident ID -----------------------------------------------------------------


def test_gb11643_known_vector() -> None:
    # The worked example of GB 11643-1999 (a fictitious number).
    assert gb11643_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("11010519491231002X", True, id="standard-example"),
        pytest.param("11010519491231002x", True, id="lowercase-x"),
        pytest.param("１１０１０５１９４９１２３１００２Ｘ", True, id="full-width"),
        pytest.param("110105 19491231 002X", True, id="grouped-6-8-4"),
        pytest.param("110105194912310021", False, id="wrong-check-char"),
        pytest.param("110105491231002", True, id="legacy-15"),
        pytest.param("110105491331002", False, id="legacy-15-month-13"),
        pytest.param("990105491231002", False, id="legacy-15-bad-province"),
        pytest.param(make_id("44070318990101123"), False, id="born-1899"),
        pytest.param(make_id("44070319900230123"), False, id="feb-30"),
        pytest.param(make_id("44070320000229123"), True, id="leap-day-2000"),
        pytest.param(make_id("44070319000229123"), False, id="no-leap-day-1900"),
        pytest.param(
            make_id(f"440703{dt.date.today() + dt.timedelta(days=1):%Y%m%d}123"),
            False,
            id="born-tomorrow",
        ),
        pytest.param(make_id("99070319900101123"), False, id="province-99"),
        pytest.param(make_id("44710319900101123"), False, id="city-71"),
        pytest.param("202311220000123456", False, id="order-number"),
        pytest.param("11010519491231002", False, id="17-digits"),
        pytest.param("1101051949123100211", False, id="19-digits"),
        pytest.param("1101051949123100AX", False, id="letters"),
        pytest.param("", False, id="empty"),
    ],
)
def test_is_valid_resident_id(value: str, expected: bool) -> None:
    assert is_valid_resident_id(value) is expected


def test_gb11643_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        gb11643_check_char("1234")
    with pytest.raises(ValueError):
        gb11643_check_char("1101051949123100A")


@given(valid_ids)
def test_generated_ids_are_valid(value: str) -> None:
    assert is_valid_resident_id(value)
    assert is_valid_resident_id(value.lower())
    assert is_valid_resident_id(fullwidth(value))


@given(valid_ids, st.data())
def test_one_replaced_character_invalidates_id(value: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, 17))
    alphabet = "0123456789X" if i == 17 else "0123456789"
    c = data.draw(st.sampled_from(alphabet).filter(lambda c: c != value[i].upper()))
    assert not is_valid_resident_id(replace_at(value, i, c))


# ---- division codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("440703", True, id="county"),
        pytest.param("441900", True, id="city-without-counties"),
        pytest.param("429004", True, id="province-governed-county"),
        pytest.param("440000", True, id="province-level"),
        pytest.param("810000", True, id="hong-kong"),
        pytest.param("820000", True, id="macau"),
        pytest.param("710000", True, id="taiwan"),
        pytest.param("440001", False, id="city-00-county-01"),
        pytest.param("447103", False, id="city-71"),
        pytest.param("160101", False, id="province-16"),
        pytest.param("000000", False, id="zeros"),
        pytest.param("４４０７０３", True, id="full-width"),
        pytest.param("44070", False, id="five-digits"),
        pytest.param("44070a", False, id="letter"),
    ],
)
def test_is_plausible_division_code(code: str, expected: bool) -> None:
    assert is_plausible_division_code(code) is expected


@given(st.text(st.sampled_from("0123456789"), min_size=2, max_size=2), divisions)
def test_province_part_decides(province: str, division: str) -> None:
    code = province + division[2:]
    assert is_plausible_division_code(code) is (province in PROVINCE_CODES)


# ---- Luhn ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("79927398713", True, id="classic-example"),
        pytest.param("79927398710", False, id="classic-wrong"),
        pytest.param("4111 1111 1111 1111", True, id="spaced"),
        pytest.param("4111-1111-1111-1111", True, id="dashed"),
        pytest.param("４１１１１１１１１１１１１１１１", True, id="full-width"),
        pytest.param("4111111111111112", False, id="off-by-one"),
        pytest.param("0", False, id="single-digit"),
        pytest.param("41111111a1111111", False, id="letter"),
        pytest.param("", False, id="empty"),
    ],
)
def test_luhn_valid(value: str, expected: bool) -> None:
    assert luhn_valid(value) is expected


def test_luhn_check_digit_known() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("411111111111111") == "1"
    with pytest.raises(ValueError):
        luhn_check_digit("")


@given(card_payloads)
def test_generated_luhn_numbers_are_valid(payload: str) -> None:
    number = payload + luhn_check_digit(payload)
    assert luhn_valid(number)
    assert luhn_valid(fullwidth(number))


@given(card_payloads, st.data())
def test_one_replaced_digit_invalidates_luhn(payload: str, data: st.DataObject) -> None:
    number = payload + luhn_check_digit(payload)
    i = data.draw(st.integers(0, len(number) - 1))
    c = data.draw(st.sampled_from("0123456789").filter(lambda c: c != number[i]))
    assert not luhn_valid(replace_at(number, i, c))


# ---- USCC ------------------------------------------------------------------------------


def test_uscc_alphabet_has_31_characters() -> None:
    assert len(USCC_ALPHABET) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)


@given(valid_usccs)
def test_generated_usccs_are_valid(value: str) -> None:
    assert value[17] == ref_uscc_check(value[:17])
    assert is_valid_uscc(value)
    assert is_valid_uscc(value.lower())
    assert is_valid_uscc(fullwidth(value))


@given(valid_usccs, st.data())
def test_one_replaced_character_invalidates_uscc(value: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, 17))
    c = data.draw(st.sampled_from(USCC_ALPHABET + "IOSVZ").filter(lambda c: c != value[i]))
    assert not is_valid_uscc(replace_at(value, i, c))


@pytest.mark.parametrize(
    ("first8", "expected"),
    [
        # Worked by hand: 1*3+2*7+3*9+4*10+5*5+6*8+7*4+8*2 = 201, 201 % 11 = 3, 11-3 = 8.
        pytest.param("12345678", "8", id="digits"),
        # M=22, A=10, B=11 ...: 512 % 11 = 6, 11-6 = 5.
        pytest.param("MA5ABCDE", "5", id="letters"),
        pytest.param("ma5abcde", "5", id="lowercase"),
        pytest.param("００００００００", "0", id="zeros-full-width"),
    ],
)
def test_gb11714_check_char(first8: str, expected: str) -> None:
    assert gb11714_check_char(first8) == expected


@given(st.text(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"), min_size=8, max_size=8))
def test_gb11714_check_char_is_in_range(first8: str) -> None:
    assert gb11714_check_char(first8) in "0123456789X"


def test_gb11714_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        gb11714_check_char("1234567")
    with pytest.raises(ValueError):
        gb11714_check_char("1234567-")


def test_uscc_rejects_malformed() -> None:
    body = "9144070300000000" + "1"
    good = body + uscc_check_char(body)
    assert is_valid_uscc(good)
    assert not is_valid_uscc(good[:-1])
    assert not is_valid_uscc(good + "0")
    letter_in_division = "91A40703000000001"
    assert not is_valid_uscc(letter_in_division + uscc_check_char(letter_in_division))
    with pytest.raises(ValueError):
        uscc_check_char("9144070300000000I")


# ---- to_halfwidth -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("（０７５０）１２３４５６７", "(0750)1234567", id="landline"),
        pytest.param("＋８６－１３８", "+86-138", id="plus-minus"),
        pytest.param("ＡＢＣｘｙｚ", "ABCxyz", id="letters"),
        pytest.param("张三，住址：江门", "张三,住址:江门", id="cjk-kept-punctuation-converted"),
        pytest.param("abc 123", "abc 123", id="ascii-unchanged"),
    ],
)
def test_to_halfwidth(text: str, expected: str) -> None:
    assert to_halfwidth(text) == expected


@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E)))
def test_to_halfwidth_inverts_fullwidth(s: str) -> None:
    assert to_halfwidth(fullwidth(s)) == s


@given(st.text())
def test_to_halfwidth_keeps_length(s: str) -> None:
    assert len(to_halfwidth(s)) == len(s)
