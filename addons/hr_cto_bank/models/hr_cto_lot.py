from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

from zk_rules.cto.reports import DEFAULT_WARNING_DAYS

from .hr_cto_bank import WRITING
from .labels import is_opening, overtime_label


class HrCtoLot(models.Model):
    """A credit with its own validity (C7). Only ``remaining`` ever changes, and only through
    the bank (hr.cto.bank); the ledger entries explain every change."""

    _name = "hr.cto.lot"
    _description = "CTO Lot"
    _order = "employee_id, valid_until, earned_date, id"
    _rec_name = "lot"

    employee_id = fields.Many2one("hr.employee", required=True, readonly=True, index=True,
                                  ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    lot = fields.Char(required=True, readonly=True)
    ref = fields.Char("Source key", readonly=True,
                      help="The overtime line (employee, work date, kind, version) credited, "
                           "or 'opening' for a balance migrated from a previous system.")
    source = fields.Char(compute="_compute_source", help="What earned the lot.")
    earned_date = fields.Date(required=True, readonly=True)
    valid_until = fields.Date(readonly=True, index=True)
    expires_on = fields.Date(compute="_compute_expires_on", store=True, index=True,
                             help="The day the lot expires: the day after valid until.")
    credited = fields.Integer("Credited (min)", required=True, readonly=True)
    remaining = fields.Integer("Remaining (min)", required=True, readonly=True,
                               aggregator="sum")
    credited_hours = fields.Float("Credited", compute="_compute_hours", store=True,
                                  aggregator="sum")
    remaining_hours = fields.Float("Remaining", compute="_compute_hours", store=True,
                                   aggregator="sum")
    days_left = fields.Integer(compute="_compute_days_left")
    expiry_warning = fields.Boolean(
        "Expires within 60 days", compute="_compute_days_left",
        search="_search_expiry_warning",
        help="Time left and an expiry day within the next 60 days.")
    entry_ids = fields.One2many("hr.cto.ledger.entry", "lot_id", string="Ledger",
                                readonly=True)

    _sql_constraints = [("employee_lot_unique", "UNIQUE(employee_id, lot)",
                         "A lot id is used once per employee.")]

    @api.depends("valid_until")
    def _compute_expires_on(self):
        for lot in self:
            lot.expires_on = lot.valid_until and lot.valid_until + timedelta(days=1)

    @api.depends("credited", "remaining")
    def _compute_hours(self):
        for lot in self:
            lot.credited_hours = lot.credited / 60.0
            lot.remaining_hours = lot.remaining / 60.0

    @api.depends("ref", "lot")
    def _compute_source(self):
        for lot in self:
            # No ref at all: an opening lot stored before they had their own.
            opening = not lot.ref or is_opening(lot.ref)
            lot.source = overtime_label(lot.ref) or (
                self.env._("Opening balance") if opening else lot.ref)

    @api.depends("employee_id", "lot", "ref")
    def _compute_display_name(self):
        for lot in self:
            lot.display_name = f"{lot.employee_id.name}: {lot.source}"

    @api.depends("expires_on", "remaining")
    def _compute_days_left(self):
        for lot in self:
            today = lot.company_id._cto_today() if lot.company_id else fields.Date.today()
            days = (lot.expires_on - today).days if lot.expires_on else 0
            lot.days_left = days
            lot.expiry_warning = bool(lot.remaining > 0 and lot.expires_on
                                      and 0 < days <= DEFAULT_WARNING_DAYS)

    def _search_expiry_warning(self, operator, value):
        """zk_rules.cto.reports.expiry_warnings as a domain: remaining > 0 and
        today < expires_on <= today + 60 (today in the user's company zone)."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Unsupported search on expiry warning."))
        today = self.env.company._cto_today()
        domain = ["&", "&", ("remaining", ">", 0), ("expires_on", ">", today),
                  ("expires_on", "<=", today + timedelta(days=DEFAULT_WARNING_DAYS))]
        positive = (operator == "=") == value
        return domain if positive else ["!", *domain]

    # ------------------------------------------------------------------ balance
    @api.model
    def _cto_usable(self, employees, day):
        """{employee id: (minutes, first valid until, minutes valid until then)}: the bank's
        remaining minutes usable on ``day`` (lots earned by then and still valid), for the
        ``employees`` in the bank whose lots the user may read.

        Read with the caller's rights: an employee gets their own bank only (record rules),
        never a colleague's. In the bank: switched on for the bank, or time left in it.
        """
        lots = self.search([("employee_id", "in", employees.ids), ("remaining", ">", 0),
                            ("earned_date", "<=", day), "|", ("valid_until", "=", False),
                            ("valid_until", ">=", day)], order="valid_until, earned_date, id")
        result = {employee.id: (0, False, 0) for employee in self._cto_members(employees)}
        for lot in lots:
            total, first, first_minutes = result.get(lot.employee_id.id, (0, False, 0))
            if not first or lot.valid_until == first:
                first, first_minutes = lot.valid_until, first_minutes + lot.remaining
            result[lot.employee_id.id] = (total + lot.remaining, first, first_minutes)
        return result

    @api.model
    def _cto_members(self, employees):
        """The ``employees`` switched on for the bank, as far as the user may know it."""
        if self.env.user.has_group("hr.group_hr_user"):
            return employees.filtered("cto_enabled")
        own = employees.filtered(lambda employee: employee.id in self.env.user.employee_ids.ids)
        # sudo: the switch is an HR field; an employee only learns it of themselves.
        return own.sudo().filtered("cto_enabled")

    # ------------------------------------------------------------------ protection
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get(WRITING):
            raise AccessError(self.env._("CTO lots are created by the bank only."))
        return super().create(vals_list)

    def write(self, vals):
        if not (self.env.context.get(WRITING) and set(vals) <= {"remaining"}):
            raise AccessError(self.env._("CTO lots change only through ledger entries."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise AccessError(self.env._("CTO lots can never be deleted."))

    def _to_rules(self):
        """The G2 ``lots[]`` dicts (zk_rules.cto reports)."""
        return [{"lot": lot.lot, "ref": lot.ref or None, "earned_date": lot.earned_date,
                 "valid_until": lot.valid_until or None, "credited": lot.credited,
                 "remaining": lot.remaining} for lot in self]

    # ------------------------------------------------------------------ scheduled
    @api.model
    def _cron_expire(self, limit=200):
        """C8 daily: expire the lots due by 'today' in each company's zone, a bounded page of
        employees per run (the cron runs again at once while some remain)."""
        # sudo: the expiry is the system's; it reads every company's lots.
        lots = self.sudo()
        horizon = fields.Date.today() + timedelta(days=1)  # zones ahead of UTC
        groups = lots._read_group([("remaining", ">", 0), ("expires_on", "<=", horizon)],
                                  ["employee_id", "company_id"], ["expires_on:min"])
        due = [employee for employee, company, first in groups
               if first <= company._cto_today()]
        for employee in due[:limit]:
            self.env["hr.cto.bank"]._expire(employee)
        remaining = max(len(due) - limit, 0)
        self.env["ir.cron"]._notify_progress(done=min(len(due), limit), remaining=remaining)
        return remaining
