import json
from collections import defaultdict
from datetime import date

from odoo import models
from odoo.exceptions import UserError

from zk_rules.payroll import (
    BatchStream,
    BlockingDay,
    LayoutConfig,
    PayrollInputError,
    Period,
    batch_chunk,
    blocking_days,
    build_batch,
    split_leave_minutes,
)

from .payroll_export_batch import employee_code, leave_kind

# Employees per chunk of a streamed payroll file (the scheduled issue commits one a run).
EXPORT_CHUNK = 250


class PayrollExportBatchInputs(models.Model):
    """What a batch is built from: the company's daily records of the period, the public
    holidays and approved leaves as the daily records read them, and (with the CTO bank)
    the CTO used; zk_rules.payroll turns them into the file."""

    _inherit = "payroll.export.batch"  # pylint: disable=consider-merging-classes-inherited

    def _period(self):
        self.ensure_one()
        return Period(self.period_start, self.period_end)

    def _layout(self):
        """The issued layout for a correction (stored), else the company's current one."""
        self.ensure_one()
        root = self._root()
        if root.config_json:
            return LayoutConfig.from_mapping(json.loads(root.config_json))
        return self.company_id._payroll_layout()

    def _root(self):
        batch = self
        while batch.supersedes_id:
            batch = batch.supersedes_id
        return batch

    def _record_domain(self):
        return [("company_id", "=", self.company_id.id), ("work_date", ">=", self.period_start),
                ("work_date", "<=", self.period_end)]

    def _inputs(self, employees=None, uses=None):
        """(employee bundles for zk_rules.payroll, their daily records, CTO uses on dates
        without a record as blocking days): of every employee of the batch, or of
        `employees` only (one chunk; `uses` then the batch's CTO uses, read once)."""
        self.ensure_one()
        company = self.company_id
        domain = self._record_domain()
        if employees is not None:
            domain.append(("employee_id", "in", employees.ids))
        # sudo: a payroll officer exports everyone's days of the company; access to the batch
        # itself is what is checked.
        records = self.env["zk.daily.record"].sudo().search(
            domain, order="employee_id, work_date")
        if uses is None:
            uses = self._cto_uses()
        if employees is None:
            employees = records.employee_id | self.env["hr.employee"].sudo().browse(
                sorted(uses))
        if not employees:
            return [], records, []
        dates = list(self._period().dates())
        # sudo: as above; the holidays and leaves are read as the daily records read them.
        Days = self.env["zk.daily.record"].sudo()
        holiday_kinds = Days.holiday_kinds(employees, dates)
        leave_minutes = Days.approved_leave_minutes(employees, dates)
        by_employee = defaultdict(list)
        for record in records:
            by_employee[record.employee_id].append(record)
        bundles, orphans = [], []
        for employee in employees:
            holidays = holiday_kinds.get(employee.id, {})
            leaves = self._leave_weights(leave_minutes.get(employee.id, []))
            days = [self._day(r, holidays, leaves) for r in by_employee[employee]]
            dated = {d["work_date"] for d in days}
            code = employee_code(employee)
            bundles.append({
                "code": code, "name": employee.name, "company": company.name, "days": days,
                "cto_uses": [u for u in uses.get(employee.id, []) if u["date"] in dated],
            })
            undated = defaultdict(int)
            for use in uses.get(employee.id, []):
                if use["date"] not in dated:
                    undated[use["date"]] += use["minutes"]
            orphans.extend(BlockingDay(
                employee_code=code, employee_name=employee.name, company=company.name,
                work_date=date.fromisoformat(day), codes=("cto_without_record",),
                reasons=(f"CTO leave of {minutes // 60}:{minutes % 60:02d} h on a day without a "
                         "daily record: compute the day so that the leave is counted.",))
                for day, minutes in sorted(undated.items()))
        return bundles, records, orphans

    def _employee_chunks(self, uses, after=None):
        """The batch's employees (a daily record in the period, or a CTO use) in chunks of
        EXPORT_CHUNK, in payroll code order (the order of the file); with `after`, only those
        whose payroll code comes after it (a resumed issue)."""
        # sudo: as in _inputs.
        Days = self.env["zk.daily.record"].sudo()
        ids = {employee.id for [employee] in Days._read_group(self._record_domain(),
                                                                ["employee_id"])}
        ids.update(uses)
        Employee = self.env["hr.employee"].sudo().with_context(active_test=False)
        keyed = []
        for start in range(0, len(ids), EXPORT_CHUNK):
            chunk = Employee.browse(sorted(ids)[start:start + EXPORT_CHUNK])
            keyed.extend((employee_code(employee), employee.id) for employee in chunk)
            chunk.invalidate_recordset()
        keyed.sort()
        if after is not None:
            keyed = [key for key in keyed if key[0] > after]
        return [Employee.browse([key[1] for key in keyed[start:start + EXPORT_CHUNK]])
                for start in range(0, len(keyed), EXPORT_CHUNK)]

    def _rendered_chunks(self, chunks, uses):
        """(employees, rendered BatchChunk, blocking days, daily records read, bundles) of each
        chunk of employees, one chunk in memory at a time; `uses`: the batch's CTO uses, read
        once by the caller (they also chose the chunks)."""
        period, layout = self._period(), self._layout()
        for employees in chunks:
            bundles, records, orphans = self._inputs(employees, uses)
            yield (employees, batch_chunk(period, layout, bundles),
                   [*blocking_days(bundles), *orphans], records, bundles)
            del bundles, records
            self.env.invalidate_all()

    def _leave_weights(self, leaves):
        """{date: {kind: minutes}}: each approved leave's working time on each date, as the
        daily records count it (zk.daily.record.approved_leave_minutes; the CTO bank debits
        the same minutes). They weigh the kinds when the day's leave minutes are split
        (zk_rules.payroll.split_leave_minutes)."""
        weights = defaultdict(lambda: defaultdict(int))
        for leave, minutes in leaves:
            kind = self._leave_kind(leave.holiday_status_id)
            for day, value in minutes.items():
                weights[day.isoformat()][kind] += value
        return weights

    def _leave_kind(self, leave_type):
        """The payroll leave kind of an Odoo leave type (its name as [a-z][a-z0-9_]*);
        hr_payroll_export_cto makes the CTO leave type `cto`."""
        return leave_kind(leave_type.name)

    def _cto_uses(self):
        """CTO debits in force on the period's dates, per employee: {employee id: [use]}.
        None without the CTO bank; hr_payroll_export_cto reads them from the bank."""
        return defaultdict(list)

    @staticmethod
    def _day(record, holidays, leaves):
        """The B4 record (result_json, else the stored fields) plus the payroll extras."""
        key = record.work_date.isoformat()
        if record.result_json:
            day = json.loads(record.result_json)
        else:
            day = {
                "day_type": record.day_type or "workday", "status": record.status or "off",
                "provisional": bool(record.provisional),
                "regular_minutes": record.regular_minutes,
                "night_minutes": record.night_minutes,
                "late_in_minutes": None if record.missing_check_in else record.late_in_minutes,
                "early_out_minutes": None if record.missing_check_out
                else record.early_out_minutes,
                "undertime_minutes": record.undertime_minutes,
                "leave_minutes": record.leave_minutes,
                "exceptions": sorted(record.exception_ids.mapped("code")),
                "missing": {"check_in": record.missing_check_in,
                            "check_out": record.missing_check_out},
            }
        day["work_date"] = key
        day["overtime_lines"] = [
            {"kind": line.kind, "minutes": line.minutes, "status": line.status,
             "approved_minutes": line.approved_minutes} for line in record.line_ids]
        day["holiday_kind"] = (holidays.get(key) or "regular") \
            if day.get("day_type") == "holiday" else None
        day["leaves"] = split_leave_minutes(day.get("leave_minutes") or 0,
                                            leaves.get(key, {}))
        return day

    def _build(self, stream=False):
        """(full zk_rules Batch of today's data, blocking days, daily records).

        With `stream`, the file is written a chunk of employees at a time (BatchStream: the
        same bytes and hashes), each chunk's records dropped from memory after it, so that
        the memory of an issue does not grow with the company; the Batch then holds the
        file's bytes but not its rows (a correction, which compares rows, builds at once)."""
        self.ensure_one()
        if not stream:
            bundles, records, orphans = self._inputs()
        try:
            if stream:
                full, blocked, records = self._build_streamed()
            else:
                blocked = [*blocking_days(bundles), *orphans]
                full = build_batch(self._period(), bundles, self._layout())
        except PayrollInputError as error:
            raise UserError(self.env._("The payroll file cannot be built: %s", error)) \
                from error
        blocked = sorted(blocked, key=lambda b: (b.employee_code, b.work_date))
        return full, blocked, records

    def _build_streamed(self):
        writer = BatchStream(self._period(), self._layout())
        blocked, record_ids = [], []
        uses = self._cto_uses()
        for _employees, chunk, chunk_blocked, records, _bundles in self._rendered_chunks(
                self._employee_chunks(uses), uses):
            writer.add_chunk(chunk)
            blocked.extend(chunk_blocked)
            record_ids.extend(records.ids)
        # sudo: as in _inputs.
        return writer.finish(), blocked, self.env["zk.daily.record"].sudo().browse(record_ids)

    # ------------------------------------------------------------------ resumable issue
    def _parts(self):
        # sudo: the parts are the issue's own work in progress, readable by no group.
        return self.env["payroll.export.batch.part"].sudo().search([("batch_id", "=", self.id)])

    def _parts_stale(self, parts):
        """Whether a day of the period changed since the first part was written (a day not
        yet locked written, or any day computed again, which keeps its former version: an
        audited correction of a locked one): the parts would no longer be what the file
        must say, so the issue starts again. Locking itself writes the days, hence the two
        tests (each on the database's transaction times, as the parts' own)."""
        since = parts[0].create_date
        # sudo: as in _inputs.
        return bool(self.env["zk.daily.record"].sudo().search_count(
            [*self._record_domain(), "|", "&", ("locked", "=", False),
             ("write_date", ">", since), ("version_ids.create_date", ">", since)], limit=1))

    def _write_parts(self, chunks=None):
        """Render and store the next `chunks` chunks of employees (None: every one left), each
        a part of its own; (employees written now, chunks left)."""
        Part = self.env["payroll.export.batch.part"].sudo()  # sudo: see _parts
        parts = self._parts()
        if parts and self._parts_stale(parts):
            parts.unlink()
            parts = Part
        last = parts[-1:]
        uses = self._cto_uses()
        pending = self._employee_chunks(uses, after=last.last_code or None)
        now, rest = (pending, []) if chunks is None else (pending[:chunks], pending[chunks:])
        sequence, written = last.sequence, 0
        for employees, chunk, blocked, records, bundles in self._rendered_chunks(now, uses):
            sequence += 1
            Part.create({"batch_id": self.id, "sequence": sequence,
                         **Part._values(chunk, blocked, records.ids, len(employees)),
                         **self._part_extra_values(employees, bundles)})
            written += len(employees)
            self.env.flush_all()
        return written, len(rest)

    def _part_extra_values(self, employees, bundles):
        """More fields of a part, from its chunk of employees and their bundles (for addons
        that check the file against their own data chunk by chunk)."""
        return {}

    def _lock_parts(self, chunks=None):
        """Lock the days of the next `chunks` parts whose days are not locked yet (None: all);
        the number of such parts left."""
        pending = self._parts().filtered(lambda part: not part.days_locked)
        now = pending if chunks is None else pending[:chunks]
        # sudo: as in _inputs.
        Days = self.env["zk.daily.record"].sudo()
        for part in now._one_at_a_time():
            self._lock_days(Days.browse(part._record_ids()))
            part.days_locked = True
        self.env.flush_all()
        return len(pending) - len(now)

    def _assemble_parts(self):
        """The full Batch from the stored parts, one part's rows in memory at a time beside
        the file being written."""
        writer = BatchStream(self._period(), self._layout())
        for part in self._parts()._one_at_a_time():
            writer.add_chunk(part._chunk())
        return writer.finish()
