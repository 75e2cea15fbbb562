"""The push terminal's biometric memory (issue 19): templates per PIN and what firmware does
with the biometric commands (adms-protocol.md §4.3, §4.5, §4.7, §4.8).

* enrolment at the terminal makes a template and queues its upload: ``FP`` (fingerprint,
  OPERLOG) or ``BIODATA`` (face, palm, vein; and fingerprints on firmware with BIODATA
  support);
* ``DATA UPDATE FINGERTMP`` / ``DATA UPDATE BIODATA``: stored when the PIN exists
  (else ``-10``), the template is base64 with the announced size (else ``-9``), the algorithm
  version is the terminal's (else ``-30``) and memory is left (else ``-1001``);
* ``DATA DELETE FINGERTMP`` / ``DATA DELETE BIODATA``: deleted (``-10``: PIN unknown);
* ``DATA DELETE USERINFO``: the user and every template go (``-10``: PIN unknown);
* ``USER ADD`` / ``USER DEL`` / ``DATA DEL``: ``-1002`` as real firmware answers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

TYPE_OF_KIND = {"fingerprint": 1, "face": 2, "finger_vein": 7, "palm": 8, "visible_face": 9}
KIND_OF_TYPE = {number: kind for kind, number in TYPE_OF_KIND.items()}
CAPACITY_KEY = {"fingerprint": "fingerprints", "face": "faces", "finger_vein": "veins",
                "palm": "palms", "visible_face": "faces"}


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    pin: str
    kind: str
    index: int
    data: bytes
    major: int
    valid: int = 1


def fake_template(pin: str, kind: str, index: int, size: int = 512, seed: str = "") -> bytes:
    """Deterministic pseudo-template bytes (a stand-in for a real minutiae template)."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}|{pin}|{kind}|{index}|{counter}".encode()).digest()
        counter += 1
    return b"ZKT" + out[:size - 3]


@dataclass
class BioMemory:
    """Templates per (PIN, kind, index) and the algorithm versions of this model."""

    versions: dict[str, int] = field(default_factory=lambda: {"fingerprint": 10, "face": 7,
                                                              "palm": 1, "finger_vein": 3,
                                                              "visible_face": 7})
    capacity: dict[str, int] = field(default_factory=dict)
    templates: dict[tuple[str, str, int], StoredTemplate] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        key = CAPACITY_KEY[kind]
        return sum(1 for t in self.templates.values() if CAPACITY_KEY[t.kind] == key)

    def of(self, pin: str) -> list[StoredTemplate]:
        return [t for k, t in sorted(self.templates.items()) if k[0] == pin]

    def room_for(self, kind: str, key: tuple[str, str, int]) -> bool:
        limit = self.capacity.get(CAPACITY_KEY[kind])
        return limit is None or key in self.templates or self.count(kind) < limit

    def put(self, template: StoredTemplate) -> int:
        """0, or the firmware's error code (-30 version, -1001 full)."""
        if template.major != self.versions.get(template.kind):
            return -30
        key = (template.pin, template.kind, template.index)
        if not self.room_for(template.kind, key):
            return -1001
        self.templates[key] = template
        return 0

    def delete(self, pin: str, kind: str | None = None, index: int | None = None) -> int:
        keys = [k for k in self.templates if k[0] == pin and (kind is None or k[1] == kind)
                and (index is None or k[2] == index)]
        for key in keys:
            del self.templates[key]
        return len(keys)


def upload_row(t: StoredTemplate, as_biodata: bool) -> tuple[str, str]:
    """(table, row) the terminal uploads for a template it enrolled."""
    tmp = base64.b64encode(t.data).decode("ascii")
    if t.kind == "fingerprint" and not as_biodata:
        return "OPERLOG", (f"FP PIN={t.pin}\tFID={t.index}\tSize={len(tmp)}\tValid={t.valid}"
                           f"\tTMP={tmp}")
    return "BIODATA", (f"BIODATA Pin={t.pin}\tNo={t.index}\tIndex=0\tValid={t.valid}\tDuress=0"
                       f"\tType={TYPE_OF_KIND[t.kind]}\tMajorVer={t.major}\tMinorVer=0"
                       f"\tFormat=0\tTmp={tmp}")


def _kv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split("\t"):
        key, sep, value = part.partition("=")
        if sep:
            out.setdefault(key.strip().lower(), value)
    return out


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def execute_biometric(memory: BioMemory, users: set[str], command: str) -> int | None:
    """The Return code of a biometric ``DATA`` command, or None when it is not one."""
    for prefix in ("DATA UPDATE FINGERTMP ", "DATA UPDATE BIODATA "):
        if command.startswith(prefix):
            values = _kv(command[len(prefix):])
            pin = values.get("pin", "")
            if pin not in users:
                return -10
            text = values.get("tmp", "")
            if "size" in values and _int(values["size"], -1) != len(text):
                return -9
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                return -11
            if not data:
                return -11
            if prefix == "DATA UPDATE FINGERTMP ":
                kind, index, major = "fingerprint", _int(values.get("fid")), \
                    memory.versions["fingerprint"]
            else:
                kind = KIND_OF_TYPE.get(_int(values.get("type"), -1), "")
                if not kind:
                    return -1004
                index, major = _int(values.get("no")), _int(values.get("majorver"), -1)
            return memory.put(StoredTemplate(pin, kind, index, data, major,
                                             _int(values.get("valid"), 1)))
    for prefix in ("DATA DELETE FINGERTMP ", "DATA DELETE BIODATA "):
        if command.startswith(prefix):
            values = _kv(command[len(prefix):])
            pin = values.get("pin", "")
            if pin not in users:
                return -10
            if prefix == "DATA DELETE FINGERTMP ":
                kind = "fingerprint"
                index = _int(values["fid"]) if "fid" in values else None
            else:
                kind = KIND_OF_TYPE.get(_int(values.get("type"), -1)) if "type" in values \
                    else None
                index = _int(values["no"]) if "no" in values else None
            memory.delete(pin, kind, index)
            return 0
    return None
