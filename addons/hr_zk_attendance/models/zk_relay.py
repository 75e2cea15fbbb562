import logging

import psycopg2

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib.relay_client import RelayClient, RelayError, RelayStoreChanged

_logger = logging.getLogger(__name__)

# A relay that has not been pulled successfully for this long is shown in warning.
STALE_MINUTES = 30


class ZkRelay(models.Model):
    """A branch relay Odoo pulls punches from (architecture.md: Odoo owns the cursor)."""

    _name = "zk.relay"
    _description = "ZKTeco Relay"
    _order = "name"

    name = fields.Char(required=True)
    url = fields.Char(
        string="URL", required=True,
        help="Base address of the relay's API, e.g. https://branch-1.example.com:8443",
    )
    token = fields.Char(
        groups="hr_attendance.group_hr_attendance_manager", copy=False,
        help="API token created on the relay with `zk-relay token create NAME`.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda s: s.env.company)
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

    @api.depends("device_ids")
    def _compute_device_count(self):
        for relay in self:
            relay.device_count = len(relay.device_ids)

    @api.depends("last_error", "last_success_at", "last_pull_at")
    def _compute_health(self):
        now = fields.Datetime.now()
        for relay in self:
            if relay.last_error:
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
        # sudo: the token is readable by administrators only, but the scheduled import and
        # officers' actions must be able to use it without seeing it.
        return RelayClient(self.url, self.sudo().token)

    # ------------------------------------------------------------------ actions
    def action_test_connection(self):
        self.ensure_one()
        try:
            health = self._client().health()
            listing = self._client().devices()
        except RelayError as exc:
            return self._notify(self.env._("Connection failed"), str(exc), "danger")
        terminals = len(listing.get("devices", []))
        pending = len(listing.get("pending", []))
        message = self.env._(
            "Relay reached (version %(version)s, store %(store)s): %(terminals)s terminal(s), "
            "%(pending)s waiting for approval. The token is accepted.",
            version=health.get("version", "?"), store=listing.get("store_id", "?"),
            terminals=terminals, pending=pending,
        )
        return self._notify(self.env._("Connection OK"), message, "success")

    def action_pull_now(self):
        """Start the scheduled import now; it runs page by page in the background."""
        self.env.ref("hr_zk_attendance.ir_cron_zk_pull_relays")._trigger()
        return self._notify(self.env._("Import started"),
                            self.env._("Punches are imported page by page in the background."),
                            "info")

    def action_sync_devices(self):
        for relay in self:
            relay._sync_devices()
        return self._notify(self.env._("Terminals refreshed"),
                            self.env._("Last seen, firmware and counts were read from the relay."),
                            "success")

    def action_view_devices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_attendance.zk_device_action")
        action["domain"] = [("relay_id", "=", self.id)]
        action["context"] = {"default_relay_id": self.id, "default_company_id":
                             self.company_id.id, "active_test": False}
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
        """Read the relay's terminal list: refresh terminals, record discovered serials."""
        self.ensure_one()
        try:
            listing = self._client().devices()
        except RelayError as exc:
            self.last_error = str(exc)
            return False
        self.env["zk.device"]._merge_relay_listing(self, listing)
        return True

    # ------------------------------------------------------------------ pull
    @api.model
    def _cron_pull(self):
        """Scheduled action: one page per active relay per run, each run its own commit.

        While a relay has more, progress tells the cron framework to run again at once
        (ir_cron `_notify_progress`), so long imports never hold one giant transaction.
        """
        relays = self.search([("active", "=", True)])
        done = remaining = 0
        for relay in relays:
            try:
                with self.env.cr.savepoint():
                    has_more, ack_to = relay._pull_page()
            except (psycopg2.Error, UserError, ValidationError, ValueError, KeyError) as exc:
                # The page is rolled back to the savepoint (cursor unchanged, nothing acked):
                # it comes again on the next run. Other relays go on.
                _logger.exception("zk relay %s: import failed", relay.name)
                relay.last_error = self.env._("Import failed: %s", exc)
                has_more, ack_to = False, None
            if ack_to:
                relay._ack_after_commit(relay.store_id, ack_to)
            done += 1
            remaining += 1 if has_more else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return remaining

    def _pull_page(self):
        """Import one page from this relay.

        Returns (has_more, ack_to): whether the relay has more, and the cursor to
        acknowledge once this transaction is committed (None: nothing to acknowledge).
        """
        self.ensure_one()
        now = fields.Datetime.now()
        client = self._client()
        self.last_pull_at = now
        try:
            if self.store_id and self.acked_cursor < self.cursor:
                self._ack(client, self.store_id, self.cursor)
            page = client.events(self.cursor, self.page_size)
        except RelayError as exc:
            _logger.warning("zk relay %s: pull failed: %s", self.name, exc)
            self.last_error = str(exc)
            return False, None
        store_id = page["store_id"]
        if self.store_id and store_id != self.store_id:
            # A rebuilt or replaced relay: start again from the beginning of the new store;
            # fingerprints make sure nothing already imported is imported twice.
            _logger.warning("zk relay %s: store changed %s -> %s, restarting from 0",
                            self.name, self.store_id, store_id)
            self.write({"store_id": store_id, "cursor": 0, "acked_cursor": 0,
                        "users_cursor": 0})
            return True, None
        events = page["events"]
        created, duplicates = self.env["zk.punch"]._import_relay_events(self, events)
        new_cursor = max([self.cursor, page.get("next_after") or 0]
                         + [int(e["id"]) for e in events])
        self.write({
            "store_id": store_id,
            "cursor": new_cursor,
            "last_success_at": now,
            "last_error": False,
            "last_pull_imported": created,
            "last_pull_duplicates": duplicates,
            "total_imported": self.total_imported + created,
        })
        users_more = self._pull_users(client)
        self.env["zk.device.user"]._follow_commands(self)
        return bool(page["has_more"]) or users_more, (new_cursor if events else None)

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
