"""Group commit: one writer thread owns the writing connection.

A request hands its write to :meth:`Writer.submit` (any ``fn(conn)``) or
:meth:`Writer.submit_punches` and waits. The writer thread takes every job waiting at that
moment, runs them in ONE transaction, commits (one fsync, ``synchronous=FULL``) and only then
wakes the requests — so a terminal hears OK only after its records are on disk, and the
terminals sending at the same time share one fsync. If the batch fails, each job is run again
in a transaction of its own, so a bad job fails alone.

Punches have one write path, :func:`write_punches`, for a batch of requests (the writer) or one
(the command line, no writer): a multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` tells
which records were new (de-duplication per (serial, local time, PIN), also within a batch: the
first wins), then quarantined lines and one counter update per terminal.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from _thread import allocate_lock
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from zk_relay.adms import BadLine, Punch
from zk_relay.store.db import INSERT_QUARANTINE, StoreError, connect, utc_now

T = TypeVar("T")


@dataclass(slots=True)
class AttlogResult:
    accepted: int
    inserted: int
    duplicates: int
    quarantined: int


@dataclass(slots=True)
class PunchWrite:
    """The data of one ``store_punches`` call; ``stamp`` goes to ``attlog_stamp`` (None keeps
    the stored one)."""

    serial: str
    timezone: str
    addr: str | None
    source: str
    punches: list[Punch]
    bad: list[BadLine]
    stamp: str | None
    # a reconciliation waiting for this terminal's answer: (run id, range start, range end,
    # local times before this are "other days" when outside the range; later ones are live)
    recon: tuple[int, str, str, str] | None = None


_ROWS_PER_INSERT = 200  # 10 variables a row: far below SQLite's limit of 32766
_sql: dict[tuple[str, int], str] = {}
_INSERT_EVENTS = ("INSERT INTO events (serial, pin, local_time, timezone, status, verify,"
                  " workcode, raw, received_at, fingerprint) VALUES {}"
                  " ON CONFLICT (serial, local_time, pin) DO NOTHING")
_IDS = ("SELECT e.id, e.serial, e.local_time, e.pin FROM (VALUES {}) AS k CROSS JOIN events AS e"
        " ON e.serial = k.column1 AND e.local_time = k.column2 AND e.pin = k.column3")
_COUNT = ("UPDATE devices SET last_seen = n.now, last_addr = n.addr,"
          " events_stored = events_stored + n.stored,"
          " events_duplicate = events_duplicate + n.dup, quarantined = quarantined + n.bad,"
          " last_event_at = CASE WHEN n.stored > 0 THEN n.now ELSE last_event_at END,"
          " attlog_stamp = coalesce(n.stamp, attlog_stamp)"
          " FROM (SELECT column1 AS serial, column2 AS now, column3 AS addr, column4 AS stored,"
          " column5 AS dup, column6 AS bad, column7 AS stamp FROM (VALUES {})) AS n"
          " WHERE devices.serial = n.serial")


def _many(template: str, row: str, n: int) -> str:
    """``template`` with ``n`` rows of placeholders (cached: statements are prepared once)."""
    sql = _sql.get((template, n))
    if sql is None:
        sql = _sql[template, n] = template.format(",".join([row] * n))
    return sql


def write_punches(conn: sqlite3.Connection, writes: list[PunchWrite], now: str
                  ) -> list[AttlogResult]:
    """Store the punches and bad lines of ``writes`` and count them on their terminals, inside
    the caller's transaction; the results are the same as writing them one after another.

    Few statements (each one hands Python's GIL over and back): one multi-row INSERT per 200
    punches; which records were new follows from the number of rows it inserted, and only
    when some were duplicates from reading their ids back (the new rows have the highest:
    ``AUTOINCREMENT``)."""
    rows = [(w.serial, p.pin, p.local_time, w.timezone, p.status, p.verify, p.workcode, p.raw,
             now, p.fingerprint) for w in writes for p in w.punches]
    new: set[tuple[str, str, str]] = set()
    for i in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[i:i + _ROWS_PER_INSERT]
        keys = {(r[0], r[2], r[1]) for r in chunk} - new  # (serial, local time, PIN)
        before = conn.total_changes
        conn.execute(_many(_INSERT_EVENTS, "(?,?,?,?,?,?,?,?,?,?)", len(chunk)),
                     [value for row in chunk for value in row])
        inserted = conn.total_changes - before
        if inserted == len(keys):
            new |= keys
        elif inserted:
            found = conn.execute(_many(_IDS, "(?,?,?)", len(keys)),
                                 [value for key in keys for value in key]).fetchall()
            new.update(row[1:] for row in sorted(found, reverse=True)[:inserted])
    bad = [(w.serial, w.source, b.reason, b.raw, now) for w in writes for b in w.bad]
    if bad:
        conn.executemany(INSERT_QUARANTINE, bad)
    results: list[AttlogResult] = []
    counters: dict[str, list[Any]] = {}  # serial -> [now, addr, stored, duplicates, bad, stamp]
    for w in writes:
        inserted = 0
        new_keys: set[tuple[str, str]] = set()
        for p in w.punches:
            key = (w.serial, p.local_time, p.pin)
            if key in new:  # the first of equal records in the batch is the stored one
                new.discard(key)
                inserted += 1
                new_keys.add((p.local_time, p.pin))
        if w.recon is not None:
            _note_answer(conn, w, new_keys)
        results.append(AttlogResult(len(w.punches), inserted, len(w.punches) - inserted,
                                    len(w.bad)))
        c = counters.setdefault(w.serial, [now, None, 0, 0, 0, None])
        c[1] = w.addr
        c[2] += inserted
        c[3] += len(w.punches) - inserted
        c[4] += len(w.bad)
        c[5] = w.stamp if w.stamp is not None else c[5]
    conn.execute(_many(_COUNT, "(?,?,?,?,?,?,?)", len(counters)),
                 [value for serial, c in counters.items() for value in (serial, *c)])
    return results


def _note_answer(conn: sqlite3.Connection, w: PunchWrite, new_keys: set[tuple[str, str]]
                 ) -> None:
    """Records of an upload while a reconciliation waits for this terminal: those of its range
    are noted (was it new?) in the same transaction as the punches; older ones outside the
    range are counted as "other days" (newer ones are live punches)."""
    assert w.recon is not None
    run_id, start, end, stale_before = w.recon
    seen = []
    other = 0
    for p in w.punches:
        if start <= p.local_time <= end:
            seen.append((run_id, p.local_time, p.pin, (p.local_time, p.pin) in new_keys))
        elif p.local_time < stale_before:
            other += 1
    if seen:
        conn.executemany("INSERT INTO recon_seen (run_id, local_time, pin, was_new)"
                         " VALUES (?,?,?,?) ON CONFLICT DO NOTHING", seen)
    conn.execute("UPDATE recon_runs SET uploads = uploads + 1, other_days = other_days + ?"
                 " WHERE id = ?", (other, run_id))


class _Job:
    """One request's write: ``fn(conn)`` or ``punches``. ``done`` is held until committed."""

    __slots__ = ("cancelled", "done", "error", "fn", "punches", "result")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any] | None,
                 punches: PunchWrite | None = None) -> None:
        self.fn = fn
        self.punches = punches
        self.done = allocate_lock()
        self.done.acquire()
        self.result: Any = None
        self.error: BaseException | None = None
        self.cancelled = False


