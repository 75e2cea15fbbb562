"""The device side over real HTTP against a running ``zk-relay serve``: every §4 endpoint an
attendance terminal uses and every §9 firmware quirk (shared/docs/adms-protocol.md)."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import socket
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from relay_harness import Relay, parse_reply, terminal_request

pytestmark = pytest.mark.slow


def options(reply_text: str) -> dict[str, str]:
    lines = reply_text.split("\n")
    out = {}
    for line in lines[1:]:
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def device_row(relay: Relay, serial: str) -> dict[str, object]:
    conn = relay.db()
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM devices WHERE serial = ?", (serial,)).fetchone()
        return dict(row)
    finally:
        conn.close()


# ----------------------------------------------------------------------------- §0, §8, §11


def test_s4_1_handshake_option_block(relay: Relay) -> None:
    """§4.1/§11: option block, text/plain, both stamp spellings, ServerVer, per-device zone."""
    relay.add_device("HS0001", "Asia/Manila")
    reply = relay.handshake("HS0001")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/plain"
    assert reply.text.startswith("GET OPTION FROM: HS0001\n")
    opts = options(reply.text)
    for key in ("ATTLOGStamp", "OPERLOGStamp", "ATTPHOTOStamp", "Stamp", "OpStamp",
                "PhotoStamp"):
        assert opts[key] == "None"
    assert opts["ServerVer"] == "2.4.1"
    assert opts["PushProtVer"] == "2.4.1"
    assert opts["TimeZone"] == "8"
    assert opts["Realtime"] == "1"
    assert opts["Encrypt"] == "None"
    assert opts["Delay"] == "10" and opts["ErrorDelay"] == "30"
    assert opts["TransInterval"] == "1" and opts["TransTimes"] == "00:00;14:05"


def test_s8_unknown_serial_is_pending_and_never_acknowledged(relay: Relay) -> None:
    """§8: an unknown SN gets 403 UNKNOWN DEVICE on every endpoint and is listed as pending;
    registering it approves it."""
    for reply in (relay.handshake("NEW0001"),
                  relay.attlog("NEW0001", b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n"),
                  relay.get("/iclock/getrequest?SN=NEW0001")):
        assert reply.status == 403
        assert reply.text.startswith("UNKNOWN DEVICE")
        assert not reply.acknowledged
    pending = relay.cli("pending", "--json").stdout.splitlines()
    found = [json.loads(line) for line in pending if json.loads(line)["serial"] == "NEW0001"]
    assert found and found[0]["knocks"] == 3 and found[0]["remote_addr"] == "127.0.0.1"
    assert relay.events("NEW0001") == []
    relay.add_device("NEW0001", "Europe/Paris")
    assert relay.handshake("NEW0001").status == 200
    assert all(json.loads(line)["serial"] != "NEW0001"
               for line in relay.cli("pending", "--json").stdout.splitlines())


def test_s11_disabled_device_is_refused(relay: Relay) -> None:
    relay.add_device("DIS0001")
    relay.cli("device", "update", "DIS0001", "--disable")
    reply = relay.attlog("DIS0001", b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n")
    assert reply.status == 403 and not reply.acknowledged
    relay.cli("device", "update", "DIS0001", "--enable")
    assert relay.attlog("DIS0001", b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n").acknowledged


def test_s8_pushcommkey_checked_at_handshake(relay: Relay) -> None:
    relay.add_device("KEY0001", "Asia/Manila", "--pushcommkey", "s3cret")
    assert relay.handshake("KEY0001", "&pushcommkey=wrong").status == 403
    assert relay.handshake("KEY0001").status == 403
    assert relay.handshake("KEY0001", "&pushcommkey=s3cret").status == 200


def test_s2_2_missing_serial_is_refused(relay: Relay) -> None:
    reply = relay.post("/iclock/cdata?table=ATTLOG", b"1\t2024-08-05 08:00:00\t0\t1\n")
    assert reply.status == 400 and not reply.acknowledged


# ----------------------------------------------------------------------------- ATTLOG §4.2


def test_s4_2_attlog_stored_with_device_zone_and_pin_as_string(relay: Relay) -> None:
    """§0.5/§5.1: local time stored as sent with the device's zone; PIN keeps leading zeros."""
    relay.add_device("AT0001", "America/New_York")
    reply = relay.attlog("AT0001", b"007\t2024-03-10 02:30:00\t1\t15\t0\t0\t0\n")
    assert reply.acknowledged
    [(_, serial, pin, local_time, zone, status, verify, workcode, _, fp)] = relay.events("AT0001")
    assert (serial, pin, local_time, zone, status, verify, workcode) == (
        "AT0001", "007", "2024-03-10 02:30:00", "America/New_York", 1, 15, "0")
    from zk_rules.fingerprint import punch_fingerprint

    assert fp == punch_fingerprint("AT0001", "007", "2024-03-10 02:30:00")


