"""Terminal health (issue 17): events worth an alert, the computed health rows, clock repairs.

``health_events`` is a feed (ids only grow): what the operation log reported (attendance log
cleared, clock set, user deleted, factory reset), a drop in the attendance records a terminal
says it holds, clock repairs. ``terminal_health`` keeps the last computed health of each
terminal (JSON; the relay's monitor writes it, the command line reads it). ``clock_repairs``
keeps each repair with the drift before and after.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from zk_relay.store.base import StoreBase
from zk_relay.store.db import utc_now

# OPLOG codes (adms-protocol §5.4) an attendance audit surfaces
OPLOG_KINDS = {23: "log_cleared", 13: "log_cleared", 22: "factory_reset", 21: "clock_set",
               9: "user_deleted", 43: "log_cleared"}
EVENT_KINDS = ("log_cleared", "factory_reset", "clock_set", "user_deleted", "count_dropped",
               "clock_repaired")
REPAIR_COLUMNS = ("id", "serial", "method", "origin", "state", "drift_before", "drift_after",
                  "command_id", "requested_at", "done_at", "measured_at")
_REPAIR_SELECT = "SELECT " + ", ".join(REPAIR_COLUMNS) + " FROM clock_repairs"  # noqa: S608


def _repair(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(REPAIR_COLUMNS, row, strict=True))


def note_oplog_events(conn: sqlite3.Connection, serial: str, after_id: int, now: str) -> None:
    """Health events for the OPLOG rows of ``serial`` stored after ``after_id`` (inside the
    transaction that stored them)."""
    cases = " ".join(f"WHEN {code} THEN '{kind}'" for code, kind in OPLOG_KINDS.items())
    conn.execute(
        "INSERT INTO health_events (serial, kind, detail, local_time, received_at)"  # noqa: S608
        f" SELECT serial, CASE op_type {cases} END, 'operation log: code ' || op_type ||"
        " ' by operator ' || operator, local_time, ? FROM oplog WHERE id > ? AND serial = ?"
        f" AND op_type IN ({','.join(str(c) for c in OPLOG_KINDS)}) ORDER BY id",
        (now, after_id, serial))


def note_count_drop(conn: sqlite3.Connection, serial: str, old_info: str | None,
                    new_info: dict[str, Any] | None, now: str) -> None:
    """A terminal that reports fewer attendance records than before lost some (log cleared,
    oldest records overwritten when full)."""
    if not new_info or not old_info:
        return
    before = json.loads(old_info).get("attlogs")
    after = new_info.get("attlogs")
    if isinstance(before, int) and isinstance(after, int) and after < before:
        conn.execute("INSERT INTO health_events (serial, kind, detail, local_time, received_at)"
                     " VALUES (?, 'count_dropped', ?, NULL, ?)",
                     (serial, f"attendance records held went from {before} to {after}", now))


class Health(StoreBase):
    """Tables ``health_events``, ``terminal_health``, ``clock_repairs``."""

    def add_health_event(self, serial: str, kind: str, detail: str) -> None:
        self.write(lambda c: c.execute(
            "INSERT INTO health_events (serial, kind, detail, local_time, received_at)"
            " VALUES (?,?,?,NULL,?)", (serial, kind, detail, utc_now())))

    def health_events_page(self, after: int, limit: int, serial: str | None = None
                           ) -> tuple[list[dict[str, Any]], bool]:
        keys = ("id", "serial", "kind", "detail", "local_time", "received_at")
        where, args = "id > ?", [after]
        if serial:
            where += " AND serial = ?"
            args.append(serial)  # type: ignore[arg-type]
        rows = self.read().execute(
            "SELECT id, serial, kind, detail, local_time, received_at FROM health_events"  # noqa: S608
            f" WHERE {where} ORDER BY id LIMIT ?", (*args, limit + 1)).fetchall()
        return [dict(zip(keys, r, strict=True)) for r in rows[:limit]], len(rows) > limit

    def health_event_counts(self, since: str) -> dict[tuple[str, str], int]:
        return {(s, k): int(n) for s, k, n in self.read().execute(
            "SELECT serial, kind, count(*) FROM health_events WHERE received_at >= ? GROUP BY"
            " serial, kind", (since,))}

    def health_event_totals(self) -> dict[tuple[str, str], int]:
        return {(s, k): int(n) for s, k, n in self.read().execute(
            "SELECT serial, kind, count(*) FROM health_events GROUP BY serial, kind")}

    def prune_health(self, cutoff: str) -> int:
        """Health events received and clock repairs finished before ``cutoff`` (UTC ISO);
        an unfinished repair stays. Returns the rows deleted."""
        def job(conn: sqlite3.Connection) -> int:
            events = conn.execute("DELETE FROM health_events WHERE received_at < ?",
                                  (cutoff,)).rowcount
            repairs = conn.execute(
                "DELETE FROM clock_repairs WHERE requested_at < ? AND state IN ('measured',"
                " 'unmeasured', 'failed')", (cutoff,)).rowcount
            return events + repairs

        return self.write(job)

    def note_page_refused(self, detail: str) -> None:
        """A page Odoo read and refused (push mode): counted, the last reason kept."""
        def job(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO meta (key, value) VALUES ('pages_refused', '1') ON"
                         " CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
            conn.execute("INSERT INTO meta (key, value) VALUES ('page_refused_last', ?) ON"
                         " CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (json.dumps({"at": utc_now(), "detail": detail[:500]}),))

        self.write(job)

    def pages_refused(self) -> tuple[int, dict[str, Any] | None]:
        last = self.meta("page_refused_last")
        return int(self.meta("pages_refused") or 0), json.loads(last) if last else None

    # -- computed health
    def save_health(self, rows: dict[str, dict[str, Any]]) -> None:
        now = utc_now()
        self.write(lambda c: c.executemany(
            "INSERT INTO terminal_health (serial, data, computed_at) VALUES (?,?,?)"
            " ON CONFLICT (serial) DO UPDATE SET data = excluded.data,"
            " computed_at = excluded.computed_at",
            [(serial, json.dumps(data, sort_keys=True), now) for serial, data in rows.items()]))

    def saved_health(self) -> dict[str, dict[str, Any]]:
        return {serial: {**json.loads(data), "computed_at": at} for serial, data, at in
                self.read().execute("SELECT serial, data, computed_at FROM terminal_health")}

    # -- clock repairs
    def request_clock_repair(self, serial: str, origin: str, drift_before: float | None
                             ) -> dict[str, Any]:
        """A repair to carry out (``requested``), unless one is already under way."""
        def job(conn: sqlite3.Connection) -> int:
            if not conn.execute("SELECT 1 FROM devices WHERE serial = ?", (serial,)).fetchone():
                raise LookupError(f"device {serial} is not registered")
            row = conn.execute("SELECT id FROM clock_repairs WHERE serial = ? AND state IN"
                               " ('requested', 'sent', 'done')", (serial,)).fetchone()
            if row is not None:
                return int(row[0])
            return int(conn.execute(
                "INSERT INTO clock_repairs (serial, method, origin, state, drift_before,"
                " requested_at) VALUES (?, 'pending', ?, 'requested', ?, ?)",
                (serial, origin, drift_before, utc_now())).lastrowid)

        found = self.clock_repair(self.write(job))
        assert found is not None
        return found

    def update_clock_repair(self, repair_id: int, **values: Any) -> None:
        allowed = {"method", "state", "drift_before", "drift_after", "command_id", "done_at",
                   "measured_at"}
        if not values or set(values) - allowed:
            raise ValueError(f"unknown columns: {sorted(set(values) - allowed)}")
        sets = ", ".join(f"{k} = ?" for k in values)
        self.write(lambda c: c.execute(f"UPDATE clock_repairs SET {sets} WHERE id = ?",  # noqa: S608
                                       (*values.values(), repair_id)))

    def clock_repair(self, repair_id: int) -> dict[str, Any] | None:
        row = self.read().execute(_REPAIR_SELECT + " WHERE id = ?", (repair_id,)).fetchone()
        return _repair(row) if row else None

    def open_clock_repairs(self) -> list[dict[str, Any]]:
        return [_repair(r) for r in self.read().execute(
            _REPAIR_SELECT + " WHERE state IN ('requested', 'sent', 'done') ORDER BY id")]

    def last_clock_repair(self, serial: str) -> dict[str, Any] | None:
        row = self.read().execute(_REPAIR_SELECT + " WHERE serial = ? ORDER BY id DESC LIMIT 1",
                                  (serial,)).fetchone()
        return _repair(row) if row else None

    def clock_repairs_page(self, after: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        rows = self.read().execute(_REPAIR_SELECT + " WHERE id > ? ORDER BY id LIMIT ?",
                                   (after, limit + 1)).fetchall()
        return [_repair(r) for r in rows[:limit]], len(rows) > limit
