"""ADMS / iClock push protocol: plain parsing and formatting, no I/O.

Every function takes bytes or text and returns plain data, so it can be unit-tested without a
server. Section numbers refer to shared/docs/adms-protocol.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256
from urllib.parse import unquote

from zk_rules.fingerprint import normalise_local_time, punch_fingerprint

SERIAL_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
STAMP_RE = re.compile(r"[A-Za-z0-9]{1,24}")
_CANONICAL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
MAX_PIN_LENGTH = 64
REFUSAL_UNKNOWN = "UNKNOWN DEVICE"


def valid_serial(serial: str | None) -> bool:
    return bool(serial) and SERIAL_RE.fullmatch(serial) is not None  # type: ignore[arg-type]


def clean_stamp(value: str | None) -> str | None:
    """A stamp from a URL, kept only if it is a short token (it is echoed in the option block)."""
    if value is None:
        return None
    value = value.strip()
    return value if STAMP_RE.fullmatch(value) else None


def parse_local_time(text: str) -> str | None:
    """Canonical ``YYYY-MM-DD HH:MM:SS`` or None when the text is not a valid date and time."""
    text = text.strip()
    if _CANONICAL_TIME.fullmatch(text):
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return None
        return text
    try:
        return normalise_local_time(text)
    except ValueError:
        return None


# --------------------------------------------------------------------------- PINs (§5.1)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def pin_problem(pin: str) -> str | None:
    """The one PIN rule for every table that carries a PIN (§5.1: ATTLOG, rtlog, OPERLOG
    USER/FP/FACE/... and OPLOG objects, BIODATA, ATTPHOTO): why ``pin`` makes its row
    malformed, or None. Empty, longer than :data:`MAX_PIN_LENGTH`, or holding a control
    character (U+0000-U+001F, U+007F). Undecodable bytes are refused before, by
    :func:`strict_text`."""
    if not pin:
        return "empty PIN"
    if len(pin) > MAX_PIN_LENGTH:
        return f"PIN longer than {MAX_PIN_LENGTH} characters"
    return text_problem(pin, "PIN")


def text_problem(value: str, what: str) -> str | None:
    """Why a decoded field that names a person or a time is unusable (a control character)."""
    bad = _CONTROL.search(value)
    if bad is not None:
        return f"{what} contains the control character U+{ord(bad.group()):04X}"
    return None


def strict_text(raw: bytes) -> str | None:
    """A field's bytes as text (UTF-8, strictly), or None when they are not valid text."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return None


# --------------------------------------------------------------------------- ATTLOG (§5.1)


@dataclass(slots=True)
class Punch:
    pin: str
    local_time: str
    status: int | None
    verify: int | None
    workcode: str
    raw: str
    fingerprint: str


@dataclass(slots=True)
class BadLine:
    raw: bytes
    reason: str


_ASCII_SPACE = " \t\n\r\x0b\x0c"


def split_lines(body: bytes) -> list[bytes]:
    """Records separated by LF, CR stripped, blank lines skipped (§2.1)."""
    out = []
    for line in body.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if line.strip():
            out.append(line)
    return out


def fingerprint(serial: str, pin: str, local_time: str) -> str:
    """The punch fingerprint (architecture.md), identical to ``zk_rules.fingerprint``.

    ``local_time`` here is already canonical (checked by :func:`parse_local_time`), so the
    rule reduces to one SHA-256 over ``serial U+001F pin U+001F local_time``; the tests prove
    equality with :func:`zk_rules.fingerprint.punch_fingerprint` on generated inputs. Anything
    not canonical goes through ``punch_fingerprint`` itself.
    """
    if pin and serial and len(local_time) == 19 and _CANONICAL_TIME.fullmatch(local_time):
        return sha256(f"{serial}\x1f{pin}\x1f{local_time}".encode()).hexdigest()
    return punch_fingerprint(serial, pin, local_time)


