"""The consent store's secrets, all derived from one key ring.

API keys, consent tokens and subject ids are stored as keyed hashes
(HMAC-SHA256 under separate sub-keys), so a copy of the database alone
neither reveals them nor lets anyone test guesses. Subject ids are also kept
AES-GCM-encrypted for display to the portal, and records are stored only
AES-GCM-sealed, each bound to its dataset and subject reference (a sealed
record moved to another subject or dataset does not open). Audit checkpoints and consent
receipts are signed with an Ed25519 key whose seed is derived from the ring;
its public key is published at ``GET /audit/public-key``.

Example:
    >>> from desens.keys import KeyRing
    >>> keys = ConsentKeys(KeyRing.generate())
    >>> token = new_secret("cgt_")
    >>> token.startswith("cgt_"), len(keys.token_hash(token))
    (True, 64)
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Mapping
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from desens.errors import WrongKeyError
from desens.keys import KeyRing

__all__ = ["TOKEN_PREFIX", "ConsentKeys", "new_secret", "verify_signature"]

#: Prefix of consent tokens (opaque; 256 random bits follow).
TOKEN_PREFIX = "cgt_"


def new_secret(prefix: str) -> str:
    """A new opaque secret: ``prefix`` and 256 random bits, URL-safe base64."""
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


def verify_signature(public_key_hex: str, signature_hex: str, message: bytes) -> bool:
    """True when ``signature_hex`` is an Ed25519 signature of ``message`` by the key."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(
            bytes.fromhex(signature_hex), message
        )
    except Exception:  # any malformed key/signature is simply "not valid"
        return False
    return True


def _record_aad(dataset_id: str, subject_ref: str) -> bytes:
    return f"record\0{dataset_id}\0{subject_ref}".encode()


class ConsentKeys:
    """Sub-keys of the consent service, derived once from the ring's default key.

    Records are the exception: each names the key that sealed it, and opens
    under any ring that still holds that key (new ones are sealed under the
    default key).
    """

    __slots__ = ("_aead", "_api", "_records", "_ring", "_signer", "_subject", "_token", "key_id")

    def __init__(self, ring: KeyRing) -> None:
        self.key_id = ring.default_id
        self._ring = ring
        self._api = ring.derive("api_key").material
        self._token = ring.derive("token").material
        self._subject = ring.derive("subject").material
        self._aead = AESGCM(ring.derive("subject_enc").material)
        self._records = {self.key_id: AESGCM(ring.derive("record_enc").material)}
        self._signer = Ed25519PrivateKey.from_private_bytes(ring.derive("audit_sign").material)

    def __repr__(self) -> str:
        return f"ConsentKeys(key_id={self.key_id!r})"

    def api_key_hash(self, api_key: str) -> str:
        """Keyed hash under which an API key is stored and looked up."""
        return hmac.new(self._api, api_key.encode("utf-8"), sha256).hexdigest()

    def token_hash(self, token: str) -> str:
        """Keyed hash under which a consent token is stored and looked up."""
        return hmac.new(self._token, token.encode("utf-8"), sha256).hexdigest()

    def subject_ref(self, normalized_subject: str) -> str:
        """Keyed reference of a subject id: the same id, the same reference."""
        return hmac.new(self._subject, normalized_subject.encode("utf-8"), sha256).hexdigest()

    def encrypt_subject(self, normalized_subject: str) -> str:
        """AES-GCM ciphertext (nonce + sealed, base64) of a subject id, for display."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, normalized_subject.encode("utf-8"), b"subject")
        return base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt_subject(self, blob: str) -> str:
        """Reverse :meth:`encrypt_subject`.

        Raises:
            WrongKeyError: If the blob was made under another key or altered.
        """
        raw = base64.b64decode(blob)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], b"subject").decode("utf-8")
        except InvalidTag:
            raise WrongKeyError(
                f"a stored subject id does not decrypt under key {self.key_id!r}"
            ) from None

    def seal_record(self, dataset_id: str, subject_ref: str, record: Mapping[str, Any]) -> str:
        """``<key id>:`` and the AES-GCM ciphertext (nonce + sealed, base64) of a record.

        The associated data is the dataset id and the subject reference, so
        a sealed record opens only for the subject and dataset it was
        stored for. It is sealed under the ring's default key.
        """
        nonce = secrets.token_bytes(12)
        plain = json.dumps(dict(record), ensure_ascii=False, separators=(",", ":"))
        sealed = self._records[self.key_id].encrypt(
            nonce, plain.encode("utf-8"), _record_aad(dataset_id, subject_ref)
        )
        return f"{self.key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open_record(self, dataset_id: str, subject_ref: str, blob: str) -> dict[str, Any]:
        """Reverse :meth:`seal_record`.

        Raises:
            WrongKeyError: If the ring lacks the key the record names, or the
                record was sealed for another subject or dataset, or altered.
        """
        key_id, _, encoded = blob.partition(":")
        aead = self._records.get(key_id)
        if aead is None:
            # An older key of the ring (WrongKeyError, naming it, if it is not there).
            aead = self._records[key_id] = AESGCM(self._ring.derive("record_enc", key_id).material)
        raw = base64.b64decode(encoded)
        try:
            plain = aead.decrypt(raw[:12], raw[12:], _record_aad(dataset_id, subject_ref))
        except InvalidTag:
            raise WrongKeyError(
                f"a stored record of dataset {dataset_id!r} does not open under key "
                f"{key_id!r} (another key of that id, another subject or dataset, or altered)"
            ) from None
        record: dict[str, Any] = json.loads(plain)
        return record

    def sign(self, message: bytes) -> str:
        """Ed25519 signature of ``message``, hex."""
        return self._signer.sign(message).hex()

    @property
    def public_key(self) -> str:
        """The Ed25519 public key, hex (raw 32 bytes)."""
        return self._signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
