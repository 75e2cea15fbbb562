"""Biometric rows terminals upload (adms-protocol.md §4.3 ``FP``/``FACE``/``FVEIN``, §4.5
``BIODATA``): read into :class:`Template` or refused with a reason; and the redaction that
keeps template bytes out of quarantine, logs and command texts. Plain code, no I/O."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

# BIODATA Type (DOC-ATT-SUM §9.11): the kinds a template may be
BIODATA_TYPES = {1: "fingerprint", 2: "face", 7: "finger_vein", 8: "palm", 9: "visible_face"}
TYPE_OF_KIND = {kind: number for number, kind in BIODATA_TYPES.items()}
KINDS = tuple(BIODATA_TYPES.values())
# the terminal option naming each kind's algorithm version (options / INFO result)
VERSION_OPTION = {"fingerprint": "FPVersion", "face": "FaceVersion", "finger_vein": "FvVersion",
                  "palm": "PvVersion", "visible_face": "FaceVersion"}
ALGORITHM_PREFIX = {"fingerprint": "finger", "face": "face", "finger_vein": "vein",
                    "palm": "palm", "visible_face": "face"}
# real templates: fingerprint ~0.5-2 KiB, faces and palms a few KiB; more is not a template
MAX_TEMPLATE_BYTES = 64 * 1024
# rows holding biometric content (templates, face pictures)
BIOMETRIC_ROWS = frozenset({"FP", "FACE", "FVEIN", "BIODATA", "USERPIC", "BIOPHOTO"})
_SECRET_FIELD = re.compile(rb"((?:^|\t)(?:TMP|Tmp|tmp|Content|content)=)([^\t\r\n]*)")


@dataclass(frozen=True, slots=True)
class Template:
    pin: str
    kind: str  # one of KINDS
    index: int  # finger number (FID / No), 0 for a face
    sub: int  # BIODATA Index (several templates of one finger), else 0
    valid: int
    major: int | None  # algorithm major version (BIODATA MajorVer, else the terminal's)
    minor: int | None
    fmt: int  # BIODATA Format (0: ZK's own), 0 for FP/FACE rows
    data: bytes  # the template as the terminal sent it (decoded base64)

    @property
    def algorithm(self) -> str:
        major = "" if self.major is None else str(self.major)
        return f"{ALGORITHM_PREFIX[self.kind]}:{major}"


def redact(raw: bytes) -> bytes:
    """A row with every ``TMP=``/``Tmp=``/``Content=`` value replaced by its length."""
    return _SECRET_FIELD.sub(lambda m: m.group(1) + b"<redacted %d bytes>" % len(m.group(2)),
                             raw)


def _values(raw: bytes) -> dict[str, str]:
    _head, _sep, rest = raw.partition(b" ")
    out: dict[str, str] = {}
    for part in rest.split(b"\t"):
        key, sep, value = part.partition(b"=")
        if sep:
            out.setdefault(key.strip().decode("ascii", "replace").lower(),
                           value.strip().decode("ascii", "replace"))
    return out


def _int(values: dict[str, str], key: str, default: int | None = None) -> int | None:
    text = values.get(key, "")
    if text.isascii() and text.lstrip("-").isdigit() and len(text) < 10:
        return int(text)
    return default


def _decode(text: str) -> bytes | str:
    if not text:
        return "template is empty"
    if len(text) > MAX_TEMPLATE_BYTES * 4 // 3 + 4:
        return f"template of {len(text)} characters is larger than any real template"
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return "template is not base64"
    if len(data) > MAX_TEMPLATE_BYTES:
        return f"template of {len(data)} bytes is larger than any real template"
    return data


def parse_template(kind_word: str, pin: str, raw: bytes,
                   versions: dict[str, int | None]) -> Template | str:
    """A template from one biometric row, or why it is refused. ``versions``: the terminal's
    algorithm major version per kind (FP/FACE/FVEIN rows do not carry it)."""
    values = _values(raw)
    if kind_word == "BIODATA":
        type_no = _int(values, "type")
        kind = BIODATA_TYPES.get(type_no) if type_no is not None else None
        if kind is None:
            return f"BIODATA of unknown type {values.get('type', '')[:8]!r}"
        data = _decode(values.get("tmp", ""))
        if isinstance(data, str):
            return data
        index = _int(values, "no", 0) or 0
        return Template(pin, kind, index, _int(values, "index", 0) or 0,
                        _int(values, "valid", 1) or 0, _int(values, "majorver"),
                        _int(values, "minorver"), _int(values, "format", 0) or 0, data)
    kind = {"FP": "fingerprint", "FACE": "face", "FVEIN": "finger_vein"}.get(kind_word)
    if kind is None:
        return f"{kind_word} rows (pictures) are not kept"
    text = values.get("tmp", "")
    size = _int(values, "size")
    if size is not None and size != len(text):
        return f"template size {size} does not match the {len(text)} characters sent"
    data = _decode(text)
    if isinstance(data, str):
        return data
    index = _int(values, "fid", 0) or 0
    return Template(pin, kind, index, _int(values, "index", 0) or 0,
                    _int(values, "valid", 1) or 0, versions.get(kind), None, 0, data)


def device_versions(info: dict[str, object], options: dict[str, object]) -> dict[str, int | None]:
    """The algorithm major version per kind a terminal reports: its options / INFO result
    (``FPVersion``, ``FaceVersion``, ``PvVersion``, ``FvVersion``), else the getrequest
    ``INFO=`` fields (fingerprint and face algorithm)."""
    out: dict[str, int | None] = {}
    for kind, option in VERSION_OPTION.items():
        value = options.get(option) or options.get("~" + option)
        if value in (None, "") and kind == "fingerprint":
            value = info.get("fp_algorithm")
        if value in (None, "") and kind in ("face", "visible_face"):
            value = info.get("face_algorithm")
        text = str(value).strip() if value is not None else ""
        major = text.split(".", 1)[0]
        out[kind] = int(major) if major.isascii() and major.isdigit() and int(major) > 0 \
            else None
    return out
