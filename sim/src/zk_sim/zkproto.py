"""The ZKTeco binary protocol as spoken over TCP port 4370 ("the pyzk protocol"), terminal side.

Pure functions and constants, no sockets. Written from what the pyzk 0.9 client sends and
expects (``zk/base.py``), not copied from it.

Framing (TCP)::

    top:     <HHI   0x5050, 0x7D82, length of what follows
    header:  <HHHH  command, checksum, session id, reply id
    payload: command specific

A terminal answers every request with the request's reply id and the session id it handed
out on ``CMD_CONNECT``. Large buffers (users, attendance, fingerprint templates) are read in
three steps: ``CMD_PREPARE_BUFFER`` (1503) makes the terminal snapshot a table and answer its
size, ``CMD_READ_BUFFER`` (1504, start/size) returns one slice as ``CMD_PREPARE_DATA`` (size)
+ ``CMD_DATA`` (bytes) + ``CMD_ACK_OK``, and ``CMD_FREE_DATA`` drops the snapshot. Templates
are the table ``FCT_FINGERTMP`` read with ``CMD_DB_RRQ`` (pyzk's ``get_templates``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

from .model import TerminalRecord, TerminalUser

MAGIC_1 = 0x5050
MAGIC_2 = 0x7D82
USHRT_MAX = 0xFFFF

CMD_DB_RRQ = 7
CMD_USER_WRQ = 8
CMD_USERTEMP_RRQ = 9
CMD_OPTIONS_RRQ = 11
CMD_OPTIONS_WRQ = 12
CMD_ATTLOG_RRQ = 13
CMD_CLEAR_DATA = 14
CMD_CLEAR_ATTLOG = 15
CMD_DELETE_USER = 18
CMD_DELETE_USERTEMP = 19
CMD_SAVE_USERTEMPS = 110
CMD_GET_FREE_SIZES = 50
CMD_GET_PINWIDTH = 69
CMD_GET_TIME = 201
CMD_SET_TIME = 202
CMD_REG_EVENT = 500
CMD_CONNECT = 1000
CMD_EXIT = 1001
CMD_ENABLEDEVICE = 1002
CMD_DISABLEDEVICE = 1003
CMD_RESTART = 1004
CMD_POWEROFF = 1005
CMD_REFRESHDATA = 1013
CMD_TESTVOICE = 1017
CMD_GET_VERSION = 1100
CMD_AUTH = 1102
CMD_PREPARE_DATA = 1500
CMD_DATA = 1501
CMD_FREE_DATA = 1502
CMD_PREPARE_BUFFER = 1503
CMD_READ_BUFFER = 1504

CMD_ACK_OK = 2000
CMD_ACK_ERROR = 2001
CMD_ACK_DATA = 2002
CMD_ACK_UNAUTH = 2005
CMD_ACK_UNKNOWN = 0xFFFF

FCT_FINGERTMP = 2
FCT_USER = 5

TOP_SIZE = 8
HEADER_SIZE = 8
USER_RECORD_SIZE = 72
ATT_RECORD_SIZE = 40
PIN_FIELD_SIZE = 24
NAME_FIELD_SIZE = 24
PASSWORD_FIELD_SIZE = 8
GROUP_FIELD_SIZE = 7

_TOP = struct.Struct("<HHI")
_HEADER = struct.Struct("<HHHH")
# uid, privilege, password, name, card, (pad), group, (pad), user id (PIN)
_USER72 = struct.Struct("<HB8s24sIB7sx24s")
# uid, PIN, verify, time, state, 4 reserved bytes, workcode (pyzk reads the last 8 as spare)
_ATT40 = struct.Struct("<H24sB4sB4sI")
# fingerprint template entry: entry size (this header included), uid, finger, valid flag
_TEMPLATE_HEAD = struct.Struct("<HHbb")
MAX_TEMPLATE_BYTES = 0xFFFF - _TEMPLATE_HEAD.size


@dataclass(frozen=True, slots=True)
class Packet:
    command: int
    checksum: int
    session_id: int
    reply_id: int
    payload: bytes


def checksum(data: bytes) -> int:
    """16-bit one's-complement style sum of little-endian words (zkemsdk ``CheckSum``)."""
    total = 0
    for i in range(0, len(data) - 1, 2):
        total += data[i] | (data[i + 1] << 8)
        if total > USHRT_MAX:
            total -= USHRT_MAX
    if len(data) % 2:
        total += data[-1]
    while total > USHRT_MAX:
        total -= USHRT_MAX
    total = ~total
    while total < 0:
        total += USHRT_MAX
    return total


