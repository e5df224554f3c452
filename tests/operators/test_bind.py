"""A bound operator (for columns) gives exactly what calling the operator gives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import RING, fullwidth, mobiles, valid_ids

from desens.errors import DesensError
from desens.operators import OperatorContext, build_operator

ENTITIES = [None, "PHONE_NUMBER", "CN_RESIDENT_ID", "PERSON", "EMAIL_ADDRESS", "CN_USCC"]
OPERATORS = [
    pytest.param("hash", {}, id="hash"),
    pytest.param("hash", {"normalize": False, "length": 8, "prefix": "p-"}, id="hash-raw"),
    pytest.param("mask", {}, id="mask"),
    pytest.param("mask", {"keep_surname": True, "char": "#"}, id="mask-surname"),
    pytest.param("mask", {"fixed_length": 2}, id="mask-fixed"),
    pytest.param("mask", {"keep_first": 1}, id="mask-first"),
    pytest.param("generalize", {"kind": "address"}, id="generalize"),
    pytest.param("generalize", {"kind": "date", "level": "year"}, id="generalize-year"),
    pytest.param("generalize", {"kind": "date"}, id="generalize-month"),
]
# Shapes the short cuts take, shapes next to them, and anything else.
VALUES = st.one_of(
    mobiles,
    mobiles.map(fullwidth),
    mobiles.map(lambda m: "0086" + m),
    valid_ids,
    valid_ids.map(str.lower),
    st.text("张三欧阳娜司马Ａa1 ·x", min_size=1, max_size=6),
    st.text(min_size=1, max_size=12),
    st.dates().map(lambda d: f"{d:%Y-%m-%d}"),
    st.from_regex(r"[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}", fullmatch=True),
    # Near misses of the date short cut: week dates, signs, spaces, letters.
    st.from_regex(r"[0-9+ ]{4}[-/][0-9W+ T]{2}[-/][0-9 :.]{2}", fullmatch=True),
    st.sampled_from(["2020-W01-1", "2020-02-30", "0000-01-01", "2020/01-01", "2020-01-0 "]),
)


@pytest.mark.parametrize(("name", "params"), OPERATORS)
@given(value=VALUES, entity=st.sampled_from(ENTITIES))
def test_bound_equals_called(name: str, params: dict, value: str, entity: str | None) -> None:
    op = build_operator(name, params)
    ctx = OperatorContext(entity_type=entity, keys=RING)
    try:
        expected = [op(value, ctx)] * 2
    except DesensError as exc:  # not a date, or no rule for the entity: the same error
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            op.bind(ctx)([value, value])
        return
    assert op.bind(ctx)([value, value]) == expected


def test_bound_short_cuts_on_common_shapes() -> None:
    ctx = OperatorContext(entity_type="PHONE_NUMBER", keys=RING)
    assert build_operator("mask", {}).bind(ctx)(["13812345678"]) == ["138****5678"]
    person = OperatorContext(entity_type="PERSON")
    bound = build_operator("mask", {"keep_surname": True}).bind(person)
    names = ("欧阳娜娜", "欧阳娜", "王", "李四")
    assert bound(names) == ["欧阳**", "欧阳*", "*", "李*"]
