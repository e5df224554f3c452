"""Recognizer for e-mail addresses, using the standard library only."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import BatchPatternRecognizer
from recognizers.checksums import to_halfwidth

__all__ = ["EmailAddressRecognizer"]

# The usual local-part characters. RFC 5322 allows more (= ! # ...), but in
# logs "email=li@example.com" must start at "li", not at "email".
_LOCAL = r"[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_EMAIL = (
    rf"(?<![A-Za-z0-9_%+.\-]){_LOCAL}[@＠](?:{_LABEL}[.．])+[A-Za-z]{{2,63}}"
    r"(?![A-Za-z0-9\-])(?![.．][A-Za-z0-9])"
)

# A "TLD" that is really a file extension: "logo@2x.png" is an image name.
_FILE_EXTENSIONS = frozenset(
    [
        *("png", "jpg", "jpeg", "gif", "bmp", "svg", "webp", "ico", "tif", "tiff"),
        *("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv"),
        *("zip", "rar", "gz", "tar", "js", "css", "htm", "html", "json", "xml"),
        *("yaml", "yml", "py", "java", "exe", "dll"),
    ]
)


class EmailAddressRecognizer(BatchPatternRecognizer):
    """Find e-mail addresses without network look-ups (no public-suffix list).

    Presidio's own ``EmailRecognizer`` validates the top-level domain with
    ``tldextract``, which may download the suffix list; this one checks the
    structure only (lengths, labels, an alphabetic TLD that is not a file
    extension) and keeps the base score of 0.8. ``＠`` is accepted for ``@``.

    Example:
        >>> r = EmailAddressRecognizer()
        >>> [(x.start, x.end) for x in r.analyze("邮箱zhang.san@example.com。", ["EMAIL_ADDRESS"])]
        [(2, 23)]
    """

    ENTITY = "EMAIL_ADDRESS"
    PATTERNS: ClassVar[list[Pattern]] = [Pattern("email", _EMAIL, 0.8)]
    REQUIRED_CHARS: ClassVar[str] = "@＠"
    STDLIB_RE: ClassVar[bool] = True
    CONTEXT: ClassVar[list[str]] = [
        "邮箱",
        "电子邮箱",
        "电子邮件",
        "邮件",
        "邮件地址",
        "email",
        "e-mail",
        "mail",
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Reject structurally impossible addresses; otherwise keep the base score.

        Args:
            pattern_text: The matched text.

        Returns:
            False to drop the match, None to keep it.
        """
        local, _, domain = to_halfwidth(pattern_text).rpartition("@")
        if not 1 <= len(local) <= 64 or len(domain) > 253 or len(pattern_text) > 254:
            return False
        if domain.rsplit(".", 1)[-1].lower() in _FILE_EXTENSIONS:
            return False
        return None
