"""Terminal and relay health (issue 17) with a real relay and the simulators: clock drift read
from realtime punches and repaired (drift before and after kept), memory fill against the
model's capacity, punches against the usual, the nightly schedule, and /health, /metrics and
``zk-relay status`` showing all of it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from recon_helpers import (
    USERS,
    day_records,
    days,
    health,
    local_today,
    push_terminal,
    start_relay,
)

from zk_sim import TcpTerminal

pytestmark = pytest.mark.slow

MANILA = ZoneInfo("Asia/Manila")


def test_drift_from_realtime_punches_is_repaired_and_measured_after(relay_factory):
    relay = start_relay(relay_factory, ZK_RELAY_CLOCK_REPAIR_AFTER_SECONDS="60")
    sim = push_terminal(relay, "HLDRIFT1", [])
    assert sim.sync()
    sim.clock_offset = timedelta(seconds=300)  # the clock runs ahead after the handshake
    sim.punch(USERS[0].pin)

    row = health(relay, "HLDRIFT1", lambda r: r["clock_drift_seconds"] is not None)
    assert 295 <= row["clock_drift_seconds"] <= 301
    assert row["clock_drift_source"] == "punches"

    deadline = time.monotonic() + 60  # the relay queues CHECK; the terminal handshakes again
    repair = None
    while time.monotonic() < deadline:
        sim.sync(deadline=time.monotonic() + 3)
        repairs = relay.api("GET", "/api/v1/clock-repairs").json()["repairs"]
        repair = repairs[-1] if repairs else None
        if repair and repair["state"] == "done":
            break
        time.sleep(0.1)
    assert repair is not None and repair["state"] == "done", repair
    assert sim.clock_offset == timedelta(0)  # the handshake set the terminal's clock
    assert (repair["method"], repair["origin"]) == ("check", "auto")
    assert 295 <= repair["drift_before"] <= 301

    sim.punch(USERS[1].pin)  # the next realtime punch tells the drift after
    deadline = time.monotonic() + 30
    while repair["state"] != "measured":
        assert time.monotonic() < deadline, repair
        time.sleep(0.1)
        repair = relay.api("GET", "/api/v1/clock-repairs").json()["repairs"][-1]
    assert abs(repair["drift_after"]) <= 2
    events = relay.api("GET", "/api/v1/health/events?serial=HLDRIFT1").json()["events"]
    assert [e["kind"] for e in events] == ["clock_repaired"]
    row = health(relay, "HLDRIFT1", lambda r: abs(r["clock_drift_seconds"]) <= 2)


def test_polled_terminal_clock_is_read_and_set(relay_factory):
    relay = start_relay(relay_factory, ZK_RELAY_POLL_INTERVAL_SECONDS="3600",
                        ZK_RELAY_CLOCK_REPAIR_AFTER_SECONDS="0")  # repair only on demand
    with TcpTerminal(clock=lambda: datetime.now(MANILA).replace(tzinfo=None)
                     - timedelta(minutes=7)) as term:
        relay.add_device("HLPOLL1", "Asia/Manila", "--address", "127.0.0.1", "--port",
                         str(term.port))
        row = health(relay, "HLPOLL1", lambda r: r["clock_drift_seconds"] is not None)
        assert -422 <= row["clock_drift_seconds"] <= -418 and row["clock_drift_source"] == "pyzk"
        out = relay.cli("clock", "repair", "HLPOLL1").stdout
        assert "carries it out" in out
        deadline = time.monotonic() + 15
        while True:
            repair = relay.api("GET", "/api/v1/clock-repairs").json()["repairs"][-1]
            if repair["state"] == "measured":
                break
            assert time.monotonic() < deadline, repair
            time.sleep(0.1)
        assert repair["method"] == "pyzk_set_time" and repair["origin"] == "demand"
        assert -422 <= repair["drift_before"] <= -418 and abs(repair["drift_after"]) <= 2
        assert abs((term.now() - datetime.now(MANILA).replace(tzinfo=None)).total_seconds()) < 3
    listing = relay.cli("clock", "list").stdout
    assert "pyzk_set_time" in listing and "measured" in listing


def test_memory_fill_from_info_against_capacity(relay_factory):
    relay = start_relay(relay_factory)
    records = day_records(local_today() - timedelta(days=1))
    sim = push_terminal(relay, "HLMEM1", records,
                        capacity={"attlogs": len(records) + 2, "users": 10})
    assert sim.sync()
    queued = relay.api("POST", "/api/v1/devices/HLMEM1/commands", {"kind": "info"})
    assert queued.status == 201
    assert sim.sync()
    row = health(relay, "HLMEM1", lambda r: r["memory"]["attlogs"]["capacity"] is not None)
    assert row["memory"]["attlogs"] == {"held": len(records), "capacity": len(records) + 2,
                                        "percent": round(100 * len(records)
                                                         / (len(records) + 2), 1)}
    assert row["memory"]["users"]["percent"] == 60.0
    assert row["memory"]["faces"]["percent"] is None  # no capacity: not a percentage
    assert row["firmware"].startswith("Ver 8")
    metrics = relay.get("/metrics").text
    assert 'zk_relay_device_memory_used_ratio{kind="attlogs",serial="HLMEM1"}' in metrics
    status = relay.cli("status").stdout
    assert "attlogs 96%" in status or "attlogs 9" in status


def test_punches_today_against_the_same_weekday(relay_factory):
    relay = start_relay(relay_factory)
    now = datetime.now(MANILA).replace(tzinfo=None, microsecond=0)
    sim = push_terminal(relay, "HLACT1", [])
    assert sim.sync()
    # earlier the same day on the four previous weeks: 3, 5, 7, 100 punches -> usual 6
    for week, count in zip(range(1, 5), (3, 5, 7, 100), strict=True):
        at = now - timedelta(days=7 * week, minutes=30)
        for i in range(count):
            sim.punch(USERS[i % len(USERS)].pin, at=at - timedelta(seconds=i))
    sim.punch(USERS[0].pin)
    assert sim.sync()
    row = health(relay, "HLACT1", lambda r: r["punches"]["today"] >= 1)
    punches = row["punches"]
    if now.hour >= 1:  # the four weeks' punches fall on their same day
        assert punches["usual_by_now"] == 6 and punches["usual_last_hour"] == 6
    assert punches["today"] == punches["last_hour"] == 1


def test_schedule_marks_closed_days_and_asks_yesterday(relay_factory):
    now = datetime.now(MANILA)
    window = f"{now - timedelta(minutes=2):%H:%M}-{now + timedelta(minutes=3):%H:%M}"
    relay = start_relay(relay_factory, ZK_RELAY_RECON_SCHEDULE="true",
                        ZK_RELAY_RECON_WINDOW=window, ZK_RELAY_RECON_LOOKBACK_DAYS="3")
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    sim = push_terminal(relay, "HLSCH1", day_records(local_today() - timedelta(days=1)))
    assert sim.sync()
    deadline = time.monotonic() + 20
    while True:
        sim.sync(deadline=time.monotonic() + 3)
        rows = days(relay, "HLSCH1")
        if yesterday in rows and not rows[yesterday]["checking"] \
                and rows[yesterday]["run_id"]:
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)
    # registered today with yesterday's backlog: no day before the first punch is checked
    assert set(rows) == {yesterday}
    assert rows[yesterday]["state"] == "confirmed"
    runs = relay.api("GET", "/api/v1/reconciliation/runs?serial=HLSCH1").json()["runs"]
    assert [r["origin"] for r in runs] == ["schedule"]


def test_health_metrics_and_status_show_the_new_figures(relay_factory):
    relay = start_relay(relay_factory)
    sim = push_terminal(relay, "HLMET1", day_records(local_today() - timedelta(days=1)))
    assert sim.sync()
    health(relay, "HLMET1")
    body = relay.get("/health").json()
    device = next(d for d in body["devices"] if d["serial"] == "HLMET1")
    assert device["health"]["punches"]["today"] == 0 and "memory" in device["health"]
    assert body["relay"] == {"delivery_lag_seconds": body["relay"]["delivery_lag_seconds"],
                             "unacked_events": 24, "last_delivery_at": None,
                             "pages_refused": 0, "last_page_refused": None}
    metrics = relay.get("/metrics").text
    for name in ("zk_relay_device_punches_today", "zk_relay_device_punches_usual_by_now",
                 "zk_relay_reconciliation_days", "zk_relay_device_events",
                 "zk_relay_pages_refused_total", "zk_relay_device_clock_drift_seconds"):
        assert f"# TYPE {name.removesuffix('_total')}" in metrics, name
    status = relay.cli("status").stdout
    assert "DRIFT_S" in status and "pages_refused: 0" in status


def test_operation_log_events_reach_the_health_feed(relay_factory):
    relay = start_relay(relay_factory)
    sim = push_terminal(relay, "HLOPS1", [])
    assert sim.sync()
    sim.operation(21)  # time set at the keypad
    sim.operation(9, "0003")  # user 0003 deleted
    sim.operation(4)  # entered the menu: not worth telling anyone
    assert sim.sync()
    events = relay.api("GET", "/api/v1/health/events?serial=HLOPS1").json()["events"]
    assert [e["kind"] for e in events] == ["clock_set", "user_deleted"]
    assert all(e["local_time"] for e in events)
    metrics = relay.get("/metrics").text
    assert 'zk_relay_device_events_total{kind="user_deleted",serial="HLOPS1"} 1.0' in metrics
