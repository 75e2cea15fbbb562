import json
from datetime import date

from odoo import fields, models

from zk_rules.payroll import BatchChunk, BlockingDay


class PayrollExportBatchPart(models.Model):
    """One chunk of employees of a batch being issued by the scheduled job: its rendered rows,
    its share of the inputs hash, its blocking days and the daily records it read (locked,
    a part per run, before the file is written). Each step is committed on its own, so a run
    killed or timed out goes on after the last step it committed; the parts are assembled
    into the file and dropped when the batch is issued."""

    _name = "payroll.export.batch.part"
    _description = "Payroll Export Batch Part (work in progress)"
    _order = "batch_id, sequence"

    batch_id = fields.Many2one("payroll.export.batch", required=True, index=True,
                               ondelete="cascade")
    sequence = fields.Integer(required=True)
    # The big columns are read only when asked for, for the records asked for: a run that
    # reads a part's small fields (create_date, days_locked) would otherwise load every
    # part's rows, the whole file, and an issue's memory would grow with the company.
    lines = fields.Text(prefetch=False,
                        help="The chunk's rows as written in the file (UTF-8 text).")
    inputs = fields.Text(prefetch=False,
                         help="The chunk's inputs as canonical JSON (inputs hash).")
    row_count = fields.Integer()
    first_code = fields.Char()
    last_code = fields.Char()
    employee_count = fields.Integer()
    blocked_json = fields.Text(prefetch=False, help="The chunk's days that block the export.")
    record_ids_json = fields.Text(
        prefetch=False, help="The daily records the chunk read (locked on issue).")
    days_locked = fields.Boolean(help="The chunk's daily records are locked.")

    _sql_constraints = [("batch_sequence_unique", "UNIQUE(batch_id, sequence)",
                         "A chunk of a batch is written once.")]

    def _one_at_a_time(self):
        """These parts, each read alone and dropped from the cache once the caller is done
        with it: a part holds a chunk's rows, so all of them at once would be the whole
        file."""
        for part_id in self.ids:
            part = self.browse(part_id)
            yield part
            part.invalidate_recordset()

    def _chunk(self):
        self.ensure_one()
        return BatchChunk(lines=(self.lines or "").encode("utf-8"), inputs=self.inputs or "",
                          row_count=self.row_count, first_code=self.first_code or None,
                          last_code=self.last_code or None)

    def _blocked(self):
        return [BlockingDay(employee_code=day["employee_code"],
                            employee_name=day["employee_name"], company=day["company"],
                            work_date=date.fromisoformat(day["work_date"]),
                            codes=tuple(day["codes"]), reasons=tuple(day["reasons"]))
                for part in self for day in json.loads(part.blocked_json or "[]")]

    def _record_ids(self):
        return [i for part in self for i in json.loads(part.record_ids_json or "[]")]

    @staticmethod
    def _values(chunk, blocked, record_ids, employee_count):
        """The stored fields of a rendered chunk."""
        return {
            "lines": chunk.lines.decode("utf-8"), "inputs": chunk.inputs,
            "row_count": chunk.row_count, "first_code": chunk.first_code or False,
            "last_code": chunk.last_code or False, "employee_count": employee_count,
            "blocked_json": json.dumps([{
                "employee_code": day.employee_code, "employee_name": day.employee_name,
                "company": day.company, "work_date": day.work_date.isoformat(),
                "codes": list(day.codes), "reasons": list(day.reasons)} for day in blocked]),
            "record_ids_json": json.dumps(record_ids),
        }
