"""The pull API (issue 5) over real HTTP against a running relay: auth refusals, paging,
acknowledgement and resend after a puller crash, devices, users/oplog/quarantine, health,
retention."""

from __future__ import annotations

import time

import pytest
from relay_harness import Relay

pytestmark = pytest.mark.slow


def punches(n: int, start: int = 0, day: str = "2024-08-05") -> bytes:
    return b"".join(f"{i}\t{day} 08:{i // 60:02d}:{i % 60:02d}\t0\t1\t0\t0\t0\n".encode()
                    for i in range(start, start + n))


@pytest.fixture(scope="module")
def loaded(relay: Relay) -> Relay:
    relay.add_device("API0001", "Asia/Manila", "--name", "Front door")
    relay.add_device("API0002", "Europe/Paris")
    assert relay.attlog("API0001", punches(15)).text == "OK: 15"
    assert relay.attlog("API0002", punches(10)).text == "OK: 10"
    return relay


# ----------------------------------------------------------------------------- auth


def test_api_refuses_without_valid_token(loaded: Relay) -> None:
    good = loaded.token("auth-good")
    for path in ("/api/v1/events", "/api/v1/devices", "/api/v1/users", "/api/v1/oplog",
                 "/api/v1/quarantine"):
        for kwargs in ({"auth": False}, {"token": "not-a-token"}, {"token": good[:-1]}):
            reply = loaded.api("GET", path, **kwargs)
            assert reply.status == 401, (path, kwargs)
            assert reply.headers["content-type"] == "application/json"
            assert reply.json()["error"] == "unauthorized"
            assert "bearer" in reply.headers["www-authenticate"].lower()
    # wrong scheme
    reply = loaded.api("GET", "/api/v1/events", auth=False,
                       headers=[f"Authorization: Basic {good}"])
    assert reply.status == 401
    assert loaded.api("POST", "/api/v1/events/ack", {"store_id": "x", "up_to": 1},
                      auth=False).status == 401
    assert loaded.api("PUT", "/api/v1/devices/ZZZ", {"timezone": "UTC"}, auth=False).status \
        == 401
    assert loaded.api("GET", "/api/v1/events", token=good).status == 200


def test_api_revoked_token_is_refused(loaded: Relay) -> None:
    token = loaded.token("short-lived")
    assert loaded.api("GET", "/api/v1/events", token=token).status == 200
    loaded.cli("token", "revoke", "short-lived")
    assert loaded.api("GET", "/api/v1/events", token=token).status == 401
    listed = loaded.cli("token", "list").stdout
    assert "short-lived" not in listed
    assert "auth-good" in listed


def test_tokens_are_stored_only_as_hashes(loaded: Relay) -> None:
    token = loaded.token("hashed")
    conn = loaded.db()
    stored = [row[0] for row in conn.execute("SELECT token_hash FROM tokens")]
    conn.close()
    import hashlib

    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_health_needs_no_token(loaded: Relay) -> None:
    reply = loaded.api("GET", "/health", auth=False)
    assert reply.status == 200
    health = reply.json()
    assert health["db_writable"] is True
    assert health["disk_free_bytes"] > 0
    assert health["version"]
    assert health["events_waiting_for_ack"] >= 25
    seen = {d["serial"]: d["last_seen"] for d in health["devices"]}
    assert seen["API0001"] is not None


# ----------------------------------------------------------------------------- events


def test_api_events_paging(loaded: Relay) -> None:
    first = loaded.api("GET", "/api/v1/events?limit=10").json()
    store_id = first["store_id"]
    assert len(store_id) == 32 and int(store_id, 16) >= 0
    assert len(first["events"]) == 10 and first["has_more"] is True
    event = first["events"][0]
    assert set(event) == {"id", "serial", "pin", "local_time", "timezone", "status", "verify",
                          "workcode", "received_at", "fingerprint"}
    assert isinstance(event["pin"], str) and event["timezone"] == "Asia/Manila"
    assert event["received_at"].endswith("+00:00")
    seen = []
    after = 0
    while True:
        page = loaded.api("GET", f"/api/v1/events?after={after}&limit=10").json()
        assert page["store_id"] == store_id
        seen += page["events"]
        after = page["next_after"]
        if not page["has_more"]:
            break
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) >= 25
    assert after == ids[-1]
    empty = loaded.api("GET", f"/api/v1/events?after={after}").json()
    assert empty["events"] == [] and empty["next_after"] == after and not empty["has_more"]
    from zk_rules.fingerprint import punch_fingerprint

    for e in seen:
        assert e["fingerprint"] == punch_fingerprint(e["serial"], e["pin"], e["local_time"])


@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "limit=abc", "after=-1",
                                   "after=x"])
