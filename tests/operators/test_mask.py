"""The mask operator: the familiar formats, explicit rules, and the written form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import cards, fullwidth, grouped, mobiles, valid_ids

from desens.errors import ConfigError
from desens.operators import MaskParams, build_operator, mask

HALF = str.maketrans("０１２３４５６７８９", "0123456789")

DEFAULT_FORMATS = [
    pytest.param("张三", "PERSON", "张*", id="person-two-chars"),
    pytest.param("张三丰", "PERSON", "张**", id="person-keeps-surname"),
    pytest.param("欧阳娜娜", "PERSON", "欧阳**", id="person-compound-surname"),
    pytest.param("司马懿", "PERSON", "司马*", id="person-compound-three-chars"),
    pytest.param("欧阳", "PERSON", "欧*", id="person-two-chars-not-compound"),
    pytest.param("阿依古丽·买买提", "PERSON", "阿***·***", id="person-minority-dot"),
    pytest.param("买买提•吐尔逊", "PERSON", "买**•***", id="person-bullet-dot"),
    pytest.param("张", "PERSON", "*", id="person-one-char"),
    pytest.param("13812345678", "PHONE_NUMBER", "138****5678", id="mobile"),
    pytest.param("138 1234 5678", "PHONE_NUMBER", "138 **** 5678", id="mobile-spaces"),
    pytest.param("+86 138-1234-5678", "PHONE_NUMBER", "+86 138-****-5678", id="mobile-plus86"),
    pytest.param("0086-13812345678", "PHONE_NUMBER", "0086-138****5678", id="mobile-0086"),
    pytest.param("(+86)13812345678", "PHONE_NUMBER", "(+86)138****5678", id="mobile-bracket86"),
    pytest.param(
        "１３８１２３４５６７８", "PHONE_NUMBER", "１３８****５６７８", id="mobile-fullwidth"
    ),
    pytest.param("0750-1234567", "PHONE_NUMBER", "0750-*****67", id="landline-4-digit-area"),
    pytest.param("010-12345678", "PHONE_NUMBER", "010-******78", id="landline-010"),
    pytest.param("(0750)1234567", "PHONE_NUMBER", "(0750)*****67", id="landline-brackets"),
    pytest.param("440703198503121234", "CN_RESIDENT_ID", "440703********1234", id="id-default"),
    pytest.param("44070319850312201x", "CN_RESIDENT_ID", "440703********201x", id="id-lower-x"),
    pytest.param("440703 19850312 1234", "CN_RESIDENT_ID", "440703 ******** 1234", id="id-spaced"),
    pytest.param("440703850312123", "CN_RESIDENT_ID", "440703******123", id="id-15-digit"),
    pytest.param("6222021234561234", "CN_BANK_CARD", "6222********1234", id="card-plain"),
    pytest.param("6222 0212 3456 1234", "CN_BANK_CARD", "6222 **** **** 1234", id="card-spaces"),
    pytest.param(
        "6222-0212-3456-1234-567", "CN_BANK_CARD", "6222-****-****-***4-567", id="card-19"
    ),
    pytest.param("zhangsan@163.com", "EMAIL_ADDRESS", "z*******@163.com", id="email"),
    pytest.param("z@163.com", "EMAIL_ADDRESS", "*@163.com", id="email-one-char-local"),
    pytest.param("粤J12345", "CN_LICENSE_PLATE", "粤J1***5", id="plate"),
    pytest.param("粤BD12345", "CN_LICENSE_PLATE", "粤BD****5", id="plate-new-energy"),
    pytest.param("粤J·12345", "CN_LICENSE_PLATE", "粤J·1***5", id="plate-dot"),
    pytest.param("广东省江门市", "CN_ADDRESS", "******", id="other-keeps-nothing"),
    pytest.param("E12345678", None, "*********", id="no-entity-keeps-nothing"),
    pytest.param("新会 大道", "CN_ADDRESS", "** **", id="other-keeps-whitespace"),
    pytest.param("", "PERSON", "", id="empty"),
    pytest.param("1381234", "PHONE_NUMBER", "*******", id="odd-shape-keeps-nothing"),
]


@pytest.mark.parametrize(("value", "entity", "expected"), DEFAULT_FORMATS)
def test_default_format(value: str, entity: str | None, expected: str) -> None:
    assert mask(value, MaskParams(), entity) == expected


EXPLICIT = [
    pytest.param("13812345678", {"keep_first": 3}, "138********", id="keep-first"),
    pytest.param("13812345678", {"keep_last": 4}, "*******5678", id="keep-last"),
    pytest.param("13812345678", {"keep_first": 3, "keep_last": 4}, "138****5678", id="keep-both"),
    pytest.param("13812345678", {"keep_first": 8, "keep_last": 8}, "13812345678", id="overlap"),
    pytest.param("13812345678", {"mask_from": 3, "mask_to": 7}, "138****5678", id="from-to"),
    pytest.param("13812345678", {"mask_from": -4}, "1381234****", id="from-negative"),
    pytest.param("13812345678", {"char": "#", "keep_first": 3}, "138########", id="char"),
    pytest.param(
        "440703198503121234",
        {"resident_id": "first1_last2"},
        "4***************34",
        id="id-first1-last2",
    ),
    pytest.param("6222 0212 3456 1234", {"fixed_length": 4}, "6222 **** 1234", id="fixed-card"),
    pytest.param("张三", {"fixed_length": 2}, "张**", id="fixed-name"),
    pytest.param("诸葛孔明", {"keep_surname": True}, "诸葛**", id="keep-surname-explicit"),
]


@pytest.mark.parametrize(("value", "params", "expected"), EXPLICIT)
def test_explicit_rule(value: str, params: dict[str, object], expected: str) -> None:
    entity = {"6": "CN_BANK_CARD", "4": "CN_RESIDENT_ID", "1": "PHONE_NUMBER"}.get(
        value[0], "PERSON"
    )
    assert mask(value, MaskParams(**params), entity) == expected


def test_the_id_option_masks_the_check_char_position_only_if_asked() -> None:
    out = mask("44070319850312201X", MaskParams(resident_id="first1_last2"), "CN_RESIDENT_ID")
    assert out == "4***************1X"


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"keep_first": 1, "mask_from": 2}, id="two-rules"),
        pytest.param({"keep_first": -1}, id="negative-keep"),
        pytest.param({"char": "**"}, id="two-char-mask"),
        pytest.param({"fixed_length": 0}, id="zero-fixed-length"),
        pytest.param({"colour": "red"}, id="unknown-param"),
    ],
)
def test_invalid_params_are_config_errors(params: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="operator 'mask'"):
        build_operator("mask", params)


@given(valid_ids)
def test_id_mask_keeps_length_region_and_tail(value: str) -> None:
    out = mask(value, MaskParams(), "CN_RESIDENT_ID")
    assert len(out) == 18
    assert out[:6] == value[:6] and out[-4:] == value[-4:] and out[6:14] == "*" * 8


@given(mobiles, st.sampled_from(["", " ", "-"]), st.booleans(), st.booleans())
def test_mobile_mask_keeps_written_form(number: str, sep: str, plus86: bool, wide: bool) -> None:
    written = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    if plus86:
        written = "+86 " + written
    if wide:
        written = fullwidth(written)
    out = mask(written, MaskParams(), "PHONE_NUMBER")
    assert len(out) == len(written)
    masked = [i for i, o in enumerate(out) if o == "*"]
    assert len(masked) == 4
    # Only digits 4-7 of the number are masked; every other character is unchanged.
    assert "".join(written[i] for i in masked).translate(HALF) == number[3:7]
    assert all(o == c for c, o in zip(written, out, strict=True) if o != "*")


@given(cards, st.booleans())
def test_card_mask_keeps_first_and_last_four(card: str, spaced: bool) -> None:
    written = grouped(card) if spaced else card
    out = mask(written, MaskParams(), "CN_BANK_CARD")
    digits = [c for c in out if c != " "]
    assert len(out) == len(written)
    assert "".join(digits[:4]) == card[:4] and "".join(digits[-4:]) == card[-4:]
    assert set(digits[4:-4]) == {"*"}
    assert [i for i, c in enumerate(out) if c == " "] == [
        i for i, c in enumerate(written) if c == " "
    ]


@given(st.text(min_size=1, max_size=30), st.sampled_from(["PERSON", "CN_ADDRESS", None]))
def test_mask_never_changes_length(value: str, entity: str | None) -> None:
    assert len(mask(value, MaskParams(), entity)) == len(value)
