from odoo import fields, models

from odoo.addons.hr_work_entry_contract.models.hr_work_intervals import WorkIntervals

ZK_SOURCE = "zk_daily"


class HrContract(models.Model):
    """A third work-entry source beside Odoo's "Working Schedule": the daily records that
    hr_zk_attendance computes from the terminals' punches."""

    _inherit = "hr.contract"

    work_entry_source = fields.Selection(
        selection_add=[(ZK_SOURCE, "ZKTeco daily records")],
        ondelete={ZK_SOURCE: "set default"},
    )

    def _get_attendance_intervals(self, start_dt, end_dt):
        """Odoo builds attendance from the calendar for "Working Schedule" contracts only;
        ours have none here (worked time comes from the daily records), so Odoo's generator
        makes only their leave entries."""
        result = super()._get_attendance_intervals(start_dt, end_dt)
        for contract in self:
            if contract.work_entry_source == ZK_SOURCE:
                result.setdefault(contract.employee_id.resource_id.id, WorkIntervals([]))
        return result

    def _get_contract_work_entries_values(self, date_start, date_stop):
        """Odoo's values (leave, public holidays), plus the entries of the daily records for
        contracts that take their work entries from them."""
        vals_list = super()._get_contract_work_entries_values(date_start, date_stop)
        ours = self.filtered(lambda c: c.work_entry_source == ZK_SOURCE)
        if not ours:
            return vals_list
        return self.env["hr.work.entry"]._zk_merge_day_entries(ours, date_start, date_stop,
                                                               vals_list)
