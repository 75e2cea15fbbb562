"""Durable SQLite store: WAL, synchronous=FULL, one writing connection with group commit.

Request threads never write on their own: they hand their writes to :class:`Writer`, which
runs the writes of every request waiting at that moment in ONE transaction — led by one of
those requests' threads — and only then lets the requests answer. A request therefore answers
the terminal OK only after its records are on disk, and concurrent terminals share one fsync
(group commit). Readers use their own per-thread connections (``query_only``); the per-request
device lookup is served from memory (:class:`DeviceGeneration`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools
import json
import logging
import mmap
import os
import re
import secrets
import sqlite3
import threading
import time
import uuid
from _thread import allocate_lock as _allocate_lock
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from zk_relay.adms import BadLine, CommandResult, Operlog, Photo, Punch, zone
from zk_relay.commands import Command, state_for, wire_safe
from zk_rules.delivery import new_token, secret_hash

T = TypeVar("T")
log = logging.getLogger("zk_relay.store")
SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (
    serial TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL,
    pushcommkey TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seen TEXT,
    last_addr TEXT,
    last_handshake TEXT,
    pushver TEXT,
    info TEXT NOT NULL DEFAULT '{}',
    options TEXT NOT NULL DEFAULT '{}',
    attlog_stamp TEXT,
    operlog_stamp TEXT,
    attphoto_stamp TEXT,
    biodata_stamp TEXT,
    registry TEXT,
    registry_code TEXT,
    session_id TEXT,
    events_stored INTEGER NOT NULL DEFAULT 0,
    events_duplicate INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    oplog_stored INTEGER NOT NULL DEFAULT 0,
    users_stored INTEGER NOT NULL DEFAULT 0,
    bio_stored INTEGER NOT NULL DEFAULT 0,
    photos_stored INTEGER NOT NULL DEFAULT 0,
    last_event_at TEXT,
    handshake_tz TEXT,
    tz_check_for TEXT,
    address TEXT,
    port INTEGER,
    comm_password INTEGER,
    poll_failures INTEGER NOT NULL DEFAULT 0,
    last_poll_at TEXT,
    last_poll_ok TEXT,
    last_poll_error TEXT
);
CREATE TABLE IF NOT EXISTS pending (
    serial TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    remote_addr TEXT,
    knocks INTEGER NOT NULL DEFAULT 1,
    pushver TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    pin TEXT NOT NULL,
    local_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    status INTEGER,
    verify INTEGER,
    workcode TEXT NOT NULL DEFAULT '',
    raw TEXT NOT NULL,
    received_at TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    UNIQUE (serial, local_time, pin)
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    pin TEXT NOT NULL,
    name TEXT NOT NULL,
    name_raw BLOB NOT NULL,
    name_encoding TEXT NOT NULL,
    privilege INTEGER,
    card TEXT NOT NULL DEFAULT '',
    grp TEXT NOT NULL DEFAULT '',
    verify INTEGER,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS oplog (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    op_type INTEGER,
    operator TEXT NOT NULL,
    local_time TEXT NOT NULL,
    timezone TEXT NOT NULL,
    obj1 TEXT, obj2 TEXT, obj3 TEXT, obj4 TEXT,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS biodata (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    kind TEXT NOT NULL,
    pin TEXT NOT NULL,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    filename TEXT NOT NULL,
    pin TEXT NOT NULL,
    local_time TEXT,
    size INTEGER,
    header TEXT NOT NULL,
    data BLOB NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (serial, filename)
);
CREATE TABLE IF NOT EXISTS raw_posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    command TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    created_at TEXT NOT NULL,
    sent_at TEXT,
    done_at TEXT,
    return_code INTEGER,
    kind TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}',
    result TEXT,
    result_fields TEXT,
    retries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS commands_queued ON commands (serial, state, id);
CREATE TABLE IF NOT EXISTS command_results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    cmd_id TEXT NOT NULL,
    return_code INTEGER,
    cmd TEXT NOT NULL,
    fields TEXT NOT NULL,
    raw BLOB NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS odoo_link (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    odoo_url TEXT NOT NULL,
    relay_id INTEGER NOT NULL,
    odoo_token TEXT NOT NULL,
    mode TEXT NOT NULL,
    delivery_url TEXT,
    token_name TEXT,
    enrolled_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'active',
    state_reason TEXT,
    push_cursor INTEGER NOT NULL DEFAULT 0,
    pushed_pages INTEGER NOT NULL DEFAULT 0,
    pushed_events INTEGER NOT NULL DEFAULT 0,
    last_delivery_at TEXT,
    last_committed_up_to INTEGER,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    last_error_at TEXT,
    token_rotated_at TEXT
);
"""

EVENT_COLUMNS = ("id", "serial", "pin", "local_time", "timezone", "status", "verify",
                 "workcode", "received_at", "fingerprint")
INSERT_EVENT = (
    "INSERT INTO events (serial, pin, local_time, timezone, status, verify, workcode, raw,"
    " received_at, fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT(serial, local_time, pin) DO NOTHING"
)
INSERT_QUARANTINE = (
    "INSERT INTO quarantine (serial, source, reason, raw, received_at) VALUES (?,?,?,?,?)"
)


def utc_now() -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2025-01-31T08:00:00.000+00:00``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\x1f")
    return h.hexdigest()


def connect(path: Path, busy_timeout_ms: int, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                           timeout=busy_timeout_ms / 1000)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    conn.execute("PRAGMA synchronous=FULL")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    else:
        conn.execute("PRAGMA cache_size=-32768")
    return conn


class StoreError(RuntimeError):
    pass


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


# --------------------------------------------------------------------------- results


DEVICE_COLUMNS = (
    "serial", "name", "timezone", "pushcommkey", "enabled", "created_at", "updated_at",
    "last_seen", "last_addr", "last_handshake", "pushver", "info", "options", "attlog_stamp",
    "operlog_stamp", "attphoto_stamp", "biodata_stamp", "registry", "registry_code",
    "session_id", "events_stored", "events_duplicate", "quarantined", "oplog_stored",
    "users_stored", "bio_stored", "photos_stored", "last_event_at", "handshake_tz",
    "tz_check_for", "address", "port", "comm_password", "poll_failures", "last_poll_at",
    "last_poll_ok", "last_poll_error",
)
_DEVICE_SELECT = "SELECT " + ", ".join(DEVICE_COLUMNS) + " FROM devices"  # noqa: S608


