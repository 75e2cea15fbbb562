from odoo import api, models

from .hr_contract import ZK_SOURCE


class ZkDailyRecord(models.Model):
    """A day that is created or changes replaces its work entries; a day exported to payroll
    has its work entries validated (Odoo's lock), as the export locks the day."""

    _inherit = "zk.daily.record"

    @api.model
    def _compute_range(self, employees, date_from, date_to, reason=None, force_locked=False):
        # sudo: reading which contracts take their entries from the days is not the caller's
        # business; the days themselves are computed with the caller's rights by super().
        if not self.env["hr.contract"].sudo().search_count(
                [("employee_id", "in", employees.ids), ("work_entry_source", "=", ZK_SOURCE),
                 ("state", "in", ("open", "close"))], limit=1):
            return super()._compute_range(employees, date_from, date_to, reason=reason,
                                          force_locked=force_locked)
        domain = [("employee_id", "in", employees.ids), ("work_date", ">=", date_from),
                  ("work_date", "<=", date_to)]
        before = {row["id"]: row["version"] for row in self.search_read(domain, ["version"])}
        created = super()._compute_range(employees, date_from, date_to, reason=reason,
                                         force_locked=force_locked)
        touched = self.search(domain).filtered(
            lambda record: before.get(record.id) != record.version)
        if touched:
            self.env["hr.work.entry"]._zk_regenerate(touched, correction=force_locked)
        return created

    def write(self, vals):
        result = super().write(vals)
        if vals.get("locked"):
            # sudo: exported days lock their entries whatever the exporting user may edit.
            self.env["hr.work.entry"].sudo().search(
                [("zk_record_id", "in", self.ids)])._zk_lock()
        return result

    def _zk_regenerate_work_entries(self):
        """Make the work entries of these days again (e.g. their leave changed)."""
        return self.env["hr.work.entry"]._zk_regenerate(self)
