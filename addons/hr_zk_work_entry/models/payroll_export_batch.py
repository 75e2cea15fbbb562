import json
from datetime import UTC, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from odoo import models

from odoo.addons.hr_payroll_export.models.payroll_export_batch import employee_code
from odoo.addons.hr_payroll_export.models.payroll_export_batch_inputs import EXPORT_CHUNK

from zk_rules.payroll import LayoutConfig, build_batch, columns
from zk_rules.work_entries import (
    CODE_KINDS,
    EntryRules,
    disagreements,
    entry_totals,
    export_totals,
)

from .hr_contract import ZK_SOURCE

# The check's quantities as a payroll officer names them.
LABELS = {
    "regular": "Regular hours",
    "ot_workday": "Overtime on workdays",
    "ot_rest_day": "Overtime on rest days",
    "ot_holiday_regular": "Overtime on regular holidays",
    "ot_holiday_special": "Overtime on special holidays",
    "night": "Night hours",
    "late_deducted": "Lateness deducted",
    "undertime_deducted": "Undertime deducted",
    "absence": "Absence",
    "leave": "Time off",
}


def _hours(minutes):
    return f"{minutes // 60}:{minutes % 60:02d}"


class PayrollExportBatch(models.Model):
    """The payroll file and the work entries say the same: per employee and kind, the
    file's totals (its day rows, in minutes) equal the work entries' durations."""

    _inherit = "payroll.export.batch"

    def _zk_work_entry_employees(self, among=None):
        """Employees of the batch's company (or only those `among` them) whose contract in
        the period takes its work entries from the daily records."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id), ("work_entry_source", "=", ZK_SOURCE),
            ("state", "in", ("open", "close")), ("date_start", "<=", self.period_end),
            "|", ("date_end", "=", False), ("date_end", ">=", self.period_start)]
        if among is not None:
            domain.append(("employee_id", "in", among.ids))
        # sudo: payroll officers check the file against entries of every such employee.
        return self.env["hr.contract"].sudo().search(domain).employee_id

    def _zk_work_entry_check(self):
        """[(employee, quantity label, file minutes, work-entry minutes)] that disagree, and
        the number of employees compared. While the batch is being issued the parts hold each
        chunk's comparison, made as the chunk was written; otherwise (a correction, or the
        check asked for later) the data is read again a chunk of employees at a time, each
        dropped from memory after it: the check's memory does not grow with the company."""
        self.ensure_one()
        employees = self._zk_work_entry_employees()
        if not employees:
            return [], 0
        wanted = set(employees.ids)
        differences = []
        uses = self._cto_uses()
        parts = self._parts()
        if parts:
            for part in parts._one_at_a_time():
                found = json.loads(part.zk_work_entry_json or "{}")
                wanted.difference_update(found.get("compared", []))
                differences.extend(tuple(d) for d in found.get("differences", []))
            chunks = []
        else:
            chunks = self._employee_chunks(uses)
        # The file's employees in its chunks, then those with work entries but no day in
        # the file (their entries disagree with an empty file).
        for chunk in chain(chunks, self._zk_work_entry_leftovers(wanted)):
            compared, found = self._zk_work_entry_chunk(chunk.browse(
                [i for i in chunk.ids if i in wanted]), uses)
            wanted.difference_update(compared)
            differences.extend(found)
        return self._zk_work_entry_named(differences), len(employees)

    def _zk_work_entry_chunk(self, employees, uses):
        """(ids compared, disagreements) of one chunk of employees taking work entries, read
        afresh and dropped from memory after."""
        if not employees:
            return [], []
        bundles, _records, _orphans = self._inputs(employees, uses)
        found = self._zk_work_entry_disagreements(employees, bundles)
        self.env.invalidate_all()
        return employees.ids, found

    def _zk_work_entry_named(self, differences):
        """[(employee, label, file minutes, work-entry minutes)] from employee ids."""
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        return [(Employee.browse(employee_id), label, in_file, in_entries)
                for employee_id, label, in_file, in_entries in differences]

    def _part_extra_values(self, employees, bundles):
        """The chunk's comparison with the work entries, made while its bundles are at hand
        (the issue then reads no day twice)."""
        values = super()._part_extra_values(employees, bundles)
        # Only the chunk's contracts: a person's one-request issue makes a part per chunk.
        wanted = set(self._zk_work_entry_employees(among=employees).ids)
        chunk = employees.browse([i for i in employees.ids if i in wanted])
        if chunk:
            values["zk_work_entry_json"] = json.dumps({
                "compared": chunk.ids,
                "differences": self._zk_work_entry_disagreements(chunk, bundles)})
        return values

    def _zk_work_entry_leftovers(self, wanted):
        """Chunks of the employees still in `wanted` once the file's chunks are done (read
        lazily: the set is emptied as the file's chunks go)."""
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        ids = sorted(wanted)
        for start in range(0, len(ids), EXPORT_CHUNK):
            yield Employee.browse(ids[start:start + EXPORT_CHUNK])

    def _zk_work_entry_disagreements(self, employees, bundles):
        """The check for one chunk of employees, given their bundles (_inputs): the file's
        day rows against their work entries; [(employee id, label, file minutes, work-entry
        minutes)]."""
        by_code = {employee_code(employee): employee for employee in employees}
        config = LayoutConfig.from_mapping({"granularity": "day", "unit": "minutes"})
        batch = build_batch(self._period(), [b for b in bundles if b["code"] in by_code],
                            config)
        header = columns(config)
        rows = [dict(zip(header, row, strict=True)) for row in batch.rows]
        company = self.company_id
        rules = EntryRules(deduct_late=company.zk_work_entry_deduct_late,
                           deduct_undertime=company.zk_work_entry_deduct_undertime)
        # sudo: see _zk_work_entry_employees.
        Entry = self.env["hr.work.entry"].sudo()
        ours = Entry.search([("employee_id", "in", employees.ids),
                             ("zk_record_id.work_date", ">=", self.period_start),
                             ("zk_record_id.work_date", "<=", self.period_end)])
        leaves = Entry.search([
            ("employee_id", "in", employees.ids), ("leave_id", "!=", False),
            ("zk_record_id", "=", False),
            ("date_start", ">=", self.period_start - timedelta(days=1)),
            ("date_start", "<", self.period_end + timedelta(days=2))])
        items = []
        for entry in ours:
            items.append((employee_code(entry.employee_id),
                          CODE_KINDS.get(entry.work_entry_type_id.code, "other"),
                          round(entry.duration * 60)))
        for entry in leaves:
            zone = ZoneInfo(entry.employee_id._get_tz() or "UTC")
            local = entry.date_start.replace(tzinfo=UTC).astimezone(zone).date()
            if self.period_start <= local <= self.period_end:
                items.append((employee_code(entry.employee_id), "leave",
                              round(entry.duration * 60)))
        return [
            (by_code[code].id, LABELS[column], in_file, in_entries)
            for code, column, in_file, in_entries in disagreements(
                export_totals(rows, rules), entry_totals(items))
            if code in by_code
        ]

    def _zk_work_entry_message(self, result=None):
        """(ok, message for people) of the check (made now, or its `result`: differences
        and employees compared); no message when no employee of the company takes work
        entries from the terminals' days."""
        differences, count = result or self._zk_work_entry_check()
        if not count:
            return True, None
        if not differences:
            return True, self.env._(
                "Work entries agree with this payroll file: %(count)s employee(s) whose work "
                "entries come from the terminals' days, every kind of hours the same.",
                count=count)
        lines = Markup("").join(
            Markup("<li>%s</li>") % self.env._(
                "%(employee)s, %(what)s: %(file)s h in the file, %(entries)s h in work "
                "entries", employee=employee.name, what=label, file=_hours(in_file),
                entries=_hours(in_entries))
            for employee, label, in_file, in_entries in differences)
        return False, Markup("%s<ul>%s</ul>%s") % (
            escape(self.env._("Work entries differ from this payroll file:")), lines,
            escape(self.env._(
                "Check that the days were computed after the last change and that no work "
                "entry was edited by hand (Employees > Payroll Export > Work Entries); "
                "regenerate the work entries of those days if needed.")))

    def _zk_post_work_entry_check(self):
        for batch in self:
            _ok, message = batch._zk_work_entry_message()
            if message:
                batch._internal().message_post(body=message)

    def _store_issued(self, full, blocked, force_reason=None):
        result = super()._store_issued(full, blocked, force_reason=force_reason)
        self._zk_post_work_entry_check()
        return result

    def _zk_work_entry_nothing_text(self):
        return self.env._("No running contract of %(company)s takes its work entries from "
                          "the terminals' days: nothing to compare.",
                          company=self.company_id.name)

    def action_check_work_entries(self):
        """Compare the work entries with this batch's data now (in the background for a big
        company: payroll.export.check); the result goes to the chatter and to the screen."""
        self.ensure_one()
        check = self.env["payroll.export.check"]._in_background(self, "work_entries")
        if check:
            return check._started_notification()
        ok, message = self._zk_work_entry_message()
        if message:
            self._internal().message_post(body=message)
            text = self.env._("Work entries agree with the payroll data.") if ok else \
                self.env._("Work entries differ from the payroll data: the differences are "
                           "in the chatter.")
        else:
            text = self._zk_work_entry_nothing_text()
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": self.env._("Work entries"), "message": text,
                           "type": "success" if ok else "warning", "sticky": not ok}}
