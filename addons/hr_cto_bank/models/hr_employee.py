from odoo import api, fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    cto_enabled = fields.Boolean(
        "CTO bank", default=False, groups="hr.group_hr_user", tracking=True,
        help="Approved overtime of this employee is credited to the compensatory time-off "
             "bank.")
    cto_enabled_since = fields.Date(
        "In the CTO bank since", groups="hr.group_hr_user", tracking=True, copy=False,
        help="The day the CTO bank was ticked. Overtime worked before it is credited only as "
             "far back as the company's setting allows.")
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("cto_enabled") and not vals.get("cto_enabled_since"):
                company = self.env["res.company"].browse(vals.get("company_id")) \
                    if vals.get("company_id") else self.env.company
                vals["cto_enabled_since"] = company._cto_today()
        return super().create(vals_list)

    def write(self, vals):
        joining = self.browse()
        if "cto_enabled" in vals:
            if vals["cto_enabled"]:
                joining = self.filtered(lambda employee: not employee.cto_enabled)
            else:
                vals = {**vals, "cto_enabled_since": False}
        result = super().write(vals)
        if joining:
            joining._cto_join(dated=bool(vals.get("cto_enabled_since")))
        leaving = (vals.get("active") is False) or bool(vals.get("departure_date"))
        if leaving:
            self._cto_separate()
        return result

    def _cto_join(self, dated=False):
        """The employees just joined the bank: record the day (the company's today, unless
        given) and credit the approved overtime already on the books from the first work date
        the company's setting allows, once (the same key as any credit)."""
        if not dated:
            for company, employees in self.grouped("company_id").items():
                employees.write({"cto_enabled_since": company._cto_today()})
        # sudo: the credit follows from HR ticking the bank, not from rights on the lines.
        Line = self.env["zk.overtime.line"].sudo()
        for employee in self.sudo():
            first = employee.company_id._cto_first_creditable_date(employee.cto_enabled_since)
            domain = [("employee_id", "=", employee.id), ("status", "=", "approved"),
                      ("approved_minutes", ">", 0)]
            if first:
                domain.append(("work_date", ">=", first))
            Line.search(domain, order="work_date, id")._cto_sync(
                reason=self.env._("Approved overtime, credited on joining the CTO bank"))

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
