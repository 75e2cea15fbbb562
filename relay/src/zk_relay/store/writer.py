"""Group commit: every write of the serving relay goes through one SQLite connection."""

from __future__ import annotations

import sqlite3
import threading
import time
from _thread import allocate_lock as _allocate_lock
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from zk_relay.adms import BadLine, Punch
from zk_relay.store.db import INSERT_EVENT, INSERT_QUARANTINE, StoreError, connect, utc_now

T = TypeVar("T")


# --------------------------------------------------------------------------- group commit

# Two ways to write punches, storing exactly the same rows and counters:
#
# * ``_write_punches``: per request, an ``executemany`` INSERT of its events (a duplicate of
#   (serial, local time, PIN) is skipped: ``ON CONFLICT DO NOTHING``), its quarantined lines,
#   one UPDATE of its terminal's counters. Used for big batches (catch-up uploads) and by the
#   command line.
# * ``intake``, for a batch of at most 64 rows (realtime punches): a temporary view (one per
#   writing connection) whose INSTEAD OF triggers do the same per row — the event, counted on
#   its terminal; a duplicate is reported to Python through ``zk_relay_duplicate(job)``, the
#   only callback, so each request still gets its exact count; a bad line into
#   ``quarantine``. The whole batch is then ONE multi-row INSERT statement, i.e. one hand-over
#   of the GIL instead of a few per request (each costs up to a switch interval while other
#   threads hold the GIL), and when the batch holds nothing else, that statement is its own
#   transaction: begin, write, COMMIT with its fsync, in a single step.
INTAKE_COLUMNS = ("job", "kind", "serial", "pin", "local_time", "timezone", "status", "verify",
                  "workcode", "raw", "received_at", "fingerprint", "addr", "stamp", "source",
                  "reason")
_INTAKE = """
CREATE TEMP VIEW IF NOT EXISTS intake AS SELECT NULL AS job, NULL AS kind, NULL AS serial,
    NULL AS pin, NULL AS local_time, NULL AS timezone, NULL AS status, NULL AS verify,
    NULL AS workcode, NULL AS raw, NULL AS received_at, NULL AS fingerprint, NULL AS addr,
    NULL AS stamp, NULL AS source, NULL AS reason WHERE 0;
CREATE TEMP TRIGGER IF NOT EXISTS intake_punch INSTEAD OF INSERT ON intake
WHEN NEW.kind = 'punch' BEGIN
    INSERT INTO events (serial, pin, local_time, timezone, status, verify, workcode, raw,
                        received_at, fingerprint)
    VALUES (NEW.serial, NEW.pin, NEW.local_time, NEW.timezone, NEW.status, NEW.verify,
            NEW.workcode, NEW.raw, NEW.received_at, NEW.fingerprint)
    ON CONFLICT (serial, local_time, pin) DO NOTHING;
    SELECT zk_relay_duplicate(NEW.job) WHERE changes() = 0;
    UPDATE devices SET events_stored = events_stored + changes(),
        events_duplicate = events_duplicate + 1 - changes(),
        last_event_at = CASE WHEN changes() > 0 THEN NEW.received_at ELSE last_event_at END,
        last_seen = NEW.received_at, last_addr = NEW.addr,
        attlog_stamp = coalesce(NEW.stamp, attlog_stamp)
    WHERE serial = NEW.serial;
END;
CREATE TEMP TRIGGER IF NOT EXISTS intake_bad INSTEAD OF INSERT ON intake
WHEN NEW.kind = 'bad' BEGIN
    INSERT INTO quarantine (serial, source, reason, raw, received_at)
    VALUES (NEW.serial, NEW.source, NEW.reason, NEW.raw, NEW.received_at);
    UPDATE devices SET quarantined = quarantined + 1, last_seen = NEW.received_at,
        last_addr = NEW.addr, attlog_stamp = coalesce(NEW.stamp, attlog_stamp)
    WHERE serial = NEW.serial;
END;
CREATE TEMP TRIGGER IF NOT EXISTS intake_seen INSTEAD OF INSERT ON intake
WHEN NEW.kind = 'seen' BEGIN
    UPDATE devices SET last_seen = NEW.received_at, last_addr = NEW.addr,
        attlog_stamp = coalesce(NEW.stamp, attlog_stamp)
    WHERE serial = NEW.serial;
END;
"""
_INTAKE_PLACES = "(" + ",".join("?" * len(INTAKE_COLUMNS)) + ")"
_intake_sql: dict[int, str] = {}


def _intake_insert(n: int) -> str:
    sql = _intake_sql.get(n)
    if sql is None:
        sql = "INSERT INTO intake VALUES " + ",".join([_INTAKE_PLACES] * n)  # noqa: S608
        _intake_sql[n] = sql
    return sql


