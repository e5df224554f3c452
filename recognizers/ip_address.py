"""Recognizer for IPv4 and IPv6 addresses."""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

from presidio_analyzer import Pattern

from recognizers.batch import BatchPatternRecognizer

__all__ = ["IpAddressRecognizer"]

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
# Not part of a longer dotted or digit run: "1.2.3.4.5", "v1.2.3.4", "10.0.0.1.2".
_IPV4 = (
    rf"(?<![0-9A-Za-z_.])(?<![0-9]\.){_OCTET}(?:\.{_OCTET}){{3}}"
    r"(?![0-9A-Za-z_])(?!\.[0-9A-Za-z])"
)
# Four such octets are always a valid address: ipaddress need not parse them.
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_H = "[0-9A-Fa-f]"
# A loose IPv6 shape; ipaddress decides. Needs at least two colons.
_IPV6 = (
    rf"(?<![0-9A-Za-z_:.])(?:{_H}{{0,4}}:){{2,7}}"
    rf"(?:(?:[0-9]{{1,3}}\.){{3}}[0-9]{{1,3}}|{_H}{{0,4}})"
    r"(?![0-9A-Za-z_:])(?!\.[0-9A-Za-z])"
)


class IpAddressRecognizer(BatchPatternRecognizer):
    """Find IPv4 and IPv6 addresses.

    IPv4 needs four octets of 0-255 (no leading zeros) and must not be part of
    a longer dotted run such as a version string. IPv6 candidates are checked
    with :mod:`ipaddress`; ``::`` alone is not reported. Both score 0.6.

    Example:
        >>> r = IpAddressRecognizer()
        >>> [(x.start, x.end) for x in r.analyze("登录IP 192.168.1.10。", ["IP_ADDRESS"])]
        [(5, 17)]
    """

    ENTITY = "IP_ADDRESS"
    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("ipv4", _IPV4, 0.6),
        Pattern("ipv6", _IPV6, 0.6),
    ]
    REQUIRED_CHARS: ClassVar[str] = ".:"
    CONTEXT: ClassVar[list[str]] = ["IP", "IP地址", "ip地址", "登录IP", "访问IP", "IPv4", "IPv6"]

    def validate_result(self, pattern_text: str) -> bool | None:
        """Drop candidates :mod:`ipaddress` rejects, and a bare ``::``.

        Args:
            pattern_text: The matched text.

        Returns:
            False to drop the match, None to keep its base score.
        """
        if _DOTTED_QUAD.fullmatch(pattern_text):
            return None
        if pattern_text.strip(":") == "":
            return False
        try:
            ipaddress.ip_address(pattern_text)
        except ValueError:
            return False
        return None
