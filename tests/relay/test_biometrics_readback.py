"""Templates enrolled AT a polled (pyzk) terminal are read back by the relay (issue 19).

The simulator (``zk_sim.TcpTerminal``) keeps fingerprint templates per user and serves pyzk's
``get_templates`` (table ``FCT_FINGERTMP`` through ``CMD_PREPARE_BUFFER``/``CMD_READ_BUFFER``,
chunked) and ``get_fp_version``; the poller reads them on their own schedule with a biometric
key and the store seals each new or changed one like an uploaded FP row. Schedules run on an
injected clock in-process; the last tests run a real ``zk-relay serve`` process and check the
database by SQL and the template page over HTTP."""

from __future__ import annotations

import base64
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from relay_harness import Relay
from zk import ZK

from zk_relay.biometric_crypto import BiometricCipher
from zk_relay.config import load_config
from zk_relay.poller import Poller, PollResult
from zk_relay.store import ReadTemplate, Store
from zk_sim import TcpTerminal, TerminalUser
from zk_sim import zkproto as zp

pytestmark = pytest.mark.slow

KEY_BYTES = bytes(range(40, 72))
KEY = base64.urlsafe_b64encode(KEY_BYTES).decode()
SERIAL = "READBACK1"
USERS = [TerminalUser(uid=1, pin="0001", name="Boss", privilege=14),
         TerminalUser(uid=5, pin="0042", name="Ana"), TerminalUser(uid=9, pin="A7", name="Bo")]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def terminal() -> Iterator[TcpTerminal]:
    term = TcpTerminal(USERS, password=99).start()
    yield term
    term.stop()


def connect(terminal: TcpTerminal) -> Any:
    return ZK("127.0.0.1", terminal.port, password=99, force_udp=False, ommit_ping=True,
              timeout=5).connect()


# -- the simulator
def test_issue19_simulator_answers_pyzk_get_templates_with_what_was_enrolled(
        terminal: TcpTerminal) -> None:
    ana = terminal.enrol_finger("0042", 3)
    duress = terminal.enrol_finger("A7", 9, valid=3)
    own = terminal.enrol_finger("0001", 0, b"\x01\x02" * 700)
    with pytest.raises(ValueError, match="not enrolled"):
        terminal.enrol_finger("7777", 1)
    conn = connect(terminal)
    try:
        assert conn.get_fp_version() == 10
        read = {(f.uid, f.fid, f.valid, f.template) for f in conn.get_templates()}
        assert read == {(5, 3, 1, ana), (9, 9, 3, duress), (1, 0, 1, own)}
        conn.delete_user_template(uid=5, temp_id=3)
        assert {(f.uid, f.fid) for f in conn.get_templates()} == {(9, 9), (1, 0)}
    finally:
        conn.disconnect()
    assert (zp.CMD_DB_RRQ, zp.FCT_FINGERTMP) in terminal.tables_read
    # each enrolment of a finger is a new scan: other bytes
    assert terminal.enrol_finger("0042", 3) != ana


def test_issue19_simulator_serves_a_big_template_table_in_chunks(terminal: TcpTerminal) -> None:
    """Over 64 KiB of templates: pyzk reads the table in several CMD_READ_BUFFER slices."""
    enrolled = {}
    for uid in range(20, 120):
        terminal.add_user(TerminalUser(uid=uid, pin=f"P{uid}"))
        enrolled[uid, 1] = terminal.enrol_finger(f"P{uid}", 1, bytes([uid]) * 1200)
    before = terminal.commands.count(zp.CMD_READ_BUFFER)
    conn = connect(terminal)
    try:
        read = {(f.uid, f.fid): f.template for f in conn.get_templates()}
    finally:
        conn.disconnect()
    assert read == enrolled
    assert terminal.commands.count(zp.CMD_READ_BUFFER) - before >= 2


def test_issue19_simulator_reports_no_templates_when_none_enrolled(
        terminal: TcpTerminal) -> None:
    conn = connect(terminal)
    try:
        assert conn.get_templates() == []
    finally:
        conn.disconnect()


# -- the poller and the store, in-process (schedule on an injected clock)
def make(tmp_path: Path, terminal: TcpTerminal, *, key: bool = True, **overrides: float
         ) -> tuple[Store, Clock, Poller, dict[str, Any]]:
    config = load_config(env={}, overrides={
        "data_dir": str(tmp_path / "data"), "poll_interval_seconds": 60,
        "poll_templates_interval_seconds": 900, "poll_timeout_seconds": 5, **overrides})
    store = Store(config.db_path)
    if key:
        store.bio_cipher = BiometricCipher(KEY_BYTES)
    store.upsert_device(SERIAL, timezone="Asia/Manila", address="127.0.0.1",
                        port=terminal.port, comm_password=99)
    clock = Clock()
    poller = Poller(store, config, clock=clock, rng=random.Random(3))
    device = next(d for d in poller.devices() if d["serial"] == SERIAL)
    return store, clock, poller, device


