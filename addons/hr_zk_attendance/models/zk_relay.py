import json
import logging
import random
from datetime import timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError

from zk_rules.backoff import backoff_delay
from zk_rules.delivery import (
    PageShapeError,
    judge_page,
    new_enrolment_code,
    new_token,
    normalise_code,
    parse_page,
    rate_window,
    secret_hash,
)
from zk_rules.signing import PageSignatureError, key_id, verify_page

from ..lib.relay_client import RelayClient, RelayError, RelayStoreChanged
from .zk_punch import _naive_utc

_logger = logging.getLogger(__name__)

# A relay that has not been pulled successfully for this long is shown in warning.
STALE_MINUTES = 30
# Odoo's pull from a relay backs off per relay (full jitter, zk_rules.backoff).
PULL_BACKOFF_BASE_SECONDS = 60
PULL_BACKOFF_CAP_SECONDS = 3600
ENROL_CODE_HOURS = 24
# "Import now" takes this many pages in the person's request; the scheduled import the rest.
PULL_NOW_PAGES = 5
DELIVERY_PATH = "/zk/relay/push"


class PageRefused(Exception):
    """A page that cannot be trusted or read; nothing of it is imported."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class ZkRelay(models.Model):
    """A branch relay Odoo pulls punches from (architecture.md: Odoo owns the cursor)."""

    _name = "zk.relay"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "ZKTeco Relay"
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    url = fields.Char(
        string="URL", tracking=True,
        help="Base address of the relay's API, e.g. https://branch-1.example.com:8443. "
        "Needed to pull; a relay that pushes from behind a router may have none.",
    )
    token = fields.Char(
        groups="hr_attendance.group_hr_attendance_manager", copy=False,
        help="API token of the relay's pull API (set by enrolment, or created on the relay "
        "with `zk-relay token create NAME`).",
    )
    delivery_mode = fields.Selection(
        [("pull", "Pull: Odoo fetches from the relay"),
         ("push", "Push: the relay sends to Odoo")],
        default="pull", required=True, tracking=True,
        help="Push when Odoo cannot reach the relay (cloud Odoo, relay behind a branch "
        "router). Both end in the same import: switching loses and doubles nothing.",
    )
    public_key = fields.Char(
        copy=False,
        help="The relay's Ed25519 public key (base64), registered at enrolment or pasted "
        "from `zk-relay key show`. Every page of events must be signed with it.",
    )
    key_id = fields.Char(compute="_compute_key_id", store=True, string="Key id")
    link_state = fields.Selection(
        [("manual", "Set up by hand"), ("waiting", "Waiting for enrolment"),
         ("enrolled", "Enrolled"), ("revoked", "Revoked")],
        default="manual", required=True, readonly=True, copy=False, tracking=True,
        string="Enrolment")
    enrol_code_hash = fields.Char(groups="base.group_system", copy=False)
    enrol_code_expires_at = fields.Datetime(readonly=True, copy=False)
    enrolled_at = fields.Datetime(readonly=True, copy=False)
    revoked_at = fields.Datetime(readonly=True, copy=False)
    relay_version = fields.Char(readonly=True, copy=False)
    odoo_token_hash = fields.Char(groups="base.group_system", copy=False)
    # A rotated token waits here until it is handed to the relay in a push answer.
    odoo_token_next = fields.Char(groups="base.group_system", copy=False)
    odoo_token_next_hash = fields.Char(groups="base.group_system", copy=False)
    token_rotated_at = fields.Datetime(readonly=True, copy=False)
    pull_failures = fields.Integer(readonly=True, copy=False)
    next_pull_at = fields.Datetime(readonly=True, copy=False,
                                   help="After failures, the next pull waits until then.")
    last_delivery_at = fields.Datetime(readonly=True, copy=False,
                                       help="Last page taken (pulled or pushed).")
    pages_accepted = fields.Integer(readonly=True, copy=False)
    pages_refused = fields.Integer(readonly=True, copy=False)
    lag_events = fields.Integer(
        string="Waiting on the relay", readonly=True, copy=False,
        help="Events stored on the relay and not yet imported, as of the last page.")
    lag_oldest_at = fields.Datetime(
        string="Oldest waiting since", readonly=True, copy=False,
        help="When the relay received the oldest punch not yet imported, as of the last "
        "page (empty: nothing waiting).")
    newest_received_at = fields.Datetime(
        string="Newest punch received by the relay at", readonly=True, copy=False,
        help="When the relay received the newest punch imported so far.")
    rate_window_start = fields.Datetime(readonly=True, copy=False)
    rate_window_count = fields.Integer(readonly=True, copy=False)
    page_ids = fields.One2many("zk.relay.page", "relay_id", string="Pages")
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda s: s.env.company,
                                 tracking=True)
    page_size = fields.Integer(default=1000, help="Events fetched per page (at most 5000).")
    device_ids = fields.One2many("zk.device", "relay_id", string="Terminals")
    device_count = fields.Integer(compute="_compute_device_count")
    store_id = fields.Char(readonly=True, copy=False,
                           help="Identity of the relay's database; a change means a new store.")
    cursor = fields.Integer(readonly=True, copy=False,
                            help="Last relay event id imported and committed in Odoo.")
    acked_cursor = fields.Integer(readonly=True, copy=False,
                                  help="Last event id acknowledged to the relay.")
    users_cursor = fields.Integer(readonly=True, copy=False,
                                  help="Last terminal user (OPERLOG USER row) read.")
    last_pull_at = fields.Datetime(readonly=True, copy=False)
    last_success_at = fields.Datetime(readonly=True, copy=False)
    last_pull_imported = fields.Integer(readonly=True, copy=False)
    last_pull_duplicates = fields.Integer(readonly=True, copy=False)
    total_imported = fields.Integer(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    health = fields.Selection(
        [("never", "Never pulled"), ("ok", "OK"), ("stale", "Stale"), ("error", "Error")],
        compute="_compute_health",
    )

    _sql_constraints = [
        ("page_size_range", "CHECK(page_size > 0 AND page_size <= 5000)",
         "The page size must be between 1 and 5000."),
    ]

    @api.depends("public_key")
    def _compute_key_id(self):
        for relay in self:
            try:
                relay.key_id = key_id(relay.public_key) if relay.public_key else False
            except ValueError:
                relay.key_id = False

    @api.constrains("public_key")
    def _check_public_key(self):
        for relay in self.filtered("public_key"):
            try:
                key_id(relay.public_key)
            except ValueError as exc:
                raise ValidationError(self.env._(
                    "%(relay)s: the public key is not an Ed25519 key (%(error)s). Paste the "
                    "public_key printed by `zk-relay key show` on the relay.",
                    relay=relay.name, error=exc)) from None

    @api.constrains("delivery_mode", "url")
    def _check_pull_has_url(self):
        for relay in self:
            if relay.delivery_mode == "pull" and not relay.url:
                raise ValidationError(self.env._(
                    "%s: pulling needs the relay's URL. Give it, or choose push mode.",
                    relay.name))

    @api.depends("device_ids")
    def _compute_device_count(self):
        for relay in self:
            relay.device_count = len(relay.device_ids)

    @api.depends("last_error", "last_success_at", "last_pull_at", "link_state")
    def _compute_health(self):
        now = fields.Datetime.now()
        for relay in self:
            if relay.last_error or relay.link_state == "revoked":
                relay.health = "error"
            elif not relay.last_success_at:
                relay.health = "never"
            elif (now - relay.last_success_at).total_seconds() > STALE_MINUTES * 60:
                relay.health = "stale"
            else:
                relay.health = "ok"

    # ------------------------------------------------------------------ client
    def _client(self):
        self.ensure_one()
        if not self.url:
            raise RelayError(self.env._(
                "Odoo cannot reach relay %s: it has no URL (a push relay behind a router). "
                "Register terminals on the relay with `zk-relay device add`, or give the "
                "relay an address.", self.name))
        # sudo: the token is readable by administrators only, but the scheduled import and
        # officers' actions must be able to use it without seeing it.
        return RelayClient(self.url, self.sudo().token)

    # ------------------------------------------------------------------ errors
    def _set_error(self, message):
        """Keep what went wrong on the relay; the chatter tells when it starts or changes."""
        for relay in self:
            if relay.last_error != message:
                relay.message_post(body=message, subtype_xmlid="mail.mt_note")
        self.write({"last_error": message})

    def _clear_error(self):
        """The relay answered: say so in the chatter once, after a problem."""
        for relay in self.filtered("last_error"):
            relay.message_post(body=self.env._("The relay answers again."),
                               subtype_xmlid="mail.mt_note")
        self.filtered("last_error").write({"last_error": False})

    # ------------------------------------------------------------------ actions
    def action_test_connection(self):
        self.ensure_one()
        try:
            health = self._client().health()
            listing = self._client().devices()
        except RelayError as exc:
            self._set_error(str(exc))
            return self._notify(self.env._("Connection failed"), str(exc), "danger")
        # Reachable now: the next scheduled import need not wait out an earlier backoff.
        self.write({"pull_failures": 0, "next_pull_at": False})
        self._clear_error()
        self.env["zk.device"]._merge_relay_listing(self, listing)
        terminals = len(listing.get("devices", []))
        pending = len(listing.get("pending", []))
        message = self.env._(
            "Relay reached (version %(version)s): %(terminals)s terminal(s) registered, "
            "%(pending)s unknown serial(s) knocking. The token is accepted.",
            version=health.get("version", "?"), terminals=terminals, pending=pending,
        )
        return self._notify(self.env._("Connection OK"), message, "success")

    def action_pull_now(self):
        """Import now, in this request, a few pages; the scheduled import does the rest."""
        self.ensure_one()
        created = duplicates = 0
        has_more = True
        self.write({"next_pull_at": False})
        for _page in range(PULL_NOW_PAGES):
            self.write({"last_pull_imported": 0, "last_pull_duplicates": 0})
            try:
                with self.env.cr.savepoint():
                    has_more, ack_to = self._pull_page()
            except (psycopg2.Error, UserError, ValidationError, ValueError, KeyError) as exc:
                # As in the scheduled import: the page is rolled back, it comes again.
                _logger.exception("zk relay %s: import failed", self.name)
                self._pull_failed(self.env._("Import failed: %s", exc))
                has_more, ack_to = False, None
            if ack_to:
                self._ack_after_commit(self.store_id, ack_to)
            created += self.last_pull_imported
            duplicates += self.last_pull_duplicates
            if self.last_error or not has_more:
                break
        if has_more:
            self.env.ref("hr_zk_attendance.ir_cron_zk_pull_relays")._trigger()
        if self.last_error:
            return self._notify(self.env._("Import failed"), self.last_error, "danger")
        message = self.env._("%(created)s new punch(es) imported, %(dup)s already known.",
                             created=created, dup=duplicates)
        if has_more:
            message += " " + self.env._("More are waiting: they come in the background.")
        return self._notify(self.env._("Import done"), message, "success")

    def action_sync_devices(self):
        self.ensure_one()
        summary = self._sync_devices()
        if summary is False:
            return self._notify(self.env._("Terminals not refreshed"), self.last_error,
                                "danger")
        parts = []
        if summary["new"]:
            parts.append(self.env._("%(count)s new terminal(s) waiting for approval: "
                                    "%(serials)s", count=len(summary["new"]),
                                    serials=", ".join(summary["new"])))
        if summary["updated"]:
            parts.append(self.env._("%s updated", summary["updated"]))
        if summary["unknown_to_relay"]:
            parts.append(self.env._(
                "not on the relay (Register on relay on their form): %s",
                ", ".join(summary["unknown_to_relay"])))
        if not parts:
            parts.append(self.env._("The relay knows no terminal yet. Add one in Odoo "
                                    "(Terminals), or on the relay with `zk-relay device "
                                    "add`, or let a terminal knock at the relay."))
        kind = "warning" if summary["new"] or summary["unknown_to_relay"] else "success"
        return self._notify(self.env._("Terminals refreshed"), "; ".join(parts) + ".", kind)

    def action_view_devices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_attendance.zk_device_action")
        action["domain"] = [("relay_id", "=", self.id)]
        action["context"] = {"default_relay_id": self.id, "default_company_id":
                             self.company_id.id, "active_test": False}
        return action

    def action_view_pages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_attendance.zk_relay_page_action")
        action["domain"] = [("relay_id", "=", self.id)]
        return action

    @staticmethod
    def _notify(title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": False},
        }

    # ------------------------------------------------------------------ terminals
    def _sync_devices(self):
        """Read the relay's terminal list: refresh terminals, record discovered serials.

        Returns the summary of zk.device._merge_relay_listing, or False when the relay
        could not be read (the reason is kept in last_error).
        """
        self.ensure_one()
        try:
            listing = self._client().devices()
        except RelayError as exc:
            self._set_error(str(exc))
            return False
        return self.env["zk.device"]._merge_relay_listing(self, listing)

    # ------------------------------------------------------------------ pull
    @api.model
    def _cron_pull(self):
        """Scheduled action: one page per active relay per run, each run its own commit.

        While a relay has more, progress tells the cron framework to run again at once
        (ir_cron `_notify_progress`), so long imports never hold one giant transaction. A
        relay that failed waits out its backoff (full jitter, per relay) before the next try.
        Push relays with a URL are visited for their users and commands only.
        """
        now = fields.Datetime.now()
        relays = self.search([("active", "=", True), ("link_state", "!=", "revoked"),
                              ("url", "!=", False)])
        done = remaining = 0
        for relay in relays:
            if relay.next_pull_at and relay.next_pull_at > now:
                continue
            try:
                with self.env.cr.savepoint():
                    has_more, ack_to = relay._pull_page()
            except (psycopg2.Error, UserError, ValidationError, ValueError, KeyError) as exc:
                # The page is rolled back to the savepoint (cursor unchanged, nothing acked):
                # it comes again on the next run. Other relays go on.
                _logger.exception("zk relay %s: import failed", relay.name)
                relay._pull_failed(self.env._("Import failed: %s", exc))
                has_more, ack_to = False, None
            if ack_to:
                relay._ack_after_commit(relay.store_id, ack_to)
            done += 1
            remaining += 1 if has_more else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
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
            page = self._verified_page(payload, "pull", asked_after=self.cursor)
        except PageRefused:
            self._pull_failed(self.last_error)
            return False, None
        verdict, created, duplicates = self._import_page(page, payload, "pull")
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
            page = self._verified_page(payload, "push")
        except PageRefused as exc:
            error = "bad_request" if exc.reason == "bad_shape" else "bad_signature"
            return 400, {"error": error, "reason": exc.reason, "message": str(exc)}
        if self.delivery_mode == "pull":
            # Switched to pull in Odoo: import nothing, tell the relay to stop pushing.
            return 200, self._push_answer({"committed_up_to": self.cursor, "mode": "pull"})
        verdict, created, duplicates = self._import_page(page, payload, "push")
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

    # ------------------------------------------------------------------ enrolment, credentials
    def action_enrolment_code(self):
        """A one-time code (shown once, stored hashed) for `zk-relay enrol` on the Pi."""
        self.ensure_one()
        code = new_enrolment_code()
        expires = fields.Datetime.now() + timedelta(hours=ENROL_CODE_HOURS)
        # sudo: the code's hash is a system field; the manager asking is allowed to enrol.
        self.sudo().write({"enrol_code_hash": secret_hash(code),
                           "enrol_code_expires_at": expires,
                           "link_state": "waiting" if self.link_state in ("manual", "waiting")
                           else self.link_state})
        # sudo: web.base.url is a system parameter; only its value is shown.
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        command = f"zk-relay enrol --odoo {base} --code {code}"
        if self.delivery_mode == "pull":
            command += f" --url {self.url}" if self.url else " --url https://RELAY-ADDRESS:PORT"
        wizard = self.env["zk.relay.enrol.wizard"].create({
            "relay_id": self.id, "code": code, "expires_at": expires, "command": command,
        })
        return {
            "type": "ir.actions.act_window", "res_model": "zk.relay.enrol.wizard",
            "res_id": wizard.id, "view_mode": "form", "target": "new",
            "name": self.env._("Enrol %s", self.name),
        }

    def action_revoke(self):
        """Refuse this relay at once: its pushes get 403 and it is no longer pulled."""
        # sudo: the delivery token fields are system fields.
        self.sudo().write({"link_state": "revoked", "revoked_at": fields.Datetime.now(),
                           "odoo_token_next": False, "odoo_token_next_hash": False,
                           "enrol_code_hash": False, "enrol_code_expires_at": False})
        for relay in self:
            self.env["zk.audit.entry"]._log(
                relay, "relay_revoked", reason=self.env._("Relay %s revoked", relay.name))
        return True

    def action_rotate_token(self):
        """A new delivery token, handed to the relay in its next push answer; the old one
        is refused once the relay has used the new one."""
        for relay in self:
            if relay.link_state != "enrolled":
                raise UserError(self.env._(
                    "%s is not enrolled: create an enrolment code instead.", relay.name))
            token = new_token()
            # sudo: the delivery token fields are system fields.
            relay.sudo().write({"odoo_token_next": token,
                                "odoo_token_next_hash": secret_hash(token)})
            self.env["zk.audit.entry"]._log(
                relay, "relay_token_rotated",
                reason=self.env._("Delivery token of relay %s rotated", relay.name))
        return self._notify(self.env._("Token rotation started"),
                            self.env._("The relay receives its new token with the answer to "
                                       "its next page; the old token then stops working."),
                            "info")

    def action_switch_mode(self):
        """Pull <-> push. Odoo keeps one cursor per relay store for both modes."""
        self.ensure_one()
        target = "push" if self.delivery_mode == "pull" else "pull"
        if target == "push":
            if self.link_state != "enrolled":
                raise UserError(self.env._(
                    "Only an enrolled relay can push: create an enrolment code and run "
                    "`zk-relay enrol` on the relay."))
            try:
                self._client().set_mode("push")
            except RelayError as exc:
                raise UserError(self.env._(
                    "The relay could not be switched to push: %s", exc)) from None
        else:
            if not self.url:
                raise UserError(self.env._("Give the relay's URL first: pulling needs it."))
            try:
                self._client().set_mode("pull")
            except RelayError as exc:
                # Not needed: the relay also learns it from the answer to its next push.
                _logger.info("zk relay %s: mode not set on the relay now: %s", self.name, exc)
        self.write({"delivery_mode": target})
        self.env["zk.audit.entry"]._log(
            self, "relay_mode", reason=self.env._("Relay %(relay)s switched to %(mode)s",
                                                  relay=self.name, mode=target))
        return True

    @api.model
    def _enrol(self, request):
        """POST /zk/relay/enrol: a relay presents a code. Returns (status, JSON body)."""
        if not isinstance(request, dict):
            return 400, {"error": "bad_request", "message": "the body must be a JSON object"}
        code = normalise_code(str(request.get("code") or ""))
        relay = code and self.with_context(active_test=False).search(
            [("enrol_code_hash", "=", secret_hash(code))], limit=1)
        if not relay:
            return 403, {"error": "invalid_code", "message": "unknown or already used "
                         "enrolment code: create a new one in Odoo"}
        self.env.cr.execute("SELECT id FROM zk_relay WHERE id = %s FOR UPDATE", [relay.id])
        relay.invalidate_recordset()
        if relay.enrol_code_hash != secret_hash(code):
            return 403, {"error": "invalid_code", "message": "this code was just used"}
        if not relay.enrol_code_expires_at or relay.enrol_code_expires_at < fields.Datetime.now():
            relay.write({"enrol_code_hash": False})
            return 403, {"error": "code_expired", "message": "this enrolment code has "
                         "expired: create a new one in Odoo"}
        public_key, presented_id = request.get("public_key"), request.get("key_id")
        try:
            if not isinstance(public_key, str) or key_id(public_key) != presented_id:
                raise ValueError("key_id does not match the public key")
        except ValueError as exc:
            return 400, {"error": "bad_key", "message": str(exc)}
        relay_token, relay_url = request.get("relay_token"), request.get("relay_url")
        if not isinstance(relay_token, str) or not relay_token.strip() \
                or any(ch.isspace() for ch in relay_token.strip()):
            return 400, {"error": "bad_request", "message": "relay_token is missing"}
        if relay_url is not None and (not isinstance(relay_url, str)
                                      or not relay_url.startswith(("http://", "https://"))):
            return 400, {"error": "bad_request", "message": "relay_url must be http(s)"}
        if relay.delivery_mode == "pull" and not (relay_url or relay.url):
            return 400, {"error": "url_required", "message": "this relay is set to pull "
                         "mode: Odoo needs its address; run enrol again with --url"}
        token = new_token()
        relay.write({
            "public_key": public_key, "token": relay_token.strip(),
            "url": relay_url.rstrip("/") if relay_url else relay.url,
            "relay_version": str(request.get("version") or "")[:32] or False,
            "link_state": "enrolled", "enrolled_at": fields.Datetime.now(),
            "revoked_at": False, "enrol_code_hash": False, "enrol_code_expires_at": False,
            "odoo_token_hash": secret_hash(token), "odoo_token_next": False,
            "odoo_token_next_hash": False, "pull_failures": 0, "next_pull_at": False,
            "last_error": False,
        })
        self.env["zk.audit.entry"]._log(relay, "relay_enrolled", reason=self.env._(
            "Relay %(relay)s enrolled with key %(key)s", relay=relay.name, key=relay.key_id))
        devices = relay.with_context(active_test=False).device_ids
        return 200, {
            "relay_id": relay.id, "odoo_token": token, "mode": relay.delivery_mode,
            "delivery_url": DELIVERY_PATH,
            "devices": [{"serial": d.serial, "timezone": d.timezone, "name": d.name or None,
                         "enabled": bool(d.active and d.state == "active")}
                        for d in devices if d.connection == "relay"],
        }

    @api.model
    def _authenticate_push(self, token):
        """The relay a delivery token belongs to, or (status, body) to refuse with."""
        digest = secret_hash(token)
        relay = self.with_context(active_test=False).search(
            ["|", ("odoo_token_hash", "=", digest), ("odoo_token_next_hash", "=", digest)],
            limit=1)
        if not relay:
            return None, (401, {"error": "unauthorized", "message": "unknown delivery token"})
        if relay.link_state == "revoked" or not relay.active:
            return None, (403, {"error": "revoked", "message": "this relay was revoked in "
                                "Odoo: enrol it again"})
        if relay.odoo_token_next_hash == digest:
            # The relay uses its rotated token: the old one stops working now.
            relay.write({"odoo_token_hash": digest, "odoo_token_next": False,
                         "odoo_token_next_hash": False,
                         "token_rotated_at": fields.Datetime.now()})
        return relay, None

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
                try:
                    relay._ack(relay._client(), store_id, up_to)
                except RelayError as exc:
                    # Not fatal: the next pull acknowledges the committed cursor first.
                    _logger.info("zk relay %s: ack deferred: %s", relay.name, exc)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_imported(self):
        if self.env["zk.punch"].search_count([("relay_id", "in", self.ids)], limit=1):
            raise UserError(self.env._(
                "A relay with imported punches cannot be deleted; archive it instead."))