def test_s6_4_duplicates_answered_ok_and_stored_once_per_record(relay: Relay) -> None:
    """§6.4: resends arrive cut into different batches; de-duplicate per record, answer OK."""
    relay.add_device("DUP0001")
    lines = [f"{i}\t2024-08-05 08:0{i}:00\t0\t1\t0\t0\t0\n".encode() for i in range(6)]
    assert relay.attlog("DUP0001", b"".join(lines[:4])).text == "OK: 4"
    reply = relay.attlog("DUP0001", b"".join(lines[2:]))  # 2 old + 2 new
    assert reply.acknowledged and reply.text == "OK: 4"
    assert relay.attlog("DUP0001", b"".join(lines)).acknowledged
    events = relay.events("DUP0001")
    assert [e[2] for e in events] == ["0", "1", "2", "3", "4", "5"]
    status = json.loads(relay.cli("status", "--json").stdout)
    [dev] = [d for d in status["devices"] if d["serial"] == "DUP0001"]
    assert dev["events"] == 6 and dev["duplicates"] == 8


def test_s11_malformed_lines_quarantined_good_lines_acknowledged(relay: Relay) -> None:
    """§0.2/§11: good lines stored and acknowledged, bad ones kept with raw bytes + reason."""
    relay.add_device("BAD0001")
    body = (b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n"
            b"\t2024-08-05 08:01:00\t0\t1\n"           # empty PIN
            b"2\t2024-13-45 08:00:00\t0\t1\n"          # impossible date
            b"3\t2024-08-05 08:02:00\t0\t1\t0\t0\t0\n"
            b"\xff\xfe\x00garbage\n")                  # not text
    reply = relay.attlog("BAD0001", body)
    assert reply.acknowledged and reply.text == "OK: 2"
    assert [e[2] for e in relay.events("BAD0001")] == ["1", "3"]
    rows = [json.loads(line) for line in
            relay.cli("quarantine", "--serial", "BAD0001", "--json").stdout.splitlines()]
    reasons = {r["reason"] for r in rows}
    assert len(rows) == 3
    assert "empty PIN" in reasons and "not UTF-8 text" in reasons
    assert any("not YYYY-MM-DD HH:MM:SS" in r for r in reasons)
    assert any(bytes.fromhex(r["raw_hex"]) == b"\xff\xfe\x00garbage" for r in rows)


def test_s11_binary_body_does_not_crash_the_relay(relay: Relay) -> None:
    relay.add_device("BIN0001")
    garbage = bytes(range(256)) * 40
    for table in ("ATTLOG", "OPERLOG", "ATTPHOTO", "options", "BIODATA"):
        reply = relay.post(f"/iclock/cdata?SN=BIN0001&table={table}&Stamp=1", garbage)
        assert reply.status == 200, table
    assert relay.post("/iclock/devicecmd?SN=BIN0001", garbage).status == 200
    assert relay.handshake("BIN0001").status == 200  # still serving


def test_s11_oversized_body_is_refused_never_ok(relay_factory) -> None:
    """§11: a body over max_body_bytes gets 413 with a clear message and no OK."""
    relay = relay_factory(ZK_RELAY_MAX_BODY_BYTES="4096")
    relay.cli("device", "add", "BIG0001", "--tz", "UTC")
    relay.start()
    body = b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n" * 200
    reply = relay.attlog("BIG0001", body)
    assert reply.status == 413 and b"OK" not in reply.body
    assert relay.events("BIG0001") == []
    # also when the terminal first asks to continue (§2.1)
    request = terminal_request("POST", "/iclock/cdata?SN=BIG0001&table=ATTLOG", body,
                               extra=["Expect: 100-continue"])
    reply = relay.send(request)
    assert reply.status == 413 and b"OK" not in reply.body
    small = b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n"
    assert relay.attlog("BIG0001", small).acknowledged


