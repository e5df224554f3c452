"""NIST SP 800-38G FF1 format-preserving encryption (AES).

FF1 encrypts a string of numerals in base ``radix`` into another string of
the same length and radix; with radix 10, digits become digits. This module
implements the algorithm as specified in NIST SP 800-38G (Rev. 1) section
6.2, on top of the AES block cipher from ``cryptography``, and is tested
against the NIST sample vectors. It knows nothing of identifiers: the
:mod:`desens.operators.fpe` operator builds on it.

Rev. 1 requires ``radix ** len(x) >= 1_000_000``; shorter inputs are refused.

Example:
    >>> key = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
    >>> FF1(key).encrypt("0123456789", b"")
    '2433477484'
    >>> FF1(key).decrypt("2433477484", b"")
    '0123456789'
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["ALPHABET", "FF1", "MIN_DOMAIN"]

#: Numerals for radix up to 36, in value order (the NIST samples use this order).
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"

#: Smallest domain size ``radix ** n`` that SP 800-38G Rev. 1 allows.
MIN_DOMAIN = 1_000_000

_ROUNDS = 10
_MAX_LEN = 2**32 - 1


class FF1:
    """An FF1 cipher bound to one AES key and one radix.

    Args:
        key: An AES key of 16, 24 or 32 bytes.
        radix: The base of the numeral strings, 2-36.

    The key is held by the AES context only; it is never stored on the object
    or shown by ``repr``.
    """

    __slots__ = ("_ecb", "_radix")

    def __init__(self, key: bytes, radix: int = 10) -> None:
        if len(key) not in (16, 24, 32):
            raise ValueError("FF1 needs an AES key of 16, 24 or 32 bytes")
        if not 2 <= radix <= len(ALPHABET):
            raise ValueError("FF1 radix must be between 2 and 36")
        self._radix = radix
        # ECB over single blocks is how SP 800-38G defines CIPH and PRF (CBC-MAC).
        self._ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()

    def __repr__(self) -> str:
        return f"FF1(radix={self._radix})"

    @property
    def radix(self) -> int:
        """The base of the numeral strings this cipher works on."""
        return self._radix

    def encrypt(self, numerals: str, tweak: bytes = b"") -> str:
        """Encrypt a numeral string (Algorithm 7 of SP 800-38G).

        Args:
            numerals: Characters of :data:`ALPHABET` below ``radix``.
            tweak: Public per-context data; the same tweak must be used to decrypt.

        Returns:
            A numeral string of the same length.

        Raises:
            ValueError: If the input is not a numeral string of a permitted length.
        """
        return self._crypt(numerals, tweak, decrypt=False)

    def decrypt(self, numerals: str, tweak: bytes = b"") -> str:
        """Decrypt a numeral string (Algorithm 8 of SP 800-38G).

        Args:
            numerals: The ciphertext numerals.
            tweak: The tweak used to encrypt.

        Returns:
            The plaintext numerals.

        Raises:
            ValueError: If the input is not a numeral string of a permitted length.
        """
        return self._crypt(numerals, tweak, decrypt=True)

    def _block(self, data: bytes) -> bytes:
        return self._ecb.update(data)

    def _crypt(self, numerals: str, tweak: bytes, *, decrypt: bool) -> str:
        radix = self._radix
        n = len(numerals)
        digits = self._to_values(numerals)
        if radix**n < MIN_DOMAIN or n > _MAX_LEN:
            raise ValueError("FF1 input is too short for its radix (domain below 10^6)")
        t = len(tweak)
        u = n // 2
        v = n - u
        # b = ceil(ceil(v * log2(radix)) / 8), computed exactly on integers.
        b = ((radix**v - 1).bit_length() + 7) // 8
        d = 4 * ((b + 3) // 4) + 4
        p = (
            bytes([1, 2, 1])
            + radix.to_bytes(3, "big")
            + bytes([10, u % 256])
            + n.to_bytes(4, "big")
            + t.to_bytes(4, "big")
        )
        # PRF is CBC-MAC over P || Q; P is one block, so its MAC state is fixed.
        p_state = self._block(p)
        pad = bytes((-t - b - 1) % 16)
        mod_u, mod_v = radix**u, radix**v
        a_num = _num(digits[:u], radix)
        b_num = _num(digits[u:], radix)
        rounds = range(_ROUNDS - 1, -1, -1) if decrypt else range(_ROUNDS)
        for i in rounds:
            # In round i the half fed to the PRF is B when encrypting, A when decrypting.
            fed = a_num if decrypt else b_num
            q = tweak + pad + bytes([i]) + fed.to_bytes(b, "big")
            y = int.from_bytes(self._expand(self._cbc_mac(p_state, q), d), "big")
            m_mod = mod_u if i % 2 == 0 else mod_v
            if decrypt:
                a_num, b_num = (b_num - y) % m_mod, a_num
            else:
                a_num, b_num = b_num, (a_num + y) % m_mod
        return _str(a_num, u, radix) + _str(b_num, v, radix)

    def _cbc_mac(self, state: bytes, data: bytes) -> bytes:
        for k in range(0, len(data), 16):
            block = int.from_bytes(state, "big") ^ int.from_bytes(data[k : k + 16], "big")
            state = self._block(block.to_bytes(16, "big"))
        return state

    def _expand(self, r: bytes, d: int) -> bytes:
        s = bytearray(r)
        j = 1
        while len(s) < d:
            block = int.from_bytes(r, "big") ^ j
            s += self._block(block.to_bytes(16, "big"))
            j += 1
        return bytes(s[:d])

    def _to_values(self, numerals: str) -> list[int]:
        values = []
        for ch in numerals:
            value = ALPHABET.find(ch)
            if value < 0 or value >= self._radix:
                raise ValueError(f"FF1 input has a character outside radix {self._radix}")
            values.append(value)
        return values


def _num(values: list[int], radix: int) -> int:
    x = 0
    for value in values:
        x = x * radix + value
    return x


def _str(x: int, length: int, radix: int) -> str:
    out = []
    for _ in range(length):
        x, r = divmod(x, radix)
        out.append(ALPHABET[r])
    return "".join(reversed(out))
