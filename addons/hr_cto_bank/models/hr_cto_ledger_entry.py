from odoo import api, fields, models
from odoo.exceptions import AccessError

from zk_rules.cto import verify_chain

from .hr_cto_bank import WRITING
from .labels import is_opening, leave_id, overtime_label, short_day, without_spec_codes

ENTRY_TYPES = [
    ("opening", "Opening balance"), ("earn", "Earned"), ("cap_monthly", "Cut: monthly cap"),
    ("cap_balance", "Cut: balance cap"), ("use", "Used (CTO leave)"),
    ("use_cancel", "Leave cancelled"), ("expire", "Expired"), ("reverse", "Reversed"),
    ("forfeit", "Forfeited"),
]


class HrCtoLedgerEntry(models.Model):
    """Append-only, hash-chained ledger of one employee's bank (C11).

    Every field of ``zk_rules.cto.LedgerEntry.to_dict()`` is stored as is (the hash covers them
    all); ``employee_id``, ``company_id`` and ``lot_id`` only place the entry. Nobody writes
    or deletes an entry through the ORM, not even the administrator.
    """

    _name = "hr.cto.ledger.entry"
    _description = "CTO Ledger Entry"
    _order = "employee_id, seq desc"
    _rec_name = "seq"

    employee_id = fields.Many2one("hr.employee", required=True, readonly=True, index=True,
                                  ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    lot_id = fields.Many2one("hr.cto.lot", "Lot record", readonly=True, index=True,
                             ondelete="restrict")
    seq = fields.Integer(required=True, readonly=True)
    date = fields.Date(required=True, readonly=True, index=True)
    type = fields.Selection(ENTRY_TYPES, required=True, readonly=True, index=True)
    minutes = fields.Integer(readonly=True, help="Signed effect on the balance.")
    lot = fields.Char(readonly=True)
    ref = fields.Char(readonly=True, index=True)
    balance_after = fields.Integer(readonly=True)
    raw_minutes = fields.Integer(readonly=True, help="Earn: approved minutes x rate.")
    uncredited_minutes = fields.Integer("Cut minutes", readonly=True,
                                        help="Cap entries: minutes never credited.")
    shortfall_minutes = fields.Integer(readonly=True,
                                       help="Reverse: credit already used, owed to HR.")
    actor = fields.Char(readonly=True)
    timestamp = fields.Char(readonly=True)
    reason = fields.Char(readonly=True)
    prev_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True)

    # What people read: hours (the minute fields above are the bank's own figures) and words.
    hours = fields.Float(compute="_compute_hours", store=True, aggregator="sum",
                         help="Effect on the balance: positive adds, negative takes away.")
    balance_after_hours = fields.Float("Balance after", compute="_compute_hours", store=True,
                                       aggregator=None)
    raw_hours = fields.Float("Before caps", compute="_compute_hours", store=True,
                             help="Earned: the approved overtime multiplied by the day's rate.")
    uncredited_hours = fields.Float("Not credited", compute="_compute_hours", store=True,
                                    help="Cut by a cap: never credited.")
    shortfall_hours = fields.Float("Already used", compute="_compute_hours", store=True,
                                   help="Reversed credit that had already been used as time "
                                        "off: owed to HR.")
    description = fields.Char(compute="_compute_description",
                              help="What the entry is about, in words.")
    reason_text = fields.Char("Reason", compute="_compute_description")

    _sql_constraints = [("employee_seq_unique", "UNIQUE(employee_id, seq)",
                         "Ledger entries are numbered once per employee.")]

    @api.depends("minutes", "balance_after", "raw_minutes", "uncredited_minutes",
                 "shortfall_minutes")
    def _compute_hours(self):
        for entry in self:
            entry.hours = entry.minutes / 60.0
            entry.balance_after_hours = entry.balance_after / 60.0
            entry.raw_hours = (entry.raw_minutes or 0) / 60.0
            entry.uncredited_hours = (entry.uncredited_minutes or 0) / 60.0
            entry.shortfall_hours = (entry.shortfall_minutes or 0) / 60.0

    @api.depends("type", "ref", "lot", "date", "reason")
    def _compute_description(self):
        # sudo: only the leave's dates are read, to name the entry it caused.
        Leave = self.env["hr.leave"].sudo()
        for entry in self:
            entry.description = entry._describe(Leave)
            entry.reason_text = without_spec_codes(entry.reason)

    def _describe(self, Leave):
        self.ensure_one()
        source = overtime_label(self.ref)
        # Only opening lots have no ref of their own: an expiry or write-off stored before
        # they had one (it stays null, the hash covers it) is one of an opening lot.
        if self.type == "opening" or (self.type in ("expire", "forfeit")
                                      and (not self.ref or is_opening(self.ref))):
            source = self.env._("Opening balance, lot %(lot)s", lot=self.lot)
        leave = leave_id(self.ref) and Leave.browse(leave_id(self.ref)).exists()
        if leave:
            first, last = leave.request_date_from, leave.request_date_to
            days = short_day(first) if not last or last == first \
                else f"{short_day(first)} to {short_day(last)}"
            if self.type == "use_cancel":
                return self.env._("CTO leave of %(days)s given back", days=days)
            return self.env._("CTO leave of %(days)s", days=days)
        if self.type == "opening":
            return source
        if self.type == "expire":
            return self.env._("Expired: %(what)s", what=source or self.lot)
        if self.type == "forfeit":
            return self.env._("Written off at separation: %(what)s",
                              what=source or self.lot)
        return source or dict(self._fields["type"]._description_selection(self.env)).get(
            self.type)

    @api.depends("employee_id", "seq", "type", "ref", "lot", "date")
    def _compute_display_name(self):
        Leave = self.env["hr.leave"].sudo()  # sudo: see _compute_description
        for entry in self:
            entry.display_name = f"{entry.employee_id.name}: {entry._describe(Leave)}"

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(WRITING):
            raise AccessError(self.env._("CTO ledger entries are written by the bank only."))
        return super().create(vals_list)

    def write(self, vals):
        if vals:
            raise AccessError(self.env._("CTO ledger entries can never be changed; "
                                         "corrections are new entries."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("CTO ledger entries can never be deleted."))

    # ------------------------------------------------------------------ integrity
    @api.model
    def _first_broken(self, employees):
        """{employee: seq of the first entry that does not match its hash} (broken only)."""
        bank = self.env["hr.cto.bank"]
        broken = {}
        for employee in employees:
            seq = verify_chain(bank._stored_entries(employee))
            if seq is not None:
                broken[employee] = seq
        return broken

    @api.model
    def action_verify_chain(self, employees=None):
        """Recompute every chain (or the given employees') and name the first broken entry."""
        if employees is None:
            # Every employee with a ledger, limited below to the companies of the user.
            self.env.cr.execute("SELECT DISTINCT employee_id FROM hr_cto_ledger_entry")
            ids = [row[0] for row in self.env.cr.fetchall()]
            employees = self.env["hr.employee"].with_context(active_test=False).search(
                [("id", "in", ids), ("company_id", "in", self.env.companies.ids)])
        broken = self._first_broken(employees)
        if not broken:
            title, kind = self.env._("CTO ledger intact"), "success"
            message = self.env._("The ledgers of %s employees match their hashes.",
                                 len(employees))
        else:
            title, kind = self.env._("CTO ledger TAMPERED"), "danger"
            message = "; ".join(self.env._(
                "%(employee)s: entry #%(seq)s does not match its hash (it, or the entry "
                "before it, was changed in the database)", employee=employee.name, seq=seq)
                for employee, seq in broken.items())
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": title, "message": message, "type": kind,
                           "sticky": bool(broken)}}
