from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, format_date

from zk_rules.cto.membership import BEFORE_JOINING, NOT_IN_BANK, not_credited_reason

from .hr_cto_bank import WRITING
from .labels import hours_text

# Set while hr_zk_attendance stores a new day version: the lines are credited once the new
# version number is in place (see zk_daily_record.py), not while they are being recreated.
DEFER = "hr_cto_defer_credit"
CTO_STATES = [("credited", "Credited"), ("not_credited", "Not credited")]
# "3 Dec 2026" in the user's language
DAY_FORMAT = "d MMM y"


class ZkOvertimeLine(models.Model):
    """Approved overtime lines credit the CTO bank (C1); revoked or refused ones reverse the
    credit (C10). The bank arithmetic is zk_rules.cto's."""

    _inherit = "zk.overtime.line"

    # What became of an approved line in the bank, in words (empty until approved).
    cto_state = fields.Selection(
        CTO_STATES, "CTO bank", compute="_compute_cto_state", search="_search_cto_state",
        help="Whether the approved overtime was credited to the compensatory time-off bank.")
    cto_note = fields.Char("CTO credit", compute="_compute_cto_state")

    @api.depends("status", "approved_minutes", "employee_id", "work_date", "kind")
    @api.depends_context("lang")
    def _compute_cto_state(self):
        # sudo: whoever sees the line (its manager, attendance staff) may see what became of
        # it in the bank; the bank's own records and the employee's bank fields are HR's.
        active = self.env["hr.cto.credit"].sudo().search([
            ("employee_id", "in", self.employee_id.ids), ("state", "=", "active"),
            ("work_date", "in", list(set(self.filtered("work_date").mapped("work_date"))))])
        by_key = {(credit.employee_id.id, credit.work_date, credit.kind): credit
                  for credit in active}
        # The cap entries the bank wrote for these credits (minutes it did not credit).
        cuts = {}
        for entry in self.env["hr.cto.ledger.entry"].sudo().search([
                ("employee_id", "in", active.employee_id.ids), ("ref", "in", active.mapped("ref")),
                ("type", "in", ("cap_monthly", "cap_balance"))]):
            cuts.setdefault((entry.employee_id.id, entry.ref), []).append(entry)
        for line in self:
            line.cto_state, line.cto_note = False, False
            if line.status != "approved" or not line.approved_minutes or not line.work_date:
                continue
            credit = by_key.get((line.employee_id.id, line.work_date, line.kind))
            cut = cuts.get((credit.employee_id.id, credit.ref), []) if credit else []
            if credit and credit.credited_minutes:
                line.cto_state = "credited"
                line.cto_note = line._cto_credited_note(credit, cut)
            else:
                line.cto_state = "not_credited"
                line.cto_note = line._cto_not_credited_note(credit, cut)

    def _cto_credited_note(self, credit, cuts):
        credited = hours_text(credit.credited_minutes)
        cut = sum(entry.uncredited_minutes for entry in cuts)
        if cut:
            return self.env._("Credited %(hours)s; %(cut)s over the cap was not credited.",
                              hours=credited, cut=hours_text(cut))
        return self.env._("Credited %(hours)s.", hours=credited)

    def _cto_not_credited_note(self, credit=None, cuts=()):
        """Why this approved line earned nothing, in plain words."""
        employee = self.sudo().employee_id
        name = employee.name
        if credit:  # sent to the bank, all of it cut by a cap
            if any(entry.type == "cap_monthly" for entry in cuts):
                return self.env._(
                    "Not credited: the monthly CTO cap for %(month)s was already reached.",
                    month=format_date(self.env, self.work_date, date_format="MMMM y"))
            return self.env._("Not credited: %(employee)s's CTO balance was already at its "
                              "cap.", employee=name)
        reason = self._cto_not_credited_code()
        if reason == NOT_IN_BANK:
            return self.env._("Not credited: %(employee)s is not in the CTO bank.",
                              employee=name)
        if reason == BEFORE_JOINING:
            joined = format_date(self.env, employee.cto_enabled_since, date_format=DAY_FORMAT)
            first = employee.company_id._cto_first_creditable_date(employee.cto_enabled_since)
            if first == employee.cto_enabled_since:
                return self.env._("Not credited: %(employee)s joined the CTO bank on "
                                  "%(date)s, after this overtime.", employee=name, date=joined)
            return self.env._(
                "Not credited: %(employee)s joined the CTO bank on %(date)s; overtime is "
                "credited back to %(first)s only.", employee=name, date=joined,
                first=format_date(self.env, first, date_format=DAY_FORMAT))
        policy = employee.company_id._cto_policy()
        if not policy.credit_raw(self.kind, self.approved_minutes):
            return self.env._("Not credited: the company's CTO rate for this kind of day "
                              "earns nothing.")
        return self.env._("Not credited: it was approved before %(employee)s joined the CTO "
                          "bank.", employee=name)

    def _cto_not_credited_code(self):
        """zk_rules' reason why the bank takes none of this line (None: it may credit)."""
        self.ensure_one()
        # sudo: the employee's bank fields are HR's; the decision follows from them.
        employee = self.sudo().employee_id
        return not_credited_reason(
            self.work_date, member=employee.cto_enabled, opt_in=employee.cto_enabled_since,
            mode=employee.company_id.cto_backdate,
            period_start=employee.company_id._cto_period_start(employee.cto_enabled_since)
            if employee.cto_enabled_since else None)

    def _search_cto_state(self, operator, value):
        if operator not in ("=", "!=") or value not in ("credited", "not_credited", False):
            return NotImplemented
        self.env["hr.cto.credit"].flush_model()
        self.flush_model(["employee_id", "work_date", "kind"])
        credited = SQL(
            "(SELECT line.id FROM zk_overtime_line line JOIN hr_cto_credit credit "
            "ON credit.employee_id = line.employee_id AND credit.work_date = line.work_date "
            "AND credit.kind = line.kind AND credit.state = 'active' "
            "AND credit.credited_minutes > 0)")
        approved = [("status", "=", "approved"), ("approved_minutes", ">", 0)]
        if value == "credited":
            domain = [("id", "in", credited)]
        elif value == "not_credited":
            domain = approved + [("id", "not in", credited)]
        else:
            domain = ["!", "&", *approved]
        if operator == "!=":
            domain = ["!", *expression.normalize_domain(domain)]
        return domain

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if not self.env.context.get(DEFER):
            lines._cto_sync()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if {"status", "approved_minutes"} & set(vals) and not self.env.context.get(DEFER):
            self._cto_sync()
        return result

    def _cto_ref(self):
        """The C1 idempotency key: employee, work date, kind and line version."""
        self.ensure_one()
        return (f"ot:{self.employee_id.id}:{self.work_date}:{self.kind}:"
                f"v{self.record_id.version}")

    def _cto_sync(self, reason=None):
        """Bring the bank in line with these lines' decisions.

        sudo: crediting is the system's consequence of a decision the user was allowed to make
        (hr_zk_attendance checked it); it must not depend on the approver's rights on the bank.
        """
        for line in self.sudo():
            line._cto_sync_one(reason)
        self.invalidate_recordset(["cto_state", "cto_note"])

    def _cto_sync_one(self, reason=None):
        employee = self.employee_id
        if not employee or not self.work_date:
            return
        Credit = self.env["hr.cto.credit"]
        active = Credit.search([("employee_id", "=", employee.id),
                                ("work_date", "=", self.work_date), ("kind", "=", self.kind),
                                ("state", "=", "active")], limit=1)
        approved = self.status == "approved" and self.approved_minutes > 0
        if active and (not approved or active.approved_minutes != self.approved_minutes):
            status = dict(self._fields["status"]._description_selection(self.env)).get(
                self.status, self.status)
            active._cto_revoke(self.env._("Overtime decision changed: %(status)s, %(hours)s h",
                                          status=status,
                                          hours=hours_text(self.approved_minutes)))
            active = Credit
        if not approved or active or self._cto_not_credited_code():
            return
        base = self._cto_ref()
        ref, attempt = base, 1
        while Credit.search_count([("ref", "=", ref)]):  # re-approved after a reversal
            attempt += 1
            ref = f"{base}.{attempt}"
        outcome = self.env["hr.cto.bank"]._apply(employee, {
            "type": "overtime", "ref": ref, "work_date": self.work_date.isoformat(),
            "kind": self.kind, "approved_minutes": self.approved_minutes,
            "status": "approved",
        }, reason=reason or self.decision_reason or self.env._("Approved overtime"))
        mine = [entry for entry in outcome.entries if entry.ref == ref
                and entry.type in ("earn", "cap_monthly", "cap_balance")]
        if not mine:
            return  # nothing to credit (0 after the rate): C1 records nothing
        earn = next((entry for entry in mine if entry.type == "earn"), None)
        lot = self.env["hr.cto.lot"]
        if earn:
            lot = lot.search([("employee_id", "=", employee.id), ("lot", "=", earn.lot)])
        Credit.with_context(**{WRITING: True}).create({
            "employee_id": employee.id, "company_id": employee.company_id.id,
            "work_date": self.work_date, "kind": self.kind, "version": self.record_id.version,
            "ref": ref, "approved_minutes": self.approved_minutes,
            "credited_minutes": earn.minutes if earn else 0, "lot_id": lot.id,
        })
