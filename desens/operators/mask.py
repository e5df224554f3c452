"""The ``mask`` operator: hide characters behind ``*``, in the formats people know.

With no parameters, each entity gets the format familiar from Chinese systems
(Hutool's ``DesensitizedUtil``, ShardingSphere's mask algorithms):

=================  ==========================  =====================================
entity             example                     rule
=================  ==========================  =====================================
PERSON             张三丰 → 张**                keep the surname (欧阳娜娜 → 欧阳**)
PHONE_NUMBER       +86 138-1234-5678 →         mobile: keep first 3 + last 4 digits;
                   +86 138-****-5678           landline: keep area code + last 2
CN_RESIDENT_ID     440703********1234          keep division code + last 4
                   (``resident_id="first1_last2"``: 4***************1X)
CN_BANK_CARD       6222 **** **** 1234         keep first 4 + last 4 digits
EMAIL_ADDRESS      z*******@163.com            keep first character and the domain
CN_LICENSE_PLATE   粤J1***5                     keep first 3 + last 1
anything else      *****                       keep nothing (whitespace stays)
=================  ==========================  =====================================

Numbers are masked digit by digit: separators, brackets, the ``+86`` prefix
and full-width characters keep their places, and the length never changes
unless ``fixed_length`` asks for it.

Names written with a middle dot (阿依古丽·买买提, transliterated Uyghur, Kazakh
and other minority names) keep only their first character: 阿***·***. The first
part is the person's own given name (the second is usually the father's), so
keeping it, as one might keep a Han surname, would reveal the most identifying
part.

Explicit parameters override the entity default: ``keep_first``/``keep_last``,
``mask_from``/``mask_to`` (slice indices), or ``keep_surname``. They count
*significant* characters: digits (and ``X``) for numbers, non-whitespace
characters otherwise.

Example:
    >>> mask("13812345678", MaskParams(), "PHONE_NUMBER")
    '138****5678'
    >>> mask("欧阳娜娜", MaskParams(fixed_length=2), "PERSON")
    '欧阳**'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from desens.operators._text import (
    char_positions,
    phone_area_code_length,
    phone_digit_positions,
)
from desens.operators.base import DesensOperator, OperatorContext, OperatorParams
from recognizers.checksums import to_halfwidth

__all__ = ["COMPOUND_SURNAMES", "MaskOperator", "MaskParams", "mask", "masker"]

_COMPOUND_SURNAMES_TEXT = """
    欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕
    端木 独孤 南宫 西门 万俟 闻人 澹台 公冶 宗政 濮阳 太史 申屠 钟离 拓跋 呼延
    百里 东郭 淳于 单于 赫连 第五 司空 司寇 仲孙 叔孙 羊舌 微生 梁丘 左丘 东门
    巫马 公羊 公西 漆雕 乐正 壤驷 谷梁 段干 亓官 鲜于 闾丘 子车 颛孙 即墨 乌孙
