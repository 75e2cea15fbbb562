import hashlib
import json

from odoo import api, fields, models

from zk_rules.payroll import header_line

from .payroll_export_batch import employee_code

# Employees a check compares in one request before it goes to the background: 4 chunks of
# 250, about 10 s at 1,000 employees on a 2-core machine (bench/company_month.py); a
# 10,000-employee check in one request would pass Odoo's 60 s CPU limit for a worker.
CHECK_AT_ONCE_CHUNKS = 4


def chained_digest(digest, employees):
    """The digest of the employees compared so far, with one more chunk of them: equal at
    the end to the chained digest of today's chunks only when nobody joined or left the
    batch behind the check's position while it ran."""
    ids = ",".join(str(i) for i in employees.ids)
    return hashlib.sha256(f"{digest or ''}|{ids}".encode()).hexdigest()


class PayrollExportCheck(models.Model):
    """A person's check of an issued batch, too big for one request, run by the scheduled
    job a chunk of employees per run (each run commits; a killed run goes on after its last
    chunk). Its result goes to the batch's messages, addressed to the person who asked,
    and the check is dropped."""

    _name = "payroll.export.check"
    _description = "Payroll Export Check (in the background)"
    _order = "id"

    batch_id = fields.Many2one("payroll.export.batch", required=True, index=True,
                               ondelete="cascade")
    kind = fields.Selection([("reproducible", "Against today's data")], required=True)
    requested_by = fields.Many2one("res.users", required=True, ondelete="cascade")
    employee_total = fields.Integer(help="Employees to compare, counted when it was asked.")
    employee_done = fields.Integer(help="Employees compared so far.")
    after_code = fields.Char(help="Payroll code of the last employee compared.")
    compared_digest = fields.Char(help="Chained digest of the employees compared so far.")
    offset = fields.Integer(help="Bytes of the issued file found equal so far.")
    differs = fields.Boolean(help="A difference was found: the rest need not be read.")
    result_json = fields.Text(help="What other kinds of check gather chunk by chunk.")

    _sql_constraints = [("batch_kind_unique", "UNIQUE(batch_id, kind)",
                         "A batch has one check of each kind under way.")]

    @api.model
    def _under_way(self, batch, kind=None):
        # sudo: the checks are the job's bookkeeping, readable by no group; the caller holds
        # the batch.
        return self.sudo().search([("batch_id", "=", batch.id)]
                                  + ([("kind", "=", kind)] if kind else []))

    @api.model
    def _in_background(self, batch, kind):
        """The check of this kind of `batch` under way (a new one when the batch has too
        many employees for one request), the job woken; None: check at once."""
        check = self._under_way(batch, kind)
        if not check:
            chunks = batch._employee_chunks(batch._cto_uses())
            if len(chunks) <= CHECK_AT_ONCE_CHUNKS:
                return None
            # sudo: see _under_way.
            check = self.sudo().create({
                "batch_id": batch.id, "kind": kind, "requested_by": self.env.uid,
                "employee_total": sum(len(chunk) for chunk in chunks)})
        self.env.ref("hr_payroll_export.ir_cron_payroll_checks")._trigger()
        return check

    def _started_notification(self):
        """What the person who asked sees: the check went to the background."""
        self.ensure_one()
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "title": self.batch_id.name, "type": "info", "sticky": False,
            "message": self.env._(
                "%(count)s employees are too many to compare at once: the check runs in the "
                "background, a group of employees at a time. Its result will be posted in "
                "this batch's messages, and you will be notified.",
                count=f"{self.employee_total:,}"),
            # The form shown again, with how far the check has come.
            "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    def _step(self):
        """Compare the next chunk of employees; True when the check is finished (its result
        posted and the check dropped)."""
        self.ensure_one()
        batch = self.batch_id
        uses = batch._cto_uses()
        chunks = [] if self.differs else batch._employee_chunks(
            uses, after=self.after_code or None)
        if not self.employee_done:
            self._start()
        if chunks:
            employees = chunks[0]
            self._compare(employees, uses)
            batch.invalidate_recordset()
            self.write({"after_code": max(employee_code(e) for e in employees),
                        "employee_done": self.employee_done + len(employees),
                        "compared_digest": chained_digest(self.compared_digest, employees)})
        if len(chunks) > 1:
            return False
        batch._post_check_result(self._result(), self.requested_by)
        self.unlink()
        return True

    def _start(self):
        """Before the first chunk (again, if the run that began it was killed): the file's
        first line."""
        self.compared_digest = False
        if self.kind == "reproducible":
            self.offset = self._matching(0, header_line(self.batch_id._layout()))

    def _compare(self, employees, uses):
        """One chunk's comparison; the kinds of other addons add theirs."""
        if self.kind != "reproducible":
            return
        for _employees, chunk, _blocked, _records, _bundles in self.batch_id._rendered_chunks(
                [employees], uses):
            if not self.differs:
                self.offset = self._matching(self.offset, chunk.lines)

    def _matching(self, offset, expected):
        """The offset after `expected` when the issued file holds it at `offset`; else the
        check is marked as differing."""
        if self.batch_id._file_slice(offset, len(expected)) != expected:
            self.differs = True
            return offset
        return offset + len(expected)

    def _result(self):
        """(ok, message for people) of the finished check."""
        if self.kind != "reproducible":
            return True, ""
        batch = self.batch_id
        same = (not self.differs and self.offset == batch._file_size()
                and not self._employees_changed())
        return same, batch._reproducible_message(same)

    def _employees_changed(self):
        """Whether today's employees of the batch are not those compared: one who joined
        with a payroll code before the check's position was never compared."""
        digest = False
        for employees in self.batch_id._employee_chunks(self.batch_id._cto_uses()):
            digest = chained_digest(digest, employees)
        return digest != self.compared_digest

    def _progress(self):
        """Where the check is, for the batch's form."""
        self.ensure_one()
        return self.env._(
            "Checking %(what)s in the background: %(done)s of %(total)s employees compared. "
            "The result will be posted in the messages below.",
            what=dict(self._fields["kind"]._description_selection(self.env))[self.kind].lower(),
            done=f"{self.employee_done:,}", total=f"{self.employee_total:,}")

    @api.model
    def _cron_run_checks(self):
        """One chunk of the oldest check under way per run (Odoo's batch cron API runs the
        job again at once while checks remain)."""
        check = self.search([], limit=1)
        if check:
            check._step()
        self.env.flush_all()
        self.env.invalidate_all()
        left = self.search_count([])
        self.env["ir.cron"]._notify_progress(done=len(check), remaining=left)
        return left

    def _gathered(self):
        return json.loads(self.result_json or "{}")
