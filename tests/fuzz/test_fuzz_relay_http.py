"""Fuzzing a running ``zk-relay serve`` over real HTTP: device endpoints and the pull API.

Properties: the relay never answers 5xx, never dies, always answers the documented statuses,
and a batch that mixes good ATTLOG lines with garbage is acknowledged with every good line
stored (a refusal would make the terminal resend forever; a 5xx would lose the good lines).
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from fuzz_settings import fuzz
from fuzz_strategies import junk_line, operlog_rows
from hypothesis import given
from hypothesis import strategies as st
from relay_proc import Relay, Reply, terminal_request

pytestmark = pytest.mark.slow

SERIAL = "FUZZHTTP1"
DEVICE = "FUZZDEV1"
_minutes = itertools.count(1)
BASE = datetime(2031, 1, 1)


@pytest.fixture(scope="module")
def relay(running_relay: Relay) -> Relay:
    for serial in (SERIAL, DEVICE):
        reply = running_relay.api("PUT", f"/api/v1/devices/{serial}",
                                  {"timezone": "Asia/Manila"})
        assert reply.status == 201, reply.text
    return running_relay


def alive(relay: Relay, reply: Reply) -> Reply:
    assert reply.status < 500, (reply.status, reply.text)
    assert relay.proc is not None and relay.proc.poll() is None
    return reply


def raw(relay: Relay, method: str, target: str, body: bytes | None = None,
        headers: list[str] | None = None) -> Reply:
    return alive(relay, relay.send(terminal_request(method, target, body, extra=headers)))


def api_raw(relay: Relay, method: str, target: str, body: bytes | None = None) -> Reply:
    headers = [f"Authorization: Bearer {relay.token()}"]
    if body is not None:
        headers.append("Content-Type: application/json")
    reply = raw(relay, method, target, body, headers)
    assert reply.headers.get("content-type", "").startswith("application/json")
    reply.json()  # every API answer is JSON, errors included
    return reply


# --------------------------------------------------------------------------- ADMS bodies


@fuzz(40)
@given(st.lists(st.tuples(st.text(alphabet="0123456789AB", min_size=1, max_size=10),
                          st.integers(0, 5), st.integers(0, 30)), min_size=1, max_size=5),
       st.lists(junk_line, max_size=5), st.randoms(use_true_random=False))
def test_attlog_good_lines_are_stored_beside_garbage(relay, goods, junk, rnd):
    lines, expected = [], set()
    for pin, status, verify in goods:
        moment = (BASE + timedelta(minutes=next(_minutes))).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{pin}\t{moment}\t{status}\t{verify}\t0\t0\t0".encode())
        expected.add((pin, moment))
    lines += junk
    rnd.shuffle(lines)
    reply = raw(relay, "POST", f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
                b"\n".join(lines) + b"\n")
    assert reply.status == 200 and reply.body.startswith(b"OK: ")
    assert int(reply.body[4:]) >= len(expected)
    stored = {(row[2], row[3]) for row in relay.events(SERIAL)}
    assert expected <= stored


TABLES = ["ATTLOG", "OPERLOG", "ATTPHOTO", "options", "BIODATA", "rtlog", "ERRORLOG", "",
          "tabledata", "ATTLOG\x00"]


@fuzz(60)
@given(st.sampled_from(TABLES), st.one_of(st.binary(max_size=500),
                                          st.lists(operlog_rows, max_size=6).map(b"\n".join)))
def test_cdata_any_table_any_body_is_acknowledged(relay, table, body):
    reply = raw(relay, "POST", f"/iclock/cdata?SN={SERIAL}&table={quote(table)}&Stamp=1", body)
    assert reply.status == 200 and b"OK" in reply.body
    assert reply.headers["content-type"].startswith("text/plain")


@fuzz(40)
@given(st.binary(max_size=400))
def test_devicecmd_any_body_is_acknowledged(relay, body):
    reply = raw(relay, "POST", f"/iclock/devicecmd?SN={SERIAL}", body)
    assert reply.status == 200 and reply.body == b"OK"


@fuzz(40)
@given(st.text(max_size=120))
def test_getrequest_any_info(relay, info):
    reply = raw(relay, "GET", f"/iclock/getrequest?SN={SERIAL}&INFO={quote(info)}")
    assert reply.status == 200
    assert b"OK" in reply.body or reply.body.startswith(b"C:")


# request targets as bytes a client could put on the request line
target_bytes = st.binary(max_size=120).map(
    lambda b: bytes(c for c in b if 0x21 <= c <= 0x7E and c != 0x23 or c >= 0x80))


@fuzz(80)
@given(st.sampled_from(["cdata", "getrequest", "devicecmd", "ping", "fdata", "registry",
                        "push", "querydata", "cdata.aspx", "getrequest.aspx", "nope"]),
       target_bytes, st.sampled_from(["GET", "POST"]), st.booleans())
def test_iclock_any_query_string(relay, endpoint, query, method, with_serial):
    prefix = f"SN={SERIAL}&".encode() if with_serial else b""
    target = b"/iclock/" + endpoint.encode() + b"?" + prefix + query
    body = b"1\t2031-01-01 00:00:00\t0\t1" if method == "POST" else None
    reply = alive(relay, relay.send(
        terminal_request(method, target.decode("latin-1"), body)))
    if reply.status != 200:
        assert b"OK" not in reply.body  # a refusal never looks like success (§0.1)


# --------------------------------------------------------------------------- pull API

param_values = st.one_of(st.integers(-10, 2**70), st.text(max_size=12),
                         st.sampled_from(["", "0", "1", "5000", "5001", "-0", "1e3", " 7",
                                          "٣", "9" * 30, "0x10"]))


@fuzz(80)
@given(st.sampled_from(["events", "users", "oplog", "quarantine", "commands"]),
       param_values, param_values,
       st.one_of(st.none(), st.text(max_size=10)), st.one_of(st.none(), st.text(max_size=10)))
def test_pages_any_parameters(relay, page, after, limit, serial, state):
    query = f"after={quote(str(after))}&limit={quote(str(limit))}"
    if page == "commands":
        for key, value in (("serial", serial), ("state", state)):
            if value is not None:
                query += f"&{key}={quote(value)}"
    reply = api_raw(relay, "GET", f"/api/v1/{page}?{query}")
    assert reply.status in (200, 400)
    if reply.status == 200:
        doc = reply.json()
        assert isinstance(doc[page], list) and doc["store_id"]
        assert len(doc[page]) <= 5000
    else:
        assert reply.json()["error"] == "bad_request"


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
              st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=10)
raw_bodies = st.one_of(st.binary(max_size=100), st.sampled_from(
    [b"", b"{", b"[]", b"null", b"NaN", b'{"a":NaN}', b"\xff\xfe", b'{"up_to": 1e999}']))


@fuzz(60)
@given(st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"store_id": st.one_of(st.just("SAME"), json_values),
                           "up_to": st.one_of(st.integers(-5, 2**70), json_values)}
                          ).map(lambda d: json.dumps(d).encode()),
    raw_bodies))
def test_ack_any_body(relay, body):
    store_id = relay.api("GET", "/api/v1/events?limit=1").json()["store_id"]
    body = body.replace(b'"SAME"', json.dumps(store_id).encode())
    reply = api_raw(relay, "POST", "/api/v1/events/ack", body)
    assert reply.status in (200, 400, 409)


device_fields = st.fixed_dictionaries({}, optional={
    "timezone": st.one_of(st.sampled_from(["Asia/Manila", "UTC", "Europe/Paris", "Mars/Base",
                                           "../etc/passwd", " UTC", "", "Etc/GMT+5"]),
                          json_values),
    "name": json_values, "enabled": json_values, "pushcommkey": json_values,
    "address": st.sampled_from(["", None, 5, "not an address"]),
    "port": json_values, "password": json_values,
})


@fuzz(60)
@given(st.one_of(st.just(DEVICE), st.text(max_size=20)),
       st.one_of(device_fields.map(lambda d: json.dumps(d).encode()),
                 json_values.map(lambda v: json.dumps(v).encode()), raw_bodies))
def test_put_device_any_body(relay, serial, body):
    reply = api_raw(relay, "PUT", f"/api/v1/devices/{quote(serial, safe='')}", body)
    assert reply.status in (200, 201, 400, 404, 405)
    if serial == DEVICE:  # keep the fuzzing device usable for the command tests
        relay.api("PUT", f"/api/v1/devices/{DEVICE}",
                  {"timezone": "Asia/Manila", "enabled": True, "pushcommkey": ""})


command_fields = st.fixed_dictionaries(
    {"kind": st.one_of(st.sampled_from(["user_upsert", "user_delete", "attlog_query", "check",
                                        "info", "REBOOT", ""]), json_values)},
    optional={"pin": st.one_of(st.text(max_size=30), json_values),
              "name": st.one_of(st.text(max_size=70), json_values),
              "privilege": json_values, "card": json_values, "password": json_values,
              "start": st.one_of(st.just("2031-01-01 00:00:00"), st.text(max_size=25)),
              "end": st.one_of(st.just("2031-01-02 00:00:00"), st.text(max_size=25)),
              "params": json_values})


@fuzz(80)
@given(st.one_of(st.just(DEVICE), st.text(max_size=20)),
       st.one_of(command_fields.map(lambda d: json.dumps(d).encode()),
                 json_values.map(lambda v: json.dumps(v).encode()), raw_bodies))
def test_post_command_any_body(relay, serial, body):
    reply = api_raw(relay, "POST", f"/api/v1/devices/{quote(serial, safe='')}/commands", body)
    assert reply.status in (201, 400, 404, 405)
    if reply.status == 400:
        assert reply.json()["error"] == "bad_request"
    if reply.status == 201:  # what was queued is one line a terminal can execute
        command = reply.json()["command"]["command"]
        assert "\n" not in command and "\r" not in command and "\x00" not in command


@fuzz(40)
@given(st.text(max_size=25))
def test_get_command_any_id(relay, cid):
    reply = api_raw(relay, "GET", f"/api/v1/commands/{quote(cid, safe='')}")
    assert reply.status in (200, 404, 405)


def test_relay_is_healthy_after_the_fuzzing(relay):
    reply = alive(relay, relay.get("/health"))
    assert reply.status == 200 and reply.json()["db_writable"] is True
