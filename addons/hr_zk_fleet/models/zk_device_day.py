from odoo import api, fields, models

DAY_STATES = [
    ("confirmed", "Confirmed"),
    ("gaps_filled", "Gaps found and filled"),
    ("incomplete", "Incomplete"),
    ("not_answered", "Not answered"),
    ("terminal_offline", "Terminal offline"),
    ("not_checked", "Not checked yet"),
]

DAY_REASONS = [
    ("log_cleared", "The terminal's log was cleared"),
    ("terminal_holds_fewer", "The terminal holds fewer records than the relay"),
    ("other_days", "The terminal answered with records of other days"),
    ("no_acknowledgement", "The terminal did not finish answering"),
    ("refused", "The terminal refused the query"),
    ("read_failed", "Reading the terminal failed"),
    ("not_seen", "The terminal was not seen since it was asked"),
    ("not_registered", "The terminal is not registered on the relay"),
    ("other", "Other"),
]

GOOD_STATES = ("confirmed", "gaps_filled")


class ZkDeviceDay(models.Model):
    """One terminal and one day: what the terminal holds, what the relay holds and what
    Odoo imported, and whether reconciliation confirmed that nothing is missing."""

    _name = "zk.device.day"
    _description = "Terminal day (reconciliation)"
    _order = "needs_attention desc, day desc, device_id"
    _rec_name = "day"

    device_id = fields.Many2one("zk.device", string="Terminal", required=True,
                                ondelete="cascade", index=True)
    relay_id = fields.Many2one("zk.relay", ondelete="set null", index=True)
    company_id = fields.Many2one(related="device_id.company_id", store=True, index=True)
    day = fields.Date(required=True, index=True)
    state = fields.Selection(DAY_STATES, required=True, default="not_checked", index=True)
    reason = fields.Selection(DAY_REASONS)
    at_terminal = fields.Integer(string="At terminal",
                                 help="Records of the day the terminal sent back when asked.")
    at_terminal_known = fields.Boolean(help="False while the terminal has not answered.")
    on_relay = fields.Integer(string="On relay",
                              help="Records of the day the relay holds.")
    imported = fields.Integer(readonly=True,
                              help="Punches of this terminal and day imported into Odoo.")
    gaps_filled = fields.Integer(
        string="Gaps filled",
        help="Records the terminal still held that the relay had missed: stored and "
        "imported now.")
    checked_at = fields.Datetime(string="Checked on")
    attempts = fields.Integer()
    checking = fields.Boolean(string="Check under way")
    revision = fields.Integer(help="The relay's revision of this row.")
    needs_attention = fields.Boolean(compute="_compute_needs_attention", store=True,
                                     index=True)

    _sql_constraints = [
        ("device_day_unique", "unique(device_id, day)",
         "A terminal has one reconciliation row per day."),
    ]

    def _imported_counts(self):
        """(device id, local date) -> punches imported, read in one query."""
        rows = self.filtered(lambda r: r.device_id and r.day)
        if not rows:
            return {}
        self.env["zk.punch"].flush_model(["device_id", "local_time"])
        self.env.cr.execute(
            """SELECT device_id, left(local_time, 10), count(*) FROM zk_punch
               WHERE device_id = ANY(%s) AND left(local_time, 10) = ANY(%s)
               GROUP BY device_id, left(local_time, 10)""",
            [list(set(rows.device_id.ids)), list({str(r.day) for r in rows})])
        return {(d, day): n for d, day, n in self.env.cr.fetchall()}

    @api.depends("state", "imported", "on_relay")
    def _compute_needs_attention(self):
        for row in self:
            row.needs_attention = (row.state not in GOOD_STATES
                                   or row.imported != row.on_relay)

    def _refresh_imported(self):
        """Recount what Odoo imported for these terminal-days (after an import)."""
        counts = self._imported_counts()
        for row in self:
            imported = counts.get((row.device_id.id, str(row.day)), 0)
            if row.imported != imported:
                row.imported = imported

    def action_check_again(self):
        """Ask the relays again for these terminal-days (one range per terminal)."""
        runs = []
        for device in self.device_id:
            days = self.filtered(lambda r, d=device: r.device_id == d).mapped("day")
            runs += device._request_check(min(days), max(days))
        return self.env["zk.device"]._fleet_notify(
            self.env._("Check started"),
            self.env._("The relays ask the terminals again for %s day(s). The results appear "
                       "here once each terminal has answered.", len(runs)),
            "info")
