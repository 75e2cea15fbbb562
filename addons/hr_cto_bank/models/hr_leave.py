from datetime import timedelta

from odoo import api, models
from odoo.exceptions import ValidationError

from .labels import without_spec_codes


class HrLeave(models.Model):
    """CTO leave (C9, C10): approval debits the bank FIFO by expiry or is refused with the
    bank's message; refusing or cancelling an approved one gives the minutes back.

    Mapping of a leave to a C9 request: ``dates`` are the days of the leave on which the
    employee's working schedule has working time (Odoo's own per-day work time, public
    holidays and other leaves excluded, as Odoo computes the leave's duration); the minutes of
    each of those days are the schedule's hours covered by the leave, rounded to the minute.
    C9 takes one ``minutes_per_day`` per request: when the days differ, the request is refused
    as an invalid block. A 4-hour leave (hour unit or a half day of an 8-hour day) is one date
    at 240 minutes; three full 8-hour days are three dates at 480.
    """

    _inherit = "hr.leave"

    def _cto_ref(self):
        self.ensure_one()
        return f"leave:{self.id}"

    def _cto_request(self):
        """(dates, minutes_per_day) of this leave (see the class docstring)."""
        self.ensure_one()
        # The leave's minutes per date as the daily records and the payroll export count
        # them (one rule, zk_rules.leave_time).
        per_day = self.env["zk.daily.record"].leave_minutes_per_date(self)
        if not per_day:  # no schedule: every day of the request, the leave's hours spread
            first, last = self.request_date_from, self.request_date_to or self.request_date_from
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
            total = round((self.number_of_hours or 0) * 60)
            share, rest = divmod(total, len(days))
            per_day = dict.fromkeys(days, 0 if rest else share)
        values = set(per_day.values())
        minutes_per_day = values.pop() if len(values) == 1 else 0  # uneven: invalid block
        return sorted(per_day), minutes_per_day

    def _cto_debit(self):
        """C9: check_request, then apply the approved cto_request; ValidationError on refusal."""
        bank = self.env["hr.cto.bank"]
        for leave in self:
            dates, minutes_per_day = leave._cto_request()
            employee = leave.employee_id
            # sudo: the bank is written by the system; Odoo checked the approver's rights.
            rejection = bank.sudo()._check(employee.sudo(), dates, minutes_per_day)
            outcome = None
            if rejection is None:
                outcome = bank.sudo()._apply(employee.sudo(), {
                    "type": "cto_request", "ref": leave._cto_ref(),
                    "dates": [day.isoformat() for day in dates],
                    "minutes_per_day": minutes_per_day, "state": "approved",
                }, reason=self.env._("CTO leave approved"))
                rejection = outcome.rejection
            if rejection is not None:
                raise ValidationError(self.env._(
                    "%(leave)s cannot be approved: %(message)s",
                    leave=leave.display_name,
                    message=without_spec_codes(rejection.message)))

    def _cto_give_back(self):
        """C10: the approved leave is refused or cancelled; its minutes go back to their lots."""
        bank = self.env["hr.cto.bank"]
        for leave in self:
            employee = leave.employee_id.sudo()
            # sudo: see _cto_debit.
            bank.sudo()._apply(employee, {
                "type": "cto_cancelled", "ref": leave._cto_ref(),
                "date": employee.company_id._cto_today().isoformat(),
            }, reason=self.env._("CTO leave cancelled or refused"))

    def _cto_leaves(self):
        return self.filtered(lambda leave: leave.holiday_status_id.cto_bank
                             and leave.employee_id)

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        # Created already approved (imported): no state change passes through write().
        created_valid = self.browse([leave.id for leave, vals in zip(leaves, vals_list,
                                                                     strict=True)
                                     if vals.get("state") == "validate"])
        created_valid._cto_leaves()._cto_debit()
        return leaves

    def write(self, vals):
        if "state" not in vals:
            return super().write(vals)
        before = {leave.id: leave.state for leave in self._cto_leaves()}
        result = super().write(vals)
        cto = self._cto_leaves().filtered(lambda leave: leave.id in before)
        if vals["state"] == "validate":
            cto.filtered(lambda leave: before[leave.id] != "validate")._cto_debit()
        else:
            cto.filtered(lambda leave: before[leave.id] == "validate")._cto_give_back()
        return result
