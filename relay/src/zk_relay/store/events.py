"""What terminals send: punches, OPERLOG, photos, raw posts; pages, acknowledgement, retention."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from zk_relay.adms import BadLine, Punch
from zk_relay.adms_operlog import Operlog
from zk_relay.biometric_rows import BIOMETRIC_ROWS
from zk_relay.store.base import StoreBase
from zk_relay.store.biometrics import redact_bad, store_bio_rows
from zk_relay.store.db import EVENT_COLUMNS, INSERT_QUARANTINE, _digest, utc_now
from zk_relay.store.health import note_oplog_events
from zk_relay.store.writer import AttlogResult, PunchWrite, write_punches


class Events(StoreBase):
    """Tables ``events``, ``quarantine``, ``users``, ``oplog``, ``biodata``, ``photos``,
    ``raw_posts``; the acknowledged id (meta ``acked_up_to``) and retention."""

    # -- ADMS data
    def store_punches(self, serial: str, timezone: str, addr: str | None, source: str,
                      punches: list[Punch], bad: list[BadLine], stamp: str | None,
                      stamp_column: str | None = "attlog_stamp") -> AttlogResult:
        """Store punches (new ones: duplicates on (serial, local time, PIN) are counted, not
        stored twice) and quarantined lines, and count them on the terminal; ``stamp`` goes
        to ``attlog_stamp`` (``stamp_column=None``: the stamp is not this table's)."""
        if stamp_column not in ("attlog_stamp", None):
            raise ValueError(f"stamp_column: {stamp_column!r}")
        write = PunchWrite(serial, timezone, addr, source, punches, bad,
                           stamp if stamp_column else None, self.recon_hook(serial))
        if self._writer is not None:
            return self._writer.submit_punches(write)
        return self.write(lambda conn: write_punches(conn, [write], utc_now())[0])

    def store_operlog(self, serial: str, timezone: str, addr: str | None, parsed: Operlog,
                      stamp: str | None, source: str = "OPERLOG") -> int:
        cipher = getattr(self, "bio_cipher", None)

        def job(conn: sqlite3.Connection) -> int:
            now = utc_now()
            last_oplog = int(conn.execute("SELECT coalesce(max(id), 0) FROM oplog").fetchone()[0])
            oplog = conn.executemany(
                "INSERT INTO oplog (serial, op_type, operator, local_time, timezone, obj1, obj2,"
                " obj3, obj4, raw, received_at, digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(digest) DO NOTHING",
                [(serial, r.op_type, r.operator, r.local_time, timezone,
                  *(r.objects + [None] * 4)[:4], r.raw, now, _digest(serial, r.raw))
                 for r in parsed.oplogs]).rowcount if parsed.oplogs else 0
            if oplog:
                note_oplog_events(conn, serial, last_oplog, now)
            users = conn.executemany(
                "INSERT INTO users (serial, pin, name, name_raw, name_encoding, privilege, card,"
                " grp, verify, raw, received_at, digest) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(digest) DO NOTHING",
                [(serial, u.pin, u.name, u.name_raw, u.name_encoding, u.privilege, u.card,
                  u.group, u.verify, u.raw, now, _digest(serial, u.raw))
                 for u in parsed.users]).rowcount if parsed.users else 0
            # templates and face pictures: sealed or dropped, never kept in clear (issue 19)
            biometric = [b for b in parsed.bio if b.kind in BIOMETRIC_ROWS]
            other = [b for b in parsed.bio if b.kind not in BIOMETRIC_ROWS]
            bio = conn.executemany(
                "INSERT INTO biodata (serial, kind, pin, raw, received_at, digest)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(digest) DO NOTHING",
                [(serial, b.kind, b.pin, b.raw, now, _digest(serial, b.raw))
                 for b in other]).rowcount if other else 0
            sealed, _dropped = store_bio_rows(conn, cipher, serial, biometric, now, source)
            bio += sealed
            if parsed.bad:
                conn.executemany(INSERT_QUARANTINE, [
                    (serial, source, b.reason, b.raw, now) for b in redact_bad(parsed.bad)])
            column = "biodata_stamp" if source == "BIODATA" else "operlog_stamp"
            conn.execute(
                "UPDATE devices SET last_seen = ?, last_addr = ?, oplog_stored = oplog_stored + ?,"  # noqa: S608,E501
                " users_stored = users_stored + ?, bio_stored = bio_stored + ?,"
                f" quarantined = quarantined + ?, {column} = coalesce(?, {column})"
                " WHERE serial = ?",
                (now, addr, oplog, users, bio, len(parsed.bad), stamp, serial))
            return parsed.valid

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


    # -- counts for status
    def table_counts(self) -> dict[str, int]:
        conn = self.read()
        out = {}
        for table in ("events", "quarantine", "users", "oplog", "biodata", "photos",
                      "raw_posts", "command_results"):
            out[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
        return out
