"""Device commands (issue 5; adms-protocol.md §4.6-§4.8, §9.8, §9.15, §9.17) over real HTTP:
queue through the API → hand-out on getrequest → result on devicecmd → result in the API; typed
kinds only; no value can inject a field or a command."""

from __future__ import annotations

import re

import pytest
from relay_harness import Relay

pytestmark = pytest.mark.slow

CMD_LINE = re.compile(r"C:([0-9]{1,16}):(.*)")


def device(relay: Relay, serial: str) -> None:
    """Register (or keep) a terminal through the API (idempotent)."""
    assert relay.api("PUT", f"/api/v1/devices/{serial}",
                     {"timezone": "Asia/Manila"}).status in (200, 201)


def queue(relay: Relay, serial: str, payload: dict) -> dict:
    reply = relay.api("POST", f"/api/v1/devices/{serial}/commands", payload)
    assert reply.status == 201, reply.text
    body = reply.json()
    assert body["store_id"]
    return body["command"]


def get_command(relay: Relay, cid: int) -> dict:
    reply = relay.api("GET", f"/api/v1/commands/{cid}")
    assert reply.status == 200, reply.text
    return reply.json()["command"]


def handed_out(relay: Relay, serial: str) -> list[tuple[int, str]]:
    """What a terminal receives on its next getrequest, as (id, command) pairs."""
    reply = relay.get(f"/iclock/getrequest?SN={serial}")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    if reply.text == "OK":
        return []
    assert reply.text.endswith("\n")
    out = []
    for line in reply.body.decode("utf-8").split("\n")[:-1]:
        match = CMD_LINE.fullmatch(line)
        assert match, line
        out.append((int(match.group(1)), match.group(2)))
    return out


def test_issue5_s4_6_s4_8_user_upsert_round_trip(relay: Relay) -> None:
    """queue → getrequest hands out ``C:<id>:DATA UPDATE USERINFO …`` once → devicecmd result
    → the API shows done with the return code and result text."""
    device(relay, "CMD0001")
    cmd = queue(relay, "CMD0001", {"kind": "user_upsert", "pin": "0042", "name": "José Ñ",
                                   "privilege": 14, "card": "123456789", "password": "1234"})
    assert cmd["state"] == "queued" and cmd["kind"] == "user_upsert"
    assert cmd["serial"] == "CMD0001"
    assert cmd["params"] == {"pin": "0042", "name": "José Ñ", "privilege": 14,
                             "card": "123456789", "password": "1234"}
    assert cmd["return_code"] is None and cmd["result"] is None and cmd["sent_at"] is None
    assert cmd["created_at"]
    wire = ("DATA UPDATE USERINFO PIN=0042\tName=José Ñ\tPri=14\tPasswd=1234"
            "\tCard=123456789")
    assert cmd["command"] == wire
    assert handed_out(relay, "CMD0001") == [(cmd["id"], wire)]
    assert get_command(relay, cmd["id"])["state"] == "sent"
    assert get_command(relay, cmd["id"])["sent_at"]
    assert handed_out(relay, "CMD0001") == []  # handed out once
    reply = relay.post("/iclock/devicecmd?SN=CMD0001",
                       f"ID={cmd['id']}&Return=0&CMD=DATA\n".encode())
    assert reply.acknowledged and reply.headers["content-type"].startswith("text/plain")
    done = get_command(relay, cmd["id"])
    assert done["state"] == "done" and done["return_code"] == 0
    assert done["result"] == f"ID={cmd['id']}&Return=0&CMD=DATA"
    assert done["result_fields"]["CMD"] == "DATA"
    assert done["done_at"]


