from datetime import timedelta

from odoo import api, models

from zk_rules.cto import certificate_of_coc_earned


def hours(minutes):
    """Minutes as h:mm (the certificate shows hours, the bank counts minutes)."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(int(minutes or 0)), 60)
    return f"{sign}{whole}:{rest:02d}"


class ReportCocCertificate(models.AbstractModel):
    """C14 Certificate of COC Earned: the figures are zk_rules.cto.reports'; this only
    renders them."""

    _name = "report.hr_cto_bank.report_coc_certificate"
    _description = "Certificate of COC Earned"

    @api.model
    def _get_report_values(self, docids, data=None):
        employees = self.env["hr.employee"].browse(docids)
        employees.check_access("read")
        month = (data or {}).get("month")
        if not month:
            last = self.env.company._cto_today().replace(day=1) - timedelta(days=1)
            month = f"{last.year:04d}-{last.month:02d}"
        bank = self.env["hr.cto.bank"]
        certificates = {}
        for employee in employees:
            lots, entries = bank._stored(employee)
            certificates[employee.id] = certificate_of_coc_earned(lots, entries, month)
        return {"doc_ids": employees.ids, "doc_model": "hr.employee", "docs": employees,
                "month": month, "certificates": certificates, "hours": hours}