def test_s2_1_crlf_and_blank_lines(relay: Relay) -> None:
    relay.add_device("CRLF001")
    body = b"\r\n1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\r\n\r\n2\t2024-08-05 08:00:01\t1\t1\r\n"
    assert relay.attlog("CRLF001", body).text == "OK: 2"
    assert [(e[2], e[3]) for e in relay.events("CRLF001")] == [
        ("1", "2024-08-05 08:00:00"), ("2", "2024-08-05 08:00:01")]


def test_s10_space_separated_lines_from_pdf_simulators(relay: Relay) -> None:
    """§5.1/§10: no TAB → split on whitespace, rejoin date and time."""
    relay.add_device("SPC0001")
    assert relay.attlog("SPC0001", b"1452 2015-07-30 15:16:28 0 1 0 0 0\n").text == "OK: 1"
    [event] = relay.events("SPC0001")
    assert event[2:7] == ("1452", "2015-07-30 15:16:28", "Asia/Manila", 0, 1)


def test_s2_1_chunked_body(relay: Relay) -> None:
    relay.add_device("CHK0001")
    body = b"1\t2024-08-05 08:00:00\t0\t1\t0\t0\t0\n2\t2024-08-05 08:00:05\t0\t1\t0\t0\t0\n"
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    request = terminal_request("POST", "/iclock/cdata?SN=CHK0001&table=ATTLOG", chunked,
                               content_length=False, extra=["Transfer-Encoding: chunked"])
    assert relay.send(request).text == "OK: 2"
    assert len(relay.events("CHK0001")) == 2


# ----------------------------------------------------------------------------- §9 quirks


def test_s9_1_attlog_without_content_type(relay: Relay) -> None:
    """§9.1: ATTLOG POST with no Content-Type header at all (CAP-NOCT)."""
    relay.add_device("Q1NOCT")
    request = terminal_request("POST", "/iclock/cdata?SN=Q1NOCT&table=ATTLOG&Stamp=9999",
                               b"1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n")
    assert b"Content-Type" not in request
    reply = relay.send(request)
    assert reply.acknowledged and reply.text == "OK: 1"
    assert len(relay.events("Q1NOCT")) == 1


def test_s9_2_empty_workcode_and_trailing_tab(relay: Relay) -> None:
    """§9.2: ``1156\\t2024-08-05 12:40:57\\t1\\t1\\t\\t0\\t0\\t`` (CAP-X100C)."""
    relay.add_device("Q2TAB")
    assert relay.attlog("Q2TAB", b"1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n").acknowledged
    [event] = relay.events("Q2TAB")
    assert event[2:8] == ("1156", "2024-08-05 12:40:57", "Asia/Manila", 1, 1, "")
    assert event[8] == "1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0"


def test_s9_3_status_255_and_mask_temperature_columns(relay: Relay) -> None:
    """§9.3: 10 fields + trailing TAB, status 255, verify 15 (CAP-255); extras kept raw."""
    relay.add_device("Q3S255")
    line = b"3\t2023-10-16 08:38:16\t255\t15\t0\t0\t0\t255\t36.5\t97.7\t\n"
    assert relay.attlog("Q3S255", line).acknowledged
    [event] = relay.events("Q3S255")
    assert event[5:7] == (255, 15)
    assert "36.5\t97.7" in event[8]


def test_s9_4_legacy_four_field_attlog(relay: Relay) -> None:
    """§9.4: legacy firmware prints only PIN, TIME, STATUS, VERIFY."""
    relay.add_device("Q4LEG")
    assert relay.attlog("Q4LEG", b"42\t2012-03-14 17:36:00\t0\t1\n",
                        stamp="392232960").text == "OK: 1"
    [event] = relay.events("Q4LEG")
    assert event[2:8] == ("42", "2012-03-14 17:36:00", "Asia/Manila", 0, 1, "")


