"""The link to Odoo (issue 10): enrolment, push cursor and delivery state."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from zk_relay.store.base import StoreBase
from zk_relay.store.db import utc_now

if TYPE_CHECKING:
    from zk_relay.store import Store


class OdooLink(StoreBase):
    """Table ``odoo_link`` (one row) and the acknowledgement a push commit moves."""

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
                       delivery_url: str | None, token_name: str,
                       status_url: str | None = None, biometric_url: str | None = None,
                       commands_url: str | None = None) -> str | None:
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
                " token_name, enrolled_at, state, push_cursor, status_url, biometric_url,"
                " commands_url) VALUES (1,?,?,?,?,?,?,?, 'active',?,?,?,?)",
                (odoo_url, relay_id, odoo_token, mode, delivery_url, token_name, utc_now(),
                 cursor, status_url, biometric_url, commands_url))
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


def link_status(store: Store, now: datetime | None = None) -> dict[str, Any]:
    """What ``/health`` and ``zk-relay odoo status`` show: never the token."""
    now = now or datetime.now(UTC)
    oldest, count = store.oldest_unacked()
    age = None
    if oldest:
        try:
            age = max(0.0, round((now - datetime.fromisoformat(oldest)).total_seconds(), 3))
        except ValueError:
            age = None
    delivery: dict[str, Any] = {
        "unacked_events": count,
        "oldest_unacked_received_at": oldest,
        "oldest_unacked_age_seconds": age,
        "acked_up_to": store.acked_up_to(),
        "last_event_id": store.last_event_id(),
    }
    link = store.odoo_link()
    if link is None:
        delivery["odoo"] = None
        delivery["destinations"] = []
        return delivery
    delivery["odoo"] = {
        "enrolled": True, "odoo_url": link["odoo_url"], "relay_id": link["relay_id"],
        "mode": link["mode"], "state": link["state"], "state_reason": link["state_reason"],
        "delivery_url": link["delivery_url"], "enrolled_at": link["enrolled_at"],
        "relay_token_name": link["token_name"], "push_cursor": link["push_cursor"],
        "last_delivery_at": link["last_delivery_at"],
        "last_committed_up_to": link["last_committed_up_to"],
        "pushed_pages": link["pushed_pages"], "pushed_events": link["pushed_events"],
        "last_error": link["last_error"], "last_error_at": link["last_error_at"],
        "token_rotated_at": link["token_rotated_at"],
        "biometric_url": link.get("biometric_url"), "commands_url": link.get("commands_url"),
        "biometric": store.bio_push_status(),
    }
    delivery["destinations"] = [{
        "name": "odoo", "url": link["delivery_url"], "active": link["mode"] == "push"
        and link["state"] == "active", "consecutive_failures": link["failures"],
        "next_attempt_at": link["next_attempt_at"], "last_error": link["last_error"],
    }] if link["delivery_url"] else []
    return delivery
