"""Signed event pages (issue 10): Ed25519 over the canonical JSON of a page.

A relay signs every page of events it serves (pull API) or sends (push mode); Odoo verifies the
signature with the public key the relay registered at enrolment before it imports anything.

Wire form: the page (a JSON object) carries one more key,
``"signature": {"alg": "ed25519", "key_id": "<16 hex>", "value": "<base64 signature>"}``, where
the signature is Ed25519 over the UTF-8 bytes of
``zk_rules.hashchain.canonical_json(page_without_signature)`` (sorted keys, ``(",", ":")``
separators, ASCII escapes). The verifier recomputes those bytes from the *parsed* JSON, so the
key order and whitespace of the body on the wire do not matter; any change of a value does.

``key_id`` is the first 16 hex characters of SHA-256 over the 32 raw public-key bytes; the
public key travels as base64 of those 32 bytes.

Plain module: nothing from Odoo or the relay. ``cryptography`` is imported lazily and only APIs
present in cryptography 3.4.8 (Odoo 18's pinned version) are used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

from zk_rules.hashchain import canonical_json

ALG = "ed25519"
SIGNATURE_KEY = "signature"
KEY_ID_LENGTH = 16


class PageSignatureError(ValueError):
    """A page cannot be trusted. ``reason`` is one of ``unsigned``, ``malformed``,
    ``unknown_key`` and ``bad_signature`` (forged, or altered after signing)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------- keys


def _ed25519() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def _serialization() -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization


def generate_private_key() -> Any:
    """A new Ed25519 private key (``cryptography`` object)."""
    return _ed25519().Ed25519PrivateKey.generate()


def public_key_raw(key: Any) -> bytes:
    """The 32 raw public-key bytes of a private or public Ed25519 key."""
    ser = _serialization()
    public = key.public_key() if hasattr(key, "public_key") else key
    return public.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)


def public_key_b64(key: Any) -> str:
    """Base64 of the 32 raw public-key bytes (what the relay registers at enrolment)."""
    return base64.b64encode(public_key_raw(key)).decode("ascii")


def key_id_of_raw(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).hexdigest()[:KEY_ID_LENGTH]


def key_id(key: Any) -> str:
    """First 16 hex characters of SHA-256 over the raw public key (private or public key, or
    the base64 text of the public key)."""
    if isinstance(key, str):
        return key_id_of_raw(_decode_public_b64(key))
    return key_id_of_raw(public_key_raw(key))


def private_key_to_pem(key: Any) -> bytes:
    """Unencrypted PKCS#8 PEM (keep the file mode 0600)."""
    ser = _serialization()
    return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())


def load_private_key(data: bytes) -> Any:
    """A private key from PKCS#8 PEM or from the 32 raw private bytes."""
    if len(data) == 32:
        return _ed25519().Ed25519PrivateKey.from_private_bytes(data)
    key = _serialization().load_pem_private_key(data, password=None)
    if not isinstance(key, _ed25519().Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def _decode_public_b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise ValueError("public key must be base64 of 32 raw Ed25519 bytes") from None
    if len(raw) != 32:
        raise ValueError("public key must be base64 of 32 raw Ed25519 bytes")
    return raw


def load_public_key(text: str) -> Any:
    """An Ed25519 public key from base64 of its 32 raw bytes; ValueError if it is not one."""
    return _ed25519().Ed25519PublicKey.from_public_bytes(_decode_public_b64(text))


# --------------------------------------------------------------------------- pages


def signed_bytes(page: Mapping[str, Any]) -> bytes:
    """The bytes the signature covers: the canonical JSON of the page without its signature."""
    body = {k: v for k, v in page.items() if k != SIGNATURE_KEY}
    return canonical_json(body).encode("utf-8")


def sign_page(page: Mapping[str, Any], private_key: Any) -> dict[str, Any]:
    """A copy of ``page`` with its ``signature`` (any previous signature is replaced)."""
    value = private_key.sign(signed_bytes(page))
    out = {k: v for k, v in page.items() if k != SIGNATURE_KEY}
    out[SIGNATURE_KEY] = {"alg": ALG, "key_id": key_id(private_key),
                          "value": base64.b64encode(value).decode("ascii")}
    return out


def verify_page(page: Mapping[str, Any], public_key_b64: str) -> None:
    """Return if ``page`` was signed by the key ``public_key_b64`` and not altered since;
    raise :class:`PageSignatureError` saying why not."""
    if not isinstance(page, Mapping):
        raise PageSignatureError("malformed", "the page is not a JSON object")
    signature = page.get(SIGNATURE_KEY)
    if signature is None:
        raise PageSignatureError("unsigned", "the page is not signed (no 'signature')")
    if not isinstance(signature, Mapping):
        raise PageSignatureError("malformed", "'signature' must be an object")
    if signature.get("alg") != ALG:
        raise PageSignatureError("malformed", f"signature algorithm {signature.get('alg')!r}"
                                 f" is not {ALG!r}")
    try:
        public = load_public_key(public_key_b64)
    except ValueError as exc:
        raise PageSignatureError("unknown_key", f"the registered public key is unusable: {exc}"
                                 ) from None
    expected_id = key_id_of_raw(_decode_public_b64(public_key_b64))
    if signature.get("key_id") != expected_id:
        raise PageSignatureError("unknown_key", f"signed with key id {signature.get('key_id')!r},"
                                 f" not the registered key {expected_id}")
    value = signature.get("value")
    try:
        raw_sig = base64.b64decode(str(value).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise PageSignatureError("malformed", "signature value is not base64") from None
    if len(raw_sig) != 64:
        raise PageSignatureError("malformed", "signature value is not 64 bytes")
    from cryptography.exceptions import InvalidSignature

    try:
        public.verify(raw_sig, signed_bytes(page))
    except InvalidSignature:
        raise PageSignatureError("bad_signature", "the signature does not match the page:"
                                 " forged or altered after signing") from None


__all__ = [
    "ALG", "PageSignatureError", "generate_private_key", "key_id", "key_id_of_raw",
    "load_private_key", "load_public_key", "private_key_to_pem", "public_key_b64",
    "public_key_raw", "sign_page", "signed_bytes", "verify_page",
]
