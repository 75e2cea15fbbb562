"""SQLite connections, the schema and its migrations (the table families are the other
modules of this package)."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("zk_relay.store")
SCHEMA_VERSION = 7

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
    last_poll_error TEXT,
    clock_drift REAL,
    clock_drift_at TEXT,
    clock_drift_source TEXT
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
    token_rotated_at TEXT,
    status_url TEXT,
    biometric_url TEXT, commands_url TEXT
);
CREATE TABLE IF NOT EXISTS odoo_outbox (
    outbox_id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL,
    kind TEXT NOT NULL,
    command_id INTEGER,
    refusal TEXT,
    message TEXT,
    reported_state TEXT,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS recon_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    day TEXT NOT NULL,
    range_start TEXT NOT NULL,
    range_end TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    command_id INTEGER,
    created_at TEXT NOT NULL,
    started_at TEXT,
    answered_at TEXT,
    closed_at TEXT,
    on_relay_before INTEGER,
    at_terminal INTEGER,
    on_relay INTEGER,
    gaps_filled INTEGER,
    other_days INTEGER NOT NULL DEFAULT 0,
    uploads INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS recon_runs_open ON recon_runs (state, serial, id);
CREATE INDEX IF NOT EXISTS recon_runs_day ON recon_runs (serial, day, id);
CREATE TABLE IF NOT EXISTS recon_seen (
    run_id INTEGER NOT NULL,
    local_time TEXT NOT NULL,
    pin TEXT NOT NULL,
    was_new INTEGER NOT NULL,
    PRIMARY KEY (run_id, local_time, pin)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recon_days (
    serial TEXT NOT NULL,
    day TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    run_id INTEGER,
    at_terminal INTEGER,
    on_relay INTEGER,
    gaps_filled INTEGER,
    checked_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL,
    PRIMARY KEY (serial, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recon_days_revision ON recon_days (revision);
CREATE TABLE IF NOT EXISTS health_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    local_time TEXT,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminal_health (
    serial TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    computed_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bio_templates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    pin TEXT NOT NULL,
    kind TEXT NOT NULL,
    idx INTEGER NOT NULL,
    sub INTEGER NOT NULL DEFAULT 0,
    valid INTEGER NOT NULL,
    major INTEGER,
    minor INTEGER,
    format INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (serial, pin, kind, idx, sub)
);
CREATE TABLE IF NOT EXISTS bio_seen (
    serial TEXT NOT NULL,
    pin TEXT NOT NULL,
    kind TEXT NOT NULL,
    idx INTEGER NOT NULL,
    sub INTEGER NOT NULL DEFAULT 0,
    digest BLOB NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (serial, pin, kind, idx, sub)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bio_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    serial TEXT,
    pin TEXT,
    kind TEXT,
    idx INTEGER,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS clock_repairs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial TEXT NOT NULL,
    method TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    drift_before REAL,
    drift_after REAL,
    command_id INTEGER,
    requested_at TEXT NOT NULL,
    done_at TEXT,
    measured_at TEXT
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
    ("devices", "clock_drift", "REAL"),
    ("devices", "clock_drift_at", "TEXT"),
    ("devices", "clock_drift_source", "TEXT"),
    ("odoo_link", "status_url", "TEXT"),
    ("odoo_link", "biometric_url", "TEXT"), ("odoo_link", "commands_url", "TEXT"),  # issue 19
    ("commands", "kind", "TEXT NOT NULL DEFAULT ''"),
    ("commands", "params", "TEXT NOT NULL DEFAULT '{}'"),
    ("commands", "result", "TEXT"),
    ("commands", "result_fields", "TEXT"),
    ("commands", "retries", "INTEGER NOT NULL DEFAULT 0"),
    ("commands", "secret", "BLOB"),  # a template to send, sealed (issue 19)
    ("tokens", "scope", "TEXT NOT NULL DEFAULT 'events'"),
    ("photos", "sealed", "INTEGER NOT NULL DEFAULT 0"),  # 1: data is nonce||ciphertext
)


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring a schema-1 store up to date (inside the caller's transaction)."""
    for table, column, declaration in _ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                 (str(SCHEMA_VERSION),))
