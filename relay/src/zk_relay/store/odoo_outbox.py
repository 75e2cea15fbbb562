"""Push mode, issue 19: what the relay keeps of its biometric pages and of Odoo's outbox.

* ``meta`` keys ``bio_push_templates`` / ``bio_push_photos``: the ids Odoo said it committed
  (the relay sends from exactly there); ``bio_push_error`` / ``bio_push_error_at`` /
  ``bio_push_ok_at``: what ``zk-relay odoo status`` shows.
* table ``odoo_outbox``: one row per command taken from Odoo's outbox, by Odoo's outbox id
  (the primary key: a command handed out twice is queued once), the local command it became
  (or why it was refused), and the state last reported back to Odoo.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from zk_relay.commands import Command
from zk_relay.store.base import StoreBase
from zk_relay.store.commands import insert_command
from zk_relay.store.db import utc_now

BIO_KINDS = ("templates", "photos")
_TABLE = {"templates": "bio_templates", "photos": "photos"}


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
                 " value = excluded.value", (key, value))


class OdooOutbox(StoreBase):
    # -- biometric pages pushed to Odoo
    def bio_push_cursor(self, kind: str) -> int:
        return int(self.meta(f"bio_push_{kind}") or 0)

    def bio_rows_after(self, kind: str, after: int) -> bool:
        """Whether a page of ``kind`` after ``after`` would hold anything (read without
        opening or auditing a template)."""
        extra = " AND sealed = 1" if kind == "photos" else ""
        return self.read().execute(
            f"SELECT 1 FROM {_TABLE[kind]} WHERE id > ?{extra} LIMIT 1",  # noqa: S608
            (after,)).fetchone() is not None

    def record_bio_push_ok(self, kind: str, cursor: int) -> None:
        """Odoo answered that it committed ``kind`` up to ``cursor``: the push cursor becomes
        exactly that, and the biometric acknowledgement (retention) moves forward to it, in
        one transaction. The error shown is cleared."""
        ack_key = f"{kind}_acked_up_to"

        def job(conn: sqlite3.Connection) -> None:
            _set_meta(conn, f"bio_push_{kind}", str(cursor))
            old = conn.execute("SELECT value FROM meta WHERE key = ?", (ack_key,)).fetchone()
            if cursor > (int(old[0]) if old else 0):
                _set_meta(conn, ack_key, str(cursor))
            _set_meta(conn, "bio_push_ok_at", utc_now())
            conn.execute("DELETE FROM meta WHERE key IN ('bio_push_error', 'bio_push_error_at')")

        self.write(job)

    def rewind_bio_push(self, cursors: dict[str, Any]) -> None:
        """Odoo's cursors from its commands answer: a push cursor beyond Odoo's goes back to
        it (Odoo owns the cursor; "Read biometric data again" sets it to 0). Never forward:
        only a committed page moves it forward."""

        def job(conn: sqlite3.Connection) -> None:
            for kind in BIO_KINDS:
                value = cursors.get(kind)
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    continue
                row = conn.execute("SELECT value FROM meta WHERE key = ?",
                                   (f"bio_push_{kind}",)).fetchone()
                if row and int(row[0]) > value:
                    _set_meta(conn, f"bio_push_{kind}", str(value))

        self.write(job)

    def clear_bio_push_error(self, prefix: str) -> None:
        """A success of the channel whose errors start with ``prefix`` clears its error."""
        self.write(lambda conn: conn.execute(
            "DELETE FROM meta WHERE key IN ('bio_push_error', 'bio_push_error_at') AND"
            " (SELECT value FROM meta WHERE key = 'bio_push_error') LIKE ?", (prefix + "%",)))

    def record_bio_push_error(self, error: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            _set_meta(conn, "bio_push_error", error[:1000])
            _set_meta(conn, "bio_push_error_at", utc_now())

        self.write(job)

    # -- Odoo's outbox of commands
    def outbox_take(self, outbox_id: int, serial: str, kind: str, command: Command | None,
                    sealed: bytes | None, refusal: str | None = None, message: str | None = None,
                    actor: str = "odoo outbox") -> bool:
        """Queue Odoo's outbox command ``outbox_id`` once (or record why it was refused), in
        one transaction with the row that remembers it. False when it was taken before."""

        def job(conn: sqlite3.Connection) -> bool:
            if conn.execute("SELECT 1 FROM odoo_outbox WHERE outbox_id = ?",
                            (outbox_id,)).fetchone():
                return False
            cid = insert_command(conn, serial, command, sealed, f"{actor} #{outbox_id}") \
                if command is not None and refusal is None else None
            conn.execute("INSERT INTO odoo_outbox (outbox_id, serial, kind, command_id, refusal,"
                         " message, received_at) VALUES (?,?,?,?,?,?,?)",
                         (outbox_id, serial, kind, cid, refusal, message, utc_now()))
            return True

        return self.write(job)

    def outbox_changes(self, limit: int = 200) -> list[dict[str, Any]]:
        """Outbox commands whose state Odoo has not heard yet (taken, refused, sent, done...)."""
        rows = self.read().execute(
            "SELECT o.outbox_id, o.command_id, o.refusal, o.message, o.reported_state, c.state,"
            " c.return_code, c.result FROM odoo_outbox o LEFT JOIN commands c ON c.id ="
            " o.command_id WHERE o.reported_state IS NULL OR o.reported_state NOT IN ('done',"
            " 'failed', 'refused') ORDER BY o.outbox_id").fetchall()
        out = []
        for outbox_id, cid, refusal, message, reported, state, code, result in rows:
            lost = not refusal and state is None
            state = "refused" if refusal else ("failed" if lost else state)
            if state == reported:
                continue
            item: dict[str, Any] = {"outbox_id": outbox_id, "command_id": cid, "state": state,
                                    "return_code": code}
            if refusal:
                item.update(error=refusal, message=message)
            elif lost:
                item.update(error="lost", message="the command is no longer on the relay")
            elif state in ("done", "failed", "timed_out"):
                item["result"] = (result or "")[:500]
            out.append(item)
            if len(out) >= limit:
                break
        return out

    def outbox_reported(self, items: list[dict[str, Any]]) -> None:
        self.write(lambda conn: conn.executemany(
            "UPDATE odoo_outbox SET reported_state = ? WHERE outbox_id = ?",
            [(item["state"], item["outbox_id"]) for item in items]))

    def prune_outbox(self, cutoff: str) -> int:
        """Rows of commands Odoo heard closed, received before ``cutoff``."""
        return int(self.write(lambda conn: conn.execute(
            "DELETE FROM odoo_outbox WHERE reported_state IN ('done', 'failed', 'timed_out',"
            " 'refused') AND received_at < ?", (cutoff,)).rowcount))

    def bio_push_status(self) -> dict[str, Any]:
        counts = self.read().execute(
            "SELECT count(*), sum(reported_state IS NULL OR reported_state NOT IN ('done',"
            " 'failed', 'timed_out', 'refused')) FROM odoo_outbox").fetchone()
        return {"templates_cursor": self.bio_push_cursor("templates"),
                "photos_cursor": self.bio_push_cursor("photos"),
                "last_ok_at": self.meta("bio_push_ok_at"),
                "last_error": self.meta("bio_push_error"),
                "last_error_at": self.meta("bio_push_error_at"),
                "outbox_commands": counts[0], "outbox_open": counts[1] or 0}
