"""The key that seals biometric data at rest (issue 19; README "Biometric data").

``biometric_key`` (or the file named by ``biometric_key_file``): 32 random bytes, urlsafe
base64. Each value is sealed with AES-256-GCM under a fresh 12-byte nonce; the associated data
names what the value is (``serial|pin|kind|index``), so a sealed value copied onto another
row does not open. Stored as one BLOB ``nonce || ciphertext``. Without a key the feature is
off: nothing biometric is kept.

:meth:`BiometricCipher.digest` is a keyed digest (HMAC-SHA256 under a key derived from the
biometric key, with the row's associated data) that tells whether a template read back from a
terminal is one the relay has seen, without keeping the template: never a plain hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
OFF_NO_KEY = "off: no key"


class BiometricKeyError(ValueError):
    """The configured key is unusable (the message says which setting and why)."""


class SealError(ValueError):
    """A sealed value does not open with this key for this row (wrong key or moved value)."""


def aad(*parts: object) -> bytes:
    """Associated data: the parts joined by ``|``."""
    return "|".join("" if p is None else str(p) for p in parts).encode("utf-8")


class BiometricCipher:
    """AES-256-GCM with the relay's biometric key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise BiometricKeyError("biometric_key: must be 32 bytes (urlsafe base64 of 32"
                                    f" random bytes), got {len(key)} bytes")
        self._aead = AESGCM(key)
        # an identifier of the key (not the key): shows which key sealed the data
        self.key_id = hashlib.sha256(b"zk-relay-biometric|" + key).hexdigest()[:16]
        self._digest_key = hmac.new(key, b"zk-relay template digest", hashlib.sha256).digest()

    def seal(self, plain: bytes, associated: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plain, associated)

    def digest(self, plain: bytes, associated: bytes) -> bytes:
        """Keyed digest of a value for one row: equal values of the same row give the same
        digest; without the key it says nothing about the value."""
        mac = hmac.new(self._digest_key, digestmod=hashlib.sha256)
        mac.update(len(associated).to_bytes(4, "big") + associated)
        mac.update(plain)
        return mac.digest()

    def open(self, sealed: bytes, associated: bytes) -> bytes:
        sealed = bytes(sealed)
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
        except (InvalidTag, ValueError):
            raise SealError("sealed value does not open (other key, or not this row's)") \
                from None


def decode_key(text: str, origin: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise BiometricKeyError(f"{origin}: not urlsafe base64") from None
    if len(raw) != 32:
        raise BiometricKeyError(f"{origin}: must decode to 32 bytes, got {len(raw)}")
    return raw


def load_cipher(key: str, key_file: str) -> BiometricCipher | None:
    """The cipher from ``biometric_key`` or ``biometric_key_file``; None when neither is set
    (the feature is off). A set but unusable key is an error, never silently "off"."""
    if key.strip() and key_file.strip():
        raise BiometricKeyError("set biometric_key or biometric_key_file, not both")
    if key.strip():
        return BiometricCipher(decode_key(key, "biometric_key"))
    if key_file.strip():
        path = Path(key_file)
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise BiometricKeyError(f"biometric_key_file: cannot read {path}: {exc}") from None
        return BiometricCipher(decode_key(text, f"biometric_key_file {path}"))
    return None


def new_key() -> str:
    """A fresh key in the configuration's format."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
