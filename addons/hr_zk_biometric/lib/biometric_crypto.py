"""Sealing of biometric values at rest (plain Python: no Odoo import).

AES-256-GCM (the `cryptography` package) with a random 12-byte nonce per value; the
associated data binds a value to what it is (who, which kind, which finger), so a sealed value
copied onto another row does not open. Stored as one value: nonce || ciphertext+tag. The key
(32 random bytes, urlsafe base64) comes from the server configuration, never the database.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class BiometricKeyError(ValueError):
    """The configured key is missing or unusable; the message says what to do."""


class SealBroken(ValueError):
    """A sealed value did not open: another key, another row, or altered bytes."""


def load_key(text: str | None) -> bytes | None:
    """The 32-byte key from its configured text, None when none is configured."""
    if not text or not str(text).strip():
        return None
    raw = str(text).strip().encode("ascii", "replace")
    try:
        key = base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise BiometricKeyError(
            "zk_biometric_key must be 32 random bytes in base64 (urlsafe), e.g. the output of "
            "python3 -c \"import base64,os;print(base64.urlsafe_b64encode(os.urandom(32))"
            ".decode())\"")
    return key


def seal(key: bytes, data: bytes, aad: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, bytes(data), aad.encode("utf-8"))


def unseal(key: bytes, sealed: bytes, aad: str) -> bytes:
    sealed = bytes(sealed)
    if len(sealed) <= NONCE_BYTES:
        raise SealBroken("the stored value is too short to be sealed data")
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                   aad.encode("utf-8"))
    except InvalidTag:
        raise SealBroken("the stored value does not open with this key") from None