def test_issue5_s4_8_negative_return_is_failed(relay: Relay) -> None:
    device(relay, "CMD0002")
    cmd = queue(relay, "CMD0002", {"kind": "user_delete", "pin": "77"})
    assert handed_out(relay, "CMD0002") == [(cmd["id"], "DATA DELETE USERINFO PIN=77")]
    relay.post("/iclock/devicecmd?SN=CMD0002", f"ID={cmd['id']}&Return=-10&CMD=DATA".encode())
    failed = get_command(relay, cmd["id"])
    assert (failed["state"], failed["return_code"]) == ("failed", -10)
    # a repeated result post (§4.8: firmware re-posts until it sees OK) changes nothing
    relay.post("/iclock/devicecmd?SN=CMD0002", f"ID={cmd['id']}&Return=0&CMD=DATA".encode())
    assert get_command(relay, cmd["id"])["state"] == "failed"


def test_issue5_s9_15_attlog_query_has_tab_before_endtime(relay: Relay) -> None:
    device(relay, "CMD0003")
    cmd = queue(relay, "CMD0003", {"kind": "attlog_query", "start": "2024-08-01 00:00:00",
                                   "end": "2024-08-02 23:59:59"})
    [(cid, text)] = handed_out(relay, "CMD0003")
    assert cid == cmd["id"]
    assert text == ("DATA QUERY ATTLOG StartTime=2024-08-01 00:00:00"
                    "\tEndTime=2024-08-02 23:59:59")
    assert " EndTime" not in text


def test_issue5_s4_8_info_multiline_result_and_check(relay: Relay) -> None:
    device(relay, "CMD0004")
    info = queue(relay, "CMD0004", {"kind": "info"})
    check = queue(relay, "CMD0004", {"kind": "check"})
    assert handed_out(relay, "CMD0004") == [(info["id"], "INFO"), (check["id"], "CHECK")]
    body = (f"ID={info['id']}&Return=0&CMD=INFO\n~DeviceName=K40\nFWVersion=Ver 6.60\n"
            f"UserCount=12\nID={check['id']}&Return=0&CMD=CHECK\n").encode()
    assert relay.post("/iclock/devicecmd?SN=CMD0004", body).acknowledged
    got = get_command(relay, info["id"])
    assert got["state"] == "done"
    assert "FWVersion=Ver 6.60" in got["result"]
    assert got["result_fields"]["UserCount"] == "12"
    assert get_command(relay, check["id"])["state"] == "done"


def test_issue5_s9_8_result_posted_to_cdata_without_table(relay: Relay) -> None:
    device(relay, "CMD0005")
    cmd = queue(relay, "CMD0005", {"kind": "info"})
    handed_out(relay, "CMD0005")
    assert relay.post("/iclock/cdata?SN=CMD0005",
                      f"ID={cmd['id']}&Return=0&CMD=INFO\nUserCount=3\n".encode()).acknowledged
    assert get_command(relay, cmd["id"])["state"] == "done"


def test_issue5_result_of_another_terminal_does_not_close_a_command(relay: Relay) -> None:
    device(relay, "CMD0006")
    device(relay, "CMD0007")
    cmd = queue(relay, "CMD0006", {"kind": "info"})
    handed_out(relay, "CMD0006")
    relay.post("/iclock/devicecmd?SN=CMD0007", f"ID={cmd['id']}&Return=0&CMD=INFO".encode())
    assert get_command(relay, cmd["id"])["state"] == "sent"


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Ann\tPri=14"),          # a second field
    ("name", "Ann\nC:99:CLEAR LOG"),  # a second command
    ("name", "Ann\r\nREBOOT"),
    ("name", "Ann\x00"),
    ("name", "Ann\x1b[2J"),
    ("name", "Ann\x7f"),
    ("name", "Ann\u2028REBOOT"),
    ("name", "Ann\x85"),
    ("pin", "1\tName=x"),
    ("pin", "1\n"),
    ("card", "12\tPri=14"),
    ("password", "1\nREBOOT"),
])
def test_issue5_injection_refused_with_400_naming_the_field(relay: Relay, field: str,
                                                              value: str) -> None:
    device(relay, "CMDINJ1")
    payload = {"kind": "user_upsert", "pin": "5", "name": "Ann", field: value}
    reply = relay.api("POST", "/api/v1/devices/CMDINJ1/commands", payload)
    assert reply.status == 400, reply.text
    body = reply.json()
    assert body["field"] == field
    assert field in body["message"]
    assert handed_out(relay, "CMDINJ1") == []  # nothing was queued


