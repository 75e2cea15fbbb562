import base64
import csv
import io
from collections import defaultdict
from datetime import date

from odoo import fields, models
from odoo.exceptions import UserError


class HrCtoOpeningImport(models.TransientModel):
    """C13: balances migrated from a previous system, as opening lots with their real earned
    date. One line per lot: ``employee, lot id, earned date (YYYY-MM-DD), minutes``; the
    employee is matched on badge id, then identification number, then exact name."""

    _name = "hr.cto.opening.import"
    _description = "Import CTO Opening Balances"

    file = fields.Binary("CSV file")
    filename = fields.Char()
    lines = fields.Text(help="Or paste the lines here: employee,lot,earned_date,minutes")
    reason = fields.Char(default="Opening balance")

    def _rows(self):
        self.ensure_one()
        if self.file:
            try:
                text = base64.b64decode(self.file).decode("utf-8-sig")
            except (ValueError, UnicodeDecodeError) as error:
                raise UserError(self.env._("The file is not UTF-8 text: %s", error)) from error
        else:
            text = self.lines or ""
        rows = [(number, [cell.strip() for cell in row])
                for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
                if any(cell.strip() for cell in row)]
        if rows and rows[0][1][:1] and rows[0][1][0].lower() == "employee":
            rows = rows[1:]  # header
        if not rows:
            raise UserError(self.env._("Nothing to import: give a CSV file or lines."))
        return rows

    def _employee(self, key, number):
        # sudo: badge and identification numbers are private fields; the wizard is for
        # attendance / time off managers, limited to their companies.
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        for field in ("barcode", "identification_id", "name"):
            found = Employee.search([(field, "=", key),
                                     ("company_id", "in", self.env.companies.ids)])
            if len(found) == 1:
                return found
            if len(found) > 1:
                raise UserError(self.env._("Line %(line)s: %(key)s matches several employees.",
                                           line=number, key=key))
        raise UserError(self.env._("Line %(line)s: no employee %(key)s.", line=number, key=key))

    def _parse(self):
        by_employee = defaultdict(list)
        for number, row in self._rows():
            if len(row) != 4:
                raise UserError(self.env._(
                    "Line %(line)s: expected employee, lot, earned date, minutes; got "
                    "%(count)s columns.", line=number, count=len(row)))
            key, lot, earned, minutes = row
            try:
                earned_date = date.fromisoformat(earned)
            except ValueError:
                raise UserError(self.env._("Line %(line)s: earned date %(value)r is not "
                                           "YYYY-MM-DD.", line=number, value=earned)) from None
            if not minutes.isdigit():
                raise UserError(self.env._("Line %(line)s: minutes %(value)r must be a whole "
                                           "number.", line=number, value=minutes))
            by_employee[self._employee(key, number)].append(
                {"lot": lot, "earned_date": earned_date, "minutes": int(minutes)})
        return by_employee

    def action_import(self):
        self.ensure_one()
        by_employee = self._parse()
        bank = self.env["hr.cto.bank"]
        count = 0
        for employee, lots in by_employee.items():
            # sudo: opening lots are written by the bank; the wizard is for HR managers.
            outcome = bank.sudo()._add_opening(employee.sudo(), lots, reason=self.reason)
            count += len(outcome.entries)
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": self.env._("Opening balances imported"),
                           "message": self.env._("%(lots)s lots for %(employees)s employees.",
                                                 lots=count, employees=len(by_employee)),
                           "type": "success", "next": {"type": "ir.actions.act_window_close"}}}
