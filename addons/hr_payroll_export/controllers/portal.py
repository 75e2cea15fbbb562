"""My attendance (hr_zk_attendance) lists the pay periods already issued, with the employee's
own figures for each: never the file, which stays behind the logged download route."""

from odoo.http import request

from odoo.addons.hr_zk_attendance.controllers.portal import ZkAttendancePortal

from ..models.payroll_export_batch import period_label

PERIODS_SHOWN = 6


class PayrollPortal(ZkAttendancePortal):
    def _zk_extra_sections(self, employee):
        values = super()._zk_extra_sections(employee)
        # sudo: employees do not read payroll batches (their blocking reasons and hashes
        # name other people); only the issued periods of the employee's own company are
        # taken, and only their dates are shown.
        batches = request.env["payroll.export.batch"].sudo().search([
            ("company_id", "=", employee.sudo().company_id.id), ("state", "=", "issued"),
            ("supersedes_id", "=", False)], order="period_start desc", limit=PERIODS_SHOWN)
        periods = []
        Record = request.env["zk.daily.record"]  # the user's rights: own days only
        for batch in batches:
            records = Record.search([("employee_id", "=", employee.id),
                                     ("work_date", ">=", batch.period_start),
                                     ("work_date", "<=", batch.period_end)])
            corrected = bool(batch.superseded_by_ids.filtered(
                lambda b: b.state == "issued"))
            periods.append({
                "label": period_label(batch.period_start, batch.period_end),
                "issued_at": batch.issued_at, "corrected": corrected,
                "days": len(records.filtered(lambda r: r.worked_minutes)),
                "worked": sum(records.mapped("worked_minutes")),
                "late": sum(records.mapped("late_in_minutes")),
                "undertime": sum(records.mapped("undertime_minutes")),
                "overtime": sum(records.line_ids.filtered(
                    lambda line: line.status == "approved").mapped("approved_minutes")),
            })
        values["payroll_periods"] = periods
        return values
