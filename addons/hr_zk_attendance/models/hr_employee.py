from odoo import fields, models

from .hr_attendance import lunch_intervals_in_build


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

    def _employee_attendance_intervals(self, start, stop, lunch=False):
        # During an attendance build: one lunch computation per employee (hr_attendance.py).
        intervals = lunch_intervals_in_build(self, start, stop) if lunch else None
        if intervals is None:
            intervals = super()._employee_attendance_intervals(start, stop, lunch=lunch)
        return intervals
