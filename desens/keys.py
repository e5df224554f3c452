"""The key ring: the only place desens gets secret keys from.

Keys never live in policy files, on class attributes, or in logs. A
:class:`KeyRing` holds one or more master keys, each named by a short id
(``k1``); outputs and reports record that id, never the key. Operators ask the
ring for a *sub-key* for one purpose, derived with HKDF-SHA256 from the master
key, so one master key serves every operator without two operators ever
using the same key bytes:

============  ======  ====================================
purpose       bytes   HKDF ``info`` label
============  ======  ====================================
hmac          32      ``desens/v1/hmac`` (hash operator)
siv           64      ``desens/v1/siv`` (AES-256-SIV, encrypt/decrypt)
fpe           32      ``desens/v1/fpe`` (FF1 with AES-256)
date_shift    32      ``desens/v1/date_shift``
api_key       32      ``desens/v1/api_key`` (consent API: keyed hash of API keys)
token         32      ``desens/v1/token`` (consent API: keyed hash of consent tokens)
subject       32      ``desens/v1/subject`` (consent API: HMAC subject reference)
subject_enc   32      ``desens/v1/subject_enc`` (consent API: AES-GCM of subject ids)
record_enc    32      ``desens/v1/record_enc`` (consent API: AES-GCM of stored records)
audit_sign    32      ``desens/v1/audit_sign`` (Ed25519 seed: audit checkpoints, receipts)
============  ======  ====================================

HKDF runs without salt (the master key is uniformly random). The labels are
part of the output format: changing one changes every token made with it.

Where a ring comes from:

* a key-ring file (JSON, mode 0600)::

    {"version": 1,
     "keys": [{"id": "k1", "created": "2026-01-01T00:00:00Z", "material": "<base64>"}],
     "default": "k1"}

  Create one with :meth:`KeyRing.new`; load it with :meth:`KeyRing.load`.
* :meth:`KeyRing.from_env` reads ``DESENS_KEYRING`` (the path of a key-ring
  file) or, when that is unset, ``DESENS_KEY`` (one base64 key, whose id is a
  short fingerprint such as ``fp-1a2b3c4d``). Nothing reads the environment
  at import time.

Example:
    >>> ring = KeyRing.generate()
    >>> ring
    KeyRing(ids=['k1'], default='k1')
    >>> len(ring.derive("hmac").material)
    32
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desens.atomic import atomic_output
from desens.errors import ConfigError, MissingKeyError, WrongKeyError

__all__ = [
    "ENV_KEY",
    "ENV_KEYRING",
    "PURPOSES",
    "DerivedKey",
    "KeyRing",
    "MasterKey",
    "Purpose",
]

#: Environment variable naming a key-ring file.
ENV_KEYRING = "DESENS_KEYRING"
#: Environment variable holding one base64 master key.
ENV_KEY = "DESENS_KEY"

Purpose = Literal[
    "hmac",
    "siv",
    "fpe",
    "date_shift",
    "api_key",
    "token",
    "subject",
    "subject_enc",
    "record_enc",
    "audit_sign",
]
#: The purposes a sub-key can be derived for.
PURPOSES: tuple[str, ...] = get_args(Purpose)

_SUBKEY_BYTES: dict[str, int] = {
    "hmac": 32,
    "siv": 64,
    "fpe": 32,
    "date_shift": 32,
    "api_key": 32,
    "token": 32,
    "subject": 32,
    "subject_enc": 32,
    "record_enc": 32,
    "audit_sign": 32,
}
_LABEL_PREFIX = b"desens/v1/"
_FINGERPRINT_LABEL = b"desens/v1/key-id"
_FORMAT_VERSION = 1
_MIN_KEY_BYTES = 16
_NEW_KEY_BYTES = 32
# Ids appear inside tokens such as "enc:k1:...", so no colon and no spaces.
_URLSAFE_TO_STANDARD = str.maketrans("-_", "+/")
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _check_material(material: bytes, where: str) -> None:
    if len(material) < _MIN_KEY_BYTES:
        raise MissingKeyError(
            f"{where}: the key is {len(material)} bytes; a key needs at least "
            f"{_MIN_KEY_BYTES} (make a new ring with `desens keys new`)"
        )


def _check_key_id(key_id: str, where: str) -> None:
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise MissingKeyError(
            f"{where}: a key id must be 1-64 characters of letters, digits, '_', '.' or '-'"
        )


class DerivedKey:
    """A sub-key for one purpose, with the id of the master key it came from.

    Attributes:
        key_id: The id of the master key (safe to record).
        purpose: What the sub-key is for (``hmac``, ``siv``, ``fpe``, ``date_shift``).
    """

    __slots__ = ("_material", "key_id", "purpose")

    def __init__(self, key_id: str, purpose: str, material: bytes) -> None:
        self.key_id = key_id
        self.purpose = purpose
        self._material = material

    @property
    def material(self) -> bytes:
        """The sub-key bytes. Pass them to a cipher; never log or store them."""
        return self._material

    def __repr__(self) -> str:
        return f"DerivedKey(key_id={self.key_id!r}, purpose={self.purpose!r})"


class MasterKey:
    """One master key of a ring: an id, a creation time and secret bytes.

    Args:
        key_id: Short name recorded in outputs and reports (``k1``).
        material: The secret, at least 16 bytes (``KeyRing.new`` makes 32).
        created: ISO 8601 creation time, informational.
    """

    __slots__ = ("_cache", "_lock", "_material", "created", "id")

    def __init__(self, key_id: str, material: bytes, created: str | None = None) -> None:
        _check_key_id(key_id, "key")
        _check_material(material, f"key {key_id!r}")
        self.id = key_id
        self.created = created
        self._material = bytes(material)
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MasterKey(id={self.id!r})"

    def derive(self, purpose: Purpose) -> DerivedKey:
        """Derive the sub-key for ``purpose`` with HKDF-SHA256.

        Args:
            purpose: One of :data:`PURPOSES`.

        Returns:
            The sub-key, tagged with this key's id.

        Raises:
            ConfigError: If the purpose is unknown.
        """
        if purpose not in _SUBKEY_BYTES:
            raise ConfigError(
                f"unknown key purpose {purpose!r}; expected one of {', '.join(PURPOSES)}"
            )
        with self._lock:
            material = self._cache.get(purpose)
            if material is None:
                material = _hkdf(
                    self._material, _SUBKEY_BYTES[purpose], _LABEL_PREFIX + purpose.encode()
                )
                self._cache[purpose] = material
        return DerivedKey(self.id, purpose, material)

    def fingerprint(self) -> str:
        """A short public name for this key's material (``fp-`` and 8 hex digits).

        Derived with its own HKDF label, so it reveals nothing about any sub-key.
        """
        return _fingerprint(self._material)


def _fingerprint(material: bytes) -> str:
    return "fp-" + _hkdf(material, 4, _FINGERPRINT_LABEL).hex()


def _hkdf(material: bytes, length: int, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(material)


def _utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _b64decode(text: str, where: str) -> bytes:
    if not isinstance(text, str):
        raise MissingKeyError(f"{where}: key material must be a base64 string")
    # Accept standard and URL-safe base64, with or without padding; reject anything else.
    cleaned = text.strip().translate(_URLSAFE_TO_STANDARD)
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        # The message must not echo the (secret) text.
        raise MissingKeyError(f"{where}: key material is not valid base64") from None


class KeyRing:
    """Master keys by id, with one default; the source of every operator key.

    Build one with :meth:`load`, :meth:`from_env`, :meth:`from_key`,
    :meth:`new` (writes a file) or :meth:`generate` (memory only, for tests
    and one-off runs). ``repr`` shows ids only.

    Args:
        keys: The master keys; ids must be unique.
        default: Id of the key used when an operator names none; the only
            key when omitted and there is exactly one.
        source: Where the ring came from, for error messages (a path or
            ``DESENS_KEY``); never secret.

    Raises:
        MissingKeyError: If there are no keys, or ids repeat.
        WrongKeyError: If ``default`` is not one of the ids.
    """

    __slots__ = ("_default", "_keys", "source")

    def __init__(
        self, keys: Iterable[MasterKey], default: str | None = None, source: str = "<memory>"
    ) -> None:
        self.source = source
        self._keys: dict[str, MasterKey] = {}
        for key in keys:
            if key.id in self._keys:
                raise MissingKeyError(f"{source}: key id {key.id!r} appears twice")
            self._keys[key.id] = key
        if not self._keys:
            raise MissingKeyError(f"{source}: the key ring holds no keys")
        if default is None:
            if len(self._keys) != 1:
                raise MissingKeyError(f"{source}: a ring with several keys must name a default")
            default = next(iter(self._keys))
        if default not in self._keys:
            raise WrongKeyError(
                f"{source}: default key id {default!r} is not in the ring "
                f"(it holds: {', '.join(self._keys)})"
            )
        self._default = default

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self._keys)!r}, default={self._default!r})"

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def default_id(self) -> str:
        """The id of the key used when none is named."""
        return self._default

    @property
    def ids(self) -> list[str]:
        """The key ids in the ring, in file order."""
        return list(self._keys)

    def get(self, key_id: str | None = None) -> MasterKey:
        """Return the master key with ``key_id``, or the default one.

        Raises:
            WrongKeyError: If the ring has no key with that id.
        """
        wanted = self._default if key_id is None else key_id
        try:
            return self._keys[wanted]
        except KeyError:
            raise WrongKeyError(
                f"key id {wanted!r} is not in the key ring from {self.source} "
                f"(it holds: {', '.join(self._keys)}); load the ring that has it"
            ) from None

    def derive(self, purpose: Purpose, key_id: str | None = None) -> DerivedKey:
        """Derive the sub-key for ``purpose`` from key ``key_id`` (default key if None).

        Raises:
            WrongKeyError: If the ring has no key with that id.
        """
        return self.get(key_id).derive(purpose)

    # -- construction --------------------------------------------------------

    @classmethod
    def generate(cls, key_id: str = "k1") -> KeyRing:
        """Make a ring with one fresh random 256-bit key, in memory only."""
        return cls([MasterKey(key_id, secrets.token_bytes(_NEW_KEY_BYTES), _utc_now())])

    @classmethod
    def from_key(cls, material_b64: str, source: str = ENV_KEY) -> KeyRing:
        """Make a ring from one base64 key; its id is the key's fingerprint.

        Args:
            material_b64: Standard or URL-safe base64 of at least 16 bytes.
            source: Named in error messages instead of the key.

        Raises:
            MissingKeyError: If the text is empty, not base64, or too short.
        """
        if not material_b64 or not material_b64.strip():
            raise MissingKeyError(f"{source} is empty; it must hold a base64 key")
        material = _b64decode(material_b64, source)
        _check_material(material, source)
        return cls([MasterKey(_fingerprint(material), material)], source=source)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KeyRing:
        """Read a key-ring file.

        Args:
            path: A JSON key-ring file (see the module docstring).

        Raises:
            MissingKeyError: If the file is missing, unreadable or malformed.
            WrongKeyError: If its default names a key it does not hold.
        """
        where = str(path)
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MissingKeyError(
                f"key-ring file {where} does not exist; create one with `desens keys new PATH`"
            ) from None
        except OSError as exc:
            raise MissingKeyError(f"key-ring file {where} cannot be read: {exc.strerror}") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            # exc.msg and the position only, never the document.
            raise MissingKeyError(
                f"key-ring file {where} is not valid JSON (line {exc.lineno}: {exc.msg})"
            ) from None
        return cls._from_document(data, where)

    @classmethod
    def _from_document(cls, data: Any, where: str) -> KeyRing:
        if not isinstance(data, Mapping):
            raise MissingKeyError(f"key-ring file {where}: expected a JSON object")
        if data.get("version") != _FORMAT_VERSION:
            raise MissingKeyError(
                f"key-ring file {where}: unsupported version (expected {_FORMAT_VERSION})"
            )
        entries = data.get("keys")
        if not isinstance(entries, list) or not entries:
            raise MissingKeyError(f"key-ring file {where}: 'keys' must be a non-empty list")
        keys = []
        for n, entry in enumerate(entries, start=1):
            if not isinstance(entry, Mapping) or "id" not in entry or "material" not in entry:
                raise MissingKeyError(
                    f"key-ring file {where}: key #{n} needs an 'id' and a 'material'"
                )
            key_id = entry["id"]
            _check_key_id(key_id, f"key-ring file {where}, key #{n}")
            material = _b64decode(entry["material"], f"key-ring file {where}, key {key_id!r}")
            _check_material(material, f"key-ring file {where}, key {key_id!r}")
            created = entry.get("created")
            keys.append(MasterKey(key_id, material, created if isinstance(created, str) else None))
        default = data.get("default")
        if default is not None and not isinstance(default, str):
            raise MissingKeyError(f"key-ring file {where}: 'default' must be a key id")
        return cls(keys, default=default, source=where)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KeyRing:
        """Load the ring named by the environment.

        ``DESENS_KEYRING`` (a key-ring file) wins over ``DESENS_KEY`` (one
        base64 key) when both are set.

        Args:
            environ: The environment to read; ``os.environ`` (at call time) if None.

        Raises:
            MissingKeyError: If neither variable is set, or the key is unusable.
        """
        env = os.environ if environ is None else environ
        path = env.get(ENV_KEYRING, "").strip()
        if path:
            return cls.load(path)
        key = env.get(ENV_KEY, "")
        if key.strip():
            return cls.from_key(key, source=ENV_KEY)
        raise MissingKeyError(
            f"no key: set {ENV_KEYRING} to a key-ring file (create one with "
            f"`desens keys new`) or {ENV_KEY} to a base64 key of 32 random bytes"
        )

    @classmethod
    def new(
        cls, path: str | os.PathLike[str], *, overwrite: bool = False, key_id: str = "k1"
    ) -> KeyRing:
        """Write a new ring with one random 256-bit key to ``path`` (mode 0600).

        The file is written atomically: it appears complete or not at all, is
        never readable by others (not even while being written), and an
        existing file is never replaced unless ``overwrite`` says so.

        Args:
            path: Where to write the key-ring file.
            overwrite: Replace an existing file. Its keys are then lost, and
                data protected with them can no longer be restored or joined.
            key_id: Id of the new key.

        Returns:
            The new ring.

        Raises:
            ConfigError: If the file exists and ``overwrite`` is False.
        """
        target = Path(path)
        if target.exists() and not overwrite:
            raise ConfigError(
                f"key-ring file {target} already exists; refusing to overwrite it "
                "(`desens keys new --force` replaces it: only if no data protected with its "
                "keys is needed)"
            )
        key = MasterKey(key_id, secrets.token_bytes(_NEW_KEY_BYTES), _utc_now())
        document = {
            "version": _FORMAT_VERSION,
            "keys": [
                {
                    "id": key.id,
                    "created": key.created,
                    "material": base64.b64encode(key._material).decode("ascii"),
                }
            ],
            "default": key.id,
        }
        try:
            with atomic_output(target, "w", file_mode=0o600, exclusive=not overwrite) as fh:
                json.dump(document, fh, indent=2)
                fh.write("\n")
        except FileExistsError:
            raise ConfigError(
                f"key-ring file {target} already exists; refusing to overwrite it"
            ) from None
        return cls([key], source=str(target))
