"""Issue 23: commands stuck in ``sent`` and terminals that never answer.

* A command handed to a terminal that never posts its result used to stay ``sent`` for ever.
  After ``command_timeout_seconds`` it is re-queued once when its kind is safe to repeat
  (user_upsert, user_delete, info, check) and otherwise (attlog_query, or a second time) it
  becomes the visible state ``timed_out`` with the reason; a late result still closes it.
* Polls ran one after another, so a terminal that accepts the connection and never answers
  delayed every other poll by its whole watchdog. Polls now run in a bounded pool: the zk-sim
  TCP terminal is polled while the silent one is still hanging.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from relay_harness import Relay
from test_polling import USERS, Clock, records, wait_for

from zk_relay.commands import build
from zk_relay.config import load_config
from zk_relay.poller import Poller, _default_zk
from zk_relay.store import Store
from zk_sim import TcpTerminal

pytestmark = pytest.mark.slow


# ----------------------------------------------------------------------------- command timeout


def test_sent_commands_expire_requeued_once_where_safe(tmp_path: Path) -> None:
    store = Store(tmp_path / "relay.sqlite3")
    store.start_writer()
    store.upsert_device("EXP1", timezone="UTC")
    info = store.queue_command("EXP1", build("info", {}))["id"]
    query = store.queue_command("EXP1", build("attlog_query", {
        "start": "2024-08-01 00:00:00", "end": "2024-08-02 00:00:00"}))["id"]
    assert [cid for cid, _ in store.take_commands("EXP1")] == [info, query]
    assert store.expire_commands(60) == (0, 0)  # not old yet
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert store.expire_commands(60, now=later) == (1, 1)
    assert store.command(info)["state"] == "queued" and store.command(info)["retries"] == 1
    timed_out = store.command(query)
    assert timed_out["state"] == "timed_out" and "no result within 60 s" in timed_out["result"]
    assert timed_out["done_at"] is not None
    # the re-queued one goes out again; a second timeout is final
    assert [cid for cid, _ in store.take_commands("EXP1")] == [info]
    assert store.expire_commands(60, now=datetime.now(UTC) + timedelta(seconds=61)) == (0, 1)
    assert store.command(info)["state"] == "timed_out"
    store.close()


def test_timeout_visible_over_http_and_a_late_result_still_closes(relay_factory) -> None:
    relay: Relay = relay_factory(ZK_RELAY_COMMAND_TIMEOUT_SECONDS="0.4")
    relay.add_device("EXPHTTP1")
    relay.start()
    queued = relay.api("POST", "/api/v1/devices/EXPHTTP1/commands", {
        "kind": "attlog_query", "start": "2024-08-01 00:00:00", "end": "2024-08-02 00:00:00"})
    cid = queued.json()["command"]["id"]
    assert relay.get("/iclock/getrequest?SN=EXPHTTP1").text.startswith(f"C:{cid}:DATA QUERY")

    def state() -> str:
        return relay.api("GET", f"/api/v1/commands/{cid}").json()["command"]["state"]

    wait_for(lambda: state() == "timed_out", "the timeout")
    page = relay.api("GET", "/api/v1/commands?state=timed_out&serial=EXPHTTP1").json()
    assert [c["id"] for c in page["commands"]] == [cid]
    assert "no result within 0.4 s" in page["commands"][0]["result"]
    assert 'zk_relay_commands{state="timed_out"} 1.0' in relay.api(
        "GET", "/metrics", auth=False).text
    # the terminal answers after all: the answer is the truth
    assert relay.post("/iclock/devicecmd?SN=EXPHTTP1",
                      f"ID={cid}&Return=0&CMD=DATA\n".encode()).acknowledged
    assert state() == "done"


# ----------------------------------------------------------------------------- concurrent polls


class SilentTerminal:
    """Accepts TCP connections on loopback and never answers (a hung terminal)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentTerminal]:
    term = SilentTerminal()
    yield term
    term.close()


@pytest.fixture
def terminal() -> Iterator[TcpTerminal]:
    term = TcpTerminal(USERS, records(40), password=4321).start()
    yield term
    term.stop()


def test_a_hung_terminal_does_not_delay_the_others(tmp_path: Path, terminal: TcpTerminal,
                                                   silent: SilentTerminal) -> None:
    timeout = 3.0  # pyzk waits this long for the silent terminal's answer before failing
    config = load_config(env={}, overrides={
        "data_dir": str(tmp_path / "data"), "poll_interval_seconds": 300,
        "poll_timeout_seconds": timeout, "poll_concurrency": 2})
    store = Store(config.db_path)
    # "A..." sorts first: a sequential poller would poll the silent terminal first
    store.upsert_device("AHUNG01", timezone="UTC", address="127.0.0.1", port=silent.port)
    store.upsert_device("ZGOOD01", timezone="Asia/Manila", address="127.0.0.1",
                        port=terminal.port, comm_password=4321)
    poller = Poller(store, config, clock=Clock(), rng=random.Random(7))
    started = time.monotonic()
    poller.tick(wait=False)
    wait_for(lambda: store.device("ZGOOD01")["last_poll_ok"], "the good terminal's poll")
    good_done = time.monotonic() - started
    # the hung one is still being polled while the good one is done and stored
    assert "AHUNG01" in poller.in_flight and "ZGOOD01" not in poller.in_flight
    assert good_done < timeout
    assert len(store.events_query(serial="ZGOOD01", limit=1000)) == 40
    # a second tick does not start a second poll of the hung terminal
    poller.tick(wait=False)
    assert list(poller.in_flight) == ["AHUNG01"]
    wait_for(lambda: store.device("AHUNG01")["poll_failures"] == 1, "its failure", 30)
    wait_for(lambda: "AHUNG01" not in poller.in_flight, "the worker to be free")
    poller.close()
    store.close()


def test_poll_concurrency_is_bounded(tmp_path: Path, silent: SilentTerminal) -> None:
    """Three hung terminals, two workers: never more than two polls at once, and the third
    is polled as soon as a worker is free."""
    config = load_config(env={}, overrides={
        "data_dir": str(tmp_path / "data"), "poll_timeout_seconds": 1,
        "poll_concurrency": 2})
    store = Store(config.db_path)
    for serial in ("H1", "H2", "H3"):
        store.upsert_device(serial, timezone="UTC", address="127.0.0.1", port=silent.port)
    lock = threading.Lock()
    active = [0, 0, 0]  # now, most at once, connects tried

    class Counted:
        """pyzk's ZK, counting the connects in progress (the real pyzk, the real socket)."""

        def __init__(self, *args: object) -> None:
            self.zk = _default_zk(*args)  # type: ignore[arg-type]

        def connect(self) -> object:
            with lock:
                active[0] += 1
                active[1] = max(active[1], active[0])
                active[2] += 1
            try:
                return self.zk.connect()
            finally:
                with lock:
                    active[0] -= 1

    poller = Poller(store, config, clock=Clock(), rng=random.Random(7), zk_factory=Counted)
    poller.tick(wait=True)
    assert active[2] == 3 and active[1] == 2
    assert all(store.device(s)["poll_failures"] == 1 for s in ("H1", "H2", "H3"))
    poller.close()
    store.close()
