"""zk_sim.zkproto against the reference client's own encoders (pyzk 0.9)."""

from __future__ import annotations

import struct
from datetime import date, datetime

import pytest
from zk import ZK
from zk.base import make_commkey

from zk_sim import TerminalRecord, TerminalUser
from zk_sim import zkproto as zp
from zk_sim.generate import generate_records, generate_users

PYZK = ZK("127.0.0.1", port=1, ommit_ping=True)


@pytest.mark.parametrize("password", [0, 1, 1234, 123456, 999999, 0x5A5A5A5A])
@pytest.mark.parametrize("session_id", [1, 0x1234, 0x7FFF])
@pytest.mark.parametrize("ticks", [0, 50, 255])
def test_commkey_is_what_pyzk_sends(password, session_id, ticks):
    expected = make_commkey(password, session_id, ticks)
    assert zp.commkey(password, session_id, ticks) == expected
    assert zp.check_commkey(password, session_id, expected)
    assert not zp.check_commkey(password + 1, session_id, expected)


def test_session_ids_stay_below_the_clients_32_bit_overflow():
    password = 0x3FFFF  # bit-reversed: the top 18 bits set
    limit = zp.max_session_id(password)
    assert 0 < limit < 0x7FFF
    make_commkey(password, limit)  # does not overflow
    with pytest.raises(struct.error):
        make_commkey(password, limit + 1)


@pytest.mark.parametrize(
    "moment",
    [datetime(2000, 1, 1), datetime(2025, 3, 30, 2, 30, 1), datetime(2099, 12, 31, 23, 59, 59)],
)
def test_time_encoding_matches_pyzk_both_ways(moment):
    encoded = zp.encode_time(moment)
    assert encoded == PYZK._ZK__encode_time(moment)
    assert PYZK._ZK__decode_time(struct.pack("<I", encoded)) == moment
    assert zp.decode_time(encoded) == moment


def test_time_outside_the_terminal_calendar_is_refused():
    with pytest.raises(ValueError):
        zp.encode_time(datetime(1999, 12, 31, 23, 59, 59))


def test_checksum_of_a_frame_matches_the_reference_formula():
    payload = b"~SerialNumber\x00"
    frame = zp.encode_packet(zp.CMD_OPTIONS_RRQ, 0x2A, 7, payload)
    body = frame[zp.TOP_SIZE:]
    unsigned = body[:2] + b"\x00\x00" + body[4:]
    reference = struct.unpack("<H", PYZK._ZK__create_checksum(bytearray(unsigned)))[0]
    assert struct.unpack_from("<H", body, 2)[0] == reference == zp.checksum(unsigned)
    assert zp.parse_top(frame[: zp.TOP_SIZE]) == len(body)
    packet = zp.parse_body(body)
    assert (packet.command, packet.session_id, packet.reply_id, packet.payload) == (
        zp.CMD_OPTIONS_RRQ, 0x2A, 7, payload
    )


def test_bad_frame_tops_are_refused():
    with pytest.raises(ValueError, match="magic"):
        zp.parse_top(b"GET / HT")
    with pytest.raises(ValueError, match="short"):
        zp.parse_top(struct.pack("<HHI", zp.MAGIC_1, zp.MAGIC_2, 3))


def test_user_record_round_trip_through_the_write_layout():
    user = TerminalUser(uid=300, pin="000300", name="Émile", privilege=14, password="4711",
                        card=123456789, group_id="1")
    packed = zp.pack_user(user)
    assert len(packed) == zp.USER_RECORD_SIZE
    assert zp.unpack_user_write(packed) == user


def test_attendance_record_layout_is_40_bytes_with_pin_string_and_workcode():
    record = TerminalRecord(pin="007", local_time=datetime(2025, 3, 3, 8, 0, 1), status=4,
                            verify=15, workcode=12)
    packed = zp.pack_record(record, uid=9)
    assert len(packed) == zp.ATT_RECORD_SIZE
    uid, pin, verify, when, state, _reserved, workcode = struct.unpack("<H24sB4sB4sI", packed)
    assert (uid, pin.rstrip(b"\x00"), verify, state, workcode) == (9, b"007", 15, 4, 12)
    assert zp.decode_time(struct.unpack("<I", when)[0]) == record.local_time


@pytest.mark.parametrize(
    "fields",
    [
        {"pin": ""},
        {"pin": "1\x002"},
        {"local_time": datetime(2025, 1, 1, 8, 0, 0, 5)},
        {"status": 256},
        {"verify": -1},
        {"workcode": -1},
    ],
)
def test_records_a_terminal_cannot_hold_are_refused(fields):
    base = {"pin": "1", "local_time": datetime(2025, 1, 1, 8, 0, 0)}
    with pytest.raises(ValueError):
        TerminalRecord(**{**base, **fields})


def test_generated_data_is_deterministic_and_skips_weekends():
    users = generate_users(12, seed=7)
    assert users == generate_users(12, seed=7)
    assert [u.pin for u in users[:3]] == ["0001", "0002", "0003"]
    records = generate_records(users, 14, last_day=date(2025, 3, 9), seed=7)
    assert records == generate_records(users, 14, last_day=date(2025, 3, 9), seed=7)
    days = {r.local_time.date() for r in records}
    assert days and all(day.weekday() < 5 for day in days)
    assert min(days) >= date(2025, 2, 24) and max(days) <= date(2025, 3, 7)
    assert records == sorted(records, key=lambda r: (r.local_time, r.pin))
    assert {r.status for r in records} == {0, 1, 2, 3}
