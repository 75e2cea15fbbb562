"""Reconciliation per terminal and day (issue 17) with a real ``zk-relay serve`` and the push
terminal simulator: the relay asks a closed day again (``DATA QUERY ATTLOG``), fills what it
lacked, and gives the day a state that is never *confirmed* when it was not.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from recon_helpers import (
    ask,
    day_records,
    days,
    local_today,
    push_terminal,
    settle,
    start_relay,
    stored,
)

from zk_rules.signing import verify_page
from zk_sim import Faults, TcpTerminal
from zk_sim.push_terminal import record_key

pytestmark = pytest.mark.slow

DAY = local_today() - timedelta(days=1)
EARLIER = local_today() - timedelta(days=2)


def pull(relay, after: int) -> tuple[list[dict], int]:
    """Every event page after ``after``, as Odoo's import pulls them (signed pages)."""
    events = []
    while True:
        page = relay.api("GET", f"/api/v1/events?after={after}&limit=7").json()
        events += page["events"]
        after = page["next_after"]
        if not page["has_more"]:
            return events, after


def test_gaps_filled_then_confirmed_each_punch_once(relay_factory):
    """Issue 17: records lost on the way are found by re-upload, stored once, the day becomes
    gaps filled; asked again, the same day is confirmed."""
    relay = start_relay(relay_factory)
    records = day_records(DAY)
    lost = {record_key(r) for r in records[3:8]}
    sim = push_terminal(relay, "RCGAP1", records, faults=Faults(drop=set(lost)))
    assert sim.sync()
    assert len(stored(relay, "RCGAP1")) == len(records) - 5
    imported, cursor = pull(relay, 0)  # what Odoo's import had before the check
    assert len(imported) == len(records) - 5

    [run] = ask(relay, "RCGAP1", DAY.isoformat())
    row = settle(relay, "RCGAP1", DAY.isoformat(), sim)
    filled, cursor = pull(relay, cursor)  # the gaps reach Odoo as punches, once each
    assert sorted((e["pin"], e["local_time"]) for e in filled) == sorted(lost)
    assert len({e["fingerprint"] for e in imported + filled}) == len(records)

    assert row["state"] == "gaps_filled"
    assert (row["at_terminal"], row["on_relay"], row["gaps_filled"]) == (len(records),
                                                                        len(records), 5)
    assert row["run_id"] == run["id"]
    assert stored(relay, "RCGAP1") == Counter(record_key(r) for r in records)  # each once

    ask(relay, "RCGAP1", DAY.isoformat())
    again = settle(relay, "RCGAP1", DAY.isoformat(), sim)
    assert again["state"] == "confirmed" and again["gaps_filled"] == 0
    assert again["attempts"] == 2 and again["revision"] > row["revision"]
    assert stored(relay, "RCGAP1") == Counter(record_key(r) for r in records)


def test_ignored_query_is_not_answered_never_confirmed(relay_factory):
    relay = start_relay(relay_factory, ZK_RELAY_RECON_ANSWER_TIMEOUT_SECONDS="1.5")
    sim = push_terminal(relay, "RCIGN1", day_records(DAY), faults=Faults(ignore_query=True))
    assert sim.sync()
    ask(relay, "RCIGN1", DAY.isoformat())
    row = settle(relay, "RCIGN1", DAY.isoformat(), sim)
    assert (row["state"], row["reason"]) == ("not_answered", "no_acknowledgement")
    assert row["at_terminal"] is None


def test_refused_query_is_not_answered(relay_factory):
    relay = start_relay(relay_factory)
    sim = push_terminal(relay, "RCREF1", day_records(DAY), faults=Faults(refuse_query=True))
    assert sim.sync()
    ask(relay, "RCREF1", DAY.isoformat())
    row = settle(relay, "RCREF1", DAY.isoformat(), sim)
    assert (row["state"], row["reason"]) == ("not_answered", "refused")


