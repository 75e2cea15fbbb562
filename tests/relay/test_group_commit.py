"""Group commit (issue 3, realtime): the writes of every request waiting at that moment are
committed by the writer thread in one transaction, the punches among them by one multi-row
INSERT per 200 records. What it stores must be exactly
what the requests one after another would have stored: the same events (de-duplicated per
record, also within one batch), the same quarantine, the same counters and stamps on each
terminal, and each request's own counts.

The batch is made deterministic: a first job holds the writer thread until every other
request is queued behind it, so they are all committed together.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zk_relay.adms import parse_attlog
from zk_relay.store import AttlogResult, Store, StoreError

Request = tuple[str, str | None, bytes, str | None, str]  # serial, addr, body, stamp, source


def line(pin: str, minute: int, status: int = 0) -> str:
    return f"{pin}\t2024-08-05 08:{minute:02d}:00\t{status}\t1\t0\t0\t0\n"


REQUESTS: list[Request] = [
    ("GC1", "10.0.0.1", (line("5", 0) + line("6", 0)).encode(), "100", "ATTLOG"),
    ("GC2", "10.0.0.2", line("1", 0).encode(), "200", "ATTLOG"),
    # the same record twice in one body, and again in another request of the same batch
    ("GC1", "10.0.0.3", (line("3", 1) + line("3", 1)).encode(), None, "ATTLOG"),
    ("GC1", "10.0.0.4", (line("3", 1) + "bad line\n" + line("4", 2)).encode(), "101", "ATTLOG"),
    ("GC2", "10.0.0.5", b"", "201", "ATTLOG"),  # empty body: last seen and stamp only
    ("GC2", "10.0.0.6", b"oops\n\xff\xfe\t2024\n", None, "ATTLOG"),  # quarantine only
    ("GC3", "10.0.0.7", line("9", 5).encode(), None, "rtlog"),  # stamp not this table's
    ("GONE", "10.0.0.8", line("1", 0).encode(), None, "ATTLOG"),  # no such device
    ("GC1", "10.0.0.9", line("1", 0).encode(), "102", "ATTLOG"),  # stored in an earlier batch
]


def make_store(path: Path) -> Store:
    store = Store(path)
    for serial in ("GC1", "GC2", "GC3"):
        store.upsert_device(serial, timezone="Asia/Manila")
    return store


def store_request(store: Store, req: Request) -> AttlogResult:
    serial, addr, body, stamp, source = req
    punches, bad = parse_attlog(serial, body)
    return store.store_punches(serial, "Asia/Manila", addr, source, punches, bad, stamp,
                               stamp_column="attlog_stamp" if source == "ATTLOG" else None)


def snapshot(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        return {
            "events": conn.execute(
                "SELECT serial, pin, local_time, timezone, status, verify, workcode, raw,"
                " fingerprint FROM events ORDER BY serial, local_time, pin").fetchall(),
            "quarantine": conn.execute("SELECT serial, source, reason, raw FROM quarantine"
                                       " ORDER BY serial, raw").fetchall(),
            "devices": conn.execute(
                "SELECT serial, events_stored, events_duplicate, quarantined, last_addr,"
                " attlog_stamp, last_seen IS NOT NULL, last_event_at IS NOT NULL FROM devices"
                " ORDER BY serial").fetchall(),
        }
    finally:
        conn.close()


def hold_the_writer(store: Store) -> tuple[Any, threading.Event]:
    """Make the writer thread run a job that waits for the returned event, so that the next
    writes queue up behind it."""
    writer = store.writer
    assert writer is not None
    started, release = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        started.set()
        release.wait(30)

    threading.Thread(target=store.write, args=(hold,), daemon=True).start()
    assert started.wait(30)
    return writer, release


def in_one_batch(store: Store, calls: list[Callable[[], Any]], *, commits: int = 1
                 ) -> list[Any]:
    """Run ``calls`` from threads of their own while a first job holds the writer thread, so
    that all of them are queued, then committed in one batch (``commits``: how many
    transactions that takes — more when a failing job makes the batch retry one by one)."""
    writer, release = hold_the_writer(store)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - compared by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for i, t in enumerate(threads):  # one at a time: the batch keeps the order of ``calls``
        t.start()
        while writer._queue.qsize() < i + 1:  # noqa: SLF001 - queued behind the holder
            time.sleep(0.001)
    before = writer.commits
    release.set()
    for t in threads:
        t.join(30)
    assert writer.commits - before == 1 + commits, "not committed together"
    return results


@pytest.mark.parametrize("mixed", [False, True], ids=["punches only", "with other writes"])
def test_one_batch_stores_what_requests_one_by_one_store(tmp_path: Path, mixed: bool) -> None:
    """Realtime-sized: punches only, or with other writes in the same transaction."""
    def calls(store: Store) -> list[Callable[[], Any]]:
        out: list[Callable[[], Any]] = [lambda r=req: store_request(store, r)
                                        for req in REQUESTS]
        if mixed:
            out.insert(3, lambda: store.touch("GC3", "10.9.9.9", handshake=True))
        return out

    one_by_one = make_store(tmp_path / "sequential.sqlite3")  # direct mode, no writer
    store_request(one_by_one, REQUESTS[-1])
    expected = [call() for call in calls(one_by_one)]
    one_by_one.close()

    batched = make_store(tmp_path / "batched.sqlite3")
    batched.start_writer()
    store_request(batched, REQUESTS[-1])  # an earlier batch
    got = in_one_batch(batched, calls(batched))
    batched.close()
    if mixed:
        assert got.pop(3) is None and expected.pop(3) is None

    assert got == expected  # each request's own counts, duplicates within the batch too
    assert [(r.inserted, r.duplicates) for r in got[:4]] == [(2, 0), (1, 0), (1, 1), (1, 1)]
    assert got[-1] == AttlogResult(1, 0, 1, 0)
    assert snapshot(tmp_path / "batched.sqlite3") == snapshot(tmp_path / "sequential.sqlite3")


def test_big_and_mixed_batch_is_one_transaction(tmp_path: Path) -> None:
    """Several requests of many records each, and other writes in the same batch."""
    store = make_store(tmp_path / "relay.sqlite3")
    store.start_writer()
    bodies = ["".join(line(str(p), m) for p in range(1, 11) for m in range(10 * d, 10 * d + 3))
              for d in range(4)]  # 30 records each, 120 in the batch
    calls: list[Callable[[], Any]] = [
        lambda b=b: store_request(store, ("GC1", "10.0.0.1", b.encode(), "7", "ATTLOG"))
        for b in bodies]
    calls.append(lambda: store.touch("GC2", "10.0.0.2"))
    calls.append(lambda: store_request(store, ("GC1", "10.0.0.1", bodies[0].encode(), None,
                                               "ATTLOG")))  # all 30 again
    got = in_one_batch(store, calls)
    store.close()
    assert sum(r.inserted for r in got[:4]) + got[5].inserted == 120
    assert sum(r.duplicates for r in got[:4]) + got[5].duplicates == 30
    assert got[4] is None
    devices = {d[0]: d for d in snapshot(tmp_path / "relay.sqlite3")["devices"]}
    assert devices["GC1"][1:3] == (120, 30) and devices["GC1"][5] == "7"
    assert devices["GC2"][4] == "10.0.0.2"


def test_a_failing_job_fails_alone(tmp_path: Path) -> None:
    store = make_store(tmp_path / "relay.sqlite3")
    store.start_writer()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    got = in_one_batch(store, [
        lambda: store_request(store, ("GC1", None, line("1", 0).encode(), None, "ATTLOG")),
        lambda: store.write(broken),
        lambda: store_request(store, ("GC2", None, line("1", 0).encode(), None, "ATTLOG")),
    ], commits=2)
    assert got[0] == AttlogResult(1, 1, 0, 0) and got[2] == AttlogResult(1, 1, 0, 0)
    assert isinstance(got[1], sqlite3.OperationalError)
    assert len(snapshot(tmp_path / "relay.sqlite3")["events"]) == 2
    writer = store.writer
    store.close()
    assert writer is not None
    with pytest.raises(StoreError):
        writer.submit(lambda conn: None)


def test_interrupted_waiter_is_withdrawn(tmp_path: Path) -> None:
    """Ctrl-C in a thread waiting for its batch (only the main thread can get one): its job is
    withdrawn when the writer did not take it yet, and the next writes are still served."""
    import os
    import signal

    store = make_store(tmp_path / "relay.sqlite3")
    store.start_writer()
    writer, release = hold_the_writer(store)

    def interrupt() -> None:
        while not writer._queue.qsize():  # noqa: SLF001 - the main thread waits behind it
            time.sleep(0.001)
        os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=interrupt).start()
        with pytest.raises(KeyboardInterrupt):
            store_request(store, ("GC1", None, line("1", 0).encode(), None, "ATTLOG"))
    finally:
        signal.signal(signal.SIGINT, previous)
    release.set()
    assert store_request(store, ("GC1", None, line("2", 0).encode(), None, "ATTLOG")
                         ) == AttlogResult(1, 1, 0, 0)
    assert [e[1] for e in snapshot(tmp_path / "relay.sqlite3")["events"]] == ["2"]
    store.close()
