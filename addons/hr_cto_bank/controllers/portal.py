"""My attendance (hr_zk_attendance) shows the employee's time-off bank: balance and lots."""

from odoo import fields
from odoo.http import request

from odoo.addons.hr_zk_attendance.controllers.portal import ZkAttendancePortal


class CtoBankPortal(ZkAttendancePortal):
    def _zk_extra_sections(self, employee):
        values = super()._zk_extra_sections(employee)
        today = fields.Date.context_today(request.env.user)
        # The user's rights: their own lots only (record rules, portal included).
        lots = request.env["hr.cto.lot"].search([
            ("employee_id", "=", employee.id), ("remaining", ">", 0),
            "|", ("valid_until", "=", False), ("valid_until", ">=", today)])
        # sudo: showing the lots just found under the user's rights (expiry reads the
        # company's calendar zone, which portal users cannot read).
        values.update(cto_lots=lots.sudo(), cto_balance=sum(lots.mapped("remaining")),
                      cto_member=bool(lots) or employee.sudo().cto_enabled)
        return values