def test_api_events_bad_parameters(loaded: Relay, query: str) -> None:
    reply = loaded.api("GET", f"/api/v1/events?{query}")
    assert reply.status == 400 and reply.json()["error"] == "bad_request"


def test_api_ack_and_resend_after_puller_crash(relay_factory) -> None:
    """At-least-once: a puller that crashes before acknowledging gets the same events again;
    the acknowledgement never moves backwards nor past the last event; 409 on another store."""
    relay: Relay = relay_factory()
    relay.cli("device", "add", "ACK0001", "--tz", "Asia/Manila")
    relay.start()
    assert relay.attlog("ACK0001", punches(30)).text == "OK: 30"

    # puller 1 reads a page then "crashes" (never acknowledges)
    page1 = relay.api("GET", "/api/v1/events?after=0&limit=20").json()
    # puller 2 starts from the last acknowledged cursor: 0 → the same events again
    again = relay.api("GET", "/api/v1/events?after=0&limit=20").json()
    assert again["events"] == page1["events"]
    store_id = page1["store_id"]

    assert relay.api("POST", "/api/v1/events/ack",
                     {"store_id": "0" * 32, "up_to": page1["next_after"]}).status == 409
    reply = relay.api("POST", "/api/v1/events/ack",
                      {"store_id": store_id, "up_to": page1["next_after"]})
    assert reply.status == 200
    assert reply.json() == {"store_id": store_id, "acked_up_to": page1["next_after"]}
    health = relay.api("GET", "/health", auth=False).json()
    assert health["events_waiting_for_ack"] == 10
    assert health["acked_up_to"] == page1["next_after"]
    # backwards: ignored
    back = relay.api("POST", "/api/v1/events/ack", {"store_id": store_id, "up_to": 3}).json()
    assert back["acked_up_to"] == page1["next_after"]
    # past the end: clamped to the last event
    last = relay.api("GET", "/api/v1/events?after=0&limit=5000").json()["events"][-1]["id"]
    over = relay.api("POST", "/api/v1/events/ack", {"store_id": store_id,
                                                    "up_to": last + 1000}).json()
    assert over["acked_up_to"] == last
    # a restart keeps the store identity and the acknowledgement
    relay.stop()
    relay.start()
    health = relay.api("GET", "/health", auth=False).json()
    assert health["store_id"] == store_id and health["acked_up_to"] == last
    for bad in ({"store_id": store_id}, {"store_id": store_id, "up_to": -1},
                {"store_id": store_id, "up_to": "5"}, {"up_to": 5}, [1]):
        assert relay.api("POST", "/api/v1/events/ack", bad).status == 400


def test_api_retention_never_deletes_unacknowledged(relay_factory) -> None:
    """Retention deletes acknowledged events older than retention_days, never unacked ones."""
    relay: Relay = relay_factory(ZK_RELAY_RETENTION_DAYS="0",
                                 ZK_RELAY_RETENTION_INTERVAL_SECONDS="0.2")
    relay.cli("device", "add", "RET0001", "--tz", "UTC")
    relay.start()
    assert relay.attlog("RET0001", punches(20)).text == "OK: 20"
    relay.cli("prune")
    assert len(relay.events()) == 20  # nothing acknowledged: nothing deleted
    page = relay.api("GET", "/api/v1/events?limit=8").json()
    relay.api("POST", "/api/v1/events/ack", {"store_id": page["store_id"],
                                             "up_to": page["next_after"]})
    deadline = time.monotonic() + 30  # the periodic task runs every 0.2 s
    while len(relay.events()) > 12 and time.monotonic() < deadline:
        time.sleep(0.1)
    remaining = relay.events()
    assert len(remaining) == 12
    assert min(e[0] for e in remaining) == page["next_after"] + 1
    rest = relay.api("GET", "/api/v1/events?after=0").json()
    assert [e["id"] for e in rest["events"]] == [e[0] for e in remaining]
    # ids keep growing after deletion
    assert relay.attlog("RET0001", punches(1, start=100)).acknowledged
    assert relay.events()[-1][0] > remaining[-1][0]


# ----------------------------------------------------------------------------- devices


def test_api_devices_list_with_info_and_pending(loaded: Relay) -> None:
    loaded.get("/iclock/getrequest?SN=API0001&INFO=Ver%206.60,5,7,25,10.0.0.9,10,7,15,0,1")
    loaded.handshake("PEND0001")
    body = loaded.api("GET", "/api/v1/devices").json()
    assert body["store_id"]
    devices = {d["serial"]: d for d in body["devices"]}
    dev = devices["API0001"]
    assert dev["name"] == "Front door" and dev["timezone"] == "Asia/Manila"
    assert dev["enabled"] is True and dev["last_seen"]
    assert dev["info"]["firmware"] == "Ver 6.60" and dev["info"]["ip"] == "10.0.0.9"
    assert dev["counts"]["events"] == 15
    assert devices["API0002"]["info"] == {}
    pending = {p["serial"]: p for p in body["pending"]}
    assert set(pending["PEND0001"]) >= {"serial", "first_seen", "last_seen", "remote_addr"}


