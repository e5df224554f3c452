"""date_shift: one keyed, non-zero offset per subject; formats kept."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import OTHER_RING, RING, valid_ids

from desens.errors import ConfigError, InputError
from desens.operators import DateShiftParams, date_shift
from desens.operators.date_shift import shift_days

P = DateShiftParams()
SUBJECT = "440703198503122014"
dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2050, 12, 31))


@given(valid_ids, dates, dates)
def test_one_subject_one_offset(subject: str, a: dt.date, b: dt.date) -> None:
    sa = dt.date.fromisoformat(date_shift(a.isoformat(), P, RING, subject))
    sb = dt.date.fromisoformat(date_shift(b.isoformat(), P, RING, subject))
    assert (sb - sa) == (b - a)
    assert 1 <= abs((sa - a).days) <= 30


@given(valid_ids, st.integers(1, 400))
def test_offset_is_non_zero_and_in_range(subject: str, span: int) -> None:
    days = shift_days(subject, DateShiftParams(range_days=span), RING)
    assert days != 0 and -span <= days <= span


def test_subjects_get_spread_offsets_and_keys_matter() -> None:
    subjects = [f"subject-{i}" for i in range(300)]
    offsets = [shift_days(s, P, RING) for s in subjects]
    # 60 possible offsets; 300 independent subjects cover most of them.
    assert len(set(offsets)) > 45
    assert shift_days("subject-1", P, RING) != shift_days("subject-2", P, RING)
    other = [shift_days(s, P, OTHER_RING) for s in subjects]
    assert sum(a != b for a, b in zip(offsets, other, strict=True)) > 250


def test_subject_is_normalised() -> None:
    a = shift_days("44070319850312201x", P, RING)
    assert (
        a
        == shift_days("44070319850312201X", P, RING)
        == shift_days(" ４４０７０３１９８５０３１２２０１Ｘ", P, RING)
    )


FORMATS = [
    pytest.param("2023-05-03", r"\d{4}-\d{2}-\d{2}", id="iso"),
    pytest.param("2023/05/03", r"\d{4}/\d{2}/\d{2}", id="slash"),
    pytest.param("2023.05.03", r"\d{4}\.\d{2}\.\d{2}", id="dot"),
    pytest.param("20230503", r"\d{8}", id="compact"),
    pytest.param("2023年5月3日", r"\d{4}年\d{1,2}月\d{1,2}日", id="chinese"),
    pytest.param("2023-05-03 10:20:30", r"\d{4}-\d{2}-\d{2} 10:20:30", id="with-time"),
    pytest.param("２０２３－０５－０３", r"[０-９]{4}－[０-９]{2}－[０-９]{2}", id="fullwidth"),
]


@pytest.mark.parametrize(("value", "pattern"), FORMATS)
def test_format_is_kept(value: str, pattern: str) -> None:
    import re

    out = date_shift(value, P, RING, SUBJECT)
    assert re.fullmatch(pattern, out) and out != value


def test_known_offset_applied_to_each_format() -> None:
    days = shift_days(SUBJECT, P, RING)
    expected = dt.date(2023, 5, 3) + dt.timedelta(days=days)
    assert date_shift("2023-05-03", P, RING, SUBJECT) == expected.isoformat()
    assert date_shift("2023年5月3日", P, RING, SUBJECT) == (
        f"{expected.year}年{expected.month}月{expected.day}日"
    )


def test_missing_subject_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="subject"):
        date_shift("2023-05-03", P, RING, None)


@pytest.mark.parametrize("value", ["2023-02-30", "May 3, 2023", "13812345678"])
def test_non_dates_are_input_errors(value: str) -> None:
    with pytest.raises(InputError) as err:
        date_shift(value, P, RING, SUBJECT)
    assert value not in str(err.value)