def test_s9_5_opstamp_and_fdata_legacy_urls(relay: Relay) -> None:
    """§9.5: without ServerVer firmware uses ``OpStamp=`` and ``/iclock/fdata?PhotoStamp=``;
    both are accepted and their stamps echoed on the next handshake."""
    relay.add_device("Q5LEG")
    reply = relay.post("/iclock/cdata?SN=Q5LEG&table=OPERLOG&OpStamp=392232999",
                       b"OPLOG 4\t0\t2012-03-14 17:36:39\t0\t0\t0\t0\n")
    assert reply.acknowledged
    photo = b"PIN=20120314173600-42.jpg\nSN=Q5LEG\nsize=4\nCMD=uploadphoto\x00\xff\xd8\xff\xd9"
    assert relay.post("/iclock/fdata?SN=Q5LEG&PhotoStamp=392232960", photo).acknowledged
    opts = options(relay.handshake("Q5LEG", "").text)
    assert opts["OPERLOGStamp"] == opts["OpStamp"] == "392232999"
    assert opts["ATTPHOTOStamp"] == opts["PhotoStamp"] == "392232960"
    conn = relay.db()
    # this relay has no biometric key (issue 19): the photo is acknowledged, its stamp kept,
    # the photo itself not kept, and that is audited
    assert conn.execute("SELECT count(*) FROM photos WHERE serial = 'Q5LEG'").fetchone() == (0,)
    assert conn.execute("SELECT action, pin, kind FROM bio_audit WHERE serial = 'Q5LEG'"
                        ).fetchall() == [("dropped", "42", "photo")]
    assert conn.execute("SELECT op_type, local_time FROM oplog WHERE serial = 'Q5LEG'"
                        ).fetchone() == (4, "2012-03-14 17:36:39")
    conn.close()


def test_s9_6_expect_100_continue(relay: Relay) -> None:
    """§9.6: the terminal sends headers with ``Expect: 100-continue``, waits for
    ``100 Continue``, then sends the body."""
    relay.add_device("Q6EXP")
    body = b"".join(f"{i}\t2024-08-05 09:{i:02d}:00\t0\t1\t0\t0\t0\n".encode()
                    for i in range(50))
    head = terminal_request("POST", "/iclock/cdata?SN=Q6EXP&table=ATTLOG&Stamp=9999", body,
                            extra=["Expect: 100-continue"])[:-len(body)]
    with socket.create_connection(("127.0.0.1", relay.port), timeout=30) as sock:
        sock.sendall(head)
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    reply = parse_reply(data)
    assert reply.acknowledged and reply.text == "OK: 50"
    assert len(relay.events("Q6EXP")) == 50


def test_s9_7_aspx_aliases(relay: Relay) -> None:
    """§9.7: eSSL firmware uses ``/iclock/cdata.aspx`` and ``/iclock/getrequest.aspx``."""
    relay.add_device("Q7ASPX")
    assert relay.get("/iclock/cdata.aspx?SN=Q7ASPX&options=all").text.startswith(
        "GET OPTION FROM: Q7ASPX")
    assert relay.post("/iclock/cdata.aspx?SN=Q7ASPX&table=ATTLOG&Stamp=9999",
                      b"5\t2024-08-05 10:00:00\t0\t1\t0\t0\t0\n").text == "OK: 1"
    assert relay.get("/iclock/getrequest.aspx?SN=Q7ASPX").text == "OK"
    assert relay.post("/iclock/devicecmd.aspx?SN=Q7ASPX", b"ID=1&Return=0&CMD=INFO\n").text \
        == "OK"
    assert relay.get("/iclock/ping.aspx?SN=Q7ASPX").text == "OK"


def test_s9_8_command_results_posted_to_cdata_without_table(relay: Relay) -> None:
    """§9.8: some firmware posts command results to /iclock/cdata with no ``table``."""
    relay.add_device("Q8NOTAB")
    reply = relay.post("/iclock/cdata?SN=Q8NOTAB", b"ID=77&Return=0&CMD=DATA\n")
    assert reply.acknowledged
    conn = relay.db()
    assert conn.execute("SELECT cmd_id, return_code, cmd FROM command_results WHERE serial ="
                        " 'Q8NOTAB'").fetchall() == [("77", 0, "DATA")]
    conn.close()