def test_issue5_attlog_query_times_validated(relay: Relay) -> None:
    device(relay, "CMDINJ2")
    for payload, field in (
        ({"start": "2024-08-01 00:00:00\tEndTime=x", "end": "2024-08-02 00:00:00"}, "start"),
        ({"start": "2024-08-01 00:00:00", "end": "2024-08-02 00:00:00\nREBOOT"}, "end"),
        ({"start": "2024-08-01", "end": "2024-08-02 00:00:00"}, "start"),
        ({"start": "2024-02-30 00:00:00", "end": "2024-08-02 00:00:00"}, "start"),
        ({"start": "2024-08-03 00:00:00", "end": "2024-08-02 00:00:00"}, "end"),
        ({"start": "2024-08-01 00:00:00"}, "end"),
    ):
        reply = relay.api("POST", "/api/v1/devices/CMDINJ2/commands",
                          {"kind": "attlog_query", **payload})
        assert reply.status == 400, payload
        assert reply.json()["field"] == field, payload
    assert handed_out(relay, "CMDINJ2") == []


@pytest.mark.parametrize("kind", ["shell", "Shell", "getfile", "GetFile", "putfile", "upgrade",
                                  "UPGRADE", "clear_log", "CLEAR LOG", "clear_data", "reboot",
                                  "REBOOT", "set_option", "SET OPTION", "raw", "enroll_fp",
                                  "CHECK", "", None, 5])
def test_issue5_harmful_or_unknown_kinds_are_not_expressible(relay: Relay, kind: object) -> None:
    device(relay, "CMDKIND")
    reply = relay.api("POST", "/api/v1/devices/CMDKIND/commands",
                      {"kind": kind, "command": "Shell rm -rf /"})
    assert reply.status == 400
    assert reply.json()["field"] == "kind"
    assert handed_out(relay, "CMDKIND") == []


def test_issue5_raw_command_text_cannot_ride_along(relay: Relay) -> None:
    device(relay, "CMDRAW")
    for payload, field in (({"kind": "check", "command": "REBOOT"}, "command"),
                           ({"kind": "user_delete", "pin": "1", "text": "CLEAR LOG"}, "text"),
                           ({"kind": "info", "params": {"cmd": "Shell ls"}}, "cmd")):
        reply = relay.api("POST", "/api/v1/devices/CMDRAW/commands", payload)
        assert reply.status == 400, payload
        assert reply.json()["field"] == field
    # the bad values that are not injections but are still out of range
    for payload, field in (({"kind": "user_upsert", "pin": "1", "name": "A", "privilege": 3},
                            "privilege"),
                           ({"kind": "user_upsert", "pin": "1", "name": "A" * 65}, "name"),
                           ({"kind": "user_upsert", "pin": "", "name": "A"}, "pin"),
                           ({"kind": "user_upsert", "pin": "1"}, "name"),
                           ({"kind": "user_upsert", "pin": "1", "name": "A", "card": "[15CD]"},
                            "card")):
        reply = relay.api("POST", "/api/v1/devices/CMDRAW/commands", payload)
        assert reply.status == 400, payload
        assert reply.json()["field"] == field
    assert handed_out(relay, "CMDRAW") == []


def test_issue5_params_object_is_accepted_too(relay: Relay) -> None:
    device(relay, "CMDPAR")
    cmd = queue(relay, "CMDPAR", {"kind": "user_delete", "params": {"pin": "9"}})
    assert cmd["command"] == "DATA DELETE USERINFO PIN=9"


