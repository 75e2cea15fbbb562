"""Durable SQLite store: WAL, synchronous=FULL, one writer thread with group commit.

Writers never touch SQLite themselves: they hand a function to :class:`Writer`, which runs the
functions of every request waiting at that moment in ONE transaction (``BEGIN IMMEDIATE`` …
``COMMIT``) and only then wakes the requests up. A request therefore answers the terminal OK
only after its records are on disk, and concurrent terminals share one fsync (group commit).
Readers use their own per-thread connections (``query_only``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import queue
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from zk_relay.adms import BadLine, CommandResult, Operlog, Photo, Punch, zone
from zk_relay.commands import Command, state_for, wire_safe

T = TypeVar("T")
SCHEMA_VERSION = 3

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
    result_fields TEXT
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


class _Job:
    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class Writer:
    """The single writer: batches the jobs of concurrent requests into one transaction."""

    def __init__(self, path: Path, busy_timeout_ms: int, max_batch: int = 1024,
                 on_commit: Callable[[int, float], None] | None = None) -> None:
        self.on_commit = on_commit
        self._path = path
        self._busy = busy_timeout_ms
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="zk-relay-writer", daemon=True)
        self._conn: sqlite3.Connection | None = None
        self.commits = 0
        self.jobs = 0

    def start(self) -> None:
        self._conn = connect(self._path, self._busy)
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` inside a write transaction; return after COMMIT."""
        if not self._thread.is_alive():
            raise StoreError("the writer is not running")
        job = _Job(fn)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[no-any-return]

    def _run(self) -> None:
        conn = self._conn
        assert conn is not None
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            self._execute(conn, batch)
        conn.close()

    def _execute(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                job.result = job.fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the requests
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if len(batch) == 1:
                batch[0].error = exc
                batch[0].done.set()
                return
            for job in batch:  # isolate the failing job: retry one by one
                job.result = None
                self._execute(conn, [job])
            return
        self.commits += 1
        self.jobs += len(batch)
        for job in batch:
            job.done.set()
        if self.on_commit is not None:
            self.on_commit(len(batch), time.perf_counter() - started)


# --------------------------------------------------------------------------- results


@dataclass(slots=True)
class AttlogResult:
    accepted: int
    inserted: int
    duplicates: int
    quarantined: int


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

    def device_brief(self, serial: str) -> tuple[str, bool, str | None, str | None] | None:
        """(timezone, enabled, pushcommkey, handshake_tz): the per-request lookup, kept
        small."""
        return self.read().execute(  # type: ignore[no-any-return]
            "SELECT timezone, enabled, pushcommkey, handshake_tz FROM devices WHERE serial = ?",
            (serial,)
        ).fetchone()

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
        device = self.device(serial)
        assert device is not None
        return device, created

    def remove_device(self, serial: str) -> bool:
        return self.write(lambda c: c.execute("DELETE FROM devices WHERE serial = ?",
                                              (serial,)).rowcount > 0)

    def record_knock(self, serial: str, addr: str | None, pushver: str | None) -> None:
        """An unknown serial knocked: remember it as pending (§8)."""
        now = utc_now()
        self.write(lambda c: c.execute(
            "INSERT INTO pending (serial, first_seen, last_seen, remote_addr, knocks, pushver)"
            " VALUES (?,?,?,?,1,?) ON CONFLICT(serial) DO UPDATE SET last_seen = excluded"
            ".last_seen, remote_addr = excluded.remote_addr, knocks = knocks + 1,"
            " pushver = coalesce(excluded.pushver, pushver)",
            (serial, now, now, addr, pushver)))

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
        def job(conn: sqlite3.Connection) -> AttlogResult:
            now = utc_now()
            inserted = 0
            if punches:
                inserted = conn.executemany(INSERT_EVENT, [
                    (serial, p.pin, p.local_time, timezone, p.status, p.verify, p.workcode,
                     p.raw, now, p.fingerprint) for p in punches]).rowcount
            if bad:
                conn.executemany(INSERT_QUARANTINE, [
                    (serial, source, b.reason, b.raw, now) for b in bad])
            stamp_sql = f", {stamp_column} = coalesce(?, {stamp_column})" if stamp_column else ""
            conn.execute(
                "UPDATE devices SET last_seen = ?, last_addr = ?, events_stored = events_stored"  # noqa: S608
                " + ?, events_duplicate = events_duplicate + ?, quarantined = quarantined + ?,"
                " last_event_at = CASE WHEN ? > 0 THEN ? ELSE last_event_at END"
                + stamp_sql + " WHERE serial = ?",
                (now, addr, inserted, len(punches) - inserted, len(bad), inserted, now,
                 *((stamp,) if stamp_column else ()), serial))
            return AttlogResult(len(punches), inserted, len(punches) - inserted, len(bad))

        return self.write(job)

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
                        " ('queued', 'sent')",
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
        code = secrets.token_hex(16)
        self.write(lambda c: c.execute(
            "UPDATE devices SET registry = ?, registry_code = ?, last_seen = ? WHERE serial = ?",
            (capabilities[:4096], code, utc_now(), serial)))
        return code

    def new_session(self, serial: str) -> str:
        session = secrets.token_hex(16)
        self.write(lambda c: c.execute(
            "UPDATE devices SET session_id = ?, last_seen = ? WHERE serial = ?",
            (session, utc_now(), serial)))
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
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()

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
        digest = hashlib.sha256(presented.encode("utf-8")).hexdigest()
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
        acked = self.acked_up_to()
        row = self.read().execute("SELECT received_at FROM events WHERE id > ? ORDER BY id"
                                  " LIMIT 1", (acked,)).fetchone()
        if row is None:
            return None, 0
        return row[0], self.waiting_for_ack()

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
COMMAND_COLUMNS = ("id", "serial", "kind", "params", "command", "state", "return_code",
                   "result", "result_fields", "created_at", "sent_at", "done_at")
_COMMAND_SELECT = ("SELECT id, serial, kind, params, command, state, return_code, result,"
                   " result_fields, created_at, sent_at, done_at FROM commands")


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


def _printable_token(value: str) -> bool:
    return 0 < len(value) <= 64 and all(33 <= ord(ch) < 127 for ch in value)


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
