import json
import logging
import random
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import mute_logger

from zk_rules.backoff import backoff_delay
from zk_rules.delivery import PageShapeError, judge_page, parse_page, rate_window
from zk_rules.signing import PageSignatureError, verify_page

from ..lib.relay_client import RelayError, RelayStoreChanged
from .zk_time_tools import _naive_utc

_logger = logging.getLogger(__name__)

# Odoo's pull from a relay backs off per relay (full jitter, zk_rules.backoff).
PULL_BACKOFF_BASE_SECONDS = 60
PULL_BACKOFF_CAP_SECONDS = 3600
# Relays pulled (one page each) per scheduled run: one run stays short with 200 relays.
PULL_RELAYS_PER_RUN = 20
# Where the scheduled pull's pass stands: "<last relay id visited>:<relays that had more>".
PULL_POSITION = "hr_zk_attendance.pull_position"


class PageRefused(Exception):
    """A page that cannot be trusted or read; nothing of it is imported."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class ZkRelayDelivery(models.Model):
    """How pages of punches reach Odoo, pulled or pushed: one path for both, fetch (pull)
    or receive (push) -> verify the signature -> judge against the cursor -> import."""

    _inherit = "zk.relay"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------ pull
    @api.model
    def _cron_pull(self, limit=PULL_RELAYS_PER_RUN):
        """Scheduled action: one page of each of at most `limit` relays per run, each run
        its own commit.

        The relays are visited in passes (id order, the position kept between runs); while
        the pass is not over, or a relay of the pass had more, progress tells the cron
        framework to run again at once (ir_cron `_notify_progress`): long imports never hold
        one giant transaction and 200 relays do not make one long run. A relay that failed
        waits out its backoff (full jitter, per relay) before the next try. Push relays with
        a URL are visited for their users and commands only.
        """
        now = fields.Datetime.now()
        # sudo: the pass's position is the scheduled job's own bookkeeping.
        params = self.env["ir.config_parameter"].sudo()
        position, _sep, more = (params.get_param(PULL_POSITION) or "0:0").partition(":")
        after, more = int(position or 0), int(more or 0)
        due = [("active", "=", True), ("link_state", "!=", "revoked"), ("url", "!=", False),
               "|", ("next_pull_at", "=", False), ("next_pull_at", "<=", now)]
        relays = self.search([*due, ("id", ">", after)], order="id", limit=limit)
        for relay in relays:
            more += 1 if relay._pull_one_page() else 0
        later = self.search_count([*due, ("id", ">", relays[-1:].id or after)])
        if later:
            remaining, position = later + more, f"{relays[-1].id}:{more}"
        else:  # the pass is over: another one while some relay had more
            remaining, position = more, "0:0"
        params.set_param(PULL_POSITION, position)
        self.env["ir.cron"]._notify_progress(done=len(relays), remaining=remaining)
        return remaining

    def _pull_failed(self, message, uniform=random.uniform):
        """Keep the error and schedule the next try: uniform(0, min(cap, base * 2^n))."""
        self.ensure_one()
        failures = self.pull_failures + 1
        delay = backoff_delay(failures, PULL_BACKOFF_BASE_SECONDS, PULL_BACKOFF_CAP_SECONDS,
                              uniform=uniform)
        self._set_error(message)
        self.write({"pull_failures": failures,
                    "next_pull_at": fields.Datetime.now() + timedelta(seconds=delay)})

    def _pull_one_page(self):
        """One page pulled and imported in a savepoint, acknowledged after commit; True when
        more wait. A failed page is rolled back to the savepoint (cursor unchanged, nothing
        acked): it comes again on the next run, and other relays go on. A relay another
        worker is pulling right now is left to it (False)."""
        self.ensure_one()
        if not self._lock_for_pull():
            return False
        try:
            with self.env.cr.savepoint():
                has_more, ack_to = self._pull_page()
        except (psycopg2.Error, UserError, ValidationError, ValueError, KeyError) as exc:
            _logger.exception("zk relay %s: import failed", self.name)
            self._pull_failed(self.env._("Import failed: %s", exc))
            return False
        if ack_to:
            self._ack_after_commit(self.store_id, ack_to)
        return has_more

    def _lock_for_pull(self):
        """Take this relay's row for this transaction, or False when another cron worker
        (or a person's "Import now") holds it or changed it since this transaction began.

        The row lock (FOR UPDATE SKIP LOCKED) is the only lock: two workers never fetch
        the same page from the same cursor, and the punches' unique fingerprint would
        refuse a second insert anyway."""
        self.ensure_one()
        self.env.flush_all()
        try:
            # The refusal below is expected: not logged by Odoo as a "bad query".
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    "SELECT id FROM zk_relay WHERE id = %s FOR UPDATE SKIP LOCKED", [self.id])
                locked = bool(self.env.cr.fetchone())
        except psycopg2.errors.SerializationFailure:
            # Another worker pulled this relay and committed after this transaction began:
            # its cursor is newer than what this transaction can see.
            locked = False
        if not locked:
            _logger.info("zk relay %s: being pulled by another worker, skipped", self.name)
        return locked

    def _pull_page(self):
        """Import one page from this relay.

        Returns (has_more, ack_to): whether the relay has more, and the cursor to
        acknowledge once this transaction is committed (None: nothing to acknowledge).
        """
        self.ensure_one()
        now = fields.Datetime.now()
        client = self._client()
        self.last_pull_at = now
        if self.delivery_mode == "push":
            return self._pull_side_channels(client), None
        try:
            if self.store_id and self.acked_cursor < self.cursor:
                self._ack(client, self.store_id, self.cursor)
            payload = client.events(self.cursor, self.page_size)
        except RelayError as exc:
            _logger.warning("zk relay %s: pull failed: %s", self.name, exc)
            self._pull_failed(str(exc))
            return False, None
        try:
            page, verdict, created, duplicates = self._take_page(payload, "pull",
                                                                 asked_after=self.cursor)
        except PageRefused:
            self._pull_failed(self.last_error)
            return False, None
        if verdict.action == "store_mismatch":
            # A rebuilt or replaced relay: start again from the beginning of the new store;
            # fingerprints make sure nothing already imported is imported twice.
            _logger.warning("zk relay %s: store changed %s -> %s, restarting from 0",
                            self.name, self.store_id, page.store_id)
            self.write({"store_id": page.store_id, "cursor": 0, "acked_cursor": 0,
                        "users_cursor": 0})
            return True, None
        self._clear_error()
        self.write({
            "last_success_at": now,
            "pull_failures": 0,
            "next_pull_at": False,
            "last_pull_imported": created,
            "last_pull_duplicates": duplicates,
        })
        users_more = self._pull_side_channels(client)
        return page.has_more or users_more, (self.cursor if page.events else None)

    def _pull_side_channels(self, client):
        """Terminal users and command results: they need the relay's API in either mode."""
        try:
            users_more = self._pull_users(client)
            self.env["zk.device.user"]._follow_commands(self)
        except RelayError as exc:
            _logger.warning("zk relay %s: users/commands not read: %s", self.name, exc)
            self._set_error(str(exc))
            return False
        return users_more

    # ------------------------------------------------------------------ pages (pull and push)
    def _take_page(self, payload, via, asked_after=None):
        """The one path of a page, pulled or pushed: verify it, judge it, import it.

        Returns (page, verdict, created, duplicates). A pushed page while the relay is set
        to pull in Odoo is verified and not imported (verdict None). A page that cannot be
        trusted or read is kept as refused and PageRefused raised.
        """
        page = self._verified_page(payload, via, asked_after=asked_after)
        if via == "push" and self.delivery_mode == "pull":
            return page, None, 0, 0
        return (page, *self._import_page(page, payload, via))

    def _verified_page(self, payload, via, asked_after=None):
        """The page, once its signature verifies with the registered key and its shape is
        the contract's. Otherwise it is kept as refused, reported, and PageRefused raised."""
        self.ensure_one()
        try:
            if not self.public_key:
                raise PageRefused("no_key", self.env._(
                    "No public key is registered for relay %s: enrol it, or paste the "
                    "public_key that `zk-relay key show` prints on the relay.", self.name))
            try:
                verify_page(payload, self.public_key)
            except PageSignatureError as exc:
                raise PageRefused(exc.reason, str(exc)) from None
            try:
                return parse_page(payload, after=asked_after)
            except PageShapeError as exc:
                raise PageRefused("bad_shape", str(exc)) from None
        except PageRefused as refused:
            self._record_refused(payload, via, refused)
            raise

    def _record_refused(self, payload, via, refused):
        signature = payload.get("signature") if isinstance(payload, dict) else None
        signature = signature if isinstance(signature, dict) else {}
        self.env["zk.relay.page"].create({
            "relay_id": self.id, "via": via, "state": "refused", "reason": refused.reason,
            "message": str(refused)[:500],
            "store_id": str(payload.get("store_id"))[:64] if isinstance(payload, dict) else False,
            "key_id": str(signature.get("key_id") or "")[:64] or False,
            "signature": str(signature.get("value") or "")[:200] or False,
            "event_count": len(payload.get("events") or []) if isinstance(payload, dict)
            and isinstance(payload.get("events"), list) else 0,
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
        })
        message = self.env._("A page was refused (%(reason)s): %(message)s. Nothing of it "
                             "was imported.", reason=refused.reason, message=str(refused))
        _logger.warning("zk relay %s: %s", self.name, message)
        self._set_error(message)
        self.write({"pages_refused": self.pages_refused + 1})

    def _import_page(self, page, payload, via):
        """Judge a verified page against Odoo's cursor (zk_rules.delivery) and import it.

        Returns (verdict, created, duplicates). The cursor and the store move here, in the
        import's transaction, for both modes.
        """
        self.ensure_one()
        verdict = judge_page(self.store_id or None, self.cursor, page)
        if not verdict.imports:
            return verdict, 0, 0
        signature = payload["signature"]
        record = self.env["zk.relay.page"].create({
            "relay_id": self.id, "via": via, "state": "accepted", "store_id": page.store_id,
            "after": page.after, "next_after": page.next_after,
            "event_count": len(page.events), "key_id": signature.get("key_id"),
            "signature": signature.get("value"),
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
        })
        created, duplicates = self.env["zk.punch"]._import_relay_events(
            self, page.events, page_record=record)
        values = {
            "store_id": verdict.store_id,
            "cursor": verdict.committed_up_to,
            "last_delivery_at": fields.Datetime.now(),
            "pages_accepted": self.pages_accepted + 1,
            "total_imported": self.total_imported + created,
        }
        last_event_id = payload.get("last_event_id")
        if isinstance(last_event_id, int) and not isinstance(last_event_id, bool):
            values["lag_events"] = max(0, last_event_id - verdict.committed_up_to)
        waiting = payload.get("waiting_since")
        try:
            values["lag_oldest_at"] = _naive_utc(waiting) if isinstance(waiting, str) else False
        except ValueError:  # informative only: a strange value must not block an import
            values["lag_oldest_at"] = False
        received = [e.get("received_at") for e in page.events if e.get("received_at")]
        if received:
            newest = _naive_utc(max(received))
            if newest and (not self.newest_received_at or newest > self.newest_received_at):
                values["newest_received_at"] = newest
        self.write(values)
        return verdict, created, duplicates

    def _receive_push(self, payload):
        """A page the relay pushed (controller already checked token, size and rate).

        Returns (HTTP status, JSON body) as the relay's contract says (relay/README.md).
        """
        self.ensure_one()
        try:
            _page, verdict, created, duplicates = self._take_page(payload, "push")
        except PageRefused as exc:
            error = "bad_request" if exc.reason == "bad_shape" else "bad_signature"
            return 400, {"error": error, "reason": exc.reason, "message": str(exc)}
        if verdict is None:
            # Switched to pull in Odoo: nothing imported, tell the relay to stop pushing.
            return 200, self._push_answer({"committed_up_to": self.cursor, "mode": "pull"})
        if verdict.action == "store_mismatch":
            return 409, {"error": "store_mismatch", "store_id": self.store_id,
                         "message": "Odoo knows another store for this relay: send again "
                         "from the beginning of your store"}
        now = fields.Datetime.now()
        self._clear_error()
        self.write({"acked_cursor": max(self.acked_cursor, self.cursor), "last_pull_at": now,
                    "last_success_at": now,
                    "last_pull_imported": created, "last_pull_duplicates": duplicates})
        return 200, self._push_answer({"committed_up_to": self.cursor})

    def _push_answer(self, body):
        # sudo: the rotated token is readable by system administrators only; it is handed
        # to the relay it was made for, which authenticated with its current token.
        pending = self.sudo().odoo_token_next
        if pending:
            body["rotate_token"] = pending
        return body

    def _admit_push(self, limit_per_minute):
        """One page at a time per relay, and at most `limit_per_minute` pages a minute.

        Returns 0 when admitted, else the seconds to wait (Retry-After).
        """
        self.ensure_one()
        # A transaction-scoped advisory lock per relay: a second page of the same relay
        # waits for no one and is told to retry (no lock error in the logs).
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [0x7A6B, self.id])
        if not self.env.cr.fetchone()[0]:
            return 1  # another page of this relay is being imported
        self.invalidate_recordset(["rate_window_start", "rate_window_count"])
        now = fields.Datetime.now()
        decision = rate_window(self.rate_window_start or None, self.rate_window_count, now,
                               limit_per_minute)
        if not decision.allowed:
            return decision.retry_after
        self.write({"rate_window_start": decision.window_start,
                    "rate_window_count": decision.count})
        return 0

    def _pull_users(self, client):
        """Users the terminals reported (OPERLOG USER rows) become registry lines."""
        page = client.users(self.users_cursor, self.page_size)
        if page.get("store_id") != self.store_id:
            return False  # the events page handles a changed store first
        users = page.get("users", [])
        if users:
            self.env["zk.device.user"]._merge_reported_users(users)
            self.users_cursor = max([self.users_cursor] + [int(u["id"]) for u in users])
        return bool(page.get("has_more"))

    def _ack(self, client, store_id, up_to):
        try:
            answer = client.ack(store_id, up_to)
        except RelayStoreChanged:
            return False
        self.acked_cursor = max(self.acked_cursor, int(answer.get("acked_up_to", up_to)))
        return True

    def _ack_after_commit(self, store_id, up_to):
        """Acknowledge to the relay only once the imported page is committed."""
        relay_id, registry = self.id, self.env.registry

        @self.env.cr.postcommit.add
        def acknowledge():
            # The ack runs after the import's transaction ended, in a cursor of its own;
            # SUPERUSER because it is the system finishing its own scheduled work.
            with registry.cursor() as cr:
                relay = api.Environment(cr, SUPERUSER_ID, {})["zk.relay"].browse(relay_id)
                if not relay._lock_for_pull():
                    # Another worker is pulling it: its pull acknowledges the committed
                    # cursor first.
                    return
                try:
                    relay._ack(relay._client(), store_id, up_to)
                except RelayError as exc:
                    # Not fatal: the next pull acknowledges the committed cursor first.
                    _logger.info("zk relay %s: ack deferred: %s", relay.name, exc)