def test_issue5_untyped_row_in_queue_is_never_handed_out(relay: Relay) -> None:
    """Defence in depth: whatever writes the commands table, only the typed kinds' shapes
    leave the relay; anything else is marked failed."""
    import sqlite3

    device(relay, "CMDDB")
    conn = sqlite3.connect(relay.data_dir / "relay.sqlite3", isolation_level=None)
    bad = [conn.execute("INSERT INTO commands (serial, command, created_at) VALUES (?, ?, ?)",
                        ("CMDDB", text, "2024-08-01T00:00:00+00:00")).lastrowid
           for text in ("Shell reboot", "CLEAR LOG", "DATA UPDATE USERINFO PIN=1\nREBOOT")]
    conn.close()
    good = queue(relay, "CMDDB", {"kind": "info"})
    assert handed_out(relay, "CMDDB") == [(good["id"], "INFO")]
    for cid in bad:
        got = get_command(relay, cid)
        assert got["state"] == "failed" and "not a typed command" in got["result"]


def test_issue5_s4_6_caps_200_commands_per_reply_and_short_ids(relay: Relay) -> None:
    device(relay, "CMDCAP")
    ids = [queue(relay, "CMDCAP", {"kind": "user_upsert", "pin": str(i), "name": "N" * 64})["id"]
           for i in range(205)]
    first = handed_out(relay, "CMDCAP")
    assert [cid for cid, _ in first] == ids[:200]
    reply_bytes = sum(len(f"C:{cid}:{text}\n".encode()) for cid, text in first)
    assert reply_bytes <= 40_000
    assert all(len(str(cid)) <= 16 for cid, _ in first)
    assert [cid for cid, _ in handed_out(relay, "CMDCAP")] == ids[200:]


def test_issue5_commands_page_and_filters(relay: Relay) -> None:
    device(relay, "CMDPG1")
    device(relay, "CMDPG2")
    mine = [queue(relay, s, {"kind": "info"})["id"] for s in ("CMDPG1", "CMDPG2", "CMDPG1")]
    seen: list[int] = []
    after = mine[0] - 1
    while True:
        page = relay.api("GET", f"/api/v1/commands?after={after}&limit=2").json()
        assert set(page) == {"store_id", "commands", "next_after", "has_more"}
        seen += [c["id"] for c in page["commands"]]
        after = page["next_after"]
        if not page["has_more"]:
            break
    assert set(mine) <= set(seen) and seen == sorted(seen)
    only = relay.api("GET", f"/api/v1/commands?after={mine[0] - 1}&serial=CMDPG1").json()
    assert [c["id"] for c in only["commands"]] == [mine[0], mine[2]]
    one = only["commands"][0]
    assert set(one) == {"id", "serial", "kind", "params", "command", "state", "return_code",
                        "result", "result_fields", "created_at", "sent_at", "done_at",
                        "retries"}
    queued = relay.api("GET", "/api/v1/commands?state=queued&serial=CMDPG2").json()
    assert [c["id"] for c in queued["commands"]] == [mine[1]]
    assert relay.api("GET", "/api/v1/commands?state=bogus").status == 400


def test_issue5_command_endpoints_need_a_token_and_a_known_device(relay: Relay) -> None:
    device(relay, "CMDAUTH")
    assert relay.api("POST", "/api/v1/devices/CMDAUTH/commands", {"kind": "info"},
                     auth=False).status == 401
    assert relay.api("GET", "/api/v1/commands", auth=False).status == 401
    assert relay.api("GET", "/api/v1/commands/1", token="nope").status == 401
    assert relay.api("POST", "/api/v1/devices/NOSUCHDEV/commands",
                     {"kind": "info"}).status == 404
    assert relay.api("GET", "/api/v1/commands/999999999").status == 404
    assert relay.api("GET", "/api/v1/commands/abc").status == 404
    empty = relay.api("POST", "/api/v1/devices/CMDAUTH/commands", None,
                      headers=["Content-Length: 0"])
    assert empty.status == 400 and empty.json()["field"] == "body"
    mixed = relay.api("POST", "/api/v1/devices/CMDAUTH/commands",
                      {"kind": "user_delete", "pin": "1", "params": {"pin": "2"}})
    assert mixed.status == 400 and mixed.json()["field"] == "params"