def test_s9_9_multiline_info_and_shell_results_in_devicecmd(relay: Relay) -> None:
    """§9.9: INFO (ack line then key=value lines) and Shell (ID/SN/Return/CMD/Content lines)
    results, several per POST."""
    relay.add_device("Q9MULTI")
    body = (b"ID=1&Return=0&CMD=INFO\n~DeviceName=SpeedFace-V5L\nMAC=00:17:61:12:34:56\n"
            b"UserCount=120\nFPCount=230\n"
            b"ID=2\nSN=Q9MULTI\nReturn=0\nCMD=Shell\nFILENAME=out.txt\nContent=line one\n"
            b"ID=3&Return=-1002&CMD=DATA\n")
    reply = relay.post("/iclock/devicecmd?SN=Q9MULTI", body)
    assert reply.acknowledged and reply.headers["content-type"] == "text/plain"
    conn = relay.db()
    rows = conn.execute("SELECT cmd_id, return_code, cmd, fields FROM command_results WHERE"
                        " serial = 'Q9MULTI' ORDER BY id").fetchall()
    conn.close()
    assert [(r[0], r[1], r[2]) for r in rows] == [("1", 0, "INFO"), ("2", 0, "Shell"),
                                                   ("3", -1002, "DATA")]
    info = json.loads(rows[0][3])
    assert info["~DeviceName"] == "SpeedFace-V5L" and info["UserCount"] == "120"
    assert json.loads(rows[1][3])["Content"] == "line one"
    device = device_row(relay, "Q9MULTI")
    assert json.loads(str(device["options"]))["MAC"] == "00:17:61:12:34:56"


def test_s9_10_gb2312_user_names(relay: Relay) -> None:
    """§9.10/§5.5: names decode as UTF-8, else GB18030; the raw bytes are kept."""
    relay.add_device("Q10GB")
    gb_name = "张伟".encode("gb2312")
    body = (b"USER PIN=1\tName=" + gb_name + b"\tPri=0\tPasswd=\tCard=[15CD5B07]\tGrp=1\t"
            b"TZ=0000000000000000\tVerify=-1\tViceCard=\n"
            b"USER PIN=2\tName=" + "Zoë".encode() + b"\tPri=14\tPasswd=\tCard=\tGrp=1\tTZ=0\n")
    assert relay.post("/iclock/cdata?SN=Q10GB&table=OPERLOG&Stamp=9999", body).text == "OK: 2"
    conn = relay.db()
    rows = conn.execute("SELECT pin, name, name_raw, name_encoding, privilege, card FROM users"
                        " WHERE serial = 'Q10GB' ORDER BY id").fetchall()
    conn.close()
    assert rows == [("1", "张伟", gb_name, "gb18030", 0, "[15CD5B07]"),
                    ("2", "Zoë", "Zoë".encode(), "utf-8", 14, "")]


def test_s9_11_any_ok_body_is_success_and_refusals_never_contain_ok(relay: Relay) -> None:
    """§9.11/§0.1: firmware treats 200 + 'OK' anywhere as success, so every success carries OK
    and no refusal may contain those two letters."""
    relay.add_device("Q11OK")
    assert relay.attlog("Q11OK", b"1\t2024-08-05 08:00:00\t0\t1\n").acknowledged
    refusals = [
        relay.attlog("Q11NOPE", b"1\t2024-08-05 08:00:00\t0\t1\n"),
        relay.get("/iclock/getrequest?SN=bad%20serial"),
        relay.get("/iclock/nothing?SN=Q11OK"),
        relay.post("/iclock/registry?SN=Q11NOPE", b"DeviceType=acc"),
    ]
    for reply in refusals:
        assert reply.status != 200
        assert b"OK" not in reply.body, reply.body


def test_s9_12_devicecmd_reply_is_text_plain(relay: Relay) -> None:
    """§9.12/§0.3: without text/plain the firmware re-posts results forever."""
    relay.add_device("Q12TXT")
    for reply in (relay.post("/iclock/devicecmd?SN=Q12TXT", b"ID=5&Return=0&CMD=CHECK\n"),
                  relay.get("/iclock/getrequest?SN=Q12TXT"), relay.handshake("Q12TXT"),
                  relay.get("/iclock/ping?SN=Q12TXT")):
        assert reply.status == 200
        assert reply.headers["content-type"] == "text/plain"


