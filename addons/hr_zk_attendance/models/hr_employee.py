from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    zk_user_ids = fields.One2many("zk.device.user", "employee_id", string="Terminal PINs",
                                  groups="hr_attendance.group_hr_attendance_officer")

    def write(self, vals):
        result = super().write(vals)
        if vals.get("active") is False or vals.get("departure_date"):
            # Archived, or departed (a departure date in the future waits for its day or the
            # archiving): their terminal users are removed and closed, kept for history.
            today = fields.Date.context_today(self)
            self.env["zk.device.user"]._close_for_employees(self.filtered(
                lambda e: not e.active or (e.departure_date and e.departure_date <= today)))
        return result