def test_terminal_never_seen_or_gone_is_offline(relay_factory):
    relay = start_relay(relay_factory, ZK_RELAY_RECON_ANSWER_TIMEOUT_SECONDS="1.5")
    reply = relay.api("PUT", "/api/v1/devices/RCOFF1", {"timezone": "Asia/Manila"})
    assert reply.status == 201
    ask(relay, "RCOFF1", DAY.isoformat())
    row = settle(relay, "RCOFF1", DAY.isoformat())
    assert (row["state"], row["reason"]) == ("terminal_offline", "not_seen")
    commands = relay.api("GET", "/api/v1/commands?serial=RCOFF1").json()["commands"]
    assert commands == []  # an offline terminal is not sent a query it cannot get

    sim = push_terminal(relay, "RCOFF2", day_records(DAY))
    assert sim.sync()  # seen, then silent: the query waits in vain
    ask(relay, "RCOFF2", DAY.isoformat())
    row = settle(relay, "RCOFF2", DAY.isoformat())
    assert (row["state"], row["reason"]) == ("terminal_offline", "not_seen")


def test_answer_twice_counts_once(relay_factory):
    relay = start_relay(relay_factory)
    records = day_records(DAY)
    sim = push_terminal(relay, "RCTWO1", records,
                        faults=Faults(answer_twice=True, drop={record_key(records[0])}))
    assert sim.sync()
    ask(relay, "RCTWO1", DAY.isoformat())
    row = settle(relay, "RCTWO1", DAY.isoformat(), sim)
    assert (row["state"], row["at_terminal"], row["gaps_filled"]) == ("gaps_filled",
                                                                     len(records), 1)
    assert stored(relay, "RCTWO1") == Counter(record_key(r) for r in records)


def test_answer_with_other_days_is_incomplete(relay_factory):
    """A terminal whose filter lets other days through cannot confirm the day asked; the
    records it sent are still stored once."""
    relay = start_relay(relay_factory)
    records = day_records(EARLIER) + day_records(DAY)
    sim = push_terminal(relay, "RCOTH1", records, faults=Faults(other_days=True))
    assert sim.sync()
    ask(relay, "RCOTH1", DAY.isoformat())
    row = settle(relay, "RCOTH1", DAY.isoformat(), sim)
    assert (row["state"], row["reason"]) == ("incomplete", "other_days")
    run = relay.api("GET", "/api/v1/reconciliation/runs?serial=RCOTH1").json()["runs"][-1]
    assert run["other_days"] == len(day_records(EARLIER))
    assert stored(relay, "RCOTH1") == Counter(record_key(r) for r in records)


def test_cleared_log_is_incomplete_and_reported(relay_factory):
    relay = start_relay(relay_factory)
    records = day_records(DAY)
    sim = push_terminal(relay, "RCCLR1", records)
    assert sim.sync()
    assert sim.clear_log() == len(records)
    assert sim.sync()  # OPLOG 23 and a smaller INFO count reach the relay
    ask(relay, "RCCLR1", DAY.isoformat())
    row = settle(relay, "RCCLR1", DAY.isoformat(), sim)
    assert (row["state"], row["reason"]) == ("incomplete", "log_cleared")
    assert (row["at_terminal"], row["on_relay"]) == (0, len(records))
    events = relay.api("GET", "/api/v1/health/events?serial=RCCLR1").json()["events"]
    kinds = {e["kind"] for e in events}
    assert {"log_cleared", "count_dropped"} <= kinds
    assert any(f"from {len(records)} to 0" in e["detail"] for e in events)


def test_overlapping_requests_share_one_run_and_terminal_gets_one_query_at_a_time(
        relay_factory):
    relay = start_relay(relay_factory)
    records = day_records(EARLIER) + day_records(DAY)
    sim = push_terminal(relay, "RCOVL1", records)
    assert sim.sync()
    [first] = ask(relay, "RCOVL1", DAY.isoformat())
    [same] = ask(relay, "RCOVL1", DAY.isoformat())
    both = ask(relay, "RCOVL1", EARLIER.isoformat(), DAY.isoformat())
    assert same["id"] == first["id"]
    assert {r["id"] for r in both} == {first["id"], both[0]["id"]} and len(both) == 2
    time.sleep(1.5)  # the monitor had time to start everything it would start
    queries = [c for c in relay.api("GET", "/api/v1/commands?serial=RCOVL1").json()["commands"]
               if c["kind"] == "attlog_query"]
    assert len(queries) == 1  # one query under way per terminal
    settle(relay, "RCOVL1", DAY.isoformat(), sim)
    settle(relay, "RCOVL1", EARLIER.isoformat(), sim)
    rows = days(relay, "RCOVL1")
    assert rows[DAY.isoformat()]["state"] == rows[EARLIER.isoformat()]["state"] == "confirmed"
    queries = [c for c in relay.api("GET", "/api/v1/commands?serial=RCOVL1").json()["commands"]
               if c["kind"] == "attlog_query"]
    assert len(queries) == 2


