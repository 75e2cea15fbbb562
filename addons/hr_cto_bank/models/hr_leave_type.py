from datetime import datetime

from odoo import api, fields, models
from odoo.tools import float_round, format_date


def as_day(value):
    """A day from what hr_holidays passes around: a date, a datetime or ISO text (or None)."""
    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


class HrLeaveType(models.Model):
    """Time off types that draw on the CTO bank show the bank's balance where Odoo shows an
    allocation's: the Time Off dashboard card ("x hours available") and the type's name in
    the request form ("x hours remaining"). The figures are read from the bank's lots; these
    types keep no allocation."""

    _inherit = "hr.leave.type"

    cto_bank = fields.Boolean(
        "Draws on the CTO bank",
        help="Approving a time off of this type debits the compensatory time-off bank "
             "(the credits that expire first); it is refused when the bank does not cover it.")

    def _cto_bank_types(self):
        # A type with allocations already has its card and its check: the bank adds neither.
        return self.filtered(lambda leave_type: leave_type.cto_bank
                             and leave_type.requires_allocation == "no")

    def get_allocation_data(self, employees, target_date=None):
        """hr_holidays' per-employee list of (type name, figures, requires allocation, type id),
        plus one item per bank type for each employee in the bank, in the type order."""
        result = super().get_allocation_data(employees, target_date)
        bank_types = self._cto_bank_types()
        if not bank_types or not employees:
            return result
        day = as_day(target_date) or self.env.company._cto_today()
        usable = self.env["hr.cto.lot"]._cto_usable(employees, day)
        order = {leave_type.id: index for index, leave_type in enumerate(self)}
        for employee in employees:
            if employee.id not in usable:
                continue
            for leave_type in bank_types:
                # "yes": the card reads "hours available" (a balance), not "hours taken".
                result[employee].append((leave_type.name,
                                         leave_type._cto_card_data(*usable[employee.id]),
                                         "yes", leave_type.id))
            result[employee].sort(key=lambda item: order.get(item[3], len(order)))
        return result

    def _cto_card_data(self, minutes, first_valid_until, first_minutes):
        """The figures hr_holidays' TimeOffCard reads, in hours, from the bank's balance."""
        self.ensure_one()
        hours = float_round(minutes / 60.0, precision_digits=2)
        return {
            "remaining_leaves": hours, "virtual_remaining_leaves": hours,
            "max_leaves": hours, "accrual_bonus": 0, "leaves_taken": 0,
            "virtual_leaves_taken": 0, "leaves_requested": 0, "leaves_approved": 0,
            "closest_allocation_remaining": float_round(first_minutes / 60.0,
                                                        precision_digits=2),
            "closest_allocation_expire": first_valid_until and format_date(
                self.env, first_valid_until),
            "closest_allocation_duration": False, "holds_changes": False,
            "total_virtual_excess": 0, "virtual_excess_data": {}, "exceeding_duration": 0,
            "request_unit": "hour", "icon": self.sudo().icon_id.url,  # sudo: as hr_holidays
            "allows_negative": False, "max_allowed_negative": 0,
            "cto_bank": True,
        }

    @api.depends_context("employee_id", "default_date_from", "request_type")
    def _compute_display_name(self):
        """'Compensatory Time-Off (CTO) (7.5 hours remaining)' when a request is made for an
        employee in the bank (hr_holidays does the same for types with allocations)."""
        super()._compute_display_name()
        if (not self.requested_display_name()
                or self.env.context.get("request_type", "leave") == "allocation"):
            return
        bank_types = self._cto_bank_types()
        employee = self.env["hr.employee"].browse(self.env.context.get("employee_id"))
        if not bank_types or len(employee) != 1:
            return
        day = as_day(self.env.context.get("default_date_from")) or self.env.company._cto_today()
        usable = self.env["hr.cto.lot"]._cto_usable(employee, day).get(employee.id)
        if usable is None:
            return
        hours = float_round(usable[0] / 60.0, precision_digits=2)
        for leave_type in bank_types:
            leave_type.display_name = self.env._("%(name)s (%(time)g hours remaining)",
                                                 name=leave_type.name, time=hours)

