"""The ADMS push terminal (zk_sim.push_terminal) against a real ``zk-relay serve`` process.

The promise checked everywhere: every punch the terminal generated is stored exactly once,
whatever the firmware profile, lost answers, outages, re-handshakes and replays.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from push_helpers import DROP_REPLY, PASS, REFUSE, FaultyProxy, Relay, make_relay, register

from zk_sim.generate import generate_records, generate_users
from zk_sim.push_terminal import (
    BatchPolicy,
    PushTerminal,
    _atoi,
    attlog_line,
    encode_time,
    parse_options,
    record_key,
)

pytestmark = pytest.mark.slow

USERS = generate_users(12, seed=5)
RECORDS = generate_records(USERS, 10, last_day=date(2025, 3, 14), seed=5)  # 8 working days


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    tmp = tmp_path_factory.mktemp("push-relay")
    relay = make_relay(tmp)
    relay.cli("device", "list")  # creates the store
    relay.start()
    yield relay
    relay.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def terminal(url: str, serial: str, records=RECORDS, **kw) -> PushTerminal:
    kw.setdefault("time_scale", 0)  # pauses are recorded in the ledger, not slept
    kw.setdefault("max_offline_cycles", 20)
    return PushTerminal(url, serial, USERS, records, **kw)


def stored(relay: Relay, serial: str) -> Counter[tuple[str, str]]:
    return Counter((row[2], row[3]) for row in relay.events(serial))


def url(relay: Relay) -> str:
    return f"http://127.0.0.1:{relay.port}"


def device(relay: Relay, serial: str) -> dict:
    devices = relay.api("GET", "/api/v1/devices").json()["devices"]
    return next(d for d in devices if d["serial"] == serial)


# --------------------------------------------------------------------------- plain runs


@pytest.mark.parametrize("profile", ["modern", "legacy", "essl"])
def test_every_generated_punch_is_stored_exactly_once(relay, profile):
    serial = f"PRO{profile.upper()}"
    register(relay, serial)
    sim = terminal(url(relay), serial, profile=profile, malformed_rate=0.5, seed=3)

    assert sim.sync()

    ledger = sim.ledger
    assert len(ledger.generated) == len(RECORDS) > 300
    assert ledger.unacknowledged() == []
    assert stored(relay, serial) == Counter(ledger.generated)  # each exactly once
    assert ledger.malformed_sent, "the run was meant to carry malformed lines"
    info = device(relay, serial)
    assert info["counts"]["quarantined"] == len(ledger.malformed_sent)
    assert info["counts"]["users"] == len(USERS)
    assert info["pushver"] == sim.profile.pushver
    targets = [a.target for a in ledger.attempts]
    if profile == "essl":
        assert all(t.startswith(("/iclock/cdata.aspx?", "/iclock/getrequest.aspx?"))
                   for t in targets), targets
    else:
        assert not any(".aspx" in t for t in targets)
    if profile == "legacy":  # URL Stamp = OldEncodeTime of the batch's last record (§6.1)
        assert info["stamps"]["ATTLOG"] == str(encode_time(RECORDS[-1].local_time))
    else:
        assert info["stamps"]["ATTLOG"] == "9999"


def test_lines_follow_the_profile_formats():
    record = RECORDS[0]
    assert attlog_line(record, "legacy").count("\t") == 3
    assert attlog_line(record, "essl").endswith("\t") and "\t\t" in attlog_line(record, "essl")
    assert attlog_line(record, "modern").split("\t")[:4] == [
        record.pin, record.local_time_text, str(record.status), str(record.verify)]


def test_batches_grow_by_ten_up_to_the_maximum(relay):
    register(relay, "GROW01")
    sim = terminal(url(relay), "GROW01")
    assert sim.sync()
    sizes = [size for size, ok in sim.ledger.batch_sizes()]
    assert all(ok for _, ok in sim.ledger.batch_sizes())
    expected, left, size = [], len(RECORDS), 30
    while left:
        expected.append(min(size, left))
        left -= expected[-1]
        size = min(150, size + 10)
    assert sizes == expected


# --------------------------------------------------------------------------- faults


def attlog_posts(request: bytes) -> bool:
    return request.startswith(b"POST") and b"table=ATTLOG" in request


def test_lost_ok_is_resent_and_nothing_is_stored_twice(relay):
    """§6.4.1: the relay committed, the answer never arrived; the batch comes again."""
    register(relay, "LOSTOK1")
    seen = Counter()

    def decide(index: int, request: bytes) -> str:
        if attlog_posts(request):
            seen["attlog"] += 1
            if seen["attlog"] in {2, 3, 6}:
                return DROP_REPLY
        return PASS

    with FaultyProxy(relay.port, decide) as proxy:
        sim = terminal(proxy.url, "LOSTOK1")
        assert sim.sync()

    ledger = sim.ledger
    assert [d for _, d in proxy.log].count(DROP_REPLY) == 3
    assert ledger.unacknowledged() == []
    assert stored(relay, "LOSTOK1") == Counter(ledger.generated)
    resent = [k for k, n in ledger.sent.items() if n > 1]
    assert resent, "the dropped answers must have caused resends"
    assert device(relay, "LOSTOK1")["counts"]["duplicates"] == sum(
        n - 1 for n in ledger.sent.values())
    # the 2nd batch failed twice (0.3 then 0.6 s pauses) and went through on the 3rd attempt
    assert ledger.pauses[:2] == [0.3, 0.6]
    assert ledger.batch_sizes()[:4] == [(30, True), (40, False), (40, False), (40, True)]


def test_outage_backs_off_shrinks_the_batch_and_loses_nothing(relay):
    """§6.3: three attempts with 0.3/0.6/0.9 s pauses, ErrorDelay, handshake, smaller batch."""
    register(relay, "OUTAGE1")
    state = {"attlog": 0, "down": False, "down_requests": 0}

    def decide(index: int, request: bytes) -> str:
        if attlog_posts(request):
            state["attlog"] += 1
            if state["attlog"] == 5:
                state["down"] = True
        if state["down"]:
            state["down_requests"] += 1
            if state["down_requests"] > 5:  # 3 ATTLOG attempts + 2 handshakes refused
                state["down"] = False
            else:
                return REFUSE
        return PASS

    with FaultyProxy(relay.port, decide) as proxy:
        sim = terminal(proxy.url, "OUTAGE1", batch=BatchPolicy(initial=40, minimum=20))
        assert sim.sync()

    ledger = sim.ledger
    error_delay = 30.0  # the relay's default ErrorDelay option
    assert ledger.pauses[:6] == [0.3, 0.6, 0.9, error_delay, error_delay, error_delay]
    sizes = ledger.batch_sizes()
    assert sizes[:7] == [(40, True), (50, True), (60, True), (70, True),
                         (80, False), (80, False), (80, False)]
    assert sizes[7] == (50, True)  # shrunk by 30 after the failure, then growing again
    assert ledger.handshakes == 4  # first, two refused during the outage, the one that worked
    assert ledger.unacknowledged() == []
    assert stored(relay, "OUTAGE1") == Counter(ledger.generated)


def test_legacy_resumes_after_the_stamp_the_relay_echoed(relay):
    """§6.2: the answers to one batch are lost three times, the terminal goes offline and
    handshakes again; the relay had committed the batch and echoes its stamp, so the legacy
    terminal resumes after it: that batch is never sent a fourth time (nor acknowledged to
    the terminal), and still every punch is stored once."""
    register(relay, "LEGSTMP")
    seen = Counter()

    def decide(index: int, request: bytes) -> str:
        if attlog_posts(request):
            seen["attlog"] += 1
            if seen["attlog"] in {3, 4, 5}:  # batch 3 fails three times: offline
                return DROP_REPLY
        return PASS

    with FaultyProxy(relay.port, decide) as proxy:
        sim = terminal(proxy.url, "LEGSTMP", profile="legacy")
        assert sim.sync()

    ledger = sim.ledger
    assert ledger.handshakes == 2
    assert stored(relay, "LEGSTMP") == Counter(ledger.generated)
    # the third batch (records 70..119) was committed at its first attempt and sent 3 times
    third = {record_key(r) for r in RECORDS[70:120]}
    assert {k for k, n in ledger.sent.items() if n > 1} == third
    assert {ledger.sent[k] for k in third} == {3}
    assert set(ledger.unacknowledged()) == third


@pytest.mark.parametrize("profile", ["modern", "legacy"])
def test_reboot_resends_nothing_already_acknowledged(relay, profile):
    serial = f"REBOOT{profile[:3].upper()}"
    register(relay, serial)
    first, later = RECORDS[:200], RECORDS[200:]
    sim = terminal(url(relay), serial, records=first, profile=profile)
    assert sim.sync()
    sim.reboot()
    sim.add_records(later)
    assert sim.sync()
    assert sim.ledger.handshakes == 2
    assert set(sim.ledger.sent.values()) == {1}
    assert stored(relay, serial) == Counter(sim.ledger.generated)


def test_unknown_serial_is_never_acknowledged(relay):
    sim = terminal(url(relay), "NOTREG1", max_offline_cycles=2)
    assert not sim.sync()
    assert sim.ledger.acknowledged == Counter()
    assert sim.ledger.pauses == [30.0]  # one ErrorDelay between the two refused handshakes
    pending = relay.api("GET", "/api/v1/devices").json()["pending"]
    assert "NOTREG1" in {p["serial"] for p in pending}
    assert relay.events("NOTREG1") == []


# --------------------------------------------------------------------------- commands


def queue(relay: Relay, serial: str, kind: str, **fields) -> int:
    reply = relay.api("POST", f"/api/v1/devices/{serial}/commands", {"kind": kind, **fields})
    assert reply.status == 201, reply.text
    return reply.json()["command"]["id"]


def command(relay: Relay, cid: int) -> dict:
    return relay.api("GET", f"/api/v1/commands/{cid}").json()["command"]


def test_commands_are_executed_and_their_results_close_them(relay):
    register(relay, "CMDS01")
    sim = terminal(url(relay), "CMDS01")
    assert sim.sync()
    day = RECORDS[0].local_time.date()
    in_range = [r for r in RECORDS if r.local_time.date() == day]
    ids = {
        "info": queue(relay, "CMDS01", "info"),
        "query": queue(relay, "CMDS01", "attlog_query", start=f"{day} 00:00:00",
                       end=f"{day} 23:59:59"),
        "upsert": queue(relay, "CMDS01", "user_upsert", pin="7777", name="New Hire"),
        "delete": queue(relay, "CMDS01", "user_delete", pin=USERS[-1].pin),
        "check": queue(relay, "CMDS01", "check"),
    }
    assert sim.poll()

    for cid in ids.values():
        assert command(relay, cid)["state"] == "done"
    assert command(relay, ids["info"])["result_fields"]["UserCount"] == str(len(USERS))
    assert sim.users["7777"].name == "New Hire"
    assert USERS[-1].pin not in sim.users
    assert sim.ledger.handshakes == 2  # CHECK made it handshake again
    assert {k for k, n in sim.ledger.sent.items() if n == 2} == {
        record_key(r) for r in in_range}  # DATA QUERY ATTLOG replayed exactly that day
    assert stored(relay, "CMDS01") == Counter(sim.ledger.generated)


def test_unknown_and_refused_commands_get_their_codes():
    sim = PushTerminal("http://127.0.0.1:9", "X1")
    assert sim.execute("5", "REBOOT")[0] == -1002
    assert sim.execute("6", "FROBNICATE")[:2] == (-22, "ID=6&Return=-22&CMD=UNKNOWN CMD")
    # §9.15: a space instead of a TAB before EndTime cannot be parsed by firmware
    assert sim.execute(
        "7", "DATA QUERY ATTLOG StartTime=2025-03-03 00:00:00 EndTime=2025-03-04 00:00:00"
    )[0] == -1


# --------------------------------------------------------------------------- time


def test_handshake_sets_the_clock_from_date_and_timezone(relay):
    register(relay, "CLOCK01", tz="Asia/Kolkata")
    sim = terminal(url(relay), "CLOCK01", records=[], clock_offset=timedelta(hours=-3))
    assert sim.sync()
    assert sim.tz_minutes == 330  # "TimeZone=330" (§7: minutes for fractional zones)
    assert sim.clock_offset == timedelta(0)
    kolkata = datetime.now(UTC).astimezone(ZoneInfo("Asia/Kolkata")).replace(tzinfo=None)
    assert abs((sim.device_now() - kolkata).total_seconds()) < 120


def test_clock_set_back_punches_are_stored_as_the_terminal_wrote_them(relay):
    register(relay, "CLOCK02")
    sim = terminal(url(relay), "CLOCK02", records=[], clock_offset=timedelta(hours=-2),
                   clock_sync=False)
    assert sim.sync()
    punches = [sim.punch(u.pin, status=0) for u in USERS[:3]]
    punches.append(sim.punch(USERS[0].pin, status=1))  # same second: stored one second on
    manila = datetime.now(UTC).astimezone(ZoneInfo("Asia/Manila")).replace(tzinfo=None)
    for record in punches:
        assert abs((manila - timedelta(hours=2) - record.local_time).total_seconds()) < 120
    assert len(set(map(record_key, punches))) == 4
    assert stored(relay, "CLOCK02") == Counter(map(record_key, punches))
    assert [size for size, _ in sim.ledger.batch_sizes()] == [1, 1, 1, 1]  # Realtime=1


# --------------------------------------------------------------------------- pure helpers


def test_encoded_stamp_matches_the_protocol_example():
    assert encode_time(datetime(2012, 3, 14, 17, 36)) == 392232960


def test_option_parsing_and_atoi():
    assert parse_options(b"GET OPTION FROM: X\nStamp=12\r\nDelay=5\n") == {
        "Stamp": "12", "Delay": "5"}
    assert parse_options(b"UNKNOWN DEVICE") is None
    assert [_atoi(t) for t in ("8", "+05:30", "5.5", "Etc/GMT-1", "-330", "None")] == [
        8, 5, 5, 0, -330, 0]


# --------------------------------------------------------------------------- command line


def test_cli_push_feeds_a_relay(relay):
    import subprocess
    import sys

    register(relay, "CLIPUSH")
    command = [sys.executable, "-c", "import sys; from zk_sim.cli import main; sys.exit(main())",
               "push", "--url", url(relay), "--serial", "CLIPUSH", "--employees", "6",
               "--days", "5", "--last-day", "2025-03-07", "--seed", "2", "--profile", "essl",
               "--time-scale", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    users = generate_users(6, seed=2)
    expected = generate_records(users, 5, last_day=date(2025, 3, 7), seed=2)
    assert stored(relay, "CLIPUSH") == Counter(map(record_key, expected))
    assert f"generated {len(expected)}, acknowledged {len(expected)}, not acknowledged 0" \
        in done.stdout


def test_cli_push_reports_an_unreachable_relay(tmp_path):
    from zk_sim.cli import main

    # a week always holds working days (one day on a weekend generated no punch at all, and
    # nothing to deliver is not a failure)
    assert main(["push", "--url", "http://127.0.0.1:9", "--employees", "1", "--days", "7",
                 "--time-scale", "0", "--max-offline-cycles", "2"]) == 1
    assert main(["push", "--employees", "-1"]) == 2
