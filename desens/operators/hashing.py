"""The ``hash`` operator: a keyed, deterministic pseudonym (HMAC-SHA256).

The same value under the same key gives the same token in every file and
every run, so released tables still join on it; without the key nobody can
recompute a token from a guessed value, which a bare or salted hash of an ID
number (a small, enumerable space) would allow. Values are normalised first
(:func:`~desens.operators._text.normalize`: full-width to half-width,
upper-case ``X``, phone separators and ``+86`` dropped), so
``44070319850312201x`` and ``44070319850312201X`` hash the same.

The token is ``prefix`` + the first ``length`` hex digits of
HMAC-SHA256(sub-key ``hmac`` of the master key, normalised value); with a
``domain``, the HMAC key is HMAC-SHA256(that sub-key, "domain", a zero byte
and the domain). The module records no key id in the token; reports record
it.

Example:
    >>> ring = KeyRing.generate()
    >>> hash_value("13812345678", HashParams(), ring, "PHONE_NUMBER")  # doctest: +SKIP
    'h_5f0c6b2d9a8e4f11'
"""

from __future__ import annotations

import contextlib
import hmac
import importlib
from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import Any, ClassVar

from pydantic import Field

from desens.keys import KeyRing
from desens.operators._text import UPPERCASE_ENTITIES, normalize
from desens.operators.base import DesensOperator, OperatorContext, OperatorParams

__all__ = ["HashOperator", "HashParams", "hash_value", "hasher"]


_BLOCK = sha256().block_size


def _small_message_sha256() -> Callable[[bytes], Any]:
    """The SHA-256 constructor that hashes short values fastest.

    The HMAC of a short value is two SHA-256 blocks; per value, the cost is
    the hash objects, not the blocks. CPython's own SHA-256 (``_sha2`` from
    3.12, ``_sha256`` before) makes and copies its objects in about 2/3 of
    the time OpenSSL's take through :mod:`hashlib` (2.0 against 2.8 us per
    token here). Both compute SHA-256, so tokens are the same either way; an
    interpreter without the module (FIPS builds may lack it) uses hashlib's.
    """
    for name in ("_sha2", "_sha256"):
        with contextlib.suppress(ImportError):
            return importlib.import_module(name).sha256
    return sha256


class HashParams(OperatorParams):
    """Parameters of ``hash``.

    Attributes:
        length: Hex digits kept from the HMAC (8-64; 16 = 64 bits).
        prefix: Text put before the digits, so tokens are recognisable.
        key_id: Master key to use; the ring's default when None.
        normalize: Normalise the value first (turn off only to hash raw bytes).
        domain: Separates pseudonyms: the same value under the same key gets
            unrelated tokens in different domains (the built-in policies use
            their own names, so that an ``open`` release does not link to an
            ``open-conditional`` one). Tables join only within one domain.
    """

    length: int = Field(16, ge=8, le=64)
    prefix: str = Field("h_", max_length=32)
    key_id: str | None = None
    normalize: bool = True
    domain: str = Field("", max_length=64)


def hash_value(
    value: str, params: HashParams, keys: KeyRing, entity_type: str | None = None
) -> str:
    """Return the keyed pseudonym of ``value``.

    Args:
        value: The value to pseudonymise.
        params: Token length, prefix and key id.
        keys: The key ring holding ``params.key_id``.
        entity_type: Chooses the normalisation.

    Raises:
        WrongKeyError: If the ring has no key with ``params.key_id``.
    """
    text = normalize(value, entity_type) if params.normalize else value
    key = _key(params, keys)
    digest = hmac.new(key, text.encode("utf-8"), sha256).hexdigest()
    return params.prefix + digest[: params.length]


def _key(params: HashParams, keys: KeyRing) -> bytes:
    """The HMAC key: the ring's ``hmac`` sub-key, or for a domain, one derived from it."""
    key = keys.derive("hmac", params.key_id).material
    if params.domain:
        key = hmac.new(key, b"domain\0" + params.domain.encode("utf-8"), sha256).digest()
    return key


def hasher(
    params: HashParams, keys: KeyRing, entity_type: str | None = None
) -> Callable[[Sequence[str]], list[str]]:
    """:func:`hash_value` with its key and parameters bound, for a column of values.

    Returns a function from values to their tokens, equal to
    :func:`hash_value`'s. The HMAC's two keyed SHA-256 states (RFC 2104: the
    key XOR ipad and XOR opad) are computed once and copied per value, and
    values already in their normal form skip normalisation.

    Raises:
        WrongKeyError: If the ring has no key with ``params.key_id``.
    """
    key = _key(params, keys)
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    fast_sha256 = _small_message_sha256()
    inner = fast_sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = fast_sha256(bytes(b ^ 0x5C for b in key)).copy
    prefix, length = params.prefix, params.length
    fast = _plain_normalizer(entity_type) if params.normalize else None

    def many(values: Sequence[str]) -> list[str]:
        if not params.normalize:
            texts = values
        elif fast is None:
            texts = [normalize(v, entity_type) for v in values]
        else:
            texts = [
                fast(v) if v.isascii() and v.isalnum() else normalize(v, entity_type)
                for v in values
            ]
        digests = []
        for text in texts:
            h = inner()
            h.update(text.encode("utf-8"))
            o = outer()
            o.update(h.digest())
            digests.append(o.hexdigest())
        return [prefix + d[:length] for d in digests]

    return many


def _plain_normalizer(entity_type: str | None) -> Callable[[str], str] | None:
    """:func:`normalize` for ASCII letters and digits only, or None if that needs the full one.

    Such a value has no full-width characters, spaces or separators to remove;
    only the case changes (and a phone's ``0086`` prefix, left to the full one).
    """
    if entity_type in UPPERCASE_ENTITIES:
        return str.upper
    if entity_type == "EMAIL_ADDRESS":
        return str.lower
    if entity_type == "PHONE_NUMBER":
        return lambda v: normalize(v, entity_type) if v.startswith("0086") else v
    if entity_type is None:
        return None  # a trailing x after a digit is upper-cased: the full rule
    return lambda v: v


class HashOperator(DesensOperator[HashParams]):
    """Presidio operator ``hash``; pass ``key_ring`` in the params dict."""

    NAME: ClassVar[str] = "hash"
    PARAMS: ClassVar[type[OperatorParams]] = HashParams

    @classmethod
    def apply(cls, value: str, params: HashParams, ctx: OperatorContext) -> str:
        """Hash one value."""
        return hash_value(value, params, ctx.require_keys(cls.NAME), ctx.entity_type)
