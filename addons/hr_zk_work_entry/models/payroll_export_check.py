import json

from odoo import fields, models


class PayrollExportCheck(models.Model):
    """The work-entry check of a big company in the background: per chunk of the file's
    employees, their work entries against today's data (gathered in result_json); at the
    end, those taking work entries who have no day in the file."""

    _inherit = "payroll.export.check"

    kind = fields.Selection(selection_add=[("work_entries", "Work entries")],
                            ondelete={"work_entries": "cascade"})

    def _compare(self, employees, uses):
        if self.kind != "work_entries":
            return super()._compare(employees, uses)
        batch = self.batch_id
        compared, found = batch._zk_work_entry_chunk(
            batch._zk_work_entry_employees(among=employees), uses)
        gathered = self._gathered()
        self.result_json = json.dumps({
            "compared": gathered.get("compared", []) + compared,
            "differences": gathered.get("differences", []) + found})
        return None

    def _result(self):
        if self.kind != "work_entries":
            return super()._result()
        batch = self.batch_id
        gathered = self._gathered()
        differences = [tuple(d) for d in gathered.get("differences", [])]
        everyone = batch._zk_work_entry_employees()
        if not everyone:
            return True, batch._zk_work_entry_nothing_text()
        left = set(everyone.ids) - set(gathered.get("compared", []))
        uses = batch._cto_uses()
        for chunk in batch._zk_work_entry_leftovers(left):
            differences.extend(batch._zk_work_entry_chunk(chunk, uses)[1])
        return batch._zk_work_entry_message(
            (batch._zk_work_entry_named(differences), len(everyone)))
