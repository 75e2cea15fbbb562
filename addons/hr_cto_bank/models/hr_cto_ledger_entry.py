from odoo import api, fields, models
from odoo.exceptions import AccessError

from zk_rules.cto import verify_chain

from .hr_cto_bank import WRITING

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
    raw_minutes = fields.Integer(readonly=True, help="Earn: approved minutes x rate (C2).")
    uncredited_minutes = fields.Integer("Cut minutes", readonly=True,
                                        help="Cap entries: minutes never credited (C6).")
    shortfall_minutes = fields.Integer(readonly=True,
                                       help="Reverse: credit already used, owed to HR (C10).")
    actor = fields.Char(readonly=True)
    timestamp = fields.Char(readonly=True)
    reason = fields.Char(readonly=True)
    prev_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True)

    _sql_constraints = [("employee_seq_unique", "UNIQUE(employee_id, seq)",
                         "Ledger entries are numbered once per employee.")]

    @api.depends("employee_id", "seq", "type")
    def _compute_display_name(self):
        for entry in self:
            entry.display_name = f"{entry.employee_id.name} #{entry.seq} {entry.type}"

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
