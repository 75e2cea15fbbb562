"""Shared by the reconciliation and health tests: a real relay with short timings, simulated
terminals, and waiting for a terminal-day to settle."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from relay_harness import Relay

from zk_sim import PushTerminal, TerminalRecord, TerminalUser

TZ = "Asia/Manila"
USERS = [TerminalUser(uid=i, pin=f"{i:04d}", name=f"User {i}") for i in range(1, 7)]
FAST = {
    "ZK_RELAY_RECON_SCHEDULE": "false",
    "ZK_RELAY_RECON_SETTLE_SECONDS": "0.3",
    "ZK_RELAY_RECON_ANSWER_TIMEOUT_SECONDS": "3",
    "ZK_RELAY_HEALTH_INTERVAL_SECONDS": "0.3",
    "ZK_RELAY_OFFLINE_AFTER_SECONDS": "600",
}


def local_today() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


def day_records(day: date, users: list[TerminalUser] = USERS) -> list[TerminalRecord]:
    """Four punches per user on ``day`` (08:0x, 12:0x, 13:0x, 17:0x)."""
    out = []
    for n, user in enumerate(users):
        for state, hour in ((0, 8), (2, 12), (3, 13), (1, 17)):
            out.append(TerminalRecord(pin=user.pin, status=state, verify=1,
                                      local_time=datetime.combine(day, datetime.min.time())
                                      + timedelta(hours=hour, minutes=n, seconds=7)))
    return sorted(out, key=lambda r: (r.local_time, r.pin))


def start_relay(relay_factory: Any, **env: str) -> Relay:
    relay = relay_factory(**{**FAST, **env})
    relay.cli("device", "list")
    return relay.start()


def push_terminal(relay: Relay, serial: str, records: list[TerminalRecord], **kw: Any
                  ) -> PushTerminal:
    reply = relay.api("PUT", f"/api/v1/devices/{serial}", {"timezone": TZ})
    assert reply.status in (200, 201), reply.text
    kw.setdefault("time_scale", 0)
    kw.setdefault("max_offline_cycles", 5)
    return PushTerminal(f"http://127.0.0.1:{relay.port}", serial, USERS, records,
                        tz_minutes=480, **kw)


def ask(relay: Relay, serial: str, first: str, last: str | None = None) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"serial": serial, "from": first}
    if last:
        body["to"] = last
    reply = relay.api("POST", "/api/v1/reconciliation", body)
    assert reply.status == 202, reply.text
    return reply.json()["runs"]


def days(relay: Relay, serial: str) -> dict[str, dict[str, Any]]:
    page = relay.api("GET", f"/api/v1/reconciliation?serial={serial}&limit=5000").json()
    return {row["day"]: row for row in page["days"]}


def settle(relay: Relay, serial: str, day: str, sim: PushTerminal | None = None,
           timeout: float = 20.0) -> dict[str, Any]:
    """The day's row once its run closed; the terminal polls meanwhile (as every Delay)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sim is not None:
            sim.sync(deadline=time.monotonic() + 5)
        row = days(relay, serial).get(day)
        if row is not None and not row["checking"] and row["run_id"] is not None:
            return row
        time.sleep(0.1)
    raise AssertionError(f"{serial} {day} never settled: {days(relay, serial).get(day)}\n"
                         + relay.log()[-3000:])


def stored(relay: Relay, serial: str) -> Counter[tuple[str, str]]:
    return Counter((row[2], row[3]) for row in relay.events(serial))


def health(relay: Relay, serial: str, until: Any = None, timeout: float = 15.0
           ) -> dict[str, Any]:
    """The terminal's health row from the signed API (once ``until(row)`` holds)."""
    deadline = time.monotonic() + timeout
    row: dict[str, Any] = {}
    while time.monotonic() < deadline:
        page = relay.api("GET", "/api/v1/health/terminals").json()
        row = next((t for t in page["terminals"] if t["serial"] == serial), {})
        if row and (until is None or until(row)):
            return row
        time.sleep(0.1)
    raise AssertionError(f"health of {serial} never matched: {row}")


def utc_now() -> datetime:
    return datetime.now(UTC)