def poll(poller: Poller, device: dict[str, Any]) -> PollResult:
    result = poller.poll_and_schedule(device)
    assert result is not None, "the poll failed"
    return result


def page(store: Store) -> list[dict[str, Any]]:
    return store.templates_page(0, 500, "test")[0]


def test_issue19_poller_reads_templates_on_their_own_schedule_and_stores_only_changes(
        tmp_path: Path, terminal: TcpTerminal) -> None:
    template = terminal.enrol_finger("0042", 3)
    store, clock, poller, device = make(tmp_path, terminal)
    try:
        first = poll(poller, device)
        assert (first.templates_read, first.templates_stored) == (1, 1)
        [row] = page(store)
        assert (row["serial"], row["pin"], row["kind"], row["index"], row["valid"],
                row["algorithm"]) == (SERIAL, "0042", "fingerprint", 3, 1, "finger:10")
        assert base64.b64decode(row["data"]) == template

        # the next poll (an interval later) does not read the table again
        reads = terminal.tables_read.count((zp.CMD_DB_RRQ, zp.FCT_FINGERTMP))
        clock.t += 60
        assert poll(poller, device).templates_read is None
        assert terminal.tables_read.count((zp.CMD_DB_RRQ, zp.FCT_FINGERTMP)) == reads

        # 15 minutes on: read again; unchanged, so nothing new is stored
        clock.t += 900
        again = poll(poller, device)
        assert (again.templates_read, again.templates_stored) == (1, 0)
        assert [r["id"] for r in page(store)] == [row["id"]]

        # re-enrolled at the terminal: the new template replaces the old under a new id;
        # a second person's finger is new; a duress finger keeps its flag
        changed = terminal.enrol_finger("0042", 3)
        duress = terminal.enrol_finger("A7", 6, valid=3)
        clock.t += 900
        third = poll(poller, device)
        assert (third.templates_read, third.templates_stored) == (2, 2)
        rows = page(store)
        assert [(r["pin"], r["index"], r["valid"], base64.b64decode(r["data"])) for r in rows] \
            == [("0042", 3, 1, changed), ("A7", 6, 3, duress)]
        assert rows[0]["id"] > row["id"]

        # a finger deleted at the terminal is not deleted by the read (erasure: commands)
        del terminal.templates["A7", 6]
        clock.t += 900
        assert poll(poller, device).templates_read == 1
        assert store.templates_held(SERIAL, "A7") == 1
        stored = [a for a in store.audit_page(0, 1000)[0] if a["action"] == "stored"]
        assert [(a["pin"], a["actor"]) for a in stored] == [
            ("0042", SERIAL), ("0042", SERIAL), ("A7", SERIAL)]
        assert all("read back" in a["detail"] for a in stored)
    finally:
        poller.close()
        store.close()


def test_issue19_a_template_kept_after_odoo_took_it_is_not_stored_again(
        tmp_path: Path, terminal: TcpTerminal) -> None:
    """Retention deletes templates Odoo acknowledged; the keyed digest stays, so the next read
    of the same template is not a new enrolment."""
    terminal.enrol_finger("0001", 2)
    store, clock, poller, device = make(tmp_path, terminal)
    try:
        assert poll(poller, device).templates_stored == 1
        [row] = page(store)
        store.biometric_ack("test", row["id"], None)
        assert store.prune_biometrics(1, 0, datetime.now(UTC) + timedelta(days=2)) == (1, 0)
        clock.t += 900
        result = poll(poller, device)
        assert (result.templates_read, result.templates_stored) == (1, 0)
        assert store.templates_held() == 0
    finally:
        poller.close()
        store.close()


def test_issue19_without_a_key_or_with_reading_off_no_template_is_read(
        tmp_path: Path, terminal: TcpTerminal) -> None:
    terminal.enrol_finger("0042", 1)
    for name, key, interval in (("nokey", False, 900), ("off", True, 0)):
        store, clock, poller, device = make(tmp_path / name, terminal, key=key,
                                            poll_templates_interval_seconds=interval)
        try:
            for _ in range(3):
                assert poll(poller, device).templates_read is None
                clock.t += 1000
            assert store.templates_held() == 0
        finally:
            poller.close()
            store.close()
    assert (zp.CMD_DB_RRQ, zp.FCT_FINGERTMP) not in terminal.tables_read


