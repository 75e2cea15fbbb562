"""The per-request device lookup from memory, and the device generation file that tells every
process of a store "a registration changed"."""

from __future__ import annotations

import itertools
import logging
import mmap
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("zk_relay.store")
Brief = tuple[str, bool, str | None, str | None, str | None]


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


class DeviceCache:
    """(timezone, enabled, pushcommkey, handshake_tz, session_token) per serial, served from
    memory while no registration changed since it was read — in this process (a counter) or
    any other (:class:`DeviceGeneration`); both are read *before* the row, so a change
    committed after that read always makes the entry stale. Unknown serials are never kept."""

    def __init__(self, db_path: Path) -> None:
        self.generation = DeviceGeneration(db_path)
        self._changes = itertools.count(1)
        self._change = 0  # the last local change to a registration (next(self._changes))
        self._entries: dict[str, tuple[int, bytes, Brief]] = {}

    def lookup(self, serial: str, read: Callable[[], Brief | None]) -> Brief | None:
        change, generation = self._change, self.generation.value()
        if generation is None:
            self._entries.clear()
        else:
            cached = self._entries.get(serial)
            if cached is not None and cached[0] == change and cached[1] == generation:
                return cached[2]
        brief = read()
        if brief is not None and generation is not None:
            if len(self._entries) >= 4096:
                self._entries.clear()
            self._entries[serial] = (change, generation, brief)
        return brief

    def changed(self, *, other_processes: bool = True) -> None:
        """After a committed change to a terminal's registration."""
        self._change = next(self._changes)
        if other_processes:
            try:
                self.generation.signal()
            except OSError as exc:
                log.warning("device change stored, but %s could not be updated (%s): a running"
                            " relay applies it within %.0f s", self.generation.path, exc,
                            DeviceGeneration.CHECK_SECONDS)

    def close(self) -> None:
        self.generation.close()
