"""Clock / DST (issue 5; adms-protocol.md §3, §4.1 TimeZone, §7) over real HTTP.

The relay runs in this process (a real Waitress server on loopback) with an injected clock, so
the zone transition is computed from the tz database and crossed at once, not waited for.
When a terminal's zone changes its UTC offset, the relay queues a ``CHECK`` on the next
getrequest: the terminal executes it, handshakes again (§3) and gets the current TimeZone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from relay_harness import Relay

from zk_relay.config import load_config
from zk_relay.server import RelayServer

pytestmark = pytest.mark.slow


def transition_after(zone: str, start: datetime) -> datetime:
    """The first instant after ``start`` at which ``zone``'s UTC offset changes (computed by
    bisection over the tz database)."""
    tz = ZoneInfo(zone)
    lo = start
    base = lo.astimezone(tz).utcoffset()
    hi = lo
    while hi.astimezone(tz).utcoffset() == base:
        hi += timedelta(days=7)
        assert hi - start < timedelta(days=400), f"{zone} has no transition"
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == base:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Relay, Clock]]:
    clock = Clock(datetime(2025, 1, 15, tzinfo=UTC))
    config = load_config(env={}, overrides={"data_dir": str(tmp_path / "data"),
                                            "host": "127.0.0.1", "port": 0, "threads": 4})
    server = RelayServer(config, now=clock, background=False)
    thread = server.start_in_thread()
    relay = Relay(data_dir=tmp_path / "data", workdir=tmp_path, env={}, port=server.port)
    yield relay, clock
    server.shutdown()
    thread.join(20)
    assert not thread.is_alive()


def timezone_of(handshake_text: str) -> str:
    return dict(line.split("=", 1) for line in handshake_text.splitlines()[1:])["TimeZone"]


def register(relay: Relay, serial: str, zone: str) -> None:
    assert relay.api("PUT", f"/api/v1/devices/{serial}", {"timezone": zone}).status == 201


def test_transition_helper_finds_the_eu_spring_change() -> None:
    moment = transition_after("Europe/Paris", datetime(2025, 1, 15, tzinfo=UTC))
    assert moment == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # last Sunday of March, 01:00Z


def test_issue5_s7_dst_change_queues_check_and_rehandshake_gets_new_timezone(live) -> None:
    relay, clock = live
    register(relay, "DST0001", "Europe/Paris")
    spring = transition_after("Europe/Paris", clock.at)
    clock.at = spring - timedelta(minutes=5)
    assert timezone_of(relay.handshake("DST0001").text) == "1"
    assert relay.get("/iclock/getrequest?SN=DST0001").text == "OK"  # nothing to do yet

    clock.at = spring + timedelta(seconds=1)  # the offset is now +2
    reply = relay.get("/iclock/getrequest?SN=DST0001")
    assert reply.status == 200 and reply.text.startswith("C:")
    cid, command = reply.text.strip().split(":", 2)[1:]
    assert command == "CHECK"
    assert not reply.text.startswith("UNKNOWN")
    listed = relay.api("GET", f"/api/v1/commands/{cid}").json()["command"]
    assert listed["kind"] == "check" and listed["state"] == "sent"
    assert listed["params"] == {"reason": "timezone offset now 2"}
    # polls before the terminal has executed it do not queue another one
    assert relay.get("/iclock/getrequest?SN=DST0001").text == "OK"
    # the terminal executes CHECK (§4.8) and handshakes again (§3): TimeZone is current
    assert relay.post("/iclock/devicecmd?SN=DST0001",
                      f"ID={cid}&Return=0&CMD=CHECK".encode()).acknowledged
    assert relay.api("GET", f"/api/v1/commands/{cid}").json()["command"]["state"] == "done"
    assert timezone_of(relay.handshake("DST0001").text) == "2"
    assert relay.get("/iclock/getrequest?SN=DST0001").text == "OK"

    autumn = transition_after("Europe/Paris", clock.at)
    assert autumn.month == 10
    clock.at = autumn + timedelta(hours=1)
    reply = relay.get("/iclock/getrequest?SN=DST0001")
    assert reply.text.strip().endswith(":CHECK")
    autumn_cid = reply.text.split(":")[1]
    relay.post("/iclock/devicecmd?SN=DST0001", f"ID={autumn_cid}&Return=0&CMD=CHECK".encode())
    assert timezone_of(relay.handshake("DST0001").text) == "1"
    assert relay.get("/iclock/getrequest?SN=DST0001").text == "OK"


def test_issue5_s7_no_check_without_a_change(live) -> None:
    relay, clock = live
    register(relay, "DST0002", "Asia/Kolkata")  # +5:30 all year, sent in minutes
    assert timezone_of(relay.handshake("DST0002").text) == "330"
    for month in (3, 4, 10, 11):
        clock.at = datetime(2025, month, 30, 12, tzinfo=UTC)
        assert relay.get("/iclock/getrequest?SN=DST0002").text == "OK"


def test_issue5_s7_check_sent_once_even_if_terminal_ignores_it(live) -> None:
    """A terminal that answers CHECK without handshaking again is not flooded with CHECKs."""
    relay, clock = live
    register(relay, "DST0003", "America/New_York")
    change = transition_after("America/New_York", clock.at)
    clock.at = change - timedelta(hours=1)
    assert timezone_of(relay.handshake("DST0003").text) == "-5"
    clock.at = change + timedelta(hours=1)
    reply = relay.get("/iclock/getrequest?SN=DST0003")
    cid = reply.text.split(":")[1]
    relay.post("/iclock/devicecmd?SN=DST0003", f"ID={cid}&Return=0&CMD=CHECK".encode())
    for _ in range(3):
        assert relay.get("/iclock/getrequest?SN=DST0003").text == "OK"
    assert timezone_of(relay.handshake("DST0003").text) == "-4"


def test_issue5_s7_zone_changed_by_operator_also_rehandshakes(live) -> None:
    relay, clock = live
    register(relay, "DST0004", "Asia/Manila")
    assert timezone_of(relay.handshake("DST0004").text) == "8"
    relay.api("PUT", "/api/v1/devices/DST0004", {"timezone": "Asia/Kolkata"})
    reply = relay.get("/iclock/getrequest?SN=DST0004")
    assert reply.text.strip().endswith(":CHECK")
    assert json.loads(relay.api("GET", "/api/v1/commands?serial=DST0004").body)[
        "commands"][0]["params"] == {"reason": "timezone offset now 330"}
