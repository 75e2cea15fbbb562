"""adms-protocol §5.1: one PIN (and time) rule for every table that carries a PIN.

ATTLOG always quarantined a PIN holding a NUL; OPERLOG stored ``USER PIN=\\x00\\xff`` as a user.
Now ATTLOG, rtlog, OPERLOG (USER, FP, FACE, ... and OPLOG objects), BIODATA and ATTPHOTO share
:func:`zk_relay.adms.pin_problem`: a bad row is quarantined with its raw bytes and the reason,
the good rows beside it are stored, and the terminal is answered OK only after both are on disk.
"""

from __future__ import annotations

import pytest
from relay_harness import Relay

from zk_relay import adms, adms_operlog

BAD_PINS = [
    (b"\x00\xff", "UTF-8 text"),
    (b"1\x002", "control character U+0000"),
    (b"12\x1b", "control character U+001B"),
    (b"7\x7f", "control character U+007F"),
    (b"\xc3(", "UTF-8 text"),
    (b"9" * 65, "PIN longer than 64"),
]


@pytest.mark.parametrize(("pin", "reason"), BAD_PINS)
@pytest.mark.parametrize("template", [
    b"USER PIN=%s\tName=Ana\tPri=0",
    b"FP PIN=%s\tFID=1\tSize=4\tValid=1\tTMP=AAAA",
    b"FACE PIN=%s\tFID=0\tValid=1\tSize=4\tTMP=AAAA",
    b"BIODATA Pin=%s\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tTmp=QUJD",
])
def test_s5_1_operlog_and_biodata_pin_rule(template: bytes, pin: bytes, reason: str) -> None:
    item = adms_operlog.parse_operlog_line(template % pin)
    assert isinstance(item, adms.BadLine), item
    assert reason in item.reason and item.raw == template % pin


@pytest.mark.parametrize(("pin", "reason"), BAD_PINS)
def test_s5_1_attlog_and_rtlog_share_the_rule(pin: bytes, reason: str) -> None:
    line = pin + b"\t2024-08-05 08:00:00\t0\t1"
    item = adms.parse_attlog_line("SN1", line)
    assert isinstance(item, adms.BadLine) and reason in item.reason
    punches, bad, _ = adms.parse_rtlog("SN1", b"time=2024-08-05 08:00:00\tpin=" + pin
                                       + b"\tverifytype=1\n")
    assert not punches and len(bad) == 1 and reason in bad[0].reason


@pytest.mark.parametrize(("obj", "reason"), [
    (b"\x00\xff", "UTF-8 text"),
    (b"12\x01", "OPLOG object contains the control character U+0001"),
])
def test_s5_1_oplog_objects_are_checked(obj: bytes, reason: str) -> None:
    item = adms_operlog.parse_operlog_line(
        b"OPLOG 9\t0\t2024-08-05 08:00:00\t" + obj + b"\t0\t0\t0")
    assert isinstance(item, adms.BadLine) and reason in item.reason
    operator = adms_operlog.parse_operlog_line(b"OPLOG 4\t\x02\t2024-08-05 08:00:00\t0\t0\t0\t0")
    assert isinstance(operator, adms.BadLine) and "operator" in operator.reason


@pytest.mark.parametrize(("name", "reason"), [
    (b"20240805080000-1\x012.jpg", "control character U+0001"),
    (b"20240805080000-\xff.jpg", "not valid UTF-8 text"),
    (b"20241305080000-12.jpg", "is not a valid date and time"),
])
def test_s5_1_attphoto_pin_and_time(name: bytes, reason: str) -> None:
    photo = adms.parse_attphoto(b"PIN=" + name + b"\nSN=X\nsize=2\nCMD=uploadphoto\x00ab")
    assert isinstance(photo, adms.BadLine) and reason in photo.reason


def _quarantine(relay: Relay, serial: str) -> list[tuple[str, str, bytes]]:
    conn = relay.db()
    try:
        return conn.execute("SELECT source, reason, raw FROM quarantine WHERE serial = ?"
                            " ORDER BY id", (serial,)).fetchall()
    finally:
        conn.close()


