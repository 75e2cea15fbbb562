"""The base of :class:`zk_relay.store.Store`: opening the store, reads, writes."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from zk_relay.store.db import SCHEMA, SCHEMA_VERSION, StoreError, T, _migrate, connect, utc_now
from zk_relay.store.device_cache import DeviceCache
from zk_relay.store.writer import Writer


class StoreBase:
    """The relay's database. ``start_writer()`` for the server; without it (the command line)
    writes run directly in their own ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._writer: Writer | None = None
        self._direct: sqlite3.Connection | None = None
        self._direct_lock = threading.Lock()
        self._device_cache = DeviceCache(self.path)
        # serial -> the reconciliation waiting for its answer (this process; store/recon.py)
        self.recon_active: dict[str, tuple[int, str, str, str]] = {}
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
                               ("schema_version", str(SCHEMA_VERSION)), ("acked_up_to", "0"),
                               ("recon_revision", "0")):
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
        self._device_cache.close()

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

    def probe_writable(self) -> bool:
        try:
            self.write(lambda c: c.execute(
                "INSERT INTO meta (key, value) VALUES ('health_probe', ?) ON CONFLICT(key)"
                " DO UPDATE SET value = excluded.value", (utc_now(),)))
            return True
        except sqlite3.Error:
            return False