def encode_packet(command: int, session_id: int, reply_id: int, payload: bytes = b"") -> bytes:
    """A complete TCP frame (top + header + payload) with a correct checksum."""
    unsigned = _HEADER.pack(command, 0, session_id, reply_id) + payload
    body = _HEADER.pack(command, checksum(unsigned), session_id, reply_id) + payload
    return _TOP.pack(MAGIC_1, MAGIC_2, len(body)) + body


def parse_top(top: bytes) -> int:
    """Length of the body that follows a valid top; ValueError for anything else."""
    if len(top) != TOP_SIZE:
        raise ValueError("short frame top")
    magic_1, magic_2, length = _TOP.unpack(top)
    if (magic_1, magic_2) != (MAGIC_1, MAGIC_2):
        raise ValueError(f"bad frame magic {magic_1:#06x} {magic_2:#06x}")
    if length < HEADER_SIZE:
        raise ValueError(f"frame body too short ({length} bytes)")
    return length


def parse_body(body: bytes) -> Packet:
    """Split a frame body into header fields and payload.

    The checksum is not verified: pyzk 0.9 computes it over the header *before* it increments
    the reply id it then sends, so a strict terminal would refuse every pyzk request.
    """
    command, check, session_id, reply_id = _HEADER.unpack_from(body)
    return Packet(command, check, session_id, reply_id, bytes(body[HEADER_SIZE:]))


def encode_time(moment: datetime) -> int:
    """zkemsdk ``EncodeTime``: seconds in a calendar of 31-day months from 2000-01-01."""
    if not 2000 <= moment.year <= 2099:
        raise ValueError(f"terminal clocks count 2000-2099, not {moment.year}")
    days = ((moment.year % 100) * 12 * 31) + ((moment.month - 1) * 31) + moment.day - 1
    return days * 86400 + (moment.hour * 60 + moment.minute) * 60 + moment.second


def decode_time(value: int) -> datetime:
    """Inverse of :func:`encode_time`."""
    second = value % 60
    value //= 60
    minute = value % 60
    value //= 60
    hour = value % 24
    value //= 24
    day = value % 31 + 1
    value //= 31
    month = value % 12 + 1
    value //= 12
    return datetime(value + 2000, month, day, hour, minute, second)


def bit_reverse32(value: int) -> int:
    return int(f"{value & 0xFFFFFFFF:032b}"[::-1], 2)


def commkey(password: int, session_id: int, ticks: int) -> bytes:
    """The 4 bytes a client sends in ``CMD_AUTH`` for ``password`` (zkemsdk ``MakeKey``)."""
    key = (bit_reverse32(password) + session_id) & 0xFFFFFFFF
    raw = bytearray(struct.pack("<I", key))
    for i, letter in enumerate(b"ZKSO"):
        raw[i] ^= letter
    raw = bytearray(raw[2:4] + raw[0:2])  # swap the two 16-bit halves
    tick = ticks & 0xFF
    return bytes((raw[0] ^ tick, raw[1] ^ tick, tick, raw[3] ^ tick))


def check_commkey(password: int, session_id: int, answer: bytes) -> bool:
    """True when ``answer`` is the key for ``password`` (the tick byte travels in byte 2)."""
    if len(answer) < 4:
        return False
    return commkey(password, session_id, answer[2]) == bytes(answer[:4])