def _write_punches(conn: sqlite3.Connection, w: _PunchWrite, now: str) -> AttlogResult:
    """One request's punches, statement by statement (inside the caller's transaction)."""
    inserted = 0
    if w.punches:
        inserted = conn.executemany(INSERT_EVENT, [
            (w.serial, p.pin, p.local_time, w.timezone, p.status, p.verify, p.workcode, p.raw,
             now, p.fingerprint) for p in w.punches]).rowcount
    if w.bad:
        conn.executemany(INSERT_QUARANTINE, [
            (w.serial, w.source, b.reason, b.raw, now) for b in w.bad])
    conn.execute(
        "UPDATE devices SET last_seen = ?, last_addr = ?, events_stored = events_stored + ?,"
        " events_duplicate = events_duplicate + ?, quarantined = quarantined + ?,"
        " last_event_at = CASE WHEN ? > 0 THEN ? ELSE last_event_at END,"
        " attlog_stamp = coalesce(?, attlog_stamp) WHERE serial = ?",
        (now, w.addr, inserted, len(w.punches) - inserted, len(w.bad), inserted, now, w.stamp,
         w.serial))
    return AttlogResult(len(w.punches), inserted, len(w.punches) - inserted, len(w.bad))


class _Intake:
    """The ``intake`` view on one writing connection, and the duplicates it reported."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.duplicates: dict[int, int] = {}
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.executescript(_INTAKE)
        conn.create_function("zk_relay_duplicate", 1, self._duplicate)
        limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self.rows_per_statement = max(1, min(64, limit // len(INTAKE_COLUMNS)))

    def _duplicate(self, job: int) -> None:
        self.duplicates[job] = self.duplicates.get(job, 0) + 1

    def rows(self, writes: list[_PunchWrite], now: str) -> list[Any]:
        """The intake rows of ``writes`` (the job number is the index in ``writes``), flat."""
        flat: list[Any] = []
        for job, w in enumerate(writes):
            serial, tz, addr, stamp, source = w.serial, w.timezone, w.addr, w.stamp, w.source
            for p in w.punches:
                flat += (job, "punch", serial, p.pin, p.local_time, tz, p.status, p.verify,
                         p.workcode, p.raw, now, p.fingerprint, addr, stamp, None, None)
            for b in w.bad:
                flat += (job, "bad", serial, None, None, None, None, None, None, b.raw, now,
                         None, addr, stamp, source, b.reason)
            if not w.punches and not w.bad:
                flat += (job, "seen", serial, None, None, None, None, None, None, None, now,
                         None, addr, stamp, None, None)
        return flat

    def fits(self, writes: list[_PunchWrite]) -> bool:
        """Whether ``writes`` make one intake statement."""
        rows = 0
        for w in writes:
            rows += len(w.punches) + len(w.bad) or 1
        return rows <= self.rows_per_statement

    def write(self, conn: sqlite3.Connection, flat: list[Any]) -> None:
        conn.execute(_intake_insert(len(flat) // len(INTAKE_COLUMNS)), flat)

    def results(self, writes: list[_PunchWrite]) -> list[AttlogResult]:
        out = []
        for job, w in enumerate(writes):
            dup = self.duplicates.get(job, 0)
            out.append(AttlogResult(len(w.punches), len(w.punches) - dup, dup, len(w.bad)))
        return out


class _Job:
    """One request's writes: ``fn(conn)``, or ``punches`` (a ``store_punches`` call, written
    through ``intake`` together with the other punches of its batch). ``done`` is a lock held
    until the job's transaction is over, or until its thread is to lead the next batch."""

    __slots__ = ("done", "error", "fn", "lead", "punches", "result")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any] | None,
                 punches: _PunchWrite | None = None) -> None:
        self.fn = fn
        self.punches = punches
        self.done = _allocate_lock()
        self.done.acquire()
        self.lead = False
        self.result: Any = None
        self.error: BaseException | None = None


