"""Hypothesis strategies and fixed synthetic keys shared by the tests (operators, reidentify)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from desens.keys import KeyRing, MasterKey
from recognizers.checksums import PROVINCE_CODES, gb11643_check_char, luhn_check_digit

# Synthetic key material: fixed so failures reproduce, never used outside tests.
RING = KeyRing([MasterKey("k1", bytes(range(32)))])
OTHER_RING = KeyRing([MasterKey("k1", bytes(range(100, 132)))])
TWO_KEY_RING = KeyRing(
    [MasterKey("k1", bytes(range(32))), MasterKey("k2", bytes(range(50, 82)))], default="k1"
)

FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def fullwidth(s: str) -> str:
    return s.translate(FULLWIDTH)


def make_id(first17: str) -> str:
    return first17 + gb11643_check_char(first17)


def make_card(payload: str) -> str:
    return payload + luhn_check_digit(payload)


divisions = st.builds(
    lambda p, c, d: f"{p}{c:02d}{d:02d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.one_of(st.integers(1, 70), st.just(90)),
    st.integers(0, 99),
)


def ids(min_date: dt.date = dt.date(1900, 1, 1), max_date: dt.date = dt.date(2025, 12, 31)):
    return st.builds(
        lambda div, born, seq: make_id(f"{div}{born:%Y%m%d}{seq:03d}"),
        divisions,
        st.dates(min_value=min_date, max_value=max_date),
        st.integers(0, 999),
    )


valid_ids = ids()
mobiles = st.builds(
    lambda second, rest: f"1{second}{rest:09d}",
    st.sampled_from("3456789"),
    st.integers(0, 10**9 - 1),
)
cards = st.builds(
    lambda length, body: make_card(("62" + f"{body:020d}")[: length - 1]),
    st.integers(16, 19),
    st.integers(0, 10**20 - 1),
)


def grouped(digits: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))
