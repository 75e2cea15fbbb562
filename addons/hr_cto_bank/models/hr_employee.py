from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    cto_enabled = fields.Boolean(
        "CTO bank", default=False, groups="hr.group_hr_user", tracking=True,
        help="Approved overtime of this employee is credited to the compensatory time-off "
             "bank.")
    cto_balance_minutes = fields.Integer("CTO balance (min)", compute="_compute_cto_balance",
                                         groups="hr.group_hr_user")
    cto_balance_hours = fields.Float("CTO balance", compute="_compute_cto_balance",
                                     groups="hr.group_hr_user")

    def _compute_cto_balance(self):
        # sudo: the balance is the sum of the employee's lot remainders (C11); the field
        # itself is restricted to HR users.
        groups = self.env["hr.cto.lot"].sudo()._read_group(
            [("employee_id", "in", self.ids)], ["employee_id"], ["remaining:sum"])
        balances = {employee.id: total for employee, total in groups}
        for employee in self:
            minutes = balances.get(employee.id, 0)
            employee.cto_balance_minutes = minutes
            employee.cto_balance_hours = minutes / 60.0

    def action_open_cto_lots(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("hr_cto_bank.hr_cto_lot_action")
        action["domain"] = [("employee_id", "=", self.id)]
        action["context"] = {"search_default_open": 1, "default_employee_id": self.id}
        return action

    def action_verify_cto_ledger(self):
        return self.env["hr.cto.ledger.entry"].action_verify_chain(self)

    def write(self, vals):
        result = super().write(vals)
        leaving = (vals.get("active") is False) or bool(vals.get("departure_date"))
        if leaving:
            self._cto_separate()
        return result

    def _cto_separate(self):
        """C12: on departure or archiving, the remaining lots are written off (forfeit, or a
        payout line for payroll under the ``payout`` policy), dated the departure."""
        # sudo: the write-off is the system's consequence of the departure HR recorded.
        Lot = self.env["hr.cto.lot"].sudo()
        for employee in self.sudo().with_context(active_test=False):
            if not Lot.search_count([("employee_id", "=", employee.id), ("remaining", ">", 0)]):
                continue
            day = employee.departure_date or employee.company_id._cto_today()
            today = max(day, employee.company_id._cto_today())
            self.env["hr.cto.bank"]._apply(employee, {
                "type": "separation", "date": day.isoformat()},
                reason=self.env._("Separation"), today=today)
