"""ADMS OPERLOG uploads (§4.3, §5.3): operation log, users, biometric rows. Plain parsing, no
I/O (shared/docs/adms-protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from zk_relay.adms import (
    BadLine,
    _int_or_none,
    parse_local_time,
    pin_problem,
    split_lines,
    strict_text,
    text_problem,
)

# --------------------------------------------------------------------------- OPERLOG (§4.3, §5.3)


@dataclass(slots=True)
class OplogRow:
    op_type: int | None
    operator: str
    local_time: str
    objects: list[str]
    raw: bytes


@dataclass(slots=True)
class UserRow:
    pin: str
    name: str
    name_raw: bytes
    name_encoding: str
    privilege: int | None
    card: str
    group: str
    verify: int | None
    raw: bytes


@dataclass(slots=True)
class BioRow:
    kind: str
    pin: str
    raw: bytes


@dataclass(slots=True)
class Operlog:
    oplogs: list[OplogRow] = field(default_factory=list)
    users: list[UserRow] = field(default_factory=list)
    bio: list[BioRow] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return len(self.oplogs) + len(self.users) + len(self.bio)


BIO_KINDS = frozenset(
    {"FP", "FACE", "FVEIN", "BIODATA", "USERPIC", "BIOPHOTO", "WORKCODE", "IDCARD", "ERRORLOG"}
)


def decode_name(raw: bytes) -> tuple[str, str]:
    """User names: strict UTF-8, then GB18030, always keeping the raw bytes (§5.5)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _kv_bytes(parts: list[bytes]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for part in parts:
        key, sep, value = part.partition(b"=")
        if sep:
            out.setdefault(key.strip().decode("ascii", "replace").lower(), value)
    return out


def _ascii(value: bytes) -> str:
    return value.decode("utf-8", "replace").strip()


# rows that name a person: their PIN is required and checked like ATTLOG's (§5.1)
PIN_KINDS = frozenset({"FP", "FACE", "FVEIN", "BIODATA", "USERPIC", "BIOPHOTO"})


class BadReason(str):
    """A reason a row is malformed (a distinct type, so a reason is never taken for data)."""


def _field(values: dict[str, bytes], key: str, what: str) -> str | BadReason:
    """A ``Key=Value`` field as stripped text, or why it is unusable (§5.1)."""
    text = strict_text(values.get(key, b""))
    if text is None:
        return BadReason(f"{what} is not valid UTF-8 text")
    return text.strip()


def _checked_pin(values: dict[str, bytes], kind: str) -> str | BadReason:
    pin = _field(values, "pin", "PIN")
    if isinstance(pin, BadReason):
        return pin
    if not pin:
        return BadReason(f"{kind} row without PIN")
    problem = pin_problem(pin)
    return BadReason(problem) if problem is not None else pin


def parse_operlog_line(line: bytes) -> OplogRow | UserRow | BioRow | BadLine:
    """One OPERLOG / BIODATA row. Every PIN it carries (USER, FP, FACE, ... and the OPLOG
    operator and objects, which are PINs for most operations, §5.4) and its time pass the
    same checks as an ATTLOG line's (§5.1): a row failing them is a :class:`BadLine`."""
    head, sep, rest = line.partition(b" ")
    kind = head.strip().upper().decode("ascii", "replace")
    if not sep and kind not in BIO_KINDS:
        return BadLine(line, "no row kind (expected e.g. 'OPLOG ', 'USER ')")
    if kind == "OPLOG":
        parts = rest.split(b"\t")
        if len(parts) < 3:
            return BadLine(line, "OPLOG row with fewer than 3 fields")
        texts = [strict_text(p) for p in parts[:7]]
        if any(t is None for t in texts):
            return BadLine(line, "OPLOG row is not valid UTF-8 text")
        fields = [t.strip() for t in texts if t is not None]
        local_time = parse_local_time(fields[2])
        if local_time is None:
            return BadLine(line, "OPLOG time is not YYYY-MM-DD HH:MM:SS")
        for what, value in (("operator", fields[1]), *(("object", v) for v in fields[3:])):
            problem = text_problem(value, f"OPLOG {what}")
            if problem is not None:
                return BadLine(line, problem)
        return OplogRow(_int_or_none(fields[0]), fields[1], local_time, fields[3:7], line)
    if kind == "USER":
        values = _kv_bytes(rest.split(b"\t"))
        pin = _checked_pin(values, "USER")
        if isinstance(pin, BadReason):
            return BadLine(line, str(pin))
        name_raw = values.get("name", b"")
        name, encoding = decode_name(name_raw)
        return UserRow(pin, name, name_raw, encoding, _int_or_none(_ascii(values.get("pri", b""))),
                       _ascii(values.get("card", b"")), _ascii(values.get("grp", b"")),
                       _int_or_none(_ascii(values.get("verify", b""))), line)
    if kind in BIO_KINDS:
        values = _kv_bytes(rest.split(b"\t"))
        if kind in PIN_KINDS:
            pin = _checked_pin(values, kind)
            if isinstance(pin, BadReason):
                return BadLine(line, str(pin))
            return BioRow(kind, pin, line)
        return BioRow(kind, _ascii(values.get("pin", b"")), line)
    return BadLine(line, f"unknown OPERLOG row kind {kind[:20]!r}")


def parse_operlog(body: bytes) -> Operlog:
    result = Operlog()
    for line in split_lines(body):
        item = parse_operlog_line(line)
        if isinstance(item, OplogRow):
            result.oplogs.append(item)
        elif isinstance(item, UserRow):
            result.users.append(item)
        elif isinstance(item, BioRow):
            result.bio.append(item)
        else:
            result.bad.append(item)
    return result
