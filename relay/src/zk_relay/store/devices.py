"""Terminals: registration, the per-request lookup, pending serials, last seen."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import re
import secrets
import sqlite3
from collections.abc import Sequence
from typing import Any

from zk_relay.adms_handshake import zone
from zk_relay.store.base import StoreBase
from zk_relay.store.db import utc_now
from zk_relay.store.device_cache import Brief
from zk_relay.store.health import note_count_drop

log = logging.getLogger("zk_relay.store")

DEVICE_COLUMNS = (
    "serial", "name", "timezone", "pushcommkey", "enabled", "created_at", "updated_at",
    "last_seen", "last_addr", "last_handshake", "pushver", "info", "options", "attlog_stamp",
    "operlog_stamp", "attphoto_stamp", "biodata_stamp", "registry", "registry_code",
    "session_id", "events_stored", "events_duplicate", "quarantined", "oplog_stored",
    "users_stored", "bio_stored", "photos_stored", "last_event_at", "handshake_tz",
    "tz_check_for", "address", "port", "comm_password", "poll_failures", "last_poll_at",
    "last_poll_ok", "last_poll_error", "clock_drift", "clock_drift_at", "clock_drift_source",
)
_DEVICE_SELECT = "SELECT " + ", ".join(DEVICE_COLUMNS) + " FROM devices"  # noqa: S608


def _device_dict(row: Sequence[Any]) -> dict[str, Any]:
    device = dict(zip(DEVICE_COLUMNS, row, strict=True))
    device["enabled"] = bool(device["enabled"])
    device["info"] = json.loads(device["info"] or "{}")
    device["options"] = json.loads(device["options"] or "{}")
    return device


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


class Devices(StoreBase):
    """Terminals (table ``devices``) and unknown serials (``pending``)."""

    # -- devices
    def device(self, serial: str) -> dict[str, Any] | None:
        row = self.read().execute(_DEVICE_SELECT + " WHERE serial = ?", (serial,)).fetchone()
        return _device_dict(row) if row else None

    def device_brief(self, serial: str) -> Brief | None:
        """(timezone, enabled, pushcommkey, handshake_tz, session_token): the per-request
        lookup. ``session_token`` is what a PUSH 3.x terminal must present as ``Cookie:
        token=`` (adms-protocol §4.10: hex MD5 of RegistryCode + SN + SessionID), None while
        the terminal has no registry code and session.

        Served from memory while no registration changed (:class:`DeviceCache`)."""
        return self._device_cache.lookup(serial, lambda: self._read_brief(serial))

    def _read_brief(self, serial: str) -> Brief | None:
        row = self.read().execute(
            "SELECT timezone, enabled, pushcommkey, handshake_tz, registry_code, session_id"
            " FROM devices WHERE serial = ?", (serial,)
        ).fetchone()
        if row is None:
            return None
        return (*row[:4], session_token(row[4], serial, row[5]))  # type: ignore[return-value]

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
        self._device_cache.changed()
        device = self.device(serial)
        assert device is not None
        return device, created

    def remove_device(self, serial: str) -> bool:
        removed = self.write(lambda c: c.execute("DELETE FROM devices WHERE serial = ?",
                                                 (serial,)).rowcount > 0)
        self._device_cache.changed()
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
            if info:
                old = conn.execute("SELECT info FROM devices WHERE serial = ?",
                                   (serial,)).fetchone()
                note_count_drop(conn, serial, old[0] if old else None, info, now)
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
            self._device_cache.changed(other_processes=False)

    def record_poll(self, serial: str, *, ok: bool, failures: int, error: str | None) -> None:
        """Outcome of a pyzk poll: last attempt, last success, failures in a row, error."""
        now = utc_now()
        self.write(lambda c: c.execute(
            "UPDATE devices SET last_poll_at = ?, poll_failures = ?, last_poll_error = ?,"
            " last_poll_ok = CASE WHEN ? THEN ? ELSE last_poll_ok END,"
            " last_seen = CASE WHEN ? THEN ? ELSE last_seen END WHERE serial = ?",
            (now, failures, error, ok, now, ok, now, serial)))

    def record_drift(self, serial: str, seconds: float, source: str) -> None:
        """The terminal's clock minus the relay's (seconds; ``source``: punches | pyzk)."""
        self.write(lambda c: c.execute(
            "UPDATE devices SET clock_drift = ?, clock_drift_at = ?, clock_drift_source = ?"
            " WHERE serial = ?", (round(seconds, 1), utc_now(), source, serial)))

    # -- PUSH 3.x registry (§4.10)
    def register_push3(self, serial: str, capabilities: str) -> str:
        """§4.4 registration: a new RegistryCode; the old session ends with the old code."""
        code = secrets.token_hex(16)
        self.write(lambda c: c.execute(
            "UPDATE devices SET registry = ?, registry_code = ?, session_id = NULL,"
            " last_seen = ? WHERE serial = ?", (capabilities[:4096], code, utc_now(), serial)))
        self._device_cache.changed(other_processes=False)  # only the serving relay writes it
        return code

    def new_session(self, serial: str) -> str:
        """A new PUSH 3.x SessionID (§4.10): the token of the previous one stops working."""
        session = secrets.token_hex(16)
        self.write(lambda c: c.execute(
            "UPDATE devices SET session_id = ?, last_seen = ? WHERE serial = ?",
            (session, utc_now(), serial)))
        self._device_cache.changed(other_processes=False)
        return session
