"""Every relay parser that reads terminal input, fed arbitrary and half-valid bytes.

Properties: no exception ever escapes; what is accepted has the shape the store relies on
(PIN 1-64 characters, canonical local time, fingerprint of architecture.md); good lines next
to bad ones are still found, whatever the bad ones contain.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from fuzz_settings import fuzz
from fuzz_strategies import junk_line, moments, operlog_rows, pins, small_ints
from hypothesis import given
from hypothesis import strategies as st

from zk_relay import adms, adms_operlog
from zk_relay.adms_endpoints import Request
from zk_rules.fingerprint import punch_fingerprint

CANONICAL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
SERIAL = "FUZZ0001"

def good_line(pin: str, moment: datetime, status: int, verify: int, fmt: int) -> bytes:
    t = moment.strftime("%Y-%m-%d %H:%M:%S")
    return [
        f"{pin}\t{t}\t{status}\t{verify}",
        f"{pin}\t{t}\t{status}\t{verify}\t\t0\t0\t",
        f"{pin}\t{t}\t{status}\t{verify}\t0\t0\t0\t255\t0\t0\t",
        f"{pin} {t} {status} {verify} 0 0 0",  # PDF rendering: spaces
        f"{pin}\t{t}\t{status}\t{verify}\r",  # CRLF
    ][fmt].encode("utf-8")


good_lines = st.lists(st.tuples(pins, moments, small_ints, small_ints,
                                st.integers(min_value=0, max_value=4)), max_size=8)


def check_punch(p: adms.Punch) -> None:
    assert p.pin and len(p.pin) <= adms.MAX_PIN_LENGTH and p.pin == p.pin.strip()
    assert CANONICAL.fullmatch(p.local_time)
    datetime.fromisoformat(p.local_time)
    assert p.fingerprint == punch_fingerprint(SERIAL, p.pin, p.local_time)


@fuzz(300)
@given(st.binary(max_size=600))
def test_attlog_any_bytes(body):
    punches, bad = adms.parse_attlog(SERIAL, body)
    for p in punches:
        check_punch(p)
    for b in bad:
        assert b.reason and isinstance(b.raw, bytes) and b.raw in body


@fuzz(300)
@given(good_lines, st.lists(junk_line, max_size=6), st.randoms(use_true_random=False))
def test_attlog_good_lines_survive_beside_bad_ones(goods, junk, rnd):
    lines = [good_line(*g) for g in goods] + junk
    rnd.shuffle(lines)
    body = b"\n".join(lines) + rnd.choice([b"", b"\n", b"\r\n"])
    punches, bad = adms.parse_attlog(SERIAL, body)
    for p in punches:
        check_punch(p)
    found = {(p.pin, p.local_time, p.status, p.verify) for p in punches}
    for pin, moment, status, verify, _ in goods:
        assert (pin, moment.strftime("%Y-%m-%d %H:%M:%S"), status, verify) in found
    assert len(punches) + len(bad) <= len(lines)


@fuzz(200)
@given(st.binary(max_size=400))
def test_attlog_line_any_bytes(line):
    item = adms.parse_attlog_line(SERIAL, line)
    if isinstance(item, adms.Punch):
        check_punch(item)
    else:
        assert item.reason and item.raw == line


@fuzz(200)
@given(st.binary(max_size=600))
def test_rtlog_any_bytes(body):
    punches, bad, other = adms.parse_rtlog(SERIAL, body)
    for p in punches:
        check_punch(p)
    assert other >= 0 and all(b.reason for b in bad)


# --------------------------------------------------------------------------- OPERLOG

@fuzz(300)
@given(st.binary(max_size=600))
def test_operlog_any_bytes(body):
    parsed = adms_operlog.parse_operlog(body)
    for user in parsed.users:
        assert user.pin and len(user.pin) <= adms.MAX_PIN_LENGTH
        assert isinstance(user.name, str) and user.name_encoding in {"utf-8", "gb18030", "latin-1"}
    for row in parsed.oplogs:
        assert CANONICAL.fullmatch(row.local_time)
    assert parsed.valid + len(parsed.bad) == len(adms.split_lines(body))


@fuzz(200)
@given(st.lists(operlog_rows, max_size=10))
def test_operlog_users_survive_beside_bad_rows(rows):
    parsed = adms_operlog.parse_operlog(b"\n".join(rows))
    expected = [r for r in rows if r.startswith(b"USER PIN=")]
    assert [u.raw for u in parsed.users if u.raw.startswith(b"USER PIN=")] == expected
    for user in parsed.users:
        assert user.name_raw in user.raw
        if user.name_encoding != "latin-1":
            assert user.name.encode(user.name_encoding) == user.name_raw


# --------------------------------------------------------------------------- photos, options


@fuzz(200)
@given(st.binary(max_size=300), st.one_of(st.none(), st.text(max_size=40)))
def test_attphoto_any_bytes(body, name):
    if name is not None:
        body = f"PIN={name}\nSN={SERIAL}\nsize={len(body)}\nCMD=uploadphoto\x00".encode() + body
    photo = adms.parse_attphoto(body)
    if isinstance(photo, adms.Photo):
        assert photo.filename and len(photo.filename) <= 200
        assert photo.local_time is None or CANONICAL.fullmatch(photo.local_time)
    else:
        assert photo.reason


@fuzz(200)
@given(st.binary(max_size=400))
def test_options_body_any_bytes(body):
    options = adms.parse_options_body(body)
    assert all(k and len(k) <= 64 and len(v) <= 512 for k, v in options.items())


@fuzz(200)
@given(st.text(max_size=200))
def test_info_any_text(value):
    info = adms.parse_info(value)
    assert set(info) <= set(adms.INFO_KEYS)
    assert all(isinstance(v, int) or len(v) <= 128 for v in info.values())


@fuzz(200)
@given(st.lists(st.one_of(
    st.builds(lambda i, r, c: f"ID={i}&Return={r}&CMD={c}".encode(), st.integers(0, 10**6),
              st.integers(-2000, 10), st.sampled_from(["DATA", "INFO", "CHECK", "x&y"])),
    junk_line), max_size=8))
def test_command_results_any_lines(lines):
    body = b"\n".join(lines)
    results = adms.parse_command_results(body)
    assert all(len(r.cmd_id) <= 32 and len(r.cmd) <= 64 for r in results)
    well_formed = [line for line in lines if re.fullmatch(rb"ID=\d+&Return=-?\d+&CMD=\w+", line)]
    ids = [r.cmd_id for r in results]
    for line in well_formed:
        assert line.split(b"&")[0][3:].decode() in ids


@fuzz(200)
@given(st.text(max_size=60))
def test_local_time_and_stamps_any_text(text):
    parsed = adms.parse_local_time(text)
    assert parsed is None or CANONICAL.fullmatch(parsed)
    stamp = adms.clean_stamp(text)
    assert stamp is None or (stamp.isalnum() and len(stamp) <= 24)
    adms.valid_serial(text)


# --------------------------------------------------------------------------- query strings

query_parts = st.lists(st.tuples(
    st.one_of(st.sampled_from(["SN", "sn", "table", "Stamp", "OpStamp", "options", "pushver",
                               "INFO", "pushcommkey", "language", ""]), st.text(max_size=8)),
    st.text(max_size=30)), max_size=8)


@fuzz(300)
@given(query_parts, st.booleans())
def test_request_query_any_text(parts, encode):
    if encode:
        query = "&".join(f"{quote(k)}={quote(v)}" for k, v in parts)
    else:
        query = "&".join(f"{k}={v}" for k, v in parts)
    req = Request({"QUERY_STRING": query, "REQUEST_METHOD": "GET",
                   "wsgi.input": None, "REMOTE_ADDR": "127.0.0.1"}, "cdata")
    assert all(k == k.lower() for k in req.query)
    assert isinstance(req.serial, str)


def test_unicode_whitespace_line_is_quarantined_not_dropped():
    """A line of non-ASCII whitespace is kept for review whatever the rest of the body is."""
    punches, bad = adms.parse_attlog(SERIAL, b"\x1c\x1d\n1\t2025-03-03 08:00:00\t0\t1\n")
    assert len(punches) == 1
    assert [b.raw for b in bad] == [b"\x1c\x1d"]
