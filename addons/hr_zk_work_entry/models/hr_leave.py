from datetime import timedelta
from zoneinfo import ZoneInfo

from odoo import models

from .hr_contract import ZK_SOURCE


class HrLeave(models.Model):
    """Time off of people whose work entries come from the daily records: the days it
    touches are computed again (their leave minutes change) and their entries made again,
    instead of Odoo's generic "leave entry over calendar entries" path."""

    _inherit = "hr.leave"

    def _zk_split(self):
        """(leaves of employees with a daily-records contract, the others)."""
        ours = self.filtered(lambda leave: leave.employee_id and any(
            contract.work_entry_source == ZK_SOURCE
            for contract in leave.employee_id.sudo()._get_contracts(
                leave.date_from.date(), leave.date_to.date(), states=["open", "close"])))
        return ours, self - ours

    def _zk_refresh_days(self):
        Record = self.env["zk.daily.record"]
        for leave in self:
            employee = leave.employee_id
            zone = ZoneInfo(employee._get_tz() or "UTC")
            first = leave.date_from.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
            last = leave.date_to.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
            # sudo: the days are computed by the system; the leave's approver acted on it.
            Record.sudo()._compute_range(employee, first - timedelta(days=1), last)
            Record.sudo().search([("employee_id", "=", employee.id),
                                  ("work_date", ">=", first),
                                  ("work_date", "<=", last)])._zk_regenerate_work_entries()

    def _cancel_work_entry_conflict(self):
        ours, others = self._zk_split()
        ours._zk_refresh_days()
        return super(HrLeave, others)._cancel_work_entry_conflict()

    def _regen_work_entries(self):
        ours, others = self._zk_split()
        ours._zk_refresh_days()
        return super(HrLeave, others)._regen_work_entries()