def test_s5_1_bad_rows_quarantined_good_rows_stored_device_answered_ok(relay: Relay) -> None:
    """Over HTTP, one serial: every table with a PIN gets one good and one bad row in the
    same POST. The reply is OK with the count of good rows; both kinds are on disk."""
    serial = "PINRULE1"
    relay.add_device(serial)
    operlog = (b"USER PIN=12\tName=Ana\tPri=0\n"
               b"USER PIN=\x00\xff\tName=Garbage\tPri=0\n"
               b"FP PIN=12\tFID=1\tSize=4\tValid=1\tTMP=AAAA\n"
               b"FP PIN=1\x03\tFID=1\tSize=4\tValid=1\tTMP=AAAA\n"
               b"FACE PIN=12\tFID=0\tValid=1\tSize=4\tTMP=AAAA\n"
               b"FACE PIN=\xfe\tFID=0\tValid=1\tSize=4\tTMP=AAAA\n"
               b"OPLOG 9\t0\t2024-08-05 08:00:00\t12\t0\t0\t0\n"
               b"OPLOG 9\t0\t2024-08-05 08:01:00\t1\x002\t0\t0\t0\n")
    reply = relay.post(f"/iclock/cdata?SN={serial}&table=OPERLOG&Stamp=1", operlog)
    assert reply.acknowledged and reply.text == "OK: 4"
    biodata = (b"BIODATA Pin=12\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tTmp=QUJD\n"
               b"BIODATA Pin=\x1b[2J\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tTmp=QUJD\n")
    reply = relay.post(f"/iclock/cdata?SN={serial}&table=BIODATA&Stamp=1", biodata)
    assert reply.acknowledged and reply.text == "OK: 1"
    attlog = b"12\t2024-08-05 08:00:00\t0\t1\n1\x012\t2024-08-05 08:00:00\t0\t1\n"
    reply = relay.attlog(serial, attlog)
    assert reply.acknowledged and reply.text == "OK: 1"
    photo = b"PIN=20240805080000-1\x022.jpg\nSN=%s\nsize=2\nCMD=uploadphoto\x00ab" % (
        serial.encode())
    assert relay.post(f"/iclock/cdata?SN={serial}&table=ATTPHOTO", photo).acknowledged
    good_photo = b"PIN=20240805080000-12.jpg\nSN=%s\nsize=2\nCMD=uploadphoto\x00ab" % (
        serial.encode())
    assert relay.post(f"/iclock/cdata?SN={serial}&table=ATTPHOTO", good_photo).acknowledged

    conn = relay.db()
    try:
        assert conn.execute("SELECT pin, name FROM users WHERE serial = ?", (serial,)
                            ).fetchall() == [("12", "Ana")]
        # this relay has no biometric key (issue 19): good template rows are counted in the
        # answer but not kept; each is audited as dropped (the photo too)
        assert conn.execute("SELECT kind, pin FROM biodata WHERE serial = ? ORDER BY id",
                            (serial,)).fetchall() == []
        assert conn.execute("SELECT action, pin FROM bio_audit WHERE serial = ? ORDER BY id",
                            (serial,)).fetchall() == [("dropped", "12")] * 4
        assert conn.execute("SELECT obj1 FROM oplog WHERE serial = ?", (serial,)
                            ).fetchall() == [("12",)]
        assert conn.execute("SELECT pin FROM photos WHERE serial = ?", (serial,)
                            ).fetchall() == []
        assert conn.execute("SELECT quarantined FROM devices WHERE serial = ?", (serial,)
                            ).fetchone() == (7,)
    finally:
        conn.close()
    assert [e[2] for e in relay.events(serial)] == ["12"]
    quarantined = _quarantine(relay, serial)
    assert [(source, reason) for source, reason, _ in quarantined] == [
        ("OPERLOG", "PIN is not valid UTF-8 text"),
        ("OPERLOG", "PIN contains the control character U+0003"),
        ("OPERLOG", "PIN is not valid UTF-8 text"),
        ("OPERLOG", "OPLOG object contains the control character U+0000"),
        ("BIODATA", "PIN contains the control character U+001B"),
        ("ATTLOG", "PIN contains the control character U+0001"),
        ("ATTPHOTO", "ATTPHOTO file name contains the control character U+0002"),
    ]
    assert quarantined[0][2] == b"USER PIN=\x00\xff\tName=Garbage\tPri=0"
    # a refused template row keeps no template bytes (issue 19)
    assert quarantined[1][2] == b"FP PIN=1\x03\tFID=1\tSize=4\tValid=1\tTMP=<redacted 4 bytes>"
