"""Issue 10, relay side, with real processes over real HTTP on loopback: ``zk-relay enrol``
against the contract peer (tests/relay/odoo_contract_peer.py, Odoo's side as an executable
spec — not Odoo), push delivery by a running ``zk-relay serve``, the link cut mid-page,
revocation, signed pull pages, delivery lag on /health and /metrics, a pull → push → pull
switch."""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from odoo_contract_peer import OdooContractPeer
from relay_harness import Relay

from zk_rules import signing

pytestmark = pytest.mark.slow

SERIAL = "LINK0001"
FAST = {"ZK_RELAY_PUSH_PAGE_SIZE": "7", "ZK_RELAY_PUSH_INTERVAL_SECONDS": "0.05",
        "ZK_RELAY_PUSH_BACKOFF_BASE_SECONDS": "0.01", "ZK_RELAY_PUSH_BACKOFF_CAP_SECONDS": "0.05"}


def punches(n: int, start: int = 0) -> bytes:
    return b"".join(f"{100 + i % 9}\t2024-08-05 08:{i // 60:02d}:{i % 60:02d}\t0\t1\t0\t0\t0\n"
                    .encode() for i in range(start, start + n))


def wait_for(condition: Callable[[], Any], what: str, deadline: float = 60.0) -> Any:
    """Poll a condition (a deadline for a hang, not a timing assertion)."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


@pytest.fixture
def peer() -> Iterator[OdooContractPeer]:
    p = OdooContractPeer(mode="push", devices=[
        {"serial": SERIAL, "timezone": "Asia/Manila", "name": "Front door", "enabled": True},
        {"serial": "LINK0002", "timezone": "Europe/Paris", "name": "Back", "enabled": False},
        {"serial": "LINK0003", "timezone": "Mars/Olympus", "name": "Bad zone", "enabled": True},
    ]).start()
    yield p
    p.stop()


def enrol(relay: Relay, peer: OdooContractPeer, *extra: str, check: bool = True) -> Any:
    return relay.cli("enrol", "--odoo", peer.url, "--code", peer.new_code(), *extra,
                     check=check)


def stored_fingerprints(relay: Relay) -> set[str]:
    return {row[-1] for row in relay.events()}


def health(relay: Relay) -> dict[str, Any]:
    return relay.api("GET", "/health", auth=False).json()


# ----------------------------------------------------------------------------- enrolment


def test_enrolment_end_to_end(relay_factory: Callable[..., Relay],
                              peer: OdooContractPeer) -> None:
    relay = relay_factory()
    result = enrol(relay, peer, "--url", "https://relay-branch12.example.com/")
    assert "enrolled with" in result.stdout and "as relay 1: mode push" in result.stdout
    assert "LINK0001, LINK0002" in result.stdout
    assert "LINK0003" in result.stderr and "Mars/Olympus" in result.stderr
    record = peer.relay
    assert record is not None
    assert record.odoo_token not in result.stdout + result.stderr
    assert record.relay_token not in result.stdout + result.stderr
    sent = peer.enrolments[-1]
    assert sent["relay_url"] == "https://relay-branch12.example.com"
    assert sent["version"]
    # the key registered is the relay's key; its file is private
    key = json.loads(relay.cli("key", "show", "--json").stdout)
    assert (key["public_key"], key["key_id"]) == (record.public_key, record.key_id)
    assert key["key_id"] == signing.key_id(key["public_key"])
    assert stat.S_IMODE(os.stat(key["path"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(relay.data_dir / "relay.sqlite3").st_mode) == 0o600
    # terminals from Odoo are registered, with their zone and state
    devices = {d["serial"]: d for d in map(json.loads, relay.cli(
        "device", "list", "--json").stdout.splitlines())}
    assert set(devices) == {SERIAL, "LINK0002"}
    assert devices[SERIAL]["timezone"] == "Asia/Manila" and devices[SERIAL]["enabled"]
    assert not devices["LINK0002"]["enabled"]
    # the status shows the link but never the token
    status = relay.cli("odoo", "status").stdout
    assert "mode: push" in status and "relay_id: 1" in status and "state: active" in status
    assert "odoo_token: set (not shown)" in status
    as_json = relay.cli("odoo", "status", "--json").stdout
    assert record.odoo_token not in status + as_json
    assert json.loads(as_json)["odoo"]["delivery_url"] == peer.url + "/zk/relay/push"
    # the token Odoo received opens the pull API, and the store id it got is the relay's
    relay.start()
    assert relay.api("GET", "/api/v1/events", token=record.relay_token).status == 200
    assert record.store_id == health(relay)["store_id"]
    assert health(relay)["key_id"] == key["key_id"]
    # forgetting the link revokes the token Odoo was given
    assert "revoked API token 'odoo-1'" in relay.cli("odoo", "forget").stdout
    assert relay.api("GET", "/api/v1/events", token=record.relay_token).status == 401
    assert "not enrolled" in relay.cli("odoo", "status").stdout


def test_enrolment_refused_leaves_nothing_behind(relay_factory: Callable[..., Relay],
                                                 peer: OdooContractPeer) -> None:
    relay = relay_factory()
    for state, words in (("used", "code_used"), ("expired", "code_expired"),
                         ("fresh", None)):
        code = peer.new_code(state) if words else "NOT-A-CODE"
        result = relay.cli("enrol", "--odoo", peer.url, "--code", code, check=False)
        assert result.returncode == 1
        assert "enrolment failed: Odoo refused the enrolment code" in result.stderr
        assert "create a new one in Odoo" in result.stderr
        if words:
            assert words in result.stderr
    assert "odoo-" not in relay.cli("token", "list").stdout  # the token made for Odoo is gone
    assert "not enrolled" in relay.cli("odoo", "status").stdout
    assert relay.cli("device", "list").stdout.strip() == "(none)"


def test_enrolment_failures_are_explained(relay_factory: Callable[..., Relay],
                                          peer: OdooContractPeer) -> None:
    relay = relay_factory()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    cases = [
        (["--odoo", closed, "--code", "X"], "cannot reach Odoo at " + closed),
        (["--odoo", peer.url + "/not-odoo", "--code", "X"], "HTTP 404"),
        (["--odoo", "odoo.example.com", "--code", "X"], "give the address as https://"),
        (["--odoo", peer.url, "--code", " "], "--code"),
    ]
    for args, message in cases:
        result = relay.cli("enrol", *args, check=False)
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
    assert "odoo-" not in relay.cli("token", "list").stdout


# ----------------------------------------------------------------------------- push mode


def test_push_delivers_every_event_exactly_once(relay_factory: Callable[..., Relay],
                                                peer: OdooContractPeer) -> None:
    relay = relay_factory(**FAST)
    enrol(relay, peer)
    relay.start()
    assert relay.attlog(SERIAL, punches(40)).text == "OK: 40"
    wait_for(lambda: peer.cursor == 40, "all 40 events committed by the peer")
    assert set(peer.committed) == stored_fingerprints(relay)
    assert peer.duplicates == 0
    assert all(d.status == 200 for d in peer.deliveries)
    assert [d.events for d in peer.deliveries if d.events][:5] == [7] * 5
    # the relay heard the answer: cursor and retention acknowledgement at 40, no lag
    delivery = wait_for(lambda: (h := health(relay)["delivery"])["unacked_events"] == 0 and h,
                        "health shows no lag")
    assert delivery["acked_up_to"] == 40 and delivery["odoo"]["push_cursor"] == 40
    assert delivery["odoo"]["last_delivery_at"] and delivery["oldest_unacked_age_seconds"] is None
    assert "pushed: 40 event(s)" in relay.cli("odoo", "status").stdout


def test_link_cut_mid_page_loses_and_doubles_nothing(relay_factory: Callable[..., Relay],
                                                     peer: OdooContractPeer) -> None:
    relay = relay_factory(**FAST)
    enrol(relay, peer)
    # the peer imports a page, then closes the connection without answering (twice), then
    # closes one before importing: the relay cannot know, retries, the peer sees duplicates
    peer.then("ok", "drop_after_commit", "drop_after_commit", "drop_before_commit")
    relay.start()
    assert relay.attlog(SERIAL, punches(30)).text == "OK: 30"
    wait_for(lambda: peer.cursor == 30, "all 30 events committed by the peer")
    assert set(peer.committed) == stored_fingerprints(relay)
    assert len(peer.committed) == 30
    assert peer.duplicates == 14  # the second page, imported once and received three times
    assert [d.after for d in peer.deliveries if d.action == "drop_after_commit"] == [7, 7]
    assert [d.action for d in peer.deliveries][:4] == ["ok", "drop_after_commit",
                                                      "drop_after_commit", "drop_before_commit"]
    assert peer.deliveries[4].after == 7  # the same page, a fourth time, answered
    assert "connection closed before an answer" in relay.log()


def test_revoked_relay_stops_and_reenrolment_resumes(relay_factory: Callable[..., Relay],
                                                     peer: OdooContractPeer) -> None:
    relay = relay_factory(**FAST)
    enrol(relay, peer)
    relay.start()
    assert relay.attlog(SERIAL, punches(5)).text == "OK: 5"
    wait_for(lambda: peer.cursor == 5, "first events committed")
    healthy = health(relay)["status"]  # "degraded" too where the host clock is not synced
    peer.revoke()
    assert relay.attlog(SERIAL, punches(5, 5)).text == "OK: 5"
    h = wait_for(lambda: (h := health(relay))["delivery"]["odoo"]["state"] == "revoked" and h,
                 "health shows the link revoked")
    assert h["status"] == "degraded"
    assert "HTTP 401" in h["delivery"]["odoo"]["state_reason"]
    assert h["delivery"]["unacked_events"] == 5
    status = relay.cli("odoo", "status").stdout
    assert "state: revoked" in status and "enrol again" in status
    assert "push stopped" in relay.log()
    # a new code from Odoo: the running relay picks the new link up and catches up
    enrol(relay, peer)
    wait_for(lambda: peer.cursor == 10, "events committed after re-enrolment")
    assert set(peer.committed) == stored_fingerprints(relay)
    assert wait_for(lambda: health(relay)["delivery"]["odoo"]["state"] == "active",
                    "link active again")
    assert health(relay)["status"] == healthy


def test_rotated_token_is_stored_and_used(relay_factory: Callable[..., Relay],
                                          peer: OdooContractPeer) -> None:
    relay = relay_factory(**{**FAST, "ZK_RELAY_PUSH_PAGE_SIZE": "3"})
    enrol(relay, peer)
    peer.then("rotate:rotated-token-abc")
    relay.start()
    assert relay.attlog(SERIAL, punches(9)).text == "OK: 9"
    wait_for(lambda: peer.cursor == 9, "all events committed")
    tokens = [d.token for d in peer.deliveries]
    assert tokens[0] != "rotated-token-abc"
    assert set(tokens[1:]) == {"rotated-token-abc"}
    assert all(d.status == 200 for d in peer.deliveries)
    assert json.loads(relay.cli("odoo", "status", "--json").stdout)["odoo"]["token_rotated_at"]


# ----------------------------------------------------------------------------- pull mode


def test_pull_pages_are_signed_and_verifiable(relay_factory: Callable[..., Relay]) -> None:
    relay = relay_factory()
    relay.add_device(SERIAL)
    relay.start()
    assert relay.attlog(SERIAL, punches(12)).text == "OK: 12"
    key = json.loads(relay.cli("key", "show", "--json").stdout)
    for after, limit in ((0, 5), (5, 5), (10, 5), (12, 5)):
        page = relay.api("GET", f"/api/v1/events?after={after}&limit={limit}").json()
        assert page["signature"]["key_id"] == key["key_id"]
        signing.verify_page(page, key["public_key"])
    page["next_after"] = 11
    with pytest.raises(signing.PageSignatureError):
        signing.verify_page(page, key["public_key"])
    page = relay.api("GET", "/api/v1/events?after=0&limit=5").json()
    page["events"][0]["local_time"] = "2024-08-05 07:00:00"
    with pytest.raises(signing.PageSignatureError):
        signing.verify_page(page, key["public_key"])


def test_health_and_metrics_show_delivery_lag(relay_factory: Callable[..., Relay]) -> None:
    relay = relay_factory()
    relay.add_device(SERIAL)
    relay.start()
    empty = health(relay)["delivery"]
    assert (empty["unacked_events"], empty["oldest_unacked_received_at"], empty["odoo"]) == \
        (0, None, None)
    assert relay.attlog(SERIAL, punches(6)).text == "OK: 6"
    conn = relay.db()
    first_received = conn.execute("SELECT received_at FROM events ORDER BY id LIMIT 1"
                                  ).fetchone()[0]
    conn.close()
    delivery = health(relay)["delivery"]
    assert delivery["unacked_events"] == 6
    assert delivery["oldest_unacked_received_at"] == first_received
    assert delivery["oldest_unacked_age_seconds"] >= 0
    metrics = relay.api("GET", "/metrics", auth=False).text
    assert "zk_relay_oldest_unacked_event_age_seconds" in metrics
    assert "zk_relay_oldest_unacked_event_timestamp_seconds" in metrics
    store_id = health(relay)["store_id"]
    assert relay.api("POST", "/api/v1/events/ack", {"store_id": store_id, "up_to": 4}).status \
        == 200
    delivery = health(relay)["delivery"]
    assert delivery["unacked_events"] == 2 and delivery["oldest_unacked_received_at"]
    relay.api("POST", "/api/v1/events/ack", {"store_id": store_id, "up_to": 6})
    assert health(relay)["delivery"]["unacked_events"] == 0
    assert health(relay)["delivery"]["oldest_unacked_age_seconds"] is None


def test_switch_pull_push_pull_loses_and_doubles_nothing(relay_factory: Callable[..., Relay],
                                                         peer: OdooContractPeer) -> None:
    relay = relay_factory(**FAST)
    peer.mode = "pull"
    enrol(relay, peer)
    relay.start()
    base = f"http://127.0.0.1:{relay.port}"
    assert relay.attlog(SERIAL, punches(10)).text == "OK: 10"
    assert peer.pull(base, limit=4) == 10
    assert relay.attlog(SERIAL, punches(10, 10)).text == "OK: 10"
    peer.mode = "push"  # chosen in Odoo; the relay learns it from a new enrolment
    enrol(relay, peer)
    wait_for(lambda: peer.cursor == 20, "push caught up after the switch")
    assert relay.attlog(SERIAL, punches(5, 20)).text == "OK: 5"
    wait_for(lambda: peer.cursor == 25, "new events pushed")
    peer.mode = "pull"
    enrol(relay, peer)
    assert relay.attlog(SERIAL, punches(5, 25)).text == "OK: 5"
    peer.pull(base, limit=4)
    assert peer.cursor == 30
    assert set(peer.committed) == stored_fingerprints(relay)
    assert len(peer.committed) == 30
    assert json.loads(relay.cli("odoo", "status", "--json").stdout)["odoo"]["mode"] == "pull"


def test_odoo_switches_an_enrolled_relay_to_push_through_the_api(
        relay_factory: Callable[..., Relay], peer: OdooContractPeer) -> None:
    """Odoo, pulling, can reach the relay: PUT /api/v1/odoo/mode starts the push at once, and
    Odoo's mode-pull answer stops it; nothing lost or doubled across both switches."""
    relay = relay_factory(**FAST)
    peer.mode = "pull"
    enrol(relay, peer)
    relay.start()
    assert relay.api("PUT", "/api/v1/odoo/mode", {"mode": "push"}, auth=False).status == 401
    base = f"http://127.0.0.1:{relay.port}"
    token = peer.relay.relay_token
    assert relay.attlog(SERIAL, punches(6)).text == "OK: 6"
    assert peer.pull(base, limit=4) == 6
    assert relay.attlog(SERIAL, punches(6, 6)).text == "OK: 6"
    bad = relay.api("PUT", "/api/v1/odoo/mode", {"mode": "carrier-pigeon"}, token=token)
    assert bad.status == 400
    peer.mode = "push"
    switched = relay.api("PUT", "/api/v1/odoo/mode", {"mode": "push"}, token=token)
    assert switched.status == 200 and switched.json()["mode"] == "push"
    wait_for(lambda: peer.cursor == 12, "pushed after the switch")
    peer.mode = "pull"
    assert relay.attlog(SERIAL, punches(3, 12)).text == "OK: 3"
    wait_for(lambda: json.loads(relay.cli("odoo", "status", "--json").stdout)["odoo"]["mode"]
             == "pull", "the relay took Odoo's mode-pull answer")
    peer.pull(base, limit=4)
    assert peer.cursor == 15 and len(peer.committed) == 15
    assert set(peer.committed) == stored_fingerprints(relay)