def _parse_attlog_text(serial: str, text: str) -> Punch | str:
    """One decoded ATTLOG record, or the reason it is refused."""
    if "\t" in text:
        fields = text.split("\t")
    else:
        tokens = text.split()
        if len(tokens) < 3:
            return "too few fields (expected PIN, date and time)"
        fields = [tokens[0], tokens[1] + " " + tokens[2], *tokens[3:]]
    pin = fields[0].strip()
    problem = pin_problem(pin)
    if problem is not None:
        return problem
    if "\x00" in text:
        return "contains NUL bytes"
    if len(fields) < 2:
        return "no time field"
    local_time = parse_local_time(fields[1])
    if local_time is None:
        return f"time {fields[1].strip()[:40]!r} is not YYYY-MM-DD HH:MM:SS"
    n = len(fields)
    status = _int_or_none(fields[2]) if n > 2 else None
    verify = _int_or_none(fields[3]) if n > 3 else None
    workcode = fields[4].strip() if n > 4 else ""
    return Punch(pin, local_time, status, verify, workcode, text.rstrip("\t"),
                 sha256(f"{serial}\x1f{pin}\x1f{local_time}".encode()).hexdigest())


def parse_attlog_line(serial: str, line: bytes) -> Punch | BadLine:
    """One ATTLOG record: TAB fields; whitespace fallback when no TAB (§5.1, §10)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return BadLine(line, "not UTF-8 text")
    item = _parse_attlog_text(serial, text)
    return BadLine(line, item) if type(item) is str else item  # type: ignore[return-value]


def parse_attlog(serial: str, body: bytes) -> tuple[list[Punch], list[BadLine]]:
    """A whole ATTLOG body: good records and quarantined lines (with their raw bytes)."""
    punches: list[Punch] = []
    bad: list[BadLine] = []
    try:
        lines = body.decode("utf-8").split("\n")
    except UnicodeDecodeError:  # decode line by line so one bad line spoils nothing else
        for raw in split_lines(body):
            item = parse_attlog_line(serial, raw)
            if type(item) is Punch:
                punches.append(item)
            else:
                bad.append(item)  # type: ignore[arg-type]
        return punches, bad
    for text in lines:
        if text.endswith("\r"):
            text = text[:-1]
        # Blank means ASCII whitespace only, as in split_lines (bytes.strip): a line of other
        # Unicode whitespace is quarantined, never dropped silently (architecture.md).
        if not text.strip(_ASCII_SPACE):
            continue
        item = _parse_attlog_text(serial, text)
        if type(item) is str:
            bad.append(BadLine(text.encode("utf-8"), item))
        else:
            punches.append(item)  # type: ignore[arg-type]
    return punches, bad


def parse_rtlog(serial: str, body: bytes) -> tuple[list[Punch], list[BadLine], int]:
    """PUSH 3.x ``table=rtlog`` lines ``time=..\\tpin=..\\t...`` (§4.10).

    Lines with a user PIN become punches; door events without a user (pin empty or 0) are not
    punches (they stay in the raw post). Returns (punches, bad lines, other events).
    """
    punches: list[Punch] = []
    bad: list[BadLine] = []
    other = 0
    for line in split_lines(body):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(BadLine(line, "not UTF-8 text"))
            continue
        values = kv_fields(text.split("\t"))
        pin = values.get("pin", "").strip()
        if not pin or pin == "0":
            other += 1
            continue
        local_time = parse_local_time(values.get("time", ""))
        if local_time is None:
            bad.append(BadLine(line, "rtlog time is not YYYY-MM-DD HH:MM:SS"))
            continue
        problem = pin_problem(pin)
        if problem is not None:
            bad.append(BadLine(line, problem))
            continue
        punches.append(Punch(pin, local_time, _int_or_none(values.get("inoutstatus", "")),
                             _int_or_none(values.get("verifytype", "")), "", text,
                             fingerprint(serial, pin, local_time)))
    return punches, bad, other


def kv_fields(parts: list[str]) -> dict[str, str]:
    """``Key=Value`` fields; keys lower-cased (firmware mixes ``PIN=`` and ``Pin=``)."""
    out: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if sep:
            out.setdefault(key.strip().lower(), value)
    return out


# --------------------------------------------------------------------------- ATTPHOTO (§4.4)


@dataclass(slots=True)
class Photo:
    filename: str
    pin: str
    local_time: str | None
    size: int | None
    header: str
    data: bytes


_PHOTO_NAME = re.compile(r"(\d{14})(?:-(.+?))?\.jpg", re.IGNORECASE)


def parse_attphoto(body: bytes) -> Photo | BadLine:
    """``PIN=<name>\\nSN=..\\nsize=..\\nCMD=uploadphoto\\0<JPEG>`` (§4.4)."""
    header_raw, sep, data = body.partition(b"\x00")
    if not sep:
        return BadLine(body[:4096], "ATTPHOTO body without NUL separator")
    header = strict_text(header_raw)
    if header is None:
        return BadLine(body[:4096], "ATTPHOTO header is not valid UTF-8 text")
    values = kv_fields(header.replace("\r", "").split("\n"))
    filename = values.get("pin", "").strip()
    if not filename:
        return BadLine(body[:4096], "ATTPHOTO header without PIN=<file name>")
    problem = text_problem(filename, "ATTPHOTO file name")
    if problem is not None:
        return BadLine(body[:4096], problem)
    size = _int_or_none(values.get("size", ""))
    pin = ""
    local_time = None
    match = _PHOTO_NAME.fullmatch(filename)
    if match:  # §4.4 <YYYYMMDDhhmmss>[-<PIN>].jpg: its time and PIN checked as ATTLOG's
        stamp = match.group(1)
        local_time = parse_local_time(
            f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}"
        )
        if local_time is None:
            return BadLine(body[:4096], f"ATTPHOTO time {stamp!r} is not a valid date and time")
        pin = match.group(2) or ""
        problem = pin_problem(pin) if pin else None
        if problem is not None:
            return BadLine(body[:4096], problem)
    return Photo(filename[:200], pin, local_time, size, header, data)


# --------------------------------------------------------------------------- options, INFO


def parse_options_body(body: bytes) -> dict[str, str]:
    """``table=options``: ``key=value,key=value`` (leading ``~`` = read-only) (§4.5)."""
    text = body.decode("utf-8", "replace")
    out: dict[str, str] = {}
    for part in re.split(r"[,\n]", text):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            out[key.strip()[:64]] = value.strip()[:512]
    return out


INFO_KEYS = ("firmware", "users", "fingerprints", "attlogs", "ip", "fp_algorithm",
             "face_algorithm", "faces_needed", "faces", "function_flags", "cards",
             "user_photos", "att_photos")


def parse_info(value: str) -> dict[str, str | int]:
    """getrequest ``INFO=`` (§4.6): firmware, counts, IP, algorithms, flags."""
    parts = unquote(value).split(",")
    info: dict[str, str | int] = {}
    for key, part in zip(INFO_KEYS, parts, strict=False):
        part = part.strip()[:128]
        digits = part.lstrip("-")
        # ASCII digits only: str.isdigit() also accepts '²' and other digits int() refuses.
        if key not in {"firmware", "ip", "function_flags"} and digits.isascii() \
                and digits.isdigit():
            info[key] = int(part)
        else:
            info[key] = part
    return info


# --------------------------------------------------------------------------- devicecmd (§4.8)


@dataclass(slots=True)
class CommandResult:
    cmd_id: str
    return_code: int | None
    cmd: str
    fields: dict[str, str]
    raw: bytes


def parse_command_results(body: bytes) -> list[CommandResult]:
    """Results: ``ID=..&Return=..&CMD=..`` lines, a result may span several lines (INFO,
    Shell, GetFile: ``ID=..\\nSN=..\\nReturn=..``) until the next line starting with ``ID=``."""
    blocks: list[list[bytes]] = []
    for line in body.split(b"\n"):
        if line.startswith(b"ID=") or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    results = []
    for block in blocks:
        raw = b"\n".join(block).strip(b"\r\n")
        if not raw.strip():
            continue
        values: dict[str, str] = {}
        for i, line in enumerate(block):
            text = line.rstrip(b"\r").decode("utf-8", "replace")
            if i == 0 or text.startswith(("SN=", "Return=", "CMD=")):
                for part in text.split("&"):
                    key, sep, value = part.partition("=")
                    if sep:
                        values.setdefault(key.strip(), value.strip())
            else:
                key, sep, value = text.partition("=")
                if sep and key and " " not in key and len(key) < 64:
                    values.setdefault(key, value[:1024])
        results.append(CommandResult(values.get("ID", "")[:32], _int_or_none(values.get(
            "Return", "")), values.get("CMD", "")[:64], values, raw))
    return results
