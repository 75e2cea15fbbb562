"""Biometric device commands (issue 19), typed like the others (``commands.py``):

=================  ===============================  ============================================
kind               fields                           what the terminal receives
=================  ===============================  ============================================
template_upsert    pin, kind, index, algorithm,     fingerprint: ``DATA UPDATE FINGERTMP PIN=..``
                   data (base64), valid?, format?,  ``\\tFID=..\\tSize=..\\tValid=..\\tTMP=..``;
                   sub_index?                       others: ``DATA UPDATE BIODATA Pin=..\\tNo=..``
                                                    ``\\tIndex=..\\tValid=..\\tDuress=0\\tType=..``
                                                    ``\\tMajorVer=..\\tMinorVer=..\\tFormat=..``
                                                    ``\\tTmp=..``
template_delete    pin, kind?, index?               ``DATA DELETE FINGERTMP PIN=..[\\tFID=..]`` /
                                                    ``DATA DELETE BIODATA Pin=..[\\tType=..]``
                                                    ``[\\tNo=..]``
user_erase         pin                              ``DATA DELETE USERINFO PIN=..`` (the terminal
                                                    deletes the user and every template)
=================  ===============================  ============================================

The template never appears in a stored command text or its ``params``: the text holds
``<redacted n bytes>`` where the template goes, the template travels sealed beside it
(``Command.secret``) and is put in only when the command is handed to the terminal.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from zk_relay.biometric_rows import ALGORITHM_PREFIX, KINDS, MAX_TEMPLATE_BYTES, TYPE_OF_KIND

BIO_KINDS = ("template_upsert", "template_delete", "user_erase")
WIRE_PREFIXES = ("DATA UPDATE FINGERTMP ", "DATA UPDATE BIODATA ", "DATA DELETE FINGERTMP ",
                 "DATA DELETE BIODATA ")
PLACEHOLDER = re.compile(r"<redacted (\d{1,9}) bytes>$")
_ALGORITHM = re.compile(r"([a-z_]{1,16}):(\d{1,4})")


def _small_int(params: dict[str, Any], field: str, default: int | None, lo: int, hi: int,
               error: Refusal) -> int | None:
    value = params.get(field, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise error(field, f"must be an integer from {lo} to {hi}")
    return value


Refusal = Callable[[str, str], Exception]


def build_biometric(kind: str, params: dict[str, Any], pin: str, error: Refusal
                    ) -> tuple[dict[str, Any], str, bytes | None]:
    """(clean params, command text with the placeholder, template base64 or None)."""
    if kind == "user_erase":
        return {"pin": pin}, f"DATA DELETE USERINFO PIN={pin}", None
    bio_kind = params.get("kind")
    if kind == "template_delete":
        if bio_kind is None:
            return {"pin": pin}, f"DATA DELETE BIODATA Pin={pin}", None
        if bio_kind not in KINDS:
            raise error("kind", f"must be one of {', '.join(KINDS)}")
        index = _small_int(params, "index", None, 0, 99, error)
        clean = {"pin": pin, "kind": bio_kind, **({"index": index} if index is not None else {})}
        if bio_kind == "fingerprint":
            return clean, f"DATA DELETE FINGERTMP PIN={pin}" + (
                f"\tFID={index}" if index is not None else ""), None
        return clean, f"DATA DELETE BIODATA Pin={pin}\tType={TYPE_OF_KIND[bio_kind]}" + (
            f"\tNo={index}" if index is not None else ""), None
    # template_upsert
    if bio_kind not in KINDS:
        raise error("kind", f"must be one of {', '.join(KINDS)}")
    index = _small_int(params, "index", None, 0, 99, error)
    if index is None:
        raise error("index", "is required (finger number 0-9, 0 for a face)")
    sub = _small_int(params, "sub_index", 0, 0, 99, error) or 0
    valid = _small_int(params, "valid", 1, 0, 255, error)
    fmt = _small_int(params, "format", 0, 0, 255, error) or 0
    minor = _small_int(params, "minor_version", 0, 0, 9999, error) or 0
    algorithm = params.get("algorithm")
    match = _ALGORITHM.fullmatch(algorithm) if isinstance(algorithm, str) else None
    if match is None or match.group(1) != ALGORITHM_PREFIX[bio_kind]:
        raise error("algorithm", f"must be '{ALGORITHM_PREFIX[bio_kind]}:<major version>'"
                    f" for a {bio_kind} template, e.g. '{ALGORITHM_PREFIX[bio_kind]}:10'")
    major = int(match.group(2))
    data = params.get("data")
    if not isinstance(data, str) or not data:
        raise error("data", "is required: the template as base64")
    try:
        size = len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise error("data", "is not base64") from None
    if not 0 < size <= MAX_TEMPLATE_BYTES:
        raise error("data", f"a template is 1 to {MAX_TEMPLATE_BYTES} bytes, got {size}")
    clean = {"pin": pin, "kind": bio_kind, "index": index, "sub_index": sub,
             "algorithm": f"{match.group(1)}:{major}", "valid": valid, "format": fmt,
             "minor_version": minor, "size": size, "data": f"<redacted {size} bytes>"}
    placeholder = f"<redacted {len(data)} bytes>"
    if bio_kind == "fingerprint":
        text = (f"DATA UPDATE FINGERTMP PIN={pin}\tFID={index}\tSize={len(data)}\tValid={valid}"
                f"\tTMP={placeholder}")
    else:
        text = (f"DATA UPDATE BIODATA Pin={pin}\tNo={index}\tIndex={sub}\tValid={valid}"
                f"\tDuress=0\tType={TYPE_OF_KIND[bio_kind]}\tMajorVer={major}\tMinorVer={minor}"
                f"\tFormat={fmt}\tTmp={placeholder}")
    return clean, text, data.encode("ascii")


def fill(text: str, secret: bytes) -> str | None:
    """The wire text: the placeholder replaced by the template (None: text and template do not
    belong together)."""
    match = PLACEHOLDER.search(text)
    if match is None or int(match.group(1)) != len(secret):
        return None
    return text[:match.start()] + secret.decode("ascii")