"""
#: Two-character (复姓) surnames kept whole when a name has three or more characters.
COMPOUND_SURNAMES = frozenset(_COMPOUND_SURNAMES_TEXT.split())

# Middle dots used between the parts of transliterated names.
_NAME_DOTS = "·•・‧．.\u00b7"
_DIGITS = "0123456789"


class MaskParams(OperatorParams):
    """Parameters of ``mask``. All optional; the entity default applies otherwise.

    Attributes:
        char: The masking character.
        keep_first: Keep this many leading significant characters.
        keep_last: Keep this many trailing significant characters.
        mask_from: Start of the masked slice (0-based, negative counts from the end).
        mask_to: End of the masked slice (exclusive; None = to the end).
        keep_surname: Keep the (compound) surname, mask the given name.
        resident_id: Default format for CN_RESIDENT_ID: ``region_last4``
            (440703********1234) or ``first1_last2`` (4***************1X).
        fixed_length: Replace each masked run by exactly this many mask
            characters (hides the length; separators inside the run go too).
    """

    char: str = Field("*", min_length=1, max_length=1)
    keep_first: int | None = Field(None, ge=0)
    keep_last: int | None = Field(None, ge=0)
    mask_from: int | None = None
    mask_to: int | None = None
    keep_surname: bool = False
    resident_id: Literal["region_last4", "first1_last2"] = "region_last4"
    fixed_length: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one_rule(self) -> MaskParams:
        rules = [
            self.keep_first is not None or self.keep_last is not None,
            self.mask_from is not None or self.mask_to is not None,
            self.keep_surname,
        ]
        if sum(rules) > 1:
            raise ValueError(
                "use only one of keep_first/keep_last, mask_from/mask_to and keep_surname"
            )
        return self


def mask(value: str, params: MaskParams, entity_type: str | None = None) -> str:
    """Mask ``value`` by ``params``, or by the default format of ``entity_type``.

    Args:
        value: The text to mask.
        params: The masking rule.
        entity_type: Chooses the default format and which characters count.

    Returns:
        The masked text; the same length as ``value`` unless ``fixed_length``.
    """
    if not value:
        return value
    significant = _significant_positions(value, entity_type)
    n = len(significant)
    if params.keep_surname:
        masked = _person_masked(value)
    elif params.mask_from is not None or params.mask_to is not None:
        masked = [
            significant[i] for i in range(*slice(params.mask_from, params.mask_to).indices(n))
        ]
    elif params.keep_first is not None or params.keep_last is not None:
        first, last = params.keep_first or 0, params.keep_last or 0
        masked = significant[first : max(first, n - last)]
    else:
        masked = _default_masked(value, significant, entity_type, params)
    return _render(value, significant, set(masked), params.char, params.fixed_length)


def masker(
    params: MaskParams, entity_type: str | None = None
) -> Callable[[Sequence[str]], list[str]]:
    """:func:`mask` with its parameters bound, for a column of values.

    Returns a function from values to their masked forms, equal to
    :func:`mask`'s. The commonest shapes take a short cut: a plain 11-digit
    mobile number under the default phone rule, and a name of letters only
    (no spaces or dots) with the surname kept.
    """
    plain = params.fixed_length is None and (params.keep_first, params.keep_last) == (None, None)
    plain = plain and (params.mask_from, params.mask_to) == (None, None)
    char = params.char

    def general(value: str) -> str:
        return mask(value, params, entity_type)

    if plain and entity_type == "PHONE_NUMBER" and not params.keep_surname:
        stars = char * 4

        def phones(values: Sequence[str]) -> list[str]:
            return [
                v[:3] + stars + v[7:]
                if len(v) == 11 and v[0] == "1" and v.isascii() and v.isdigit()
                else general(v)
                for v in values
            ]

        return phones
    if plain and (params.keep_surname or entity_type == "PERSON"):

        def person(value: str) -> str:
            # Letters only: every character is significant, none is a dot.
            if not value.isalpha():
                return general(value)
            n = len(value)
            if n <= 1:
                return char * n
            surname = 2 if n >= 3 and value[:2] in COMPOUND_SURNAMES else 1
            return value[:surname] + char * (n - surname)

        return lambda values: list(map(person, values))
    return lambda values: list(map(general, values))


def _significant_positions(value: str, entity_type: str | None) -> list[int]:
    if entity_type == "PHONE_NUMBER":
        return phone_digit_positions(value)
    if entity_type == "CN_BANK_CARD":
        return char_positions(value, _DIGITS)
    if entity_type == "CN_RESIDENT_ID":
        return char_positions(value, _DIGITS + "Xx")
    if entity_type == "CN_LICENSE_PLATE":
        half = to_halfwidth(value)
        return [i for i, ch in enumerate(half) if not ch.isspace() and ch not in _NAME_DOTS + "-"]
    if entity_type == "PERSON":
        half = to_halfwidth(value)
        return [i for i, ch in enumerate(half) if not ch.isspace() and ch not in _NAME_DOTS]
    return [i for i, ch in enumerate(value) if not ch.isspace()]


def _default_masked(
    value: str, sig: list[int], entity_type: str | None, params: MaskParams
) -> list[int]:
    n = len(sig)
    if entity_type == "PERSON":
        return _person_masked(value)
    if entity_type == "PHONE_NUMBER":
        half = to_halfwidth(value)
        national = "".join(half[i] for i in sig)
        if n >= 11 and national[0] == "1":
            return sig[3 : n - 4]
        if n >= 9:
            return sig[phone_area_code_length(national) : n - 2]
    elif entity_type == "CN_RESIDENT_ID":
        if params.resident_id == "first1_last2" and n >= 15:
            return sig[1 : n - 2]
        if n == 18:
            return sig[6:14]
        if n == 15:
            return sig[6:12]
    elif entity_type == "CN_BANK_CARD":
        if n >= 12:
            return sig[4 : n - 4]
    elif entity_type == "EMAIL_ADDRESS":
        at = to_halfwidth(value).rfind("@")
        if at > 0:
            local = [i for i in sig if i < at]
            return local[1:] if len(local) > 1 else local
    elif entity_type == "CN_LICENSE_PLATE" and n >= 6:
        return sig[3 : n - 1]
    # Anything else, and shapes a rule does not fit: keep nothing.
    return sig


def _person_masked(value: str) -> list[int]:
    half = to_halfwidth(value)
    letters = [i for i, ch in enumerate(half) if not ch.isspace() and ch not in _NAME_DOTS]
    if len(letters) <= 1:
        return letters
    has_dot = any(ch in _NAME_DOTS for ch in half.strip())
    surname = 1
    if not has_dot and len(letters) >= 3:
        first_two = "".join(half[i] for i in letters[:2])
        if first_two in COMPOUND_SURNAMES:
            surname = 2
    return letters[surname:]


def _render(
    value: str, significant: list[int], masked: set[int], char: str, fixed_length: int | None
) -> str:
    out = list(value)
    if fixed_length is None:
        for pos in masked:
            out[pos] = char
        return "".join(out)
    # Group masked positions into runs that are consecutive among the significant
    # characters, so separators between masked characters vanish with them.
    runs: list[tuple[int, int]] = []
    run_start: int | None = None
    previous = -1
    for pos in significant:
        if pos in masked:
            if run_start is None:
                run_start = pos
            previous = pos
        elif run_start is not None:
            runs.append((run_start, previous))
            run_start = None
    if run_start is not None:
        runs.append((run_start, previous))
    for start, end in reversed(runs):
        out[start : end + 1] = [char * fixed_length]
    return "".join(out)


class MaskOperator(DesensOperator[MaskParams]):
    """Presidio operator ``mask``; see :func:`mask`."""

    NAME: ClassVar[str] = "mask"
    PARAMS: ClassVar[type[OperatorParams]] = MaskParams

    @classmethod
    def apply(cls, value: str, params: MaskParams, ctx: OperatorContext) -> str:
        """Mask one value (see :func:`mask`)."""
        return mask(value, params, ctx.entity_type)
