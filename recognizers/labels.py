"""English field labels that exports glue to the numbers they label.

A number glued to Latin letters is normally part of a code (``A13812345678``
is a serial, not a phone), so the number recognizers want a boundary on both
sides. Exports that concatenate fields break that boundary with labels:
``Tel13812345678``, ``13812345678Email:...``, ``ID440703199003071234``. The
phone, resident ID and bank card recognizers also accept a number whose
glued letters after it begin with the label of a next field
(:data:`NEXT_FIELD_LABELS`), and a phone number (mobile, ``+86`` mobile, or
landline with its area code), an 18-character ID or a card number whose
glued letters before it are a label of its kind (:data:`PHONE_LABELS`,
:data:`ID_LABELS`, :data:`CARD_LABELS`). A label is a word of its own: not
after another ASCII letter or a digit (``Hotel``, ``uuid``, ``QQ`` inside a
code), and not running on into lowercase letters or ``@`` (``identity``,
``mail@``). Every label has a
letter that is not a hex digit, so hex strings (digests, hashed pseudonyms)
never count as labelled. Labels match in any case of
their ASCII letters (spelled out as ``[Tt][Ee][Ll]``: an inline ``(?i)`` would
also match ``K`` as the Kelvin sign, which the recognizers' excerpts refuse).

Other letters (``A``, ``NO``, ``SN``) still end a match: a number after them
is more often part of a document or serial number.

Example:
    >>> import re
    >>> rx = re.compile(left_edge(["[0-9A-Za-z]"], PHONE_LABELS) + "1[3-9][0-9]{9}")
    >>> [m.group() for m in rx.finditer("TEL13812345678 A13912345678 Hotel13712345678")]
    ['13812345678']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from presidio_analyzer import Pattern

__all__ = [
    "CARD_LABELS",
    "ID_LABELS",
    "NEXT_FIELD_LABELS",
    "PHONE_LABELS",
    "before_label",
    "boundary",
    "label_trigger",
    "labelled_patterns",
    "left_edge",
]

#: Labels written right before a phone number (also camelCase and pinyin
#: field names: phoneNo, sjhm 手机号码, lxdh 联系电话).
PHONE_LABELS = (
    "tel", "telno", "phone", "phoneno", "mobile", "mobileno", "mob", "cell", "fax",
    "wechat", "wx", "qq", "sjh", "sjhm", "lxdh",
)  # fmt: skip
#: Labels written right before a resident ID number (idCardNo, zjhm 证件号码).
ID_LABELS = ("id", "idno", "idcard", "idcardno", "certno", "sfz", "sfzh", "sfzhm", "zjhm")
#: Labels written right before a bank card number.
CARD_LABELS = ("card", "cardno", "acct", "account", "accountno")
#: Labels of a next field, written right after a number.
NEXT_FIELD_LABELS = (
    "tel", "phone", "mobile", "mob", "cell", "fax", "email", "mail", "name", "addr",
    "id", "sfz", "wechat", "wx", "qq", "sex", "gender", "age", "birth", "remark", "user",
)  # fmt: skip


def left_edge(not_after: Sequence[str], labels: Sequence[str]) -> str:
    """The left edge of a number: a boundary, or the end of a label.

    The edge is where none of the fixed-width patterns ``not_after`` (the
    recognizer's boundary) ends, or where one of ``labels`` does, not itself
    after an ASCII letter or a digit (``Hotel``, ``iPhone`` and ``uuid`` are
    words, not labels, and ``QQ`` inside a code such as a USCC is no label).
    It is never after a digit. The recognizers run over excerpts that are
    mostly digits, so that is tested first, alone: there the
    pattern fails at once, as the boundary alone did; the labels are tried
    only after a letter (tried at every position, they made the recognizers
    2.3 times slower).
    """
    each = "|".join(f"(?<=(?<![0-9０-９A-Za-z]){_any_case(label)})" for label in labels)
    return f"(?<![0-9０-９])(?:{boundary(not_after)}|(?<=[A-Za-z])(?:{each}))"


def boundary(not_after: Sequence[str]) -> str:
    """The left edge of a number without labels: none of ``not_after`` ends here."""
    return "".join(f"(?<!{before})" for before in not_after)


def labelled_patterns(
    build: Callable[[str], list[Pattern]], not_after: Sequence[str], labels: Sequence[str]
) -> tuple[list[Pattern], list[Pattern], re.Pattern[str]]:
    """A recognizer's ``PATTERNS``, ``UNLABELLED_PATTERNS`` and ``LABEL_TRIGGER``.

    ``build`` makes the patterns from a left edge: with :func:`left_edge`
    (labels allowed), with :func:`boundary` (none: the fast ones for batches
    without labels), and the trigger that tells the two cases apart.
    """
    return (
        build(left_edge(not_after, labels)),
        build(boundary(not_after)),
        label_trigger(labels),
    )


def label_trigger(labels: Sequence[str]) -> re.Pattern[str]:
    """Finds a label glued to what can start a number (a digit, ``+``, ``(``).

    A batch in which it finds nothing holds no number that only a label
    edge (:func:`left_edge`) lets a pattern find, so the recognizer can run
    the same patterns with the plain boundary, which are faster over the
    digit-dense excerpts (``UNLABELLED_PATTERNS`` of
    :class:`~recognizers.batch.BatchPatternRecognizer`).
    """
    each = "|".join(_any_case(label) for label in labels)
    return re.compile(f"(?<![0-9０-９A-Za-z])(?:{each})[0-9０-９+＋(（]")


def before_label(labels: Sequence[str]) -> str:
    """A lookahead: one of ``labels`` (any case) follows, as a word of its own.

    The label must not run on into lowercase letters (``identity``,
    ``telecom``) or into ``@`` (``13812345678mail@qq.com`` is an e-mail
    address, which the phone recognizer leaves to the e-mail one).
    """
    return "(?=(?:" + "|".join(_any_case(label) for label in labels) + ")(?![a-z@＠]))"


def _any_case(label: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in label)
