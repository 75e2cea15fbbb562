import calendar
from datetime import date, timedelta

from odoo import api, models
from odoo.exceptions import AccessError

from zk_rules.cto import certificate_of_coc_earned


def hours(minutes):
    """Minutes as h:mm (the certificate shows hours, the bank counts minutes)."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(int(minutes or 0)), 60)
    return f"{sign}{whole}:{rest:02d}"


def month_label(month):
    """'2026-11' as 'November 2026'."""
    year, number = (int(part) for part in month.split("-"))
    return f"{calendar.month_name[number]} {year}"


def day_label(value):
    """An ISO date (text or date) as '28 Nov 2026'; '' for none."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"


class ReportCocCertificate(models.AbstractModel):
    """C14 Certificate of COC Earned: the figures are zk_rules.cto.reports'; this only
    renders them."""

    _name = "report.hr_cto_bank.report_coc_certificate"
    _description = "Certificate of COC Earned"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        # Printed from the wizard, the web client sends the options (``data``) and no ids in
        # the URL: the employees travel in ``data`` then (an empty report otherwise).
        ids = docids or data.get("employee_ids") \
            or (data.get("context") or {}).get("active_ids") or []
        employees = self.env["hr.employee"].browse(ids).exists()
        employees.check_access("read")
        # The ledger is read with SQL below (no record rule): outside HR, one's own only.
        if not self.env.su and not self.env.user.has_group("hr.group_hr_user") \
                and employees - self.env.user._zk_self_employee():
            raise AccessError(self.env._("You can print your own certificate only."))
        month = data.get("month")
        if not month:
            last = self.env.company._cto_today().replace(day=1) - timedelta(days=1)
            month = f"{last.year:04d}-{last.month:02d}"
        bank = self.env["hr.cto.bank"]
        certificates = {}
        for employee in employees:
            lots, entries = bank._stored(employee)
            certificates[employee.id] = certificate_of_coc_earned(lots, entries, month)
        return {"doc_ids": employees.ids, "doc_model": "hr.employee", "docs": employees,
                "month": month, "month_label": month_label(month), "certificates": certificates,
                "hours": hours, "day": day_label}
