import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from zk_rules.signing import key_id

from ..lib.relay_client import RelayClient, RelayError
from .zk_relay_outbox import OutboxClient

_logger = logging.getLogger(__name__)

# A relay that has not been pulled successfully for this long is shown in warning.
STALE_MINUTES = 30
# "Import now" takes this many pages in the person's request; the scheduled import the rest.
PULL_NOW_PAGES = 5


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
    outbox_open_count = fields.Integer(
        string="Commands waiting", compute="_compute_outbox_open_count",
        help="Commands for this relay's terminals that it has not finished (push mode: it "
        "fetches them from Odoo).")
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

    def write(self, vals):
        reachable = self.filtered(lambda r: not r.url) if vals.get("url") else self.browse()
        result = super().write(vals)
        for relay in reachable:
            # Odoo now calls the relay: commands left in its outbox are not followed any more.
            # sudo: the outbox is the system's bookkeeping of commands to this relay.
            self.env["zk.relay.outbox"].sudo()._zk_abandon(relay)
        return result

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

    def _command_client(self):
        """Where terminal commands go: the relay's API when Odoo can reach it (a URL), else,
        for a relay enrolled in push mode, the outbox it fetches them from."""
        self.ensure_one()
        if not self.url and self.delivery_mode == "push" and self.link_state == "enrolled":
            return OutboxClient(self)
        return self._client()

    def _command_results(self, records, error_field):
        """(record, command) for each record's relay command (its `command_id`), as the
        relay (or the outbox) reports it now; a record whose command cannot be read is given
        the reason in `error_field` and skipped."""
        client = self._command_client()
        for record in records:
            try:
                command = client.command(record.command_id)
            except RelayError as exc:
                record[error_field] = str(exc)
                continue
            yield record, command

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
            has_more = self._pull_one_page()
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

    def _compute_outbox_open_count(self):
        # sudo: a count for the button; the list it opens is read with the user's rights.
        counts = dict(self.env["zk.relay.outbox"].sudo()._read_group(
            [("relay_id", "in", self.ids), ("state", "in", ("waiting", "taken"))],
            ["relay_id"], ["__count"]))
        for relay in self:
            relay.outbox_open_count = counts.get(relay._origin, 0)

    def action_view_outbox(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_zk_attendance.zk_relay_outbox_action")
        action["domain"] = [("relay_id", "=", self.id)]
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

    @api.ondelete(at_uninstall=False)
    def _unlink_except_imported(self):
        if self.env["zk.punch"].search_count([("relay_id", "in", self.ids)], limit=1):
            raise UserError(self.env._(
                "A relay with imported punches cannot be deleted; archive it instead."))
