"""Signed event pages (zk_rules.signing): Ed25519 over the canonical JSON of the page."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest

from zk_rules import signing
from zk_rules.hashchain import canonical_json
from zk_rules.signing import PageSignatureError, sign_page, verify_page


def page() -> dict:
    return {
        "store_id": "0f3c9a1e2b4d4c6e8a0b1c2d3e4f5a6b",
        "events": [
            {"id": 7, "serial": "CKJF201260123", "pin": "0042", "local_time": "2024-08-05 08:01:02",
             "timezone": "Asia/Manila", "status": 0, "verify": 1, "workcode": "",
             "received_at": "2024-08-05T00:01:03.000+00:00",
             "fingerprint": "a" * 64},
            {"id": 8, "serial": "CKJF201260123", "pin": "7", "local_time": "2024-08-05 17:00:00",
             "timezone": "Asia/Manila", "status": 1, "verify": 15, "workcode": "ü",
             "received_at": "2024-08-05T09:00:01.000+00:00", "fingerprint": "b" * 64},
        ],
        "next_after": 8,
        "has_more": False,
    }


@pytest.fixture(scope="module")
def key():
    return signing.generate_private_key()


@pytest.fixture(scope="module")
def public(key) -> str:
    return signing.public_key_b64(key)


def test_round_trip_through_the_wire(key, public) -> None:
    signed = sign_page(page(), key)
    assert signed["signature"]["alg"] == "ed25519"
    assert signed["signature"]["key_id"] == signing.key_id(key)
    assert len(base64.b64decode(signed["signature"]["value"])) == 64
    # what Odoo gets: the JSON text, re-parsed (any key order / spacing)
    wire = json.dumps(signed, ensure_ascii=False, indent=2)
    verify_page(json.loads(wire), public)
    verify_page(signed, public)
    # the input page is not modified
    assert "signature" not in page()


def test_key_id_and_public_key_format(key, public) -> None:
    raw = base64.b64decode(public)
    assert len(raw) == 32
    assert signing.key_id(key) == hashlib.sha256(raw).hexdigest()[:16]
    assert signing.key_id(public) == signing.key_id(key)


def test_signature_covers_the_canonical_form(key) -> None:
    signed = sign_page(page(), key)
    body = {k: v for k, v in signed.items() if k != "signature"}
    assert signing.signed_bytes(signed) == canonical_json(body).encode("utf-8")
    assert signing.signed_bytes(signed).isascii()


def test_canonical_order_independence(key, public) -> None:
    original = page()
    reordered = {k: original[k] for k in reversed(list(original))}
    reordered["events"] = [{k: e[k] for k in sorted(e, reverse=True)} for e in original["events"]]
    a = sign_page(original, key)
    b = sign_page(reordered, key)
    assert a["signature"] == b["signature"]  # Ed25519 is deterministic
    verify_page(b | {"signature": a["signature"]}, public)


@pytest.mark.parametrize("alter", [
    lambda p: p["events"][0].__setitem__("pin", "0043"),
    lambda p: p["events"][1].__setitem__("local_time", "2024-08-05 16:00:00"),
    lambda p: p["events"].pop(0),
    lambda p: p["events"].append(dict(p["events"][0], id=9)),
    lambda p: p.__setitem__("store_id", "another"),
    lambda p: p["events"][0].__setitem__("status", "0"),  # type change only
], ids=["pin", "local_time", "dropped", "added", "store_id", "type"])
def test_altered_event_is_refused(key, public, alter) -> None:
    signed = sign_page(page(), key)
    altered = copy.deepcopy(signed)
    alter(altered)
    with pytest.raises(PageSignatureError) as error:
        verify_page(altered, public)
    assert error.value.reason == "bad_signature"
    assert "altered" in str(error.value)


def test_altered_next_after_is_refused(key, public) -> None:
    signed = sign_page(page(), key)
    for field, value in (("next_after", 9), ("has_more", True)):
        with pytest.raises(PageSignatureError) as error:
            verify_page(signed | {field: value}, public)
        assert error.value.reason == "bad_signature"


def test_wrong_key_is_refused(key, public) -> None:
    other = signing.generate_private_key()
    forged = sign_page(page(), other)
    with pytest.raises(PageSignatureError) as error:
        verify_page(forged, public)
    assert error.value.reason == "unknown_key"
    assert signing.key_id(other) in str(error.value)
    # a forger who copies the registered key id still fails on the signature itself
    forged["signature"]["key_id"] = signing.key_id(key)
    with pytest.raises(PageSignatureError) as error:
        verify_page(forged, public)
    assert error.value.reason == "bad_signature"


def test_unsigned_and_malformed_pages_are_refused(key, public) -> None:
    with pytest.raises(PageSignatureError) as error:
        verify_page(page(), public)
    assert error.value.reason == "unsigned"
    assert isinstance(error.value, ValueError)
    signed = sign_page(page(), key)
    cases = [
        signed | {"signature": "abc"},
        signed | {"signature": {**signed["signature"], "alg": "rsa"}},
        signed | {"signature": {**signed["signature"], "value": "%%%"}},
        signed | {"signature": {**signed["signature"], "value": base64.b64encode(b"x").decode()}},
        [signed],
    ]
    for case in cases:
        with pytest.raises(PageSignatureError) as error:
            verify_page(case, public)  # type: ignore[arg-type]
        assert error.value.reason == "malformed"


def test_unusable_registered_key_is_reported(key) -> None:
    signed = sign_page(page(), key)
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(PageSignatureError) as error:
            verify_page(signed, bad)
        assert error.value.reason == "unknown_key"


def test_private_key_serialisation(key, public) -> None:
    pem = signing.private_key_to_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = signing.load_private_key(pem)
    assert signing.public_key_b64(again) == public
    from cryptography.hazmat.primitives import serialization

    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    assert signing.public_key_b64(signing.load_private_key(raw)) == public
    verify_page(sign_page(page(), again), public)
    with pytest.raises(ValueError):
        signing.load_public_key("AAAA")