def test_issue19_a_failing_template_read_does_not_fail_the_poll(
        tmp_path: Path, terminal: TcpTerminal, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal.enrol_finger("0042", 1)
    store, clock, poller, device = make(tmp_path, terminal)

    def broken(self: Any) -> Any:
        raise OSError("the terminal refused the template table")

    try:
        with monkeypatch.context() as patch:
            patch.setattr(ZK, "get_templates", broken)
            result = poll(poller, device)
        assert result.templates_read is None and store.templates_held() == 0
        assert poller.failures.get(SERIAL, 0) == 0 and result.users == 3
        clock.t += 60  # the next try comes after the template interval, not the next poll
        assert poll(poller, device).templates_read is None
        clock.t += 900
        assert poll(poller, device).templates_stored == 1
    finally:
        poller.close()
        store.close()


def test_issue19_store_compares_read_templates_and_refuses_what_is_no_template(
        tmp_path: Path) -> None:
    """Store level: a template the relay holds from before digests were kept is compared after
    unsealing; a changed valid flag alone is not a new enrolment; an entry that cannot be a
    template is audited as dropped and not kept."""
    store = Store(tmp_path / "relay.sqlite3")
    store.bio_cipher = BiometricCipher(KEY_BYTES)
    store.upsert_device(SERIAL, timezone="Asia/Manila")
    try:
        data = bytes(range(256)) * 2
        first = store.store_read_templates(SERIAL, 10, [ReadTemplate("0042", 1, 1, data)])
        assert (first.read, first.stored, first.unchanged) == (1, 1, 0)
        conn = sqlite3.connect(tmp_path / "relay.sqlite3")
        try:
            conn.execute("DELETE FROM bio_seen")  # a row stored by an older relay
            conn.commit()
        finally:
            conn.close()
        again = store.store_read_templates(SERIAL, 10, [ReadTemplate("0042", 1, 3, data)])
        assert (again.stored, again.unchanged) == (0, 1)
        bad = store.store_read_templates(SERIAL, 10, [
            ReadTemplate("0042", 12, 1, data), ReadTemplate("0042", 2, 1, b""),
            ReadTemplate("0042", 3, 1, b"x" * (64 * 1024 + 1))])
        assert (bad.stored, bad.refused) == (0, 3)
        assert store.templates_held() == 1
        dropped = [a["detail"] for a in store.audit_page(0, 100)[0] if a["action"] == "dropped"]
        assert len(dropped) == 3 and "0-9" in dropped[0] and "empty" in dropped[1]
        assert store.device(SERIAL)["options"]["FPVersion"] == "10"
    finally:
        store.close()


# -- a real relay process
def wait_for(condition: Callable[[], Any], what: str, deadline: float = 40.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def template_reads(relay: Relay) -> int:
    return relay.log().count("template(s) read")


def all_values(relay: Relay) -> list[bytes]:
    conn = relay.db()
    try:
        out = []
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for values in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608
                out.extend(v if isinstance(v, bytes) else str(v).encode() for v in values)
        return out
    finally:
        conn.close()


def start_relay(relay_factory: Callable[..., Relay], terminal: TcpTerminal, **env: str
                ) -> Relay:
    relay = relay_factory(ZK_RELAY_POLL_INTERVAL_SECONDS="0.3", **env)
    relay.cli("device", "list")
    relay.start()
    assert relay.api("PUT", f"/api/v1/devices/{SERIAL}", {
        "timezone": "Asia/Manila", "address": "127.0.0.1", "port": terminal.port,
        "password": 99}).status == 201
    return relay


def test_issue19_relay_process_reads_back_templates_enrolled_at_a_polled_terminal(
        relay_factory: Callable[..., Relay], terminal: TcpTerminal) -> None:
    template = terminal.enrol_finger("0042", 4)
    relay = start_relay(relay_factory, terminal, ZK_RELAY_BIOMETRIC_KEY=KEY,
                        ZK_RELAY_POLL_TEMPLATES_INTERVAL_SECONDS="0.5")
    token = relay.cli("token", "create", "odoo-bio", "--scope", "biometric").stdout.strip()

    def templates() -> list[dict[str, Any]]:
        reply = relay.api("GET", "/api/v1/biometric/templates?limit=500", token=token)
        assert reply.status == 200, reply.text
        return reply.json()["templates"]

    [row] = wait_for(templates, "the template read back")
    assert (row["serial"], row["pin"], row["kind"], row["index"], row["algorithm"]) == (
        SERIAL, "0042", "fingerprint", 4, "finger:10")
    assert base64.b64decode(row["data"]) == template
    # sealed: the template (and its base64) is nowhere in the database, by SQL or on disk
    conn = relay.db()
    try:
        sealed, size = conn.execute("SELECT sealed, size FROM bio_templates").fetchone()
    finally:
        conn.close()
    assert size == len(template) and template not in bytes(sealed)
    assert not any(template in v or row["data"].encode() in v for v in all_values(relay))
    assert template not in (relay.data_dir / "relay.sqlite3").read_bytes()
    assert row["data"] not in relay.log()

    # more reads of the unchanged template: the page still carries it once
    reads = template_reads(relay)
    wait_for(lambda: template_reads(relay) >= reads + 2, "two more template reads")
    assert [r["id"] for r in templates()] == [row["id"]]

    # re-enrolled at the terminal: the changed template replaces it
    changed = terminal.enrol_finger("0042", 4)
    [new] = wait_for(lambda: [r for r in templates() if r["id"] != row["id"]] or None,
                     "the changed template")
    assert base64.b64decode(new["data"]) == changed
    assert [r["id"] for r in templates()] == [new["id"]]

    # a template Odoo sends to the terminal and reads back unchanged is not a new enrolment
    sent = bytes(range(200)) * 4
    reply = relay.api("POST", f"/api/v1/devices/{SERIAL}/commands", {
        "kind": "template_upsert", "params": {
            "pin": "A7", "kind": "fingerprint", "index": 2, "algorithm": "finger:10",
            "data": base64.b64encode(sent).decode()}}, token=token)
    assert reply.status == 201, reply.text
    cid = reply.json()["command"]["id"]
    wait_for(lambda: relay.api("GET", f"/api/v1/commands/{cid}").json()["command"]["state"]
             == "done", "the template_upsert")
    assert terminal.templates["A7", 2] == sent
    reads = template_reads(relay)
    wait_for(lambda: template_reads(relay) >= reads + 2, "two reads after the upsert")
    assert [r["id"] for r in templates()] == [new["id"]]

    audit = relay.api("GET", "/api/v1/biometric/audit?limit=1000", token=token).json()["audit"]
    stored = [(a["pin"], a["index"]) for a in audit if a["action"] == "stored"]
    assert stored == [("0042", 4), ("0042", 4)]

    # the FP version read from the terminal guards template_upsert as for push terminals
    refused = relay.api("POST", f"/api/v1/devices/{SERIAL}/commands", {
        "kind": "template_upsert", "params": {
            "pin": "A7", "kind": "fingerprint", "index": 3, "algorithm": "finger:9",
            "data": base64.b64encode(sent).decode()}}, token=token)
    assert (refused.status, refused.json()["error"]) == (409, "not_compatible")

    # erasure deletes the templates and their digests; a re-read of the terminal (where the
    # user and the fingers are gone) stores nothing
    reply = relay.api("POST", f"/api/v1/devices/{SERIAL}/commands",
                      {"kind": "user_erase", "pin": "0042"}, token=token)
    assert reply.status == 201, reply.text
    erase = reply.json()["command"]["id"]
    wait_for(lambda: relay.api("GET", f"/api/v1/commands/{erase}").json()["command"]["state"]
             == "done", "the erasure")
    conn = relay.db()
    try:
        assert conn.execute("SELECT count(*) FROM bio_templates WHERE pin = '0042'"
                            ).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM bio_seen WHERE pin = '0042'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM bio_seen WHERE pin = 'A7'").fetchone()[0] == 1
    finally:
        conn.close()
    reads = template_reads(relay)
    wait_for(lambda: template_reads(relay) >= reads + 2, "two reads after the erasure")
    assert templates() == []


def test_issue19_relay_process_without_a_key_reads_no_templates(
        relay_factory: Callable[..., Relay], terminal: TcpTerminal) -> None:
    terminal.enrol_finger("0042", 4)
    relay = start_relay(relay_factory, terminal, ZK_RELAY_POLL_TEMPLATES_INTERVAL_SECONDS="0.5")
    wait_for(lambda: relay.log().count("polled READBACK1") >= 3, "three polls")
    assert (zp.CMD_DB_RRQ, zp.FCT_FINGERTMP) not in terminal.tables_read
    assert template_reads(relay) == 0
    conn = sqlite3.connect(f"file:{relay.data_dir / 'relay.sqlite3'}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM bio_templates").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM bio_seen").fetchone()[0] == 0
    finally:
        conn.close()
