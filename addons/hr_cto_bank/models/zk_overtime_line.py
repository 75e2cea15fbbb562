from odoo import api, models

from .hr_cto_bank import WRITING
from .labels import hours_text

# Set while hr_zk_attendance stores a new day version: the lines are credited once the new
# version number is in place (see zk_daily_record.py), not while they are being recreated.
DEFER = "hr_cto_defer_credit"


class ZkOvertimeLine(models.Model):
    """Approved overtime lines credit the CTO bank (C1); revoked or refused ones reverse the
    credit (C10). The bank arithmetic is zk_rules.cto's."""

    _inherit = "zk.overtime.line"

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

    def _cto_sync(self):
        """Bring the bank in line with these lines' decisions.

        sudo: crediting is the system's consequence of a decision the user was allowed to make
        (hr_zk_attendance checked it); it must not depend on the approver's rights on the bank.
        """
        for line in self.sudo():
            line._cto_sync_one()

    def _cto_sync_one(self):
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
        if not approved or active or not employee.cto_enabled:
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
        }, reason=self.decision_reason or self.env._("Approved overtime"))
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
