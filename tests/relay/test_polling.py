"""Polling fallback (issue 5): terminals registered with an address are read with pyzk over the
ZK TCP protocol, here from ``zk_sim.TcpTerminal`` — a real peer on loopback, not a mock.

Backoff timing is computed with an injected clock and random source, never slept; the last
test runs the whole thing in a real ``zk-relay serve`` process and reads the result over HTTP.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from relay_harness import Relay

from zk_relay.config import Config, load_config
from zk_relay.poller import Poller
from zk_relay.store import Store
from zk_rules.backoff import backoff_ceiling
from zk_sim import TcpTerminal, TerminalRecord, TerminalUser

pytestmark = pytest.mark.slow
SERIAL = "SIMPOLL01"
T0 = datetime(2024, 8, 5, 7, 0, 0)


def records(n: int, start: int = 0) -> list[TerminalRecord]:
    return [TerminalRecord(pin=f"{(i % 7) + 1:04d}", local_time=T0 + timedelta(minutes=i),
                           status=i % 2, verify=15) for i in range(start, start + n)]


USERS = [TerminalUser(uid=i, pin=f"{i:04d}", name=f"User {i}", privilege=14 if i == 1 else 0,
                      card=1000 + i if i % 2 else 0) for i in range(1, 8)]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def terminal() -> Iterator[TcpTerminal]:
    term = TcpTerminal(USERS, records(40), password=4321).start()
    yield term
    term.stop()


def make(tmp_path: Path, terminal: TcpTerminal, **overrides: float
         ) -> tuple[Store, Config, Clock, Poller, random.Random]:
    config = load_config(env={}, overrides={
        "data_dir": str(tmp_path / "data"), "poll_interval_seconds": 300,
        "poll_backoff_base_seconds": 10, "poll_backoff_cap_seconds": 120,
        "poll_timeout_seconds": 2, **overrides})
    store = Store(config.db_path)
    store.upsert_device(SERIAL, timezone="Asia/Manila", address="127.0.0.1",
                        port=terminal.port, comm_password=4321)
    clock = Clock()
    poller = Poller(store, config, clock=clock, rng=random.Random(7))
    return store, config, clock, poller, random.Random(7)  # the twin draws the same numbers


def stored(store: Store) -> list[dict]:
    return store.events_query(serial=SERIAL, limit=10_000)


def test_issue5_poll_backoff_ceiling_is_base_times_2_to_the_n_capped(
        tmp_path: Path, terminal: TcpTerminal) -> None:
    """The poller's n-th failure in a row waits uniform(0, min(cap, base * 2**n)), the one
    backoff of every retrying path (zk_rules.backoff): base 10, cap 120 -> 20, 40, 80, 120."""

    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            assert a == 0.0
            return b

    store, config, clock, _poller, _twin = make(tmp_path, terminal)
    poller = Poller(store, config, clock=clock, rng=Top())
    terminal.refuse_connections = True
    tops = []
    for _ in range(7):
        clock.t = poller.next_due.get(SERIAL, clock.t)
        start = clock.t
        poller.tick()
        tops.append(poller.next_due[SERIAL] - start)
    assert tops == [backoff_ceiling(n, 10, 120) for n in range(1, 8)]
    assert tops == [20, 40, 80, 120, 120, 120, 120]
    store.close()


def test_issue5_poll_reads_users_and_attendance_through_pyzk(tmp_path: Path,
                                                            terminal: TcpTerminal) -> None:
    store, config, clock, poller, _ = make(tmp_path, terminal)
    assert poller.tick() == 300  # polled at once, next one an interval later
    rows = stored(store)
    assert len(rows) == 40
    first = rows[0]
    assert (first["pin"], first["local_time"], first["timezone"]) == (
        "0001", "2024-08-05 07:00:00", "Asia/Manila")
    assert (first["status"], first["verify"]) == (0, 15)  # pyzk's punch/status swapped back
    from zk_rules.fingerprint import punch_fingerprint

    assert first["fingerprint"] == punch_fingerprint(SERIAL, "0001", "2024-08-05 07:00:00")
    users, _ = store.users_page(0, 100)
    by_pin = {u["pin"]: u for u in users if u["serial"] == SERIAL}
    assert by_pin["0001"]["name"] == "User 1" and by_pin["0001"]["privilege"] == 14
    assert by_pin["0001"]["card"] == "1001" and by_pin["0002"]["card"] == ""
    device = store.device(SERIAL)
    assert device["last_poll_ok"] and device["poll_failures"] == 0
    assert device["events_stored"] == 40
    connections = terminal.connections_accepted  # pyzk probes the port, then connects
    assert connections >= 1
    # not due yet: no new connection
    assert poller.tick() == 300 and terminal.connections_accepted == connections
    store.close()


def test_issue5_polled_records_deduplicated_like_pushed_ones(tmp_path: Path,
                                                            terminal: TcpTerminal) -> None:
    store, config, clock, poller, _ = make(tmp_path, terminal)
    poller.tick()
    clock.t += 300
    terminal.add_records(records(5, start=40))
    result = poller.poll_and_schedule(store.device(SERIAL))
    assert result is not None
    assert (result.records, result.inserted, result.duplicates) == (45, 5, 40)
    assert len(stored(store)) == 45
    # the same punch arriving by ADMS push is a duplicate too (same (serial, PIN, time))
    from zk_relay.adms import parse_attlog

    punches, bad = parse_attlog(SERIAL, b"0001\t2024-08-05 07:00:00\t0\t15\t0\t0\t0\n")
    again = store.store_punches(SERIAL, "Asia/Manila", None, "ATTLOG", punches, bad, "9999")
    assert (again.inserted, again.duplicates) == (0, 1)
    store.close()


def test_issue5_backoff_timing_computed_then_recovery(tmp_path: Path,
                                                      terminal: TcpTerminal) -> None:
    """Failures back off with full jitter, uniform(0, min(cap, base·2^n)), drawn from the
    injected random source at the injected clock; one success resets the schedule."""
    store, config, clock, poller, twin = make(tmp_path, terminal)
    poller.tick()
    terminal.refuse_connections = True
    clock.t = poller.next_due[SERIAL]
    for n in range(1, 7):
        poller.tick()
        expected = twin.uniform(0, min(120, 10 * 2**n))
        assert poller.next_due[SERIAL] == pytest.approx(clock.t + expected)
        device = store.device(SERIAL)
        assert device["poll_failures"] == n
        assert "ZKNetworkError" in device["last_poll_error"] or "refused" in \
            device["last_poll_error"].lower()
        # not due a moment before the computed time: nothing is attempted
        clock.t = poller.next_due[SERIAL] - 1e-6
        attempts = terminal.connections_accepted
        poller.tick()
        assert store.device(SERIAL)["poll_failures"] == n
        assert terminal.connections_accepted == attempts
        clock.t = poller.next_due[SERIAL]
    # recovery: the terminal answers again, new punches arrive, the schedule is reset
    terminal.refuse_connections = False
    terminal.add_records(records(3, start=40))
    assert poller.tick() == pytest.approx(300)
    device = store.device(SERIAL)
    assert device["poll_failures"] == 0 and device["last_poll_error"] is None
    assert len(stored(store)) == 43
    assert poller.failures == {}
    # the next failure starts again from the first ceiling (base * 2)
    terminal.refuse_connections = True
    clock.t = poller.next_due[SERIAL]
    poller.tick()
    assert poller.next_due[SERIAL] == pytest.approx(clock.t + twin.uniform(0, 20))
    store.close()


def test_issue5_wrong_comm_password_is_a_failure(tmp_path: Path,
                                                 terminal: TcpTerminal) -> None:
    store, config, clock, poller, _ = make(tmp_path, terminal)
    store.upsert_device(SERIAL, comm_password=1)
    poller.tick()
    device = store.device(SERIAL)
    assert device["poll_failures"] == 1 and "Unauthenticated" in device["last_poll_error"]
    assert stored(store) == []
    store.close()


def test_issue5_watchdog_ends_a_poll_stuck_in_pyzk(tmp_path: Path,
                                                  terminal: TcpTerminal) -> None:
    """pyzk 0.9 spins forever when the peer closes (FIN) in the middle of a data chunk; the
    poller closes the socket under it after its deadline and counts a failure."""
    terminal.add_records(records(400, start=40))
    terminal.drop_after_bytes = 3000
    terminal.drop_with_reset = False
    store, config, clock, poller, _ = make(tmp_path, terminal, poll_timeout_seconds=0.3)
    poller.tick()
    device = store.device(SERIAL)
    assert device["poll_failures"] == 1
    assert "watchdog" in device["last_poll_error"]
    terminal.drop_after_bytes = None
    clock.t = poller.next_due[SERIAL]
    poller.tick()
    assert store.device(SERIAL)["poll_failures"] == 0
    assert len(stored(store)) == 440
    store.close()


def wait_for(predicate, what: str, deadline_s: float = 30.0):  # noqa: ANN001, ANN201
    """Poll ``predicate`` until it returns something truthy (bounded; not a timed assertion:
    the deadline only stops a broken run)."""
    end = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_issue5_polling_in_a_running_relay_over_http(relay_factory,
                                                     terminal: TcpTerminal) -> None:
    relay: Relay = relay_factory(ZK_RELAY_POLL_INTERVAL_SECONDS="0.2",
                                 ZK_RELAY_POLL_BACKOFF_BASE_SECONDS="0.05",
                                 ZK_RELAY_POLL_BACKOFF_CAP_SECONDS="0.2",
                                 ZK_RELAY_POLL_TIMEOUT_SECONDS="2")
    out = relay.cli("device", "add", SERIAL, "--timezone", "Asia/Manila", "--address",
                    "127.0.0.1", "--port", str(terminal.port), "--password", "4321").stdout
    assert f"polled at 127.0.0.1:{terminal.port}" in out
    relay.start()

    def events() -> list[dict]:
        page = relay.api("GET", "/api/v1/events?limit=5000").json()
        return [e for e in page["events"] if e["serial"] == SERIAL]

    wait_for(lambda: len(events()) == 40, "the first poll")
    assert {e["timezone"] for e in events()} == {"Asia/Manila"}
    users = relay.api("GET", "/api/v1/users").json()["users"]
    assert {u["pin"] for u in users if u["serial"] == SERIAL} == {u.pin for u in USERS}
    # a pushed copy of a polled punch is a duplicate
    assert relay.attlog(SERIAL, b"0001\t2024-08-05 07:00:00\t0\t15\t0\t0\t0\n").text == "OK: 1"
    health = relay.api("GET", "/health", auth=False).json()
    mine = next(d for d in health["devices"] if d["serial"] == SERIAL)
    assert mine["mode"] == "poll" and mine["last_poll_ok"]
    device = next(d for d in relay.api("GET", "/api/v1/devices").json()["devices"]
                  if d["serial"] == SERIAL)
    assert device["address"] == "127.0.0.1" and device["port"] == terminal.port
    assert "password" not in device and "comm_password" not in device

    terminal.refuse_connections = True

    def failures() -> int:
        h = relay.api("GET", "/health", auth=False).json()
        return next(d for d in h["devices"] if d["serial"] == SERIAL)["poll_failures"]

    wait_for(lambda: failures() >= 2, "failing polls")
    terminal.refuse_connections = False
    terminal.add_records(records(2, start=40))
    wait_for(lambda: len(events()) == 42 and failures() == 0, "recovery")
    assert len(events()) == 42
    text = relay.api("GET", "/metrics", auth=False).text
    assert 'zk_relay_polls_total{outcome="success"}' in text
    assert 'zk_relay_polls_total{outcome="failure"}' in text
