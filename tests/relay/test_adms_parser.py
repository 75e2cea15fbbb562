"""Plain unit tests of the ADMS parser and formatter (zk_relay.adms), no server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zk_relay import adms, adms_handshake, adms_operlog
from zk_rules.fingerprint import punch_fingerprint

pins = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
               min_size=1, max_size=24)
times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31))
serials = st.from_regex(adms.SERIAL_RE, fullmatch=True)


@given(serials, pins, times)
def test_fingerprint_is_the_zk_rules_fingerprint(serial: str, pin: str, when: datetime) -> None:
    """The relay's fast path gives exactly punch_fingerprint (architecture.md)."""
    text = when.strftime("%Y-%m-%d %H:%M:%S")
    expected = punch_fingerprint(serial, pin, text)
    assert adms.fingerprint(serial, pin, text) == expected
    line = f"{pin}\t{text}\t0\t1\t0\t0\t0".encode()
    punch = adms.parse_attlog_line(serial, line)
    assert isinstance(punch, adms.Punch)
    assert punch.fingerprint == expected
    [batch_punch], bad = adms.parse_attlog(serial, line + b"\n")
    assert batch_punch.fingerprint == expected and not bad


@given(st.binary(max_size=400))
def test_s11_parse_attlog_never_raises(body: bytes) -> None:
    punches, bad = adms.parse_attlog("SN1", body)
    for p in punches:
        assert p.pin and len(p.local_time) == 19
    for b in bad:
        assert b.reason and isinstance(b.raw, bytes)


@given(st.binary(max_size=400))
def test_s11_other_parsers_never_raise(body: bytes) -> None:
    adms_operlog.parse_operlog(body)
    adms.parse_attphoto(body)
    adms.parse_options_body(body)
    adms.parse_command_results(body)
    adms.parse_rtlog("SN1", body)


def test_s5_1_variants() -> None:
    body = (b"1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n"
            b"3\t2023-10-16 08:38:16\t255\t15\t0\t0\t0\t255\t0\t0\t\n"
            b"11\t2025-08-27 10:57:49\t0\t25\t0\t0\t0\t0\t0\t0\n"
            b"42\t2012-03-14 17:36:00\t0\t1\n"
            b"1452 2015-07-30 15:16:28 0 1 0 0 0\n"
            b"7\t2024-8-5 7:05:09\t0\t1\n")
    punches, bad = adms.parse_attlog("SN1", body)
    assert not bad
    assert [(p.pin, p.local_time, p.status, p.verify, p.workcode) for p in punches] == [
        ("1156", "2024-08-05 12:40:57", 1, 1, ""),
        ("3", "2023-10-16 08:38:16", 255, 15, "0"),
        ("11", "2025-08-27 10:57:49", 0, 25, "0"),
        ("42", "2012-03-14 17:36:00", 0, 1, ""),
        ("1452", "2015-07-30 15:16:28", 0, 1, "0"),
        ("7", "2024-08-05 07:05:09", 0, 1, ""),
    ]


@pytest.mark.parametrize(("line", "reason"), [
    (b"\t2024-08-05 08:00:00\t0\t1", "empty PIN"),
    (b"1\t2024-02-30 08:00:00\t0\t1", "is not YYYY-MM-DD HH:MM:SS"),
    (b"1\tyesterday\t0\t1", "is not YYYY-MM-DD HH:MM:SS"),
    (b"CHECK LOG: stamp=392232960 1 2012-03-14 17:39:00 0 0 0 1", "is not YYYY-MM-DD"),
    (b"1", "too few fields"),
    (b"\xff\xfe", "not UTF-8 text"),
    (b"x" * 70 + b"\t2024-08-05 08:00:00", "PIN longer than 64"),
])
def test_s5_1_rejected_lines(line: bytes, reason: str) -> None:
    item = adms.parse_attlog_line("SN1", line)
    assert isinstance(item, adms.BadLine) and reason in item.reason and item.raw == line


def test_s7_timezone_option() -> None:
    winter = datetime(2024, 1, 15, tzinfo=UTC)
    summer = datetime(2024, 7, 15, tzinfo=UTC)
    assert adms_handshake.timezone_option("Asia/Manila", winter) == "8"
    assert adms_handshake.timezone_option("Asia/Kolkata", winter) == "330"
    assert adms_handshake.timezone_option("Asia/Kathmandu", winter) == "345"
    assert adms_handshake.timezone_option("America/New_York", winter) == "-5"
    assert adms_handshake.timezone_option("America/New_York", summer) == "-4"
    assert adms_handshake.timezone_option("America/St_Johns", winter) == "-210"
    assert adms_handshake.timezone_option("Australia/Adelaide", winter) == "630"
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        adms_handshake.zone("Mars/Base")
    with pytest.raises(ValueError):
        adms_handshake.zone("../etc/passwd")


def test_s4_1_option_block_keys_exact_case() -> None:
    block = adms_handshake.option_block(
        "SN1", adms_handshake.Stamps(attlog="392232960"), "8", delay=10,
        error_delay=30, trans_times="00:00;14:05", trans_interval=1,
        trans_flag="TransData AttLog\tOpLog", realtime=True,
        server_ver="2.4.1", push_prot_ver="2.4.1")
    lines = block.rstrip("\n").split("\n")
    assert lines[0] == "GET OPTION FROM: SN1"
    keys = dict(line.split("=", 1) for line in lines[1:])
    assert keys["ATTLOGStamp"] == keys["Stamp"] == "392232960"
    assert keys["OPERLOGStamp"] == keys["OpStamp"] == "None"
    assert keys["TransFlag"] == "TransData AttLog\tOpLog"
    assert all(len(line) < 2048 for line in lines)


def test_s4_8_command_results_blocks() -> None:
    body = (b"ID=1&Return=0&CMD=INFO\nUserCount=3\nID=2\nSN=X\nReturn=0\nCMD=Shell\n"
            b"Content=a=b\r\nID=3&Return=-22&CMD=UNKNOWN CMD\n")
    results = adms.parse_command_results(body)
    assert [(r.cmd_id, r.return_code, r.cmd) for r in results] == [
        ("1", 0, "INFO"), ("2", 0, "Shell"), ("3", -22, "UNKNOWN CMD")]
    assert results[0].fields["UserCount"] == "3"
    assert results[1].fields["Content"] == "a=b"


def test_s4_4_photo_name_without_pin_for_failed_verification() -> None:
    photo = adms.parse_attphoto(b"PIN=20240805080000.jpg\nSN=X\nsize=2\nCMD=uploadphoto\x00ab")
    assert isinstance(photo, adms.Photo)
    assert (photo.pin, photo.local_time, photo.data) == ("", "2024-08-05 08:00:00", b"ab")


def test_clean_stamp_blocks_injection() -> None:
    assert adms.clean_stamp("392232960") == "392232960"
    assert adms.clean_stamp("9999") == "9999"
    assert adms.clean_stamp("1\nATTLOGStamp=0") is None
    assert adms.clean_stamp(None) is None
