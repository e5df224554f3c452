"""Subject ids: normalization and age (for the guardian rule).

A subject id is a resident ID (GB 11643) or, for an organisation, another
identifier such as a USCC. It is normalized (half-width, no spaces, upper
case) before its keyed reference is computed, so ``11010519491231002x`` and
``11010519491231002X`` are the same subject.

Example:
    >>> normalize_subject(" 11010519491231002x ")
    '11010519491231002X'
    >>> import datetime as dt
    >>> age_from_resident_id("110105202001010023", dt.date(2026, 1, 1))
    6
"""

from __future__ import annotations

import datetime as dt

from recognizers.checksums import is_valid_resident_id, to_halfwidth

__all__ = ["CHINA_TIME", "GUARDIAN_AGE", "age_from_resident_id", "china_today", "normalize_subject"]

#: Under this age a guardian must consent (PIPL Art. 31).
GUARDIAN_AGE = 14
#: China Standard Time (UTC+8, no daylight saving): birthdays turn over at its midnight.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


def china_today(now: dt.datetime) -> dt.date:
    """The calendar date in China at the (aware) instant ``now``."""
    return now.astimezone(CHINA_TIME).date()


def normalize_subject(subject_id: str) -> str:
    """Half-width, trimmed, upper-case form of a subject id."""
    return "".join(to_halfwidth(subject_id).split()).upper()


def age_from_resident_id(subject_id: str, today: dt.date) -> int | None:
    """Age in whole years from an 18-digit resident ID; None if it is not one."""
    sid = normalize_subject(subject_id)
    if len(sid) != 18 or not is_valid_resident_id(sid):
        return None
    born = dt.date(int(sid[6:10]), int(sid[10:12]), int(sid[12:14]))
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