def max_session_id(password: int, ceiling: int = 0x7FFF) -> int:
    """Largest session id for which ``MakeKey`` does not overflow 32 bits in the client.

    pyzk packs ``bit_reverse(password) + session_id`` as an unsigned 32-bit int and crashes
    with ``struct.error`` when the sum does not fit, so a terminal simulator stays below it.
    """
    return max(0, min(ceiling, 0xFFFFFFFF - bit_reverse32(password)))


def _fixed(text: str, size: int, what: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > size:
        raise ValueError(f"{what} {text!r} is longer than {size} bytes")
    return raw.ljust(size, b"\x00")


def pack_user(user: TerminalUser) -> bytes:
    """72-byte user record (firmware 8 / "zk8" layout) with the PIN as a string."""
    return _USER72.pack(
        user.uid,
        user.privilege,
        _fixed(user.password, PASSWORD_FIELD_SIZE, "password"),
        _fixed(user.name, NAME_FIELD_SIZE, "name"),
        user.card,
        1,
        _fixed(user.group_id, GROUP_FIELD_SIZE, "group id"),
        _fixed(user.pin, PIN_FIELD_SIZE, "PIN"),
    )


def unpack_user_write(payload: bytes) -> TerminalUser:
    """A ``CMD_USER_WRQ`` body in the 72-byte layout pyzk sends over TCP."""
    if len(payload) < USER_RECORD_SIZE:
        raise ValueError(f"user write of {len(payload)} bytes, expected {USER_RECORD_SIZE}")
    uid, privilege, password, name, card, _flag, group, pin = _USER72.unpack_from(payload)

    def text(raw: bytes) -> str:
        return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace")

    return TerminalUser(
        uid=uid,
        pin=text(pin),
        name=text(name),
        privilege=privilege,
        password=text(password),
        card=card,
        group_id=text(group),
    )


def pack_record(record: TerminalRecord, uid: int) -> bytes:
    """40-byte attendance record: the PIN is a 24-byte string, so leading zeros survive.

    Byte 26 is the verify type and byte 31 the state; pyzk reads them as ``Attendance.status``
    and ``Attendance.punch`` respectively (adms-protocol §5.2, last bullet).
    """
    return _ATT40.pack(
        uid & 0xFFFF,
        _fixed(record.pin, PIN_FIELD_SIZE, "PIN"),
        record.verify,
        struct.pack("<I", encode_time(record.local_time)),
        record.status,
        b"\x00" * 4,
        record.workcode,
    )


def pack_template(uid: int, finger: int, valid: int, template: bytes) -> bytes:
    """One entry of the fingerprint table (``FCT_FINGERTMP``, read with ``CMD_DB_RRQ``):
    ``<HHbb`` entry size, uid, finger 0-9, valid flag (1 normal, 3 duress), then the template."""
    if not 0 <= finger <= 9:
        raise ValueError(f"finger must be 0-9, not {finger!r}")
    if not template or len(template) > MAX_TEMPLATE_BYTES:
        raise ValueError(f"a template has 1-{MAX_TEMPLATE_BYTES} bytes, not {len(template)}")
    return _TEMPLATE_HEAD.pack(_TEMPLATE_HEAD.size + len(template), uid, finger, valid) + template


def table_buffer(records: list[bytes]) -> bytes:
    """A table as a terminal serves it from ``CMD_PREPARE_BUFFER``: total size, then records."""
    body = b"".join(records)
    return struct.pack("<I", len(body)) + body


def free_sizes(users: int, records: int, users_cap: int, records_cap: int,
               fingers: int = 0) -> bytes:
    """``CMD_GET_FREE_SIZES`` answer: 20 ints of counts and capacities, then 3 face ints.
    pyzk's ``get_templates`` reads nothing when ``fingers`` (field 6) is 0."""
    fields = [0] * 20
    fields[4] = users
    fields[6] = fingers  # fingerprint templates
    fields[8] = records
    fields[14] = 3000  # fingerprint capacity
    fields[15] = users_cap
    fields[16] = records_cap
    fields[17] = max(0, 3000 - fingers)
    fields[18] = max(0, users_cap - users)
    fields[19] = max(0, records_cap - records)
    return struct.pack("<20i", *fields) + struct.pack("<3i", 0, 0, 0)
