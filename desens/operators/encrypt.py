"""The ``encrypt`` and ``decrypt`` operators: reversible, deterministic tokens.

Encryption is AES-256-SIV (RFC 5297) with the ``siv`` sub-key of a master key:
deterministic, so equal values give equal tokens (tables still join), and
authenticated, so a token cannot be altered unnoticed. A token reads
``enc:<key id>:<ciphertext>`` with the ciphertext in URL-safe base64 without
padding, for example ``enc:k1:Xq3...``. The key id tells ``decrypt`` which key
of the ring to use; the key itself is never in the token.

The value is encrypted exactly as written (no normalisation), so decryption
gives back the very same text. The empty string stays empty.

Decryption fails with :class:`~desens.errors.WrongKeyError` when the ring has
no key with the token's id or the key does not fit, and with
:class:`~desens.errors.InputError` when the text is not a token. Neither
message contains the token or the value.

Example:
    >>> ring = KeyRing.generate()
    >>> token = encrypt("张三", EncryptParams(), ring)
    >>> token.startswith("enc:k1:"), decrypt(token, DecryptParams(), ring)
    (True, '张三')
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from presidio_anonymizer.operators import OperatorType
from pydantic import Field

from desens.errors import InputError, WrongKeyError
from desens.keys import KeyRing
from desens.operators.base import DesensOperator, OperatorContext, OperatorParams

__all__ = [
    "TOKEN_PATTERN",
    "DecryptOperator",
    "DecryptParams",
    "EncryptOperator",
    "EncryptParams",
    "decrypt",
    "decrypt_run",
    "encrypt",
]

#: SIV's tag; a token of a non-empty value holds at least one byte more.
_TAG_BYTES = 16
#: Longest token looked for inside a longer run (each length is one AES-SIV
#: attempt over that many bytes): the value of a longer token must be
#: followed by a non-ASCII character or stand alone to be found.
_RUN_LIMIT = 4096

_PREFIX_RULE = r"[A-Za-z][A-Za-z0-9_]{0,15}"
#: A token: prefix, key id, base64url body. In free text the body may run on
#: into what follows (see :func:`decrypt_run`).
TOKEN_PATTERN = re.compile(
    rf"(?P<prefix>{_PREFIX_RULE}):(?P<key_id>[A-Za-z0-9_.-]{{1,64}}):(?P<body>[A-Za-z0-9_-]+)"
)


class EncryptParams(OperatorParams):
    """Parameters of ``encrypt``.

    Attributes:
        key_id: Master key to encrypt with; the ring's default when None.
        prefix: First field of the token (``enc``).
    """

    key_id: str | None = None
    prefix: str = Field("enc", pattern=rf"^{_PREFIX_RULE}$")


class DecryptParams(OperatorParams):
    """Parameters of ``decrypt``.

    Attributes:
        prefix: The token prefix to expect (``enc``).
    """

    prefix: str = Field("enc", pattern=rf"^{_PREFIX_RULE}$")


def encrypt(value: str, params: EncryptParams, keys: KeyRing) -> str:
    """Encrypt ``value`` into an ``enc:<key id>:<base64>`` token.

    Raises:
        WrongKeyError: If the ring has no key with ``params.key_id``.
    """
    if not value:
        return value
    key = keys.derive("siv", params.key_id)
    sealed = AESSIV(key.material).encrypt(value.encode("utf-8"), None)
    body = base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")
    return f"{params.prefix}:{key.key_id}:{body}"


def decrypt(token: str, params: DecryptParams, keys: KeyRing) -> str:
    """Recover the value from a token made by :func:`encrypt`.

    Raises:
        InputError: If ``token`` is not a well-formed token.
        WrongKeyError: If the ring lacks the token's key id, or that key does
            not decrypt the token (another key under the same id, or altered data).
    """
    if not token:
        return token
    match = TOKEN_PATTERN.fullmatch(token.strip())
    if match is None or match["prefix"] != params.prefix:
        raise InputError(
            f"decrypt: the value is not a '{params.prefix}:<key id>:<base64>' token "
            "made by the encrypt operator"
        )
    key_id, body = match["key_id"], match["body"]
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise InputError("decrypt: the token's ciphertext is not valid base64") from None
    key = keys.derive("siv", key_id)
    try:
        plain = AESSIV(key.material).decrypt(sealed, None)
    except InvalidTag:
        raise WrongKeyError(
            f"decrypt: key {key_id!r} of the key ring from {keys.source} does not decrypt "
            "this token: the ring holds a different key under that id, or the token was altered"
        ) from None
    return plain.decode("utf-8")


def decrypt_run(run: str, key_id: str, keys: KeyRing) -> tuple[str, int] | None:
    """Decrypt the token body at the start of ``run``, which may run on into other text.

    In free text a token can be followed directly by ASCII letters, digits,
    ``-`` or ``_`` (a masked phone, another token's prefix), so where its
    base64 body ends is not visible. AES-SIV authenticates: only the body's
    own length decrypts (any other with probability 2^-128). ``run`` is
    decoded once; the whole run is tried first, then every shorter length
    from the shortest token up to 4 KiB (``_RUN_LIMIT``), each one AES-SIV
    attempt.

    Args:
        run: base64url text starting with a token body.
        key_id: the token's key id.
        keys: the key ring (it must hold ``key_id``).

    Returns:
        The value and the body's length in ``run``; None when no length
        decrypts (another key, or not a token).

    Raises:
        WrongKeyError: If the ring has no key with ``key_id``.
    """
    siv = AESSIV(keys.derive("siv", key_id).material)
    usable = len(run) - (1 if len(run) % 4 == 1 else 0)  # one char holds no whole byte
    try:
        sealed = base64.urlsafe_b64decode(run[:usable] + "=" * (-usable % 4))
    except (binascii.Error, ValueError):
        return None
    whole = len(sealed) if usable == len(run) else None
    shorter = range(_TAG_BYTES + 1, min(len(sealed), _RUN_LIMIT) + 1)
    for n in ([whole] if whole else []) + list(shorter):
        try:
            plain = siv.decrypt(sealed[:n], None)
        except InvalidTag:
            continue
        return plain.decode("utf-8"), -(-4 * n // 3)  # ceil(4n/3): unpadded base64
    return None


class EncryptOperator(DesensOperator[EncryptParams]):
    """Presidio operator ``encrypt``; pass ``key_ring`` in the params dict."""

    NAME: ClassVar[str] = "encrypt"
    PARAMS: ClassVar[type[OperatorParams]] = EncryptParams

    @classmethod
    def apply(cls, value: str, params: EncryptParams, ctx: OperatorContext) -> str:
        """Encrypt one value."""
        return encrypt(value, params, ctx.require_keys(cls.NAME))


class DecryptOperator(DesensOperator[DecryptParams]):
    """Presidio deanonymizer ``decrypt``; add it with ``DeanonymizeEngine().add_deanonymizer``."""

    NAME: ClassVar[str] = "decrypt"
    PARAMS: ClassVar[type[OperatorParams]] = DecryptParams
    TYPE: ClassVar[OperatorType] = OperatorType.Deanonymize

    @classmethod
    def apply(cls, value: str, params: DecryptParams, ctx: OperatorContext) -> str:
        """Decrypt one token."""
        return decrypt(value, params, ctx.require_keys(cls.NAME))