class Writer:
    """Group commit without a writer thread (leader/followers): the writes of all requests
    waiting at that moment go into one transaction, run by one of those requests' own
    threads (the leader); the others (followers) sleep until it has committed.

    A request that finds nobody committing leads at once: it takes every waiting job (its own
    among them), commits them, then hands the lead to the first job that arrived meanwhile
    and wakes its followers. So a batch costs one wake-up per follower and none for a writer
    thread, and a single request commits without any hand-over.

    A batch of punch writes small enough for one ``intake`` statement (64 rows) is that one
    statement, committed on its own (SQLite's implicit transaction: begin, write, COMMIT with
    its fsync, all in one step); anything bigger or mixed is ``BEGIN IMMEDIATE`` … ``COMMIT``
    (big punch writes statement by statement). Only then are the requests woken up."""

    def __init__(self, path: Path, busy_timeout_ms: int,
                 on_commit: Callable[[int, float], None] | None = None) -> None:
        self.on_commit = on_commit
        self._path = path
        self._busy = busy_timeout_ms
        self._mutex = threading.Lock()
        self._pending: list[_Job] = []
        self._leading = False
        self._open = False
        self._conn: sqlite3.Connection | None = None
        self._intake: _Intake | None = None
        self.commits = 0
        self.jobs = 0

    def start(self) -> None:
        self._conn = connect(self._path, self._busy)
        self._intake = _Intake(self._conn)
        self._open = True

    def stop(self) -> None:
        """Refuse new writes, let the batch in progress (and the waiting jobs) finish."""
        with self._mutex:
            was_open, self._open = self._open, False
        if not was_open:
            return
        while True:
            with self._mutex:
                if not self._leading and not self._pending:
                    break
            time.sleep(0.005)
        assert self._conn is not None
        self._conn.close()

    def submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` inside a write transaction; return after COMMIT."""
        return self._wait(_Job(fn))  # type: ignore[no-any-return]

    def submit_punches(self, punches: _PunchWrite) -> AttlogResult:
        return self._wait(_Job(None, punches))  # type: ignore[no-any-return]

    def _wait(self, job: _Job) -> Any:
        with self._mutex:
            if not self._open:
                raise StoreError("the writer is not running")
            self._pending.append(job)
            lead = not self._leading
            if lead:
                self._leading = True
        if not lead:
            try:
                job.done.acquire()  # committed by a leader, or made the leader
            except BaseException:
                self._abandon(job)
                raise
            lead = job.lead
        if lead:
            self._lead(job)
        if job.error is not None:
            raise job.error
        return job.result

    def _abandon(self, job: _Job) -> None:
        """The waiting thread was interrupted (KeyboardInterrupt): withdraw the job if it has
        not been taken yet, else see it through — never leave the lead to nobody."""
        with self._mutex:
            if not job.lead and job in self._pending:
                self._pending.remove(job)
                return
        job.done.acquire()
        if job.lead:
            self._lead(job)

    def _lead(self, own: _Job) -> None:
        with self._mutex:
            batch, self._pending = self._pending, []
        try:
            assert self._conn is not None
            self._execute(self._conn, batch)
        finally:
            with self._mutex:
                if self._pending:
                    successor: _Job | None = self._pending[0]
                    successor.lead = True  # type: ignore[union-attr]
                else:
                    successor = None
                    self._leading = False
            if successor is not None:
                successor.done.release()
            for job in batch:
                if job is not own:
                    job.done.release()

    def _execute(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        """Run ``batch`` in one transaction; on failure, each job in its own (so one bad job
        fails alone). Sets every job's result or error; wakes nobody."""
        started = time.perf_counter()
        intake = self._intake
        assert intake is not None
        punch_jobs = [job for job in batch if job.punches is not None]
        writes: list[_PunchWrite] = [job.punches for job in punch_jobs]  # type: ignore[misc]
        results: list[AttlogResult] = []
        flat: list[Any] = []
        try:
            now = utc_now()
            small = bool(writes) and intake.fits(writes)
            if small:
                intake.duplicates.clear()
                flat = intake.rows(writes, now)
            if small and len(writes) == len(batch):
                intake.write(conn, flat)  # one statement: its own transaction
                results = intake.results(writes)
            else:
                conn.execute("BEGIN IMMEDIATE")
                for job in batch:
                    if job.fn is not None:
                        job.result = job.fn(conn)
                if small:
                    intake.write(conn, flat)
                    results = intake.results(writes)
                else:
                    results = [_write_punches(conn, w, now) for w in writes]
                conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the requests
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if len(batch) == 1:
                batch[0].error = exc
                return
            for job in batch:  # isolate the failing job: retry one by one
                job.result = None
                self._execute(conn, [job])
            return
        for job, result in zip(punch_jobs, results, strict=True):
            job.result = result
        self.commits += 1
        self.jobs += len(batch)
        if self.on_commit is not None:
            self.on_commit(len(batch), time.perf_counter() - started)


@dataclass(slots=True)
class AttlogResult:
    accepted: int
    inserted: int
    duplicates: int
    quarantined: int


class _PunchWrite:
    """The data of one ``store_punches`` call."""

    __slots__ = ("addr", "bad", "punches", "serial", "source", "stamp", "timezone")

    def __init__(self, serial: str, timezone: str, addr: str | None, source: str,
                 punches: list[Punch], bad: list[BadLine], stamp: str | None) -> None:
        self.serial = serial
        self.timezone = timezone
        self.addr = addr
        self.source = source
        self.punches = punches
        self.bad = bad
        self.stamp = stamp  # for attlog_stamp; None keeps the stored one