@pytest.mark.parametrize(("zone", "expected"), [
    ("Asia/Manila", "8"), ("Asia/Kolkata", "330"), ("Asia/Kathmandu", "345"),
    ("UTC", "0"), ("America/St_Johns", None),
])
def test_s9_13_timezone_option_and_date_header(relay: Relay, zone: str,
                                               expected: str | None) -> None:
    """§9.13/§7: the clock is set from Date + TimeZone: Date must be right and TimeZone the
    zone's current offset (hours if whole, else minutes)."""
    serial = "Q13" + zone.replace("/", "").replace("_", "")[:10]
    relay.add_device(serial, zone)
    reply = relay.handshake(serial)
    date = email.utils.parsedate_to_datetime(reply.headers["date"])
    assert abs((date - datetime.now(UTC)).total_seconds()) < 60
    if expected is None:  # Newfoundland: -3:30 or -2:30 depending on the day
        from zoneinfo import ZoneInfo

        offset = datetime.now(ZoneInfo(zone)).utcoffset()
        assert offset is not None
        expected = str(int(offset.total_seconds() // 60))
    assert options(reply.text)["TimeZone"] == expected


def test_s9_14_transflag_string_form_with_tabs(relay: Relay) -> None:
    """§9.14: the string form of TransFlag with TABs, never a bit string."""
    relay.add_device("Q14FLAG")
    flag = options(relay.handshake("Q14FLAG").text)["TransFlag"]
    assert flag == "TransData AttLog\tOpLog\tEnrollUser\tChgUser"


def test_s9_15_queued_command_keeps_tab_before_endtime(relay: Relay) -> None:
    """§9.15/§4.6: a queued ``DATA QUERY ATTLOG`` leaves as ``C:<id>:`` with its TAB intact and
    its result closes it (the queue is filled directly here: the command API is issue 5)."""
    relay.add_device("Q15CMD")
    command = "DATA QUERY ATTLOG StartTime=2024-08-01 00:00:00\tEndTime=2024-08-02 00:00:00"
    conn = sqlite3.connect(relay.data_dir / "relay.sqlite3", isolation_level=None)
    cid = conn.execute("INSERT INTO commands (serial, command, created_at) VALUES (?, ?, ?)",
                       ("Q15CMD", command, "2024-08-01T00:00:00+00:00")).lastrowid
    conn.close()
    reply = relay.get("/iclock/getrequest?SN=Q15CMD")
    assert reply.text == f"C:{cid}:{command}\n"
    assert relay.get("/iclock/getrequest?SN=Q15CMD").text == "OK"  # handed out once
    assert relay.post("/iclock/devicecmd?SN=Q15CMD", f"ID={cid}&Return=0&CMD=DATA\n".encode()
                      ).acknowledged
    conn = relay.db()
    assert conn.execute("SELECT state, return_code FROM commands WHERE id = ?", (cid,)
                        ).fetchone() == ("done", 0)
    conn.close()


def test_s9_16_stamps_echoed_as_received(relay: Relay) -> None:
    """§9.16/§6.2: the last received Stamp is echoed, per table, in both spellings; a modern
    9999 is echoed too; nothing is replaced by a Unix time."""
    relay.add_device("Q16STAMP")
    assert relay.attlog("Q16STAMP", b"1\t2012-03-14 17:36:00\t0\t1\n",
                        stamp="392232960").acknowledged
    opts = options(relay.handshake("Q16STAMP", "").text)
    assert opts["ATTLOGStamp"] == opts["Stamp"] == "392232960"
    assert opts["OPERLOGStamp"] == "None"
    # a stamp that could inject a line into the option block is ignored
    assert relay.attlog("Q16STAMP", b"2\t2012-03-14 17:37:00\t0\t1\n",
                        stamp="1%0AATTLOGStamp=0").acknowledged
    opts = options(relay.handshake("Q16STAMP", "").text)
    assert opts["ATTLOGStamp"] == "392232960"


def test_s9_18_ack_body_is_ok_colon_count(relay: Relay) -> None:
    """§9.18/§10: ATTLOG acks are ``OK: <valid lines>``; others ``OK``."""
    relay.add_device("Q18OK")
    body = b"1\t2024-08-05 08:00:00\t0\t1\n2\t2024-08-05 08:00:01\t0\t1\n"
    assert relay.attlog("Q18OK", body).body == b"OK: 2"
    assert relay.get("/iclock/ping?SN=Q18OK").body == b"OK"


# ----------------------------------------------------------------------------- §4.3-§4.10


def test_s4_3_operlog_rows_oplog_user_fp_face_biodata(relay: Relay) -> None:
    relay.add_device("OP0001")
    body = (b"OPLOG 6\t0\t2024-08-05 08:00:00\t12\t3\t1024\t0\n"
            b"USER PIN=12\tName=Ana\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000000000000\n"
            b"FP PIN=12\tFID=3\tSize=8\tValid=1\tTMP=QUJDREVGR0g=\n"
            b"FACE PIN=12\tFID=0\tValid=1\tSize=8\tTMP=QUJDREVGR0g=\n"
            b"BIODATA Pin=12\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tTmp=QUJD\n"
            b"WHATISTHIS x=1\n")
    reply = relay.post("/iclock/cdata?SN=OP0001&table=OPERLOG&Stamp=555", body)
    assert reply.acknowledged and reply.text == "OK: 5"
    conn = relay.db()
    assert conn.execute("SELECT op_type, operator, obj1, obj2, obj3 FROM oplog WHERE serial ="
                        " 'OP0001'").fetchall() == [(6, "0", "12", "3", "1024")]
    # no biometric key on this relay (issue 19): the template rows are counted, not kept
    # (test_biometrics.py: sealed with a key)
    assert conn.execute("SELECT kind, pin FROM biodata WHERE serial = 'OP0001' ORDER BY id"
                        ).fetchall() == []
    assert conn.execute("SELECT action, pin FROM bio_audit WHERE serial = 'OP0001'"
                        ).fetchall() == [("dropped", "12")] * 3
    assert conn.execute("SELECT reason FROM quarantine WHERE serial = 'OP0001'").fetchall() \
        == [("unknown OPERLOG row kind 'WHATISTHIS'",)]
    conn.close()
    # the same rows again are not stored twice
    assert relay.post("/iclock/cdata?SN=OP0001&table=OPERLOG&Stamp=556", body).acknowledged
    conn = relay.db()
    assert conn.execute("SELECT count(*) FROM users WHERE serial = 'OP0001'").fetchone() == (1,)
    conn.close()
    assert options(relay.handshake("OP0001").text)["OPERLOGStamp"] == "556"


def test_s4_4_attphoto_binary_with_nul_separator(relay_factory: Any) -> None:
    """The JPEG after the NUL arrives whole: with a biometric key (issue 19) it is kept sealed
    and the biometric photo page gives back the same bytes."""
    key = base64.urlsafe_b64encode(bytes(32)).decode()
    relay = relay_factory(ZK_RELAY_BIOMETRIC_KEY=key)
    relay.cli("device", "list")
    relay.start()
    relay.add_device("PH0001")
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\x00\x00\xff\xd9"
    body = (b"PIN=20240805080000-12.jpg\nSN=PH0001\nsize=%d\nCMD=uploadphoto\x00" % len(jpeg)
            + jpeg)
    reply = relay.post("/iclock/cdata?SN=PH0001&table=ATTPHOTO&Stamp=9999", body,
                       extra=["Expect: 100-continue"])
    assert reply.acknowledged
    conn = relay.db()
    row = conn.execute("SELECT filename, pin, local_time, size, sealed, data FROM photos WHERE"
                       " serial = 'PH0001'").fetchone()
    assert row[:5] == ("20240805080000-12.jpg", "12", "2024-08-05 08:00:00", len(jpeg), 1)
    assert jpeg[4:260] not in row[5]
    conn.close()
    token = relay.cli("token", "create", "bio", "--scope", "biometric").stdout.strip()
    photos = relay.api("GET", "/api/v1/biometric/photos", token=token).json()["photos"]
    assert [base64.b64decode(p["data"]) for p in photos] == [jpeg]
    # no NUL separator: quarantined, still acknowledged (it can never succeed)
    assert relay.post("/iclock/cdata?SN=PH0001&table=ATTPHOTO", b"PIN=x.jpg\nSN=PH0001"
                      ).acknowledged


def test_s4_5_table_options(relay: Relay) -> None:
    relay.add_device("OPT0001")
    reply = relay.post("/iclock/cdata?SN=OPT0001&table=options",
                       b"~DeviceName=MB460,MAC=00:17:61:aa:bb:cc,TransactionCount=1234,"
                       b"~MaxAttLogCount=100000")
    assert reply.acknowledged
    opts = json.loads(str(device_row(relay, "OPT0001")["options"]))
    assert opts["~DeviceName"] == "MB460" and opts["TransactionCount"] == "1234"


def test_s4_6_getrequest_with_info(relay: Relay) -> None:
    relay.add_device("INF0001")
    reply = relay.get("/iclock/getrequest?SN=INF0001&INFO=Ver%208.0.4.2-20230101,12,30,"
                      "4567,192.168.1.201,10,7,15,0,111")
    assert reply.text == "OK"
    info = json.loads(str(device_row(relay, "INF0001")["info"]))
    assert info == {"firmware": "Ver 8.0.4.2-20230101", "users": 12, "fingerprints": 30,
                    "attlogs": 4567, "ip": "192.168.1.201", "fp_algorithm": 10,
                    "face_algorithm": 7, "faces_needed": 15, "faces": 0,
                    "function_flags": "111"}


def test_s4_9_ping_updates_last_seen(relay: Relay) -> None:
    relay.add_device("PING001")
    assert device_row(relay, "PING001")["last_seen"] is None
    assert relay.get("/iclock/ping?SN=PING001").text == "OK"
    assert device_row(relay, "PING001")["last_seen"] is not None


def test_s4_10_push3_registry_flow(relay: Relay) -> None:
    """§4.10: 3.x handshake (unregistered → OK), registry → RegistryCode, push → config with
    SessionID, handshake → registry=ok, rtlog data → punches."""
    relay.add_device("P3ACC01", "Asia/Manila")
    h = "&pushver=3.1.2&DeviceType=acc"
    extra = ["Content-Type: application/push;charset=UTF-8", "Accept: application/push",
             "Connection: starting"]
    assert relay.get(f"/iclock/cdata?SN=P3ACC01&options=all{h}", extra=extra).text == "OK"
    reply = relay.post("/iclock/registry?SN=P3ACC01",
                       b"DeviceType=acc,~DeviceName=InBio,FirmVer=AC Ver 5.7,PushVersion=3.1.2",
                       extra=extra)
    assert reply.status == 200 and reply.text.startswith("RegistryCode=")
    code = reply.text.strip().split("=", 1)[1]
    assert 0 < len(code) <= 32
    push = relay.post("/iclock/push?SN=P3ACC01", b"", extra=extra)
    conf = dict(line.split("=", 1) for line in push.text.strip().split("\n"))
    assert conf["TransTables"] == "User Transaction" and conf["SessionID"]
    assert conf["TimeZone"] == "8"
    again = relay.get(f"/iclock/cdata?SN=P3ACC01&options=all{h}", extra=extra)
    assert again.text.startswith("registry=ok\n") and f"RegistryCode={code}" in again.text
    session = dict(line.split("=", 1) for line in again.text.strip().split("\n"))["SessionID"]
    token = hashlib.md5((code + "P3ACC01" + session).encode()).hexdigest()  # noqa: S324
    extra = [*extra, f"Cookie: token={token}"]
    body = (b"time=2024-08-05 08:00:00\tpin=12\tcardno=0\teventaddr=1\tevent=0\t"
            b"inoutstatus=0\tverifytype=1\tindex=5\n"
            b"time=2024-08-05 08:00:05\tpin=0\tcardno=0\teventaddr=1\tevent=8\t"
            b"inoutstatus=2\tverifytype=200\tindex=6\n")
    assert relay.post("/iclock/cdata?SN=P3ACC01&table=rtlog", body, extra=extra).acknowledged
    assert [e[2:7] for e in relay.events("P3ACC01")] == [
        ("12", "2024-08-05 08:00:00", "Asia/Manila", 0, 1)]
    # an unknown serial is refused at registry
    assert relay.post("/iclock/registry?SN=P3NOPE", b"DeviceType=acc").status == 406


def test_s4_5_other_tables_kept_raw(relay: Relay) -> None:
    relay.add_device("RAW0001")
    body = b"ERRORLOG ErrCode=D01\tErrMsg=x\tDataOrigin=dev\tCmdId=0\tAdditional=\n"
    assert relay.post("/iclock/cdata?SN=RAW0001&table=ERRORLOG", body).acknowledged
    conn = relay.db()
    assert conn.execute("SELECT body FROM raw_posts WHERE serial = 'RAW0001'").fetchone() == (
        body,)
    conn.close()