def test_query_survives_a_relay_restart(relay_factory):
    relay = start_relay(relay_factory)
    records = day_records(DAY)
    sim = push_terminal(relay, "RCRST1", records, faults=Faults(drop={record_key(records[2])}))
    assert sim.sync()
    ask(relay, "RCRST1", DAY.isoformat())
    deadline = time.monotonic() + 10
    while not relay.api("GET", "/api/v1/commands?serial=RCRST1").json()["commands"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    relay.kill()  # the query is queued, not yet handed out
    relay.start()
    sim.connected = False  # the terminal lost its session with the relay
    row = settle(relay, "RCRST1", DAY.isoformat(), sim)
    assert (row["state"], row["gaps_filled"]) == ("gaps_filled", 1)
    assert stored(relay, "RCRST1") == Counter(record_key(r) for r in records)


def test_polled_terminal_is_read_the_same_way(relay_factory):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    relay = start_relay(relay_factory, ZK_RELAY_POLL_INTERVAL_SECONDS="3600")
    records = day_records(DAY)
    manila = ZoneInfo("Asia/Manila")
    with TcpTerminal(records=records[:-4],
                     clock=lambda: datetime.now(manila).replace(tzinfo=None)) as term:
        relay.add_device("RCPOLL1", "Asia/Manila", "--address", "127.0.0.1", "--port",
                         str(term.port))
        deadline = time.monotonic() + 15
        while len(stored(relay, "RCPOLL1")) < len(records) - 4:
            assert time.monotonic() < deadline, relay.log()[-2000:]
            time.sleep(0.1)
        term.add_records(records[-4:])  # not polled yet: the relay lacks them
        ask(relay, "RCPOLL1", DAY.isoformat())
        row = settle(relay, "RCPOLL1", DAY.isoformat())
    assert (row["state"], row["at_terminal"], row["gaps_filled"]) == ("gaps_filled",
                                                                     len(records), 4)
    assert stored(relay, "RCPOLL1") == Counter(record_key(r) for r in records)


def test_reconciliation_pages_are_signed_and_refuse_bad_input(relay_factory):
    relay = start_relay(relay_factory)
    sim = push_terminal(relay, "RCSIG1", day_records(DAY))
    assert sim.sync()
    ask(relay, "RCSIG1", DAY.isoformat())
    settle(relay, "RCSIG1", DAY.isoformat(), sim)
    public = relay.cli("key", "show", "--json").stdout
    import json

    key = json.loads(public)["public_key"]
    for path in ("/api/v1/reconciliation", "/api/v1/health/terminals",
                 "/api/v1/health/events"):
        verify_page(relay.api("GET", path).json(), key)  # raises when not signed right
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    for body, status, words in (
            ({"serial": "RCSIG1", "from": tomorrow}, 400, "has not begun"),
            ({"serial": "RCSIG1", "from": "2025-13-01"}, 400, "YYYY-MM-DD"),
            ({"serial": "RCSIG1", "from": "2025-01-01", "to": "2025-06-01"}, 400, "at most"),
            ({"serial": "NOSUCH", "from": DAY.isoformat()}, 404, "not registered"),
            ({"from": DAY.isoformat()}, 400, "serial")):
        reply = relay.api("POST", "/api/v1/reconciliation", body)
        assert reply.status == status and words in reply.json()["message"], reply.text
    assert relay.api("GET", "/api/v1/reconciliation", auth=False).status == 401


def test_command_line_asks_and_lists(relay_factory):
    relay = start_relay(relay_factory)
    sim = push_terminal(relay, "RCCLI1", day_records(DAY))
    assert sim.sync()
    out = relay.cli("reconcile", "RCCLI1", DAY.isoformat()).stdout
    assert "RCCLI1" in out and "queued" in out
    settle(relay, "RCCLI1", DAY.isoformat(), sim)
    listing = relay.cli("reconciliation", "--serial", "RCCLI1").stdout
    assert "confirmed" in listing and DAY.isoformat() in listing
    bad = relay.cli("reconcile", "RCCLI1", "yesterday", check=False)
    assert bad.returncode == 1 and "YYYY-MM-DD" in bad.stderr