class Writer:
    """The writer thread and its queue (see the module's docstring)."""

    def __init__(self, path: Path, busy_timeout_ms: int,
                 on_commit: Callable[[int, float], None] | None = None) -> None:
        self.on_commit = on_commit
        self._path = path
        self._busy = busy_timeout_ms
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # "open" and the queue's end (None) change together
        self._open = False
        self._thread: threading.Thread | None = None
        self.commits = 0
        self.jobs = 0

    def start(self) -> None:
        conn = connect(self._path, self._busy)
        self._open = True
        self._thread = threading.Thread(target=self._run, args=(conn,), daemon=True,
                                        name="zk-relay-writer")
        self._thread.start()

    def stop(self) -> None:
        """Refuse new writes; the jobs already queued are committed first."""
        with self._lock:
            was_open, self._open = self._open, False
            if was_open:
                self._queue.put(None)
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` inside a write transaction; return after COMMIT."""
        return self._wait(_Job(fn))  # type: ignore[no-any-return]

    def submit_punches(self, punches: PunchWrite) -> AttlogResult:
        return self._wait(_Job(None, punches))  # type: ignore[no-any-return]

    def _wait(self, job: _Job) -> Any:
        with self._lock:
            if not self._open:
                raise StoreError("the writer is not running")
            self._queue.put(job)
        try:
            job.done.acquire()
        except BaseException:  # interrupted (KeyboardInterrupt): withdrawn if not taken yet
            job.cancelled = True
            raise
        if job.error is not None:
            raise job.error
        return job.result

    def _run(self, conn: sqlite3.Connection) -> None:
        try:
            running = True
            while running:
                batch: list[_Job] = []
                job = self._queue.get()  # wait for one, then take every job waiting
                while True:
                    if job is None:
                        running = False
                    elif not job.cancelled:
                        batch.append(job)
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    self._commit(conn, batch)
                    for job in batch:
                        job.done.release()
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        """Run ``batch`` in one transaction; on failure, each job in its own. Sets every job's
        result or error."""
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            punch_jobs = []
            for job in batch:
                if job.fn is not None:
                    job.result = job.fn(conn)
                else:
                    punch_jobs.append(job)
            if punch_jobs:
                results = write_punches(conn, [j.punches for j in punch_jobs],  # type: ignore[misc]
                                        utc_now())
                for job, result in zip(punch_jobs, results, strict=True):
                    job.result = result
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the requests
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if len(batch) == 1:
                batch[0].result, batch[0].error = None, exc
                return
            for job in batch:  # isolate the failing job
                self._commit(conn, [job])
            return
        self.commits += 1
        self.jobs += len(batch)
        if self.on_commit is not None:
            self.on_commit(len(batch), time.perf_counter() - started)
