"""Reconciliation runs and the terminal-day rows Odoo reads (issue 17; rules in
``zk_rules.reconciliation``).

A *run* asks one terminal for one day: ``queued`` → ``waiting`` (the ``attlog_query`` command is
queued, or the pyzk read is under way) → ``settling`` (the terminal acknowledged; uploads are
still counted for ``recon_settle_seconds``) → a day state. At most one run per terminal is
waiting or settling at a time; a second request for a day already queued or running gets that
run (no overlap). Everything is in SQLite, so a restart resumes the open runs where they were.

While a run waits, every ATTLOG upload of its terminal notes the records of the run's range
(``recon_seen``: was each one new?) in the transaction that stores them. Closing a run counts
them: at the terminal = records of the day that came back, gaps filled = those that were new,
on the relay = what the relay holds for the day afterwards. The day's row (``recon_days``) gets
a new ``revision`` (a store-wide counter) each time it changes, so Odoo pages through changes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from zk_relay.store.base import StoreBase
from zk_relay.store.db import utc_now
from zk_rules import reconciliation as rules

OPEN_STATES = ("queued", "waiting", "settling")
RUN_COLUMNS = ("id", "serial", "day", "range_start", "range_end", "origin", "state", "reason",
               "command_id", "created_at", "started_at", "answered_at", "closed_at",
               "on_relay_before", "at_terminal", "on_relay", "gaps_filled", "other_days",
               "uploads")
_RUN_SELECT = "SELECT " + ", ".join(RUN_COLUMNS) + " FROM recon_runs"  # noqa: S608
DAY_COLUMNS = ("serial", "day", "state", "reason", "run_id", "at_terminal", "on_relay",
               "gaps_filled", "checked_at", "attempts", "revision")
_DAY_SELECT = "SELECT " + ", ".join(DAY_COLUMNS) + " FROM recon_days"  # noqa: S608


def _run(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(RUN_COLUMNS, row, strict=True))


def _next_revision(conn: sqlite3.Connection) -> int:
    return int(conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key ="
                            " 'recon_revision' RETURNING value").fetchone()[0])


def count_on_relay(conn: sqlite3.Connection, serial: str, start: str, end: str) -> int:
    """Punches the relay holds for a terminal in a device-local range (the unique index on
    (serial, local_time, pin) answers it)."""
    return int(conn.execute("SELECT count(*) FROM events WHERE serial = ? AND local_time"
                            " BETWEEN ? AND ?", (serial, start, end)).fetchone()[0])


class Reconciliation(StoreBase):
    """Tables ``recon_runs``, ``recon_seen``, ``recon_days``."""

    def recon_hook(self, serial: str) -> tuple[int, str, str, str] | None:
        """What an upload of ``serial`` must note for the run waiting for its answer."""
        return self.recon_active.get(serial)

    # -- requests
    def request_days(self, serial: str, days: list[str], origin: str) -> list[dict[str, Any]]:
        """Queue one run per day (``origin``: schedule | demand); a day with an open run gets
        that run back instead of a second one. Days without a row become *not checked*."""
        def job(conn: sqlite3.Connection) -> list[int]:
            if not conn.execute("SELECT 1 FROM devices WHERE serial = ?", (serial,)).fetchone():
                raise LookupError(f"device {serial} is not registered")
            ids = []
            now = utc_now()
            for day in days:
                row = conn.execute("SELECT id FROM recon_runs WHERE serial = ? AND day = ? AND"
                                   " state IN ('queued', 'waiting', 'settling')",
                                   (serial, day)).fetchone()
                if row is not None:
                    ids.append(int(row[0]))
                    continue
                ids.append(int(conn.execute(
                    "INSERT INTO recon_runs (serial, day, range_start, range_end, origin, state,"
                    " created_at) VALUES (?,?,?,?,?, 'queued', ?)",
                    (serial, day, f"{day} 00:00:00", f"{day} 23:59:59", origin, now)).lastrowid))
                self._ensure_day(conn, serial, day)
            return ids

        ids = self.write(job)
        return [r for r in (self.recon_run(i) for i in ids) if r is not None]

    @staticmethod
    def _ensure_day(conn: sqlite3.Connection, serial: str, day: str) -> None:
        if not conn.execute("SELECT 1 FROM recon_days WHERE serial = ? AND day = ?",
                            (serial, day)).fetchone():
            conn.execute("INSERT INTO recon_days (serial, day, state, revision) VALUES"
                         " (?, ?, ?, ?)", (serial, day, rules.NOT_CHECKED, _next_revision(conn)))

    def ensure_days(self, serial: str, days: list[str]) -> None:
        """Closed days without a row appear as *not checked* (so a day never asked is seen)."""
        have = {r[0] for r in self.read().execute(
            "SELECT day FROM recon_days WHERE serial = ?", (serial,))}
        missing = [d for d in days if d not in have]
        if missing:
            def job(conn: sqlite3.Connection) -> None:
                for day in missing:
                    self._ensure_day(conn, serial, day)

            self.write(job)

    # -- the run's life
    def open_runs(self) -> list[dict[str, Any]]:
        return [_run(r) for r in self.read().execute(
            _RUN_SELECT + " WHERE state IN ('queued', 'waiting', 'settling') ORDER BY id")]

    def recon_run(self, run_id: int) -> dict[str, Any] | None:
        row = self.read().execute(_RUN_SELECT + " WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def start_run(self, run_id: int, range_end: str, command: str | None, *,
                  kind: str = "attlog_query", params: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
        """``queued`` → ``waiting``: the relay's count before, the range end (today: now), and
        the command (None for a pyzk read), all in one transaction."""
        def job(conn: sqlite3.Connection) -> None:
            start, day_end, serial = conn.execute(
                "SELECT range_start, range_end, serial FROM recon_runs WHERE id = ?",
                (run_id,)).fetchone()
            end = min(day_end, range_end)
            cid = None
            now = utc_now()
            if command is not None:
                cid = conn.execute(
                    "INSERT INTO commands (serial, command, state, created_at, kind, params)"
                    " VALUES (?,?,'queued',?,?,?)",
                    (serial, command, now, kind,
                     json.dumps({**(params or {}), "start": start, "end": end,
                                 "reconciliation": run_id}, sort_keys=True))).lastrowid
            conn.execute("UPDATE recon_runs SET state = 'waiting', started_at = ?, range_end = ?,"
                         " command_id = ?, on_relay_before = ? WHERE id = ?",
                         (now, end, cid, count_on_relay(conn, serial, start, end), run_id))

        self.write(job)
        run = self.recon_run(run_id)
        assert run is not None
        return run

    def mark_answered(self, run_id: int) -> None:
        self.write(lambda c: c.execute(
            "UPDATE recon_runs SET state = 'settling', answered_at = ? WHERE id = ? AND state ="
            " 'waiting'", (utc_now(), run_id)))

    def close_run(self, run_id: int, *, answered: bool, state: str | None = None,
                  reason: str | None = None, log_cleared: bool = False) -> dict[str, Any]:
        """Count what came back and give the day its state: from the counts when the
        terminal answered (``zk_rules.reconciliation.answered_state``), else ``state``."""
        def job(conn: sqlite3.Connection) -> None:
            serial, day, start, end, other = conn.execute(
                "SELECT serial, day, range_start, range_end, other_days FROM recon_runs"
                " WHERE id = ?", (run_id,)).fetchone()
            at_terminal, gaps = conn.execute(
                "SELECT count(*), coalesce(sum(was_new), 0) FROM recon_seen WHERE run_id = ?",
                (run_id,)).fetchone()
            on_relay = count_on_relay(conn, serial, start, end)
            if answered:
                final, why = rules.answered_state(at_terminal, on_relay, gaps, other,
                                                  log_cleared)
            else:
                final, why = state or rules.NOT_ANSWERED, reason
            now = utc_now()
            conn.execute("UPDATE recon_runs SET state = ?, reason = ?, closed_at = ?,"
                         " at_terminal = ?, on_relay = ?, gaps_filled = ? WHERE id = ?",
                         (final, why, now, at_terminal if answered or at_terminal else None,
                          on_relay, gaps, run_id))
            conn.execute("DELETE FROM recon_seen WHERE run_id = ?", (run_id,))
            conn.execute(
                "INSERT INTO recon_days (serial, day, state, reason, run_id, at_terminal,"
                " on_relay, gaps_filled, checked_at, attempts, revision) VALUES"
                " (?,?,?,?,?,?,?,?,?,1,?) ON CONFLICT (serial, day) DO UPDATE SET"
                " state = excluded.state, reason = excluded.reason, run_id = excluded.run_id,"
                " at_terminal = excluded.at_terminal, on_relay = excluded.on_relay,"
                " gaps_filled = excluded.gaps_filled, checked_at = excluded.checked_at,"
                " attempts = recon_days.attempts + 1, revision = excluded.revision",
                (serial, day, final, why, run_id, at_terminal if answered else None, on_relay,
                 gaps, now, _next_revision(conn)))

        self.write(job)
        run = self.recon_run(run_id)
        assert run is not None
        return run

    def prune_reconciliation(self, cutoff: str) -> int:
        """Closed runs closed before ``cutoff`` (UTC ISO) and the day rows of days before its
        date that no open run holds: after retention deleted those days' punches they can
        no longer be confirmed, and Odoo has long read them. Returns the rows deleted."""
        def job(conn: sqlite3.Connection) -> int:
            placeholders = ", ".join("?" * len(OPEN_STATES))
            runs = conn.execute(
                f"DELETE FROM recon_runs WHERE state NOT IN ({placeholders})"  # noqa: S608
                " AND closed_at < ?", (*OPEN_STATES, cutoff)).rowcount
            days = conn.execute(
                "DELETE FROM recon_days WHERE day < ? AND NOT EXISTS (SELECT 1"  # noqa: S608
                " FROM recon_runs r WHERE r.serial = recon_days.serial AND r.day = recon_days.day"
                " AND"
                f" r.state IN ({placeholders}))", (cutoff[:10], *OPEN_STATES)).rowcount
            return runs + days

        return self.write(job)

    # -- what Odoo and the command line read
    def recon_days_page(self, after: int, limit: int, serial: str | None = None
                        ) -> tuple[list[dict[str, Any]], bool]:
        where, args = "revision > ?", [after]
        if serial:
            where += " AND serial = ?"
            args.append(serial)  # type: ignore[arg-type]
        rows = self.read().execute(_DAY_SELECT + f" WHERE {where} ORDER BY revision LIMIT ?",
                                   (*args, limit + 1)).fetchall()
        checking = {(r[0], r[1]) for r in self.read().execute(
            "SELECT serial, day FROM recon_runs WHERE state IN ('queued', 'waiting',"
            " 'settling')")}
        out = []
        for r in rows[:limit]:
            day = dict(zip(DAY_COLUMNS, r, strict=True))
            day["checking"] = (day["serial"], day["day"]) in checking
            out.append(day)
        return out, len(rows) > limit

    def recon_days_of(self, serial: str) -> dict[str, dict[str, Any]]:
        return {r[1]: dict(zip(DAY_COLUMNS, r, strict=True)) for r in self.read().execute(
            _DAY_SELECT + " WHERE serial = ?", (serial,))}

    def last_asked(self, serial: str, since_day: str) -> dict[str, str]:
        """day -> created_at of the latest run (for once-a-night scheduling)."""
        return {day: created for day, created in self.read().execute(
            "SELECT day, max(created_at) FROM recon_runs WHERE serial = ? AND day >= ?"
            " GROUP BY day", (serial, since_day))}

    def recon_runs_page(self, after: int, limit: int, serial: str | None = None
                        ) -> tuple[list[dict[str, Any]], bool]:
        where, args = "id > ?", [after]
        if serial:
            where += " AND serial = ?"
            args.append(serial)  # type: ignore[arg-type]
        rows = self.read().execute(_RUN_SELECT + f" WHERE {where} ORDER BY id LIMIT ?",
                                   (*args, limit + 1)).fetchall()
        return [_run(r) for r in rows[:limit]], len(rows) > limit

    def recon_state_counts(self, since_day: str) -> dict[tuple[str, str], int]:
        """(serial, state) -> terminal-days since ``since_day`` (metrics)."""
        return {(s, st): int(n) for s, st, n in self.read().execute(
            "SELECT serial, state, count(*) FROM recon_days WHERE day >= ? GROUP BY serial,"
            " state", (since_day,))}