def _device_dict(row: Sequence[Any]) -> dict[str, Any]:
    device = dict(zip(DEVICE_COLUMNS, row, strict=True))
    device["enabled"] = bool(device["enabled"])
    device["info"] = json.loads(device["info"] or "{}")
    device["options"] = json.loads(device["options"] or "{}")
    return device


class DeviceGeneration:
    """The signal "a terminal's registration changed", shared by every process of a store.

    The file ``<database>-devgen`` holds 8 bytes that a process rewrites with a fresh random
    value after it has committed a change to a terminal's registration (add, update,
    enable/disable, remove: :meth:`Store.upsert_device`, :meth:`Store.remove_device`). A
    serving relay keeps the file mapped in memory, so reading it costs no system call; a
    cached registration is used only while this value (and the process's own change counter)
    is still the one read *before* the registration was read from SQLite. A change committed
    by the command line — another process — therefore applies from the very next request,
    without a database lookup per request. The relay looks at the file again every
    ``CHECK_SECONDS`` (a file replaced by hand is mapped again) and empties its cache then, so
    even a change written straight into the database (sqlite3 shell) applies within that."""

    CHECK_SECONDS = 1.0

    def __init__(self, db_path: Path) -> None:
        self.path = Path(str(db_path) + "-devgen")
        self._db_path = db_path
        self._map: mmap.mmap | None = None
        self._ident: tuple[int, int] | None = None
        self._next_check = 0.0
        self._lock = threading.Lock()

    def signal(self) -> None:
        """After a committed change: tell every process (raises OSError)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            self._adopt_owner(fd)
            os.pwrite(fd, secrets.token_bytes(8), 0)
        finally:
            os.close(fd)

    def value(self) -> bytes | None:
        """The current value; None when the file cannot be used (no caching then). Every
        ``CHECK_SECONDS`` the file is looked at again; returns None once then (the caller
        empties its cache)."""
        if time.monotonic() >= self._next_check:
            self._check()
            return None
        mapped = self._map
        return mapped[:8] if mapped is not None else None

    def _check(self) -> None:
        if not self._lock.acquire(blocking=False):
            return
        try:
            self._next_check = time.monotonic() + self.CHECK_SECONDS
            try:
                st = os.stat(self.path)
                ident = (st.st_dev, st.st_ino)
            except OSError:
                ident = None
            if ident is None or ident != self._ident or self._map is None:
                self._open()
        finally:
            self._lock.release()

    def _open(self) -> None:
        # the old map is dropped, not closed: a request thread may be reading it right now
        self._map = None
        self._ident = None
        try:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                self._adopt_owner(fd)
                if os.fstat(fd).st_size < 8:
                    os.pwrite(fd, secrets.token_bytes(8), 0)
            except PermissionError:
                fd = os.open(self.path, os.O_RDONLY)
            try:
                st = os.fstat(fd)
                if st.st_size < 8:
                    return
                self._map = mmap.mmap(fd, 8, mmap.MAP_SHARED, mmap.PROT_READ)
                self._ident = (st.st_dev, st.st_ino)
            finally:
                os.close(fd)
        except (OSError, ValueError):
            self._map = None

    def _adopt_owner(self, fd: int) -> None:
        """Run as root on a store owned by the service user (as SQLite does for -wal/-shm)."""
        if os.geteuid() == 0:
            db, own = os.stat(self._db_path), os.fstat(fd)
            if (own.st_uid, own.st_gid) != (db.st_uid, db.st_gid):
                os.fchown(fd, db.st_uid, db.st_gid)

    def close(self) -> None:
        self._map = None
        self._ident = None


class Store:
    """The relay's database. ``start_writer()`` for the server; without it (the command line)
    writes run directly in their own ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._writer: Writer | None = None
        self._direct: sqlite3.Connection | None = None
        self._direct_lock = threading.Lock()
        self._devgen = DeviceGeneration(self.path)
        self._changes = itertools.count(1)
        self._change = 0  # the last local change to a registration (next(self._changes))
        self._briefs: dict[str, tuple[int, bytes, tuple[str, bool, str | None, str | None]]] = {}
        self._init_db()
        self.store_id = self.meta("store_id") or ""

    # -- setup
    def _init_db(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path, self.busy_timeout_ms)
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot switch {self.path} to WAL (journal_mode={mode})")
            conn.execute("BEGIN IMMEDIATE")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            now = utc_now()
            for key, value in (("store_id", uuid.uuid4().hex), ("created_at", now),
                               ("schema_version", str(SCHEMA_VERSION)), ("acked_up_to", "0")):
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                             (key, value))
            _migrate(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def start_writer(self, on_commit: Callable[[int, float], None] | None = None) -> None:
        if self._writer is None:
            self._writer = Writer(self.path, self.busy_timeout_ms, on_commit=on_commit)
            self._writer.start()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._direct is not None:
            self._direct.close()
            self._direct = None
        self._devgen.close()

    @property
    def writer(self) -> Writer | None:
        return self._writer

    # -- primitives
    def read(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, self.busy_timeout_ms, readonly=True)
            self._local.conn = conn
        return conn

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._writer is not None:
            return self._writer.submit(fn)
        with self._direct_lock:
            if self._direct is None:
                self._direct = connect(self.path, self.busy_timeout_ms)
            conn = self._direct
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return result

    def meta(self, key: str) -> str | None:
        row = self.read().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- devices
    def device(self, serial: str) -> dict[str, Any] | None:
        row = self.read().execute(_DEVICE_SELECT + " WHERE serial = ?", (serial,)).fetchone()
        return _device_dict(row) if row else None

    def device_brief(self, serial: str
                     ) -> tuple[str, bool, str | None, str | None, str | None] | None:
        """(timezone, enabled, pushcommkey, handshake_tz, session_token): the per-request
        lookup. ``session_token`` is what a PUSH 3.x terminal must present as ``Cookie:
        token=`` (adms-protocol §4.10: hex MD5 of RegistryCode + SN + SessionID), None while
        the terminal has no registry code and session.

        Served from memory while no registration changed since it was read — in this process
        (``_change``) or any other (:class:`DeviceGeneration`); both are read *before* the row,
        so a change committed after that read always makes the entry stale."""
        change, generation = self._change, self._devgen.value()
        if generation is None:
            self._briefs.clear()
        else:
            cached = self._briefs.get(serial)
            if cached is not None and cached[0] == change and cached[1] == generation:
                return cached[2]
        row = self.read().execute(
            "SELECT timezone, enabled, pushcommkey, handshake_tz, registry_code, session_id"
            " FROM devices WHERE serial = ?", (serial,)
        ).fetchone()
        if row is None:
            return None
        brief = (*row[:4], session_token(row[4], serial, row[5]))
        if generation is not None:
            if len(self._briefs) >= 4096:
                self._briefs.clear()
            self._briefs[serial] = (change, generation, brief)
        return brief  # type: ignore[return-value]

    def _registration_changed(self, *, other_processes: bool = True) -> None:
        """After a committed change to a terminal's registration."""
        self._change = next(self._changes)
        if other_processes:
            try:
                self._devgen.signal()
            except OSError as exc:
                log.warning("device change stored, but %s could not be updated (%s): a running"
                            " relay applies it within %.0f s", self._devgen.path, exc,
                            DeviceGeneration.CHECK_SECONDS)

    def devices(self) -> list[dict[str, Any]]:
        rows = self.read().execute(_DEVICE_SELECT + " ORDER BY serial").fetchall()
        return [_device_dict(r) for r in rows]

    def pending(self) -> list[dict[str, Any]]:
        rows = self.read().execute(
            "SELECT serial, first_seen, last_seen, remote_addr, knocks, pushver FROM pending"
            " ORDER BY first_seen, serial").fetchall()
        keys = ("serial", "first_seen", "last_seen", "remote_addr", "knocks", "pushver")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def upsert_device(self, serial: str, *, timezone: str | None = None,
                      name: str | None = None, enabled: bool | None = None,
                      pushcommkey: str | None = None, create: bool = True,
                      update: bool = True, address: str | None = None,
                      port: int | None = None, comm_password: int | None = None
                      ) -> tuple[dict[str, Any], bool]:
        """Register or update a terminal (approving it if pending). Returns (device, created).

        Raises ValueError for a bad zone, a missing zone on creation, or (create/update
        False) when the device does / does not exist.
        """
        if timezone is not None:
            zone(timezone)
        if name is not None and ("\n" in name or len(name) > 128):
            raise ValueError("name must be one line of at most 128 characters")
        if pushcommkey is not None and not _printable_token(pushcommkey):
            raise ValueError("pushcommkey must be 1-64 printable characters without spaces")
        if address is not None and address != "" and not _valid_host(address):
            raise ValueError("address must be an IP address or a host name")
        if port is not None and not 1 <= port <= 65535:
            raise ValueError("port must be between 1 and 65535")
        if comm_password is not None and not 0 <= comm_password <= 0xFFFFFFFF:
            raise ValueError("password (comm key) must be between 0 and 4294967295")

        def job(conn: sqlite3.Connection) -> bool:
            exists = conn.execute("SELECT 1 FROM devices WHERE serial = ?", (serial,)).fetchone()
            now = utc_now()
            if exists:
                if not update:
                    raise ValueError(f"device {serial} is already registered")
                sets = ["updated_at = ?"]
                args: list[Any] = [now]
                for column, value in (("timezone", timezone), ("name", name),
                                      ("pushcommkey", pushcommkey),
                                      ("address", address), ("port", port),
                                      ("comm_password", comm_password)):
                    if value is not None:
                        sets.append(f"{column} = ?")
                        args.append(value if value != "" else None)
                if enabled is not None:
                    sets.append("enabled = ?")
                    args.append(int(enabled))
                conn.execute(f"UPDATE devices SET {', '.join(sets)} WHERE serial = ?",  # noqa: S608
                             (*args, serial))
            else:
                if not create:
                    raise LookupError(f"device {serial} is not registered")
                if timezone is None:
                    raise ValueError("timezone is required to register a device")
                conn.execute(
                    "INSERT INTO devices (serial, name, timezone, pushcommkey, enabled,"
                    " created_at, updated_at, address, port, comm_password)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (serial, name or "", timezone, pushcommkey,
                     1 if enabled is None else int(enabled), now, now, address or None, port,
                     comm_password))
            conn.execute("DELETE FROM pending WHERE serial = ?", (serial,))
            return not exists

        created = self.write(job)
        self._registration_changed()
        device = self.device(serial)
        assert device is not None
        return device, created

    def remove_device(self, serial: str) -> bool:
        removed = self.write(lambda c: c.execute("DELETE FROM devices WHERE serial = ?",
                                                 (serial,)).rowcount > 0)
        self._registration_changed()
        return removed

    def record_knock(self, serial: str, addr: str | None, pushver: str | None,
                     max_pending: int | None = None) -> None:
        """An unknown serial knocked: remember it as pending (§8). With ``max_pending`` the
        list is capped: a new serial beyond it drops the least recently seen one, counted in
        meta ``pending_dropped`` (:meth:`pending_dropped`)."""
        now = utc_now()

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO pending (serial, first_seen, last_seen, remote_addr, knocks,"
                " pushver) VALUES (?,?,?,?,1,?) ON CONFLICT(serial) DO UPDATE SET last_seen ="
                " excluded.last_seen, remote_addr = excluded.remote_addr, knocks = knocks + 1,"
                " pushver = coalesce(excluded.pushver, pushver)",
                (serial, now, now, addr, pushver))
            if max_pending is None:
                return
            over = int(conn.execute("SELECT count(*) FROM pending").fetchone()[0]) - max_pending
            if over <= 0:
                return
            conn.execute("DELETE FROM pending WHERE serial IN (SELECT serial FROM pending WHERE"
                         " serial != ? ORDER BY last_seen, first_seen, serial LIMIT ?)",
                         (serial, over))
            conn.execute("INSERT INTO meta (key, value) VALUES ('pending_dropped', ?) ON"
                         " CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + ?",
                         (str(over), over))

        self.write(job)

    def pending_dropped(self) -> int:
        """Pending serials dropped because the list was full (since the store was made)."""
        return int(self.meta("pending_dropped") or 0)

    def touch(self, serial: str, addr: str | None, *, info: dict[str, Any] | None = None,
              handshake: bool = False, pushver: str | None = None,
              handshake_tz: str | None = None) -> None:
        """Last seen (and INFO); on a handshake also the TimeZone option it was given."""
        now = utc_now()
        info_json = json.dumps(info, sort_keys=True) if info else None

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE devices SET last_seen = ?, last_addr = ?, info = coalesce(?, info),"
                " last_handshake = CASE WHEN ? THEN ? ELSE last_handshake END,"
                " pushver = coalesce(?, pushver), handshake_tz = coalesce(?, handshake_tz),"
                " tz_check_for = CASE WHEN ? IS NULL THEN tz_check_for ELSE NULL END"
                " WHERE serial = ?",
                (now, addr, info_json, handshake, now, pushver, handshake_tz, handshake_tz,
                 serial))

        self.write(job)
        if handshake_tz is not None:  # only the serving relay writes it: no other process
            self._registration_changed(other_processes=False)

    def record_poll(self, serial: str, *, ok: bool, failures: int, error: str | None) -> None:
        """Outcome of a pyzk poll: last attempt, last success, failures in a row, error."""
        now = utc_now()
        self.write(lambda c: c.execute(
            "UPDATE devices SET last_poll_at = ?, poll_failures = ?, last_poll_error = ?,"
            " last_poll_ok = CASE WHEN ? THEN ? ELSE last_poll_ok END,"
            " last_seen = CASE WHEN ? THEN ? ELSE last_seen END WHERE serial = ?",
            (now, failures, error, ok, now, ok, now, serial)))

    # -- ADMS data
    def store_punches(self, serial: str, timezone: str, addr: str | None, source: str,
                      punches: list[Punch], bad: list[BadLine], stamp: str | None,
                      stamp_column: str | None = "attlog_stamp") -> AttlogResult:
        """Store punches (new ones: duplicates on (serial, local time, PIN) are counted, not
        stored twice) and quarantined lines, and count them on the terminal; ``stamp`` goes
        to ``attlog_stamp`` (``stamp_column=None``: the stamp is not this table's)."""
        if stamp_column not in ("attlog_stamp", None):
            raise ValueError(f"stamp_column: {stamp_column!r}")
        write = _PunchWrite(serial, timezone, addr, source, punches, bad,
                            stamp if stamp_column else None)
        if self._writer is not None:
            return self._writer.submit_punches(write)
        return self.write(lambda conn: _write_punches(conn, write, utc_now()))

    def store_operlog(self, serial: str, timezone: str, addr: str | None, parsed: Operlog,
                      stamp: str | None, source: str = "OPERLOG") -> int:
        def job(conn: sqlite3.Connection) -> int:
            now = utc_now()
            oplog = conn.executemany(
                "INSERT INTO oplog (serial, op_type, operator, local_time, timezone, obj1, obj2,"
                " obj3, obj4, raw, received_at, digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(digest) DO NOTHING",
                [(serial, r.op_type, r.operator, r.local_time, timezone,
                  *(r.objects + [None] * 4)[:4], r.raw, now, _digest(serial, r.raw))
                 for r in parsed.oplogs]).rowcount if parsed.oplogs else 0
            users = conn.executemany(
                "INSERT INTO users (serial, pin, name, name_raw, name_encoding, privilege, card,"
                " grp, verify, raw, received_at, digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(digest) DO NOTHING",
                [(serial, u.pin, u.name, u.name_raw, u.name_encoding, u.privilege, u.card,
                  u.group, u.verify, u.raw, now, _digest(serial, u.raw))
                 for u in parsed.users]).rowcount if parsed.users else 0
            bio = conn.executemany(
                "INSERT INTO biodata (serial, kind, pin, raw, received_at, digest)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(digest) DO NOTHING",
                [(serial, b.kind, b.pin, b.raw, now, _digest(serial, b.raw))
                 for b in parsed.bio]).rowcount if parsed.bio else 0
            if parsed.bad:
                conn.executemany(INSERT_QUARANTINE, [
                    (serial, source, b.reason, b.raw, now) for b in parsed.bad])
            column = "biodata_stamp" if source == "BIODATA" else "operlog_stamp"
            conn.execute(
                "UPDATE devices SET last_seen = ?, last_addr = ?, oplog_stored = oplog_stored + ?,"  # noqa: S608,E501
                " users_stored = users_stored + ?, bio_stored = bio_stored + ?,"
                f" quarantined = quarantined + ?, {column} = coalesce(?, {column})"
                " WHERE serial = ?",
                (now, addr, oplog, users, bio, len(parsed.bad), stamp, serial))
            return parsed.valid

        return self.write(job)

    def store_photo(self, serial: str, addr: str | None, photo: Photo | BadLine,
                    stamp: str | None) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            now = utc_now()
            if isinstance(photo, BadLine):
                conn.execute(INSERT_QUARANTINE, (serial, "ATTPHOTO", photo.reason, photo.raw, now))
                conn.execute("UPDATE devices SET last_seen = ?, last_addr = ?, quarantined ="
                             " quarantined + 1 WHERE serial = ?", (now, addr, serial))
                return False
            added = conn.execute(
                "INSERT INTO photos (serial, filename, pin, local_time, size, header, data,"
                " received_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(serial, filename) DO NOTHING",
                (serial, photo.filename, photo.pin, photo.local_time, photo.size, photo.header,
                 photo.data, now)).rowcount
            conn.execute(
                "UPDATE devices SET last_seen = ?, last_addr = ?, photos_stored = photos_stored"
                " + ?, attphoto_stamp = coalesce(?, attphoto_stamp) WHERE serial = ?",
                (now, addr, added, stamp, serial))
            return True

        return self.write(job)

    def store_options(self, serial: str, addr: str | None, options: dict[str, str],
                      raw: bytes, path: str, query: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            now = utc_now()
            row = conn.execute("SELECT options FROM devices WHERE serial = ?",
                               (serial,)).fetchone()
            merged = json.loads(row[0]) if row else {}
            merged.update(options)
            conn.execute("UPDATE devices SET options = ?, last_seen = ?, last_addr = ?"
                         " WHERE serial = ?", (json.dumps(merged, sort_keys=True), now, addr,
                                               serial))
            conn.execute("INSERT INTO raw_posts (serial, path, query, body, received_at)"
                         " VALUES (?,?,?,?,?)", (serial, path, query, raw, now))

        self.write(job)

    def store_raw(self, serial: str, addr: str | None, path: str, query: str,
                  body: bytes) -> None:
        def job(conn: sqlite3.Connection) -> None:
            now = utc_now()
            conn.execute("INSERT INTO raw_posts (serial, path, query, body, received_at)"
                         " VALUES (?,?,?,?,?)", (serial, path, query, body, now))
            conn.execute("UPDATE devices SET last_seen = ?, last_addr = ? WHERE serial = ?",
                         (now, addr, serial))

        self.write(job)

    def store_command_results(self, serial: str, addr: str | None,
                              results: list[CommandResult]) -> int:
        """§4.8: keep every result; close the queued command it names (``ID=<id>``): state
        ``done`` (Return >= 0) or ``failed``, with the return code and the result text."""
        def job(conn: sqlite3.Connection) -> int:
            now = utc_now()
            for r in results:
                conn.execute(
                    "INSERT INTO command_results (serial, cmd_id, return_code, cmd, fields, raw,"
                    " received_at) VALUES (?,?,?,?,?,?,?)",
                    (serial, r.cmd_id, r.return_code, r.cmd, json.dumps(r.fields), r.raw, now))
                if r.cmd_id.isdigit() and len(r.cmd_id) <= 16:
                    conn.execute(
                        "UPDATE commands SET state = ?, done_at = ?, return_code = ?, result = ?,"
                        " result_fields = ? WHERE id = ? AND serial = ? AND state IN"
                        " ('queued', 'sent', 'timed_out')",  # a late answer is still the truth
                        (state_for(r.return_code), now, r.return_code,
                         r.raw[:MAX_RESULT_BYTES].decode("utf-8", "replace"),
                         json.dumps(r.fields, ensure_ascii=False), int(r.cmd_id), serial))
                if r.cmd == "INFO":
                    info = {k: v for k, v in r.fields.items()
                            if k not in {"ID", "Return", "CMD", "SN"}}
                    row = conn.execute("SELECT options FROM devices WHERE serial = ?",
                                       (serial,)).fetchone()
                    merged = json.loads(row[0]) if row else {}
                    merged.update(info)
                    conn.execute("UPDATE devices SET options = ? WHERE serial = ?",
                                 (json.dumps(merged, sort_keys=True), serial))
            conn.execute("UPDATE devices SET last_seen = ?, last_addr = ? WHERE serial = ?",
                         (now, addr, serial))
            return len(results)

        return self.write(job)

    # -- device commands (§4.6-§4.8)
    def queue_command(self, serial: str, command: Command) -> dict[str, Any]:
        """Queue a typed command (built by :func:`zk_relay.commands.build`)."""
        if not wire_safe(command.text):
            raise ValueError("refused: not a typed command")

        def job(conn: sqlite3.Connection) -> int:
            if not conn.execute("SELECT 1 FROM devices WHERE serial = ?", (serial,)).fetchone():
                raise LookupError(f"device {serial} is not registered")
            return int(conn.execute(
                "INSERT INTO commands (serial, command, state, created_at, kind, params)"
                " VALUES (?,?,'queued',?,?,?)",
                (serial, command.text, utc_now(), command.kind,
                 json.dumps(command.params, ensure_ascii=False, sort_keys=True))).lastrowid)

        cid = self.write(job)
        found = self.command(cid)
        assert found is not None
        return found

    def command(self, cid: int) -> dict[str, Any] | None:
        row = self.read().execute(_COMMAND_SELECT + " WHERE id = ?", (cid,)).fetchone()
        return _command_dict(row) if row else None

    def commands_page(self, after: int, limit: int, serial: str | None = None,
                      state: str | None = None) -> tuple[list[dict[str, Any]], bool]:
        where, args = ["id > ?"], [after]
        if serial:
            where.append("serial = ?")
            args.append(serial)  # type: ignore[arg-type]
        if state:
            where.append("state = ?")
            args.append(state)  # type: ignore[arg-type]
        rows = self.read().execute(
            _COMMAND_SELECT + f" WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            (*args, limit + 1)).fetchall()
        return [_command_dict(r) for r in rows[:limit]], len(rows) > limit

    def take_commands(self, serial: str, limit: int = 200,
                      max_bytes: int = 40_000) -> list[tuple[int, str]]:
        """Queued commands for getrequest, marked sent. §4.6 caps: at most ``limit`` (200)
        commands and ``max_bytes`` (40 KB) per reply, nothing after a REBOOT. A stored text
        that is not one of the typed kinds' shapes (written by something other than the API)
        is never handed out: it is marked failed."""
        if not self.read().execute("SELECT 1 FROM commands WHERE serial = ? AND state ="
                                   " 'queued' LIMIT 1", (serial,)).fetchone():
            return []

        def job(conn: sqlite3.Connection) -> list[tuple[int, str]]:
            rows = conn.execute("SELECT id, command FROM commands WHERE serial = ? AND state ="
                                " 'queued' ORDER BY id LIMIT ?", (serial, limit)).fetchall()
            out: list[tuple[int, str]] = []
            refused: list[int] = []
            size = 0
            for cid, command in rows:
                if not wire_safe(command):
                    refused.append(cid)
                    continue
                size += len(command.encode("utf-8")) + len(str(cid)) + 4
                if out and size > max_bytes:
                    break
                out.append((cid, command))
                if command.split(" ", 1)[0] == "REBOOT":
                    break
            now = utc_now()
            conn.executemany("UPDATE commands SET state = 'sent', sent_at = ? WHERE id = ?",
                             [(now, cid) for cid, _ in out])
            conn.executemany("UPDATE commands SET state = 'failed', done_at = ?, result = ?"
                             " WHERE id = ?", [(now, "refused by the relay: not a typed"
                                                " command", cid) for cid in refused])
            return out

        return self.write(job)

    def expire_commands(self, timeout_seconds: float, now: datetime | None = None
                        ) -> tuple[int, int]:
        """Commands ``sent`` longer than ``timeout_seconds`` ago without a result: those of a
        kind in :data:`REQUEUE_KINDS` that were not re-sent yet go back to ``queued`` once
        (the terminal may have missed the reply that carried them); every other one becomes
        ``timed_out`` with the reason in ``result``. A result arriving later still closes it.
        Returns (re-queued, timed out)."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(seconds=timeout_seconds)
                  ).isoformat(timespec="milliseconds")
        if not self.read().execute("SELECT 1 FROM commands WHERE state = 'sent' AND sent_at < ?"
                                   " LIMIT 1", (cutoff,)).fetchone():
            return 0, 0
        def job(conn: sqlite3.Connection) -> tuple[int, int]:
            requeued = conn.execute(
                "UPDATE commands SET state = 'queued', sent_at = NULL, retries = retries + 1"
                " WHERE state = 'sent' AND sent_at < ? AND retries = 0 AND kind IN"
                " (SELECT value FROM json_each(?))", (cutoff, json.dumps(REQUEUE_KINDS))).rowcount
            timed_out = conn.execute(
                "UPDATE commands SET state = 'timed_out', done_at = ?, result = ? WHERE state ="
                " 'sent' AND sent_at < ?",
                (utc_now(), f"timed out: the terminal sent no result within {timeout_seconds:g}"
                 " s", cutoff)).rowcount
            return requeued, timed_out

        return self.write(job)

    def pending_tz_check(self, serial: str, target: str) -> bool:
        """DST / zone change (§7): the terminal's last handshake got a TimeZone other than
        ``target``. Queue one ``CHECK`` per target offset (it makes the terminal handshake
        again, §3) unless one is already waiting. Returns True when one was queued."""
        def job(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT handshake_tz, tz_check_for FROM devices WHERE serial = ?",
                               (serial,)).fetchone()
            if row is None or row[0] is None or row[0] == target or row[1] == target:
                return False
            conn.execute("UPDATE devices SET tz_check_for = ? WHERE serial = ?",
                         (target, serial))
            if conn.execute("SELECT 1 FROM commands WHERE serial = ? AND command = 'CHECK' AND"
                            " state IN ('queued', 'sent')", (serial,)).fetchone():
                return False
            conn.execute("INSERT INTO commands (serial, command, state, created_at, kind, params)"
                         " VALUES (?, 'CHECK', 'queued', ?, 'check', ?)",
                         (serial, utc_now(), json.dumps({"reason": "timezone offset now "
                                                         + target})))
            return True

        return self.write(job)

    # -- PUSH 3.x registry (§4.10)
    def register_push3(self, serial: str, capabilities: str) -> str:
        """§4.4 registration: a new RegistryCode; the old session ends with the old code."""
        code = secrets.token_hex(16)
        self.write(lambda c: c.execute(
            "UPDATE devices SET registry = ?, registry_code = ?, session_id = NULL,"
            " last_seen = ? WHERE serial = ?", (capabilities[:4096], code, utc_now(), serial)))
        self._registration_changed(other_processes=False)  # only the serving relay writes it
        return code

    def new_session(self, serial: str) -> str:
        """A new PUSH 3.x SessionID (§4.10): the token of the previous one stops working."""
        session = secrets.token_hex(16)
        self.write(lambda c: c.execute(
            "UPDATE devices SET session_id = ?, last_seen = ? WHERE serial = ?",
            (session, utc_now(), serial)))
        self._registration_changed(other_processes=False)
        return session

    # -- pull API
    def events_page(self, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        rows = self.read().execute(
            "SELECT id, serial, pin, local_time, timezone, status, verify, workcode, received_at,"
            " fingerprint FROM events WHERE id > ? ORDER BY id LIMIT ?",
            (after, limit + 1)).fetchall()
        more = len(rows) > limit
        return [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in rows[:limit]], more

    def events_query(self, serial: str | None = None, since: str | None = None,
                     until: str | None = None, after: int = 0, limit: int = 100
                     ) -> list[dict[str, Any]]:
        """Events filtered by serial and device-local time range (for the command line)."""
        where = ["id > ?"]
        args: list[Any] = [after]
        if serial:
            where.append("serial = ?")
            args.append(serial)
        if since:
            where.append("local_time >= ?")
            args.append(since)
        if until:
            where.append("local_time <= ?")
            args.append(until)
        rows = self.read().execute(
            "SELECT id, serial, pin, local_time, timezone, status, verify, workcode, received_at,"  # noqa: S608
            f" fingerprint FROM events WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            (*args, limit)).fetchall()
        return [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in rows]

    def users_page(self, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        keys = ("id", "serial", "pin", "name", "privilege", "card", "group", "verify",
                "name_encoding", "received_at")
        rows = self.read().execute(
            "SELECT id, serial, pin, name, privilege, card, grp, verify, name_encoding,"
            " received_at FROM users WHERE id > ? ORDER BY id LIMIT ?",
            (after, limit + 1)).fetchall()
        return [dict(zip(keys, r, strict=True)) for r in rows[:limit]], len(rows) > limit

    def oplog_page(self, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        keys = ("id", "serial", "op_type", "operator", "local_time", "timezone", "obj1", "obj2",
                "obj3", "obj4", "received_at")
        rows = self.read().execute(
            "SELECT id, serial, op_type, operator, local_time, timezone, obj1, obj2, obj3, obj4,"
            " received_at FROM oplog WHERE id > ? ORDER BY id LIMIT ?",
            (after, limit + 1)).fetchall()
        return [dict(zip(keys, r, strict=True)) for r in rows[:limit]], len(rows) > limit

    def quarantine_page(self, after: int, limit: int, serial: str | None = None
                        ) -> tuple[list[dict[str, Any]], bool]:
        where, args = ("id > ?", [after])
        if serial:
            where += " AND serial = ?"
            args.append(serial)  # type: ignore[arg-type]
        rows = self.read().execute(
            "SELECT id, serial, source, reason, raw, received_at FROM quarantine"  # noqa: S608
            f" WHERE {where} ORDER BY id LIMIT ?", (*args, limit + 1)).fetchall()
        out = []
        for r in rows[:limit]:
            raw = bytes(r[4])
            out.append({"id": r[0], "serial": r[1], "source": r[2], "reason": r[3],
                        "raw": raw.decode("utf-8", "backslashreplace"), "raw_hex": raw.hex(),
                        "received_at": r[5]})
        return out, len(rows) > limit

    def acked_up_to(self) -> int:
        return int(self.meta("acked_up_to") or 0)

    def last_event_id(self) -> int:
        row = self.read().execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        return int(row[0]) if row else 0

    def ack(self, up_to: int) -> int:
        """Record the puller's acknowledgement; never moves backwards, never past the last id."""

        def job(conn: sqlite3.Connection) -> int:
            current = int(conn.execute("SELECT value FROM meta WHERE key = 'acked_up_to'")
                          .fetchone()[0])
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'"
                               ).fetchone()
            last = int(row[0]) if row else 0
            new = max(current, min(up_to, last))
            if new != current:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'acked_up_to'", (str(new),))
            return new

        return self.write(job)

    def backlog_by_device(self) -> dict[str, int]:
        """Events waiting for acknowledgement, per terminal."""
        return {sn: int(n) for sn, n in self.read().execute(
            "SELECT serial, count(*) FROM events WHERE id > ? GROUP BY serial",
            (self.acked_up_to(),))}

    def command_counts(self) -> dict[str, int]:
        return {state: int(n) for state, n in self.read().execute(
            "SELECT state, count(*) FROM commands GROUP BY state")}

    def waiting_for_ack(self) -> int:
        return int(self.read().execute("SELECT count(*) FROM events WHERE id > ?",
                                       (self.acked_up_to(),)).fetchone()[0])

    def prune(self, retention_days: int, now: datetime | None = None, chunk: int = 5000) -> int:
        """Delete acknowledged events received more than ``retention_days`` ago."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=retention_days)).isoformat(
            timespec="milliseconds")
        total = 0
        while True:
            def job(conn: sqlite3.Connection) -> int:
                acked = int(conn.execute("SELECT value FROM meta WHERE key = 'acked_up_to'")
                            .fetchone()[0])
                return conn.execute(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= ? AND"
                    " received_at < ? ORDER BY id LIMIT ?)", (acked, cutoff, chunk)).rowcount

            deleted = self.write(job)
            total += deleted
            if deleted < chunk:
                return total

    def probe_writable(self) -> bool:
        try:
            self.write(lambda c: c.execute(
                "INSERT INTO meta (key, value) VALUES ('health_probe', ?) ON CONFLICT(key)"
                " DO UPDATE SET value = excluded.value", (utc_now(),)))
            return True
        except sqlite3.Error:
            return False

    # -- tokens
    def create_token(self, name: str) -> str:
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(
                ".", "").isalnum():
            raise ValueError("token name: 1-64 letters, digits, '-', '_' or '.'")
        token = new_token()
        digest = secret_hash(token)

        def job(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM tokens WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"a token named {name!r} exists (revoke it first)")
            conn.execute("INSERT INTO tokens (name, token_hash, created_at) VALUES (?,?,?)",
                         (name, digest, utc_now()))

        self.write(job)
        return token

    def tokens(self) -> list[dict[str, str]]:
        rows = self.read().execute("SELECT name, created_at FROM tokens ORDER BY name")
        return [{"name": n, "created_at": c} for n, c in rows]

    def revoke_token(self, name: str) -> bool:
        return self.write(lambda c: c.execute("DELETE FROM tokens WHERE name = ?",
                                              (name,)).rowcount > 0)

    def check_token(self, presented: str) -> str | None:
        """Name of the token, compared as SHA-256 digests in constant time; None if invalid."""
        digest = secret_hash(presented)
        found = None
        for name, stored in self.read().execute("SELECT name, token_hash FROM tokens"):
            if hmac.compare_digest(digest, stored):
                found = name
        return found

    # -- link to Odoo (issue 10: enrolment, push mode)
    def odoo_link(self) -> dict[str, Any] | None:
        """The enrolment (None when the relay was never enrolled). Holds ``odoo_token``:
        never print or log it."""
        cur = self.read().execute("SELECT * FROM odoo_link WHERE id = 1")
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cur.description], row, strict=True))

    def save_enrolment(self, *, odoo_url: str, relay_id: int, odoo_token: str, mode: str,
                       delivery_url: str | None, token_name: str) -> str | None:
        """Store (or replace) the link after a successful enrolment. The push cursor is kept
        when the relay re-enrols with the same Odoo relay record, else it starts at 0 (Odoo's
        answer moves it to Odoo's own cursor at the first push). Returns the name of the API
        token the previous enrolment created (for the caller to revoke), if any."""

        def job(conn: sqlite3.Connection) -> str | None:
            old = conn.execute("SELECT odoo_url, relay_id, push_cursor, token_name FROM"
                               " odoo_link WHERE id = 1").fetchone()
            cursor = old[2] if old and (old[0], old[1]) == (odoo_url, relay_id) else 0
            conn.execute("DELETE FROM odoo_link")
            conn.execute(
                "INSERT INTO odoo_link (id, odoo_url, relay_id, odoo_token, mode, delivery_url,"
                " token_name, enrolled_at, state, push_cursor) VALUES (1,?,?,?,?,?,?,?,"
                " 'active',?)",
                (odoo_url, relay_id, odoo_token, mode, delivery_url, token_name, utc_now(),
                 cursor))
            previous = old[3] if old else None
            return previous if previous and previous != token_name else None

        return self.write(job)

    def forget_odoo_link(self) -> dict[str, Any] | None:
        link = self.odoo_link()
        self.write(lambda c: c.execute("DELETE FROM odoo_link"))
        return link

    def record_push_ok(self, enrolled_at: str, *, cursor: int, committed: int, events: int,
                       rotate_token: str | None = None) -> int | None:
        """After Odoo answered 200: the push cursor becomes ``cursor`` (Odoo's committed id,
        clamped by the caller), the retention acknowledgement moves forward to it (as a pull
        ack would), a rotated token replaces the old one, failures are reset. One transaction.
        Nothing happens (None) if the link was replaced meanwhile (``enrolled_at`` differs, a
        re-enrolment by the command line). Returns the acknowledged id."""

        def job(conn: sqlite3.Connection) -> int | None:
            now = utc_now()
            sets = ("push_cursor = ?, last_committed_up_to = ?, last_delivery_at = ?,"
                    " pushed_pages = pushed_pages + 1, pushed_events = pushed_events + ?,"
                    " failures = 0, next_attempt_at = NULL")
            args: list[Any] = [cursor, committed, now, events]
            if rotate_token:
                sets += ", odoo_token = ?, token_rotated_at = ?"
                args += [rotate_token, now]
            if conn.execute(f"UPDATE odoo_link SET {sets} WHERE id = 1 AND enrolled_at = ?",  # noqa: S608
                            (*args, enrolled_at)).rowcount == 0:
                return None
            current = int(conn.execute("SELECT value FROM meta WHERE key = 'acked_up_to'")
                          .fetchone()[0])
            new = max(current, cursor)
            if new != current:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'acked_up_to'", (str(new),))
            return new

        return self.write(job)

    def _update_link(self, enrolled_at: str, sets: str, args: Sequence[Any]) -> bool:
        return bool(self.write(lambda c: c.execute(
            f"UPDATE odoo_link SET {sets} WHERE id = 1 AND enrolled_at = ?",  # noqa: S608
            (*args, enrolled_at)).rowcount))

    def record_push_failure(self, enrolled_at: str, *, failures: int, error: str,
                            next_attempt_at: str | None) -> bool:
        return self._update_link(enrolled_at, "failures = ?, last_error = ?, last_error_at = ?,"
                                 " next_attempt_at = ?",
                                 (failures, error[:1000], utc_now(), next_attempt_at))

    def rotate_odoo_token(self, enrolled_at: str, token: str) -> bool:
        return self._update_link(enrolled_at, "odoo_token = ?, token_rotated_at = ?",
                                 (token, utc_now()))

    def set_push_cursor(self, enrolled_at: str, cursor: int) -> bool:
        return self._update_link(enrolled_at, "push_cursor = ?", (cursor,))

    def mark_link_revoked(self, enrolled_at: str, reason: str) -> bool:
        return self._update_link(enrolled_at, "state = 'revoked', state_reason = ?,"
                                 " last_error = ?, last_error_at = ?, next_attempt_at = NULL",
                                 (reason[:1000], reason[:1000], utc_now()))

    def set_link_mode(self, enrolled_at: str, mode: str) -> bool:
        return self._update_link(enrolled_at, "mode = ?", (mode,))

    def oldest_unacked(self) -> tuple[str | None, int]:
        """(received_at of the oldest event after the acknowledged id, how many there are)."""
        oldest = self.received_after(self.acked_up_to())
        if oldest is None:
            return None, 0
        return oldest, self.waiting_for_ack()

    def received_after(self, event_id: int) -> str | None:
        """received_at of the first event after ``event_id`` (the oldest one a page leaves
        waiting), None when there is none."""
        row = self.read().execute("SELECT received_at FROM events WHERE id > ? ORDER BY id"
                                  " LIMIT 1", (event_id,)).fetchone()
        return row[0] if row else None

    def next_token_name(self, prefix: str = "odoo-") -> str:
        names = {t["name"] for t in self.tokens()}
        n = 1
        while f"{prefix}{n}" in names:
            n += 1
        return f"{prefix}{n}"

    # -- counts for status
    def table_counts(self) -> dict[str, int]:
        conn = self.read()
        out = {}
        for table in ("events", "quarantine", "users", "oplog", "biodata", "photos",
                      "raw_posts", "command_results"):
            out[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
        return out


# columns added after schema 1: (table, column, declaration)
_ADDED_COLUMNS = (
    ("devices", "handshake_tz", "TEXT"),
    ("devices", "tz_check_for", "TEXT"),
    ("devices", "address", "TEXT"),
    ("devices", "port", "INTEGER"),
    ("devices", "comm_password", "INTEGER"),
    ("devices", "poll_failures", "INTEGER NOT NULL DEFAULT 0"),
    ("devices", "last_poll_at", "TEXT"),
    ("devices", "last_poll_ok", "TEXT"),
    ("devices", "last_poll_error", "TEXT"),
    ("commands", "kind", "TEXT NOT NULL DEFAULT ''"),
    ("commands", "params", "TEXT NOT NULL DEFAULT '{}'"),
    ("commands", "result", "TEXT"),
    ("commands", "result_fields", "TEXT"),
    ("commands", "retries", "INTEGER NOT NULL DEFAULT 0"),
)


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a schema-1 store up to date (inside the caller's transaction)."""
    for table, column, declaration in _ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                 (str(SCHEMA_VERSION),))


MAX_RESULT_BYTES = 65536
COMMAND_STATES = ("queued", "sent", "done", "failed", "timed_out")
# Kinds sent again once after a timeout: executing them twice leaves the terminal as once
# (user_upsert writes the same values, user_delete of a deleted PIN only answers -10, info
# and check read or re-handshake). attlog_query is not: it makes the terminal re-upload a
# whole range, which may be exactly what it is still busy doing.
REQUEUE_KINDS = ("user_upsert", "user_delete", "info", "check")
COMMAND_COLUMNS = ("id", "serial", "kind", "params", "command", "state", "return_code",
                   "result", "result_fields", "created_at", "sent_at", "done_at", "retries")
_COMMAND_SELECT = ("SELECT id, serial, kind, params, command, state, return_code, result,"
                   " result_fields, created_at, sent_at, done_at, retries FROM commands")


def _command_dict(row: Sequence[Any]) -> dict[str, Any]:
    out = dict(zip(COMMAND_COLUMNS, row, strict=True))
    out["params"] = json.loads(out["params"] or "{}")
    out["result_fields"] = json.loads(out["result_fields"]) if out["result_fields"] else None
    return out


_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def _valid_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return bool(_HOST.fullmatch(value))


def session_token(registry_code: str | None, serial: str, session_id: str | None) -> str | None:
    """adms-protocol §4.10: ``Cookie: token=`` = hex MD5 of RegistryCode + SN + SessionID."""
    if not registry_code or not session_id:
        return None
    text = f"{registry_code}{serial}{session_id}".encode()
    return hashlib.md5(text, usedforsecurity=False).hexdigest()


def _printable_token(value: str) -> bool:
    return 0 < len(value) <= 64 and all(33 <= ord(ch) < 127 for ch in value)


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