def test_api_put_device_registers_approves_updates(loaded: Relay) -> None:
    loaded.handshake("PEND0002")
    assert loaded.handshake("PEND0002").status == 403
    reply = loaded.api("PUT", "/api/v1/devices/PEND0002", {"timezone": "Asia/Kolkata",
                                                          "name": "Gate"})
    assert reply.status == 201 and reply.json()["device"]["timezone"] == "Asia/Kolkata"
    assert "TimeZone=330" in loaded.handshake("PEND0002").text
    pending = loaded.api("GET", "/api/v1/devices").json()["pending"]
    assert all(p["serial"] != "PEND0002" for p in pending)
    reply = loaded.api("PUT", "/api/v1/devices/PEND0002", {"timezone": "Asia/Manila"})
    assert reply.status == 200 and reply.json()["device"]["name"] == "Gate"
    assert "TimeZone=8" in loaded.handshake("PEND0002").text
    bad = loaded.api("PUT", "/api/v1/devices/PEND0002", {"timezone": "Mars/Olympus"})
    assert bad.status == 400 and "Mars/Olympus" in bad.json()["message"]
    assert loaded.api("PUT", "/api/v1/devices/NEW9", {"name": "x"}).status == 400
    assert loaded.api("PUT", "/api/v1/devices/bad%20serial", {"timezone": "UTC"}).status == 400
    assert loaded.api("PUT", "/api/v1/devices/X1", {"timezone": "UTC", "enabled": "yes"}
                      ).status == 400


def test_api_delete_device_disables_it(loaded: Relay) -> None:
    loaded.api("PUT", "/api/v1/devices/DEL0001", {"timezone": "UTC"})
    assert loaded.attlog("DEL0001", punches(1)).acknowledged
    reply = loaded.api("DELETE", "/api/v1/devices/DEL0001")
    assert reply.status == 200 and reply.json()["device"]["enabled"] is False
    refused = loaded.attlog("DEL0001", punches(1, start=5))
    assert refused.status == 403 and not refused.acknowledged
    assert loaded.api("DELETE", "/api/v1/devices/NOSUCH").status == 404
    assert loaded.api("PUT", "/api/v1/devices/DEL0001", {"enabled": True}).status == 200
    assert loaded.attlog("DEL0001", punches(1, start=5)).acknowledged


# ----------------------------------------------------------------------------- other pages


def test_api_users_oplog_quarantine_pages(loaded: Relay) -> None:
    body = (b"USER PIN=0042\tName=Ana\tPri=14\tPasswd=123\tCard=[15CD5B07]\tGrp=1\tTZ=0\n"
            b"USER PIN=0043\tName=Ben\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0\n"
            b"OPLOG 21\t0\t2024-08-05 08:00:00\t0\t0\t0\t0\n"
            b"OPLOG 0\t0\t2024-08-05 07:00:00\t0\t0\t0\t0\n")
    assert loaded.post("/iclock/cdata?SN=API0002&table=OPERLOG&Stamp=1", body).acknowledged
    assert loaded.attlog("API0002", b"oops\n").acknowledged
    users = loaded.api("GET", "/api/v1/users?limit=1").json()
    assert users["has_more"] is True and len(users["users"]) == 1
    u = users["users"][0]
    assert {"id", "serial", "pin", "name", "privilege", "card", "received_at"} <= set(u)
    assert "passwd" not in {k.lower() for k in u}
    allu = loaded.api("GET", "/api/v1/users?after=0").json()["users"]
    assert [(x["pin"], x["name"], x["privilege"]) for x in allu if x["serial"] == "API0002"] == [
        ("0042", "Ana", 14), ("0043", "Ben", 0)]
    oplog = loaded.api("GET", "/api/v1/oplog").json()
    ops = [(o["op_type"], o["local_time"]) for o in oplog["oplog"] if o["serial"] == "API0002"]
    assert ops == [(21, "2024-08-05 08:00:00"), (0, "2024-08-05 07:00:00")]
    q = loaded.api("GET", "/api/v1/quarantine").json()
    assert q["store_id"] and any(x["raw"] == "oops" and x["serial"] == "API0002"
                                 for x in q["quarantine"])
    assert all({"next_after", "has_more", "store_id"} <= set(page) for page in (users, oplog, q))
