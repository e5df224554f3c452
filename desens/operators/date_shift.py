"""The ``date_shift`` operator: move every date of one subject by the same offset.

Shifting keeps intervals within a subject's records (admission to discharge,
birth to registration) while hiding the real dates. The offset is derived
from the subject's id with HMAC-SHA256 under the ``date_shift`` sub-key:
the same subject always gets the same offset, in every file and run;
different subjects get independent offsets. The offset lies in
``[-range_days, -1]`` or ``[1, range_days]``: never zero, so no date is left
in place.

The subject id comes with each record (for example the person's resident
ID), in :attr:`OperatorContext.subject` or the ``subject`` key of a presidio
params dict; it is normalised like a hash input, so ``…201x`` and ``…201X``
are one subject.

Formats are kept: ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD``,
``YYYYMMDD`` and ``YYYY年M月D日`` (zero-padding as written; full-width digits
stay full-width). Anything after the date (a time of day) is kept unchanged.

Example:
    >>> ring = KeyRing.generate()
    >>> p = DateShiftParams(range_days=10)
    >>> a = date_shift("2023-05-03", p, ring, "440703198503122015")
    >>> b = date_shift("2023-05-13", p, ring, "440703198503122015")
    >>> (_dt.date.fromisoformat(b) - _dt.date.fromisoformat(a)).days
    10
"""

from __future__ import annotations

import datetime as _dt
import hmac
import re
from hashlib import sha256
from typing import ClassVar

from pydantic import Field

from desens.errors import ConfigError, InputError
from desens.keys import KeyRing
from desens.operators._text import normalize
from desens.operators.base import DesensOperator, OperatorContext, OperatorParams
from recognizers.checksums import to_halfwidth

__all__ = ["DateShiftOperator", "DateShiftParams", "date_shift", "shift_days"]

_WIDEN_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_DATE = re.compile(
    r"(?P<y>\d{4})"
    r"(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"|年(?P<cm>\d{1,2})月(?P<cd>\d{1,2})日"
    r"|(?P<pm>\d{2})(?P<pd>\d{2})(?!\d))"
)


class DateShiftParams(OperatorParams):
    """Parameters of ``date_shift``.

    Attributes:
        range_days: Largest shift in days, either way (1-3650).
        key_id: Master key; the ring's default when None.
    """

    range_days: int = Field(30, ge=1, le=3650)
    key_id: str | None = None


def shift_days(subject: str, params: DateShiftParams, keys: KeyRing) -> int:
    """Return the subject's offset in days: non-zero, within ``±range_days``.

    Raises:
        WrongKeyError: If the ring has no key with ``params.key_id``.
    """
    key = keys.derive("date_shift", params.key_id)
    digest = hmac.new(key.material, normalize(subject).encode("utf-8"), sha256).digest()
    span = params.range_days
    # 64 bits mod 2*span: the bias is below 2**-50 for any allowed span.
    r = int.from_bytes(digest[:8], "big") % (2 * span)
    return r - span if r < span else r - span + 1


def date_shift(value: str, params: DateShiftParams, keys: KeyRing, subject: str | None) -> str:
    """Shift the date in ``value`` by the subject's offset, keeping its format.

    Args:
        value: A date in one of the supported formats, optionally followed by more text.
        params: Range and key id.
        keys: The key ring.
        subject: The id of the person or organisation the date belongs to.

    Raises:
        ConfigError: If no subject id is given.
        InputError: If the value does not start with a real date in a supported format.
        WrongKeyError: If the ring has no key with ``params.key_id``.
    """
    if subject is None or not subject.strip():
        raise ConfigError(
            "date_shift needs the subject id of each record (context subject=...); "
            "without it no consistent per-subject offset exists"
        )
    half = to_halfwidth(value)
    lead = len(half) - len(half.lstrip())
    match = _DATE.match(half, lead)
    if match is None:
        raise InputError("date_shift: the value is not a date in a supported format")
    month = match["m"] or match["cm"] or match["pm"]
    day = match["d"] or match["cd"] or match["pd"]
    try:
        original = _dt.date(int(match["y"]), int(month), int(day))
        shifted = original + _dt.timedelta(days=shift_days(subject, params, keys))
    except (ValueError, OverflowError):
        raise InputError("date_shift: the value is not a real calendar date") from None

    def pad(number: int, written: str) -> str:
        return f"{number:0{len(written)}d}" if len(written) == 2 else str(number)

    y, m, d = f"{shifted.year:04d}", pad(shifted.month, month), pad(shifted.day, day)
    if match["sep"]:
        sep = value[match.start("sep")]  # as written, full-width or not
        new = f"{y}{sep}{m}{sep}{d}"
    elif match["cm"]:
        new = f"{y}年{m}月{d}日"
    else:
        new = f"{y}{shifted.month:02d}{shifted.day:02d}"
    start, end = match.span()
    if any("０" <= ch <= "９" for ch in value[start:end]):
        new = new.translate(_WIDEN_DIGITS)
    return value[:start] + new + value[end:]


class DateShiftOperator(DesensOperator[DateShiftParams]):
    """Presidio operator ``date_shift``; pass ``key_ring`` and ``subject`` in params."""

    NAME: ClassVar[str] = "date_shift"
    PARAMS: ClassVar[type[OperatorParams]] = DateShiftParams

    @classmethod
    def apply(cls, value: str, params: DateShiftParams, ctx: OperatorContext) -> str:
        """Shift one date."""
        return date_shift(value, params, ctx.require_keys(cls.NAME), ctx.subject)
