import json
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from odoo import api, fields, models
from odoo.exceptions import UserError

from zk_rules.work_entries import KIND_CODES, EntryRules, approved_by_kind, day_entries

from .hr_contract import ZK_SOURCE

# Kinds of worked time: Odoo's leave entries give way to them (a holiday worked, a day worked
# on leave) so that no two entries of one person overlap.
WORKED_PREFIXES = ("regular", "ot_")


def _naive_utc(value):
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _local_midnight(day, zone):
    """Naive UTC instant of the local midnight that starts `day` in `zone`."""
    return _naive_utc(datetime.combine(day, time.min, zone))


def _runs(dates):
    """Consecutive dates as (first, last) pairs."""
    runs = []
    for day in sorted(dates):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [tuple(run) for run in runs]


def _cut(vals, holes):
    """vals (a work entry's values) less the holes [(start, stop)], as a list of values."""
    pieces = [(vals["date_start"], vals["date_stop"])]
    for low, high in holes:
        nxt = []
        for start, stop in pieces:
            if stop <= low or start >= high:
                nxt.append((start, stop))
                continue
            if start < low:
                nxt.append((start, low))
            if stop > high:
                nxt.append((high, stop))
        pieces = nxt
    return [dict(vals, date_start=start, date_stop=stop) for start, stop in pieces]


class HrWorkEntry(models.Model):
    """Work entries made from the terminals' daily records (zk_rules.work_entries)."""

    _inherit = "hr.work.entry"

    zk_record_id = fields.Many2one(
        "zk.daily.record", string="Daily record", readonly=True, index="btree_not_null",
        ondelete="set null", help="The terminals' day this entry was made from.")

    # ------------------------------------------------------------------ generation
    @api.model
    def _zk_types(self):
        """{payroll code: work-entry type} of the kinds zk_rules.work_entries makes."""
        types = self.env["hr.work.entry.type"].search(
            [("code", "in", list(KIND_CODES.values()))], order="country_id desc, id")
        by_code = {}
        for entry_type in types:
            by_code.setdefault(entry_type.code, entry_type)
        missing = sorted(set(KIND_CODES.values()) - set(by_code))
        if missing:
            raise UserError(self.env._(
                "Work entries cannot be made from the terminals' days: the work entry types "
                "with the codes %(codes)s are missing or archived (Payroll settings > Work "
                "Entry Types). Restore them, or upgrade the module to create them again.",
                codes=", ".join(missing)))
        return by_code

    @api.model
    def _zk_entry_rules(self, company, policy):
        return EntryRules(
            deduct_late=company.zk_work_entry_deduct_late,
            deduct_undertime=company.zk_work_entry_deduct_undertime,
            overtime_threshold_minutes=policy.overtime_threshold_minutes,
            count_early_arrival=policy.count_early_arrival,
            night_start=policy.night_start, night_end=policy.night_end)

    @api.model
    def _zk_merge_day_entries(self, contracts, date_start, date_stop, vals_list):
        """Odoo's values of [date_start, date_stop) plus the entries of the daily records of
        `contracts` in that range; Odoo's leave entries give way to worked time."""
        start, stop = _naive_utc(date_start), _naive_utc(date_stop)
        employees = contracts.employee_id
        zones = {employee.id: ZoneInfo(employee._get_tz() or "UTC") for employee in employees}
        utc_start, utc_stop = start.replace(tzinfo=UTC), stop.replace(tzinfo=UTC)
        first = min(utc_start.astimezone(z).date() for z in zones.values()) - timedelta(days=1)
        last = max(utc_stop.astimezone(z).date() for z in zones.values())
        records = self.env["zk.daily.record"].search_fetch(
            [("employee_id", "in", employees.ids), ("work_date", ">=", first),
             ("work_date", "<=", last)],
            ["employee_id", "work_date", "result_json", "line_ids"], order="employee_id, work_date")
        if not records:
            return vals_list
        dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        # The schedule and holiday readers of the daily records (no punches are read here).
        inputs = self.env["zk.daily.record"]._engine_inputs(self.env["hr.employee"], dates)
        types = self._zk_types()
        contract_of = {contract.employee_id.id: contract for contract in contracts}
        contract_ids = set(contracts.ids)
        leave_types = {vals["work_entry_type_id"] for vals in vals_list
                       if vals.get("work_entry_type_id")}
        leave_types = {t.id for t in self.env["hr.work.entry.type"].browse(list(leave_types))
                       if t.is_leave}
        leave_spans = defaultdict(list)
        for vals in vals_list:
            if vals["contract_id"] in contract_ids \
                    and vals.get("work_entry_type_id") in leave_types:
                leave_spans[vals["employee_id"]].append(
                    (vals["date_start"].replace(tzinfo=UTC), vals["date_stop"].replace(tzinfo=UTC)))
        lines = defaultdict(list)
        for line in records.line_ids:
            lines[line.record_id.id].append({"kind": line.kind, "minutes": line.minutes,
                                             "status": line.status,
                                             "approved_minutes": line.approved_minutes})
        ours, worked = [], defaultdict(list)
        for record in records:
            if not record.result_json:
                continue
            employee = record.employee_id
            contract, zone = contract_of[employee.id], zones[employee.id]
            key = record.work_date.isoformat()
            holidays = {h["date"]: h["kind"] for h in inputs.holidays(employee, zone)}
            policy = inputs.policy(employee)
            entries = day_entries(
                json.loads(record.result_json), timezone=zone.key,
                segments=(inputs.schedule(employee).get(key) or {}).get("segments", ()),
                approved=approved_by_kind(lines[record.id]), holiday_kind=holidays.get(key),
                leave_spans=leave_spans[employee.id],
                rules=self._zk_entry_rules(contract.company_id, policy))
            for entry in entries:
                low, high = max(_naive_utc(entry.start), start), min(_naive_utc(entry.stop), stop)
                if high <= low:
                    continue
                entry_type = types[entry.code]
                ours.append({
                    "name": f"{entry_type.name}: {employee.name}", "date_start": low,
                    "date_stop": high, "work_entry_type_id": entry_type.id,
                    "employee_id": employee.id, "contract_id": contract.id,
                    "company_id": contract.company_id.id, "state": "draft",
                    "zk_record_id": record.id,
                })
                if entry.kind.startswith(WORKED_PREFIXES):
                    worked[employee.id].append((low, high))
        result = []
        for vals in vals_list:
            holes = worked.get(vals["employee_id"]) if vals["contract_id"] in contract_ids \
                else None
            result.extend(_cut(vals, sorted(holes)) if holes else [vals])
        return result + ours

    # ------------------------------------------------------------------ regeneration
    @api.model
    def _zk_regenerate(self, records, correction=False):
        """Replace the work entries of these days as Odoo's regeneration does (archive the
        entries that are not validated, generate the range again), for employees whose
        contract takes its entries from the daily records.

        Days exported to payroll (locked) and days whose entries a payroll validated are
        left as they are, except through the audited correction (`correction`), after which
        the entries of locked days are validated again. Days outside the range Odoo already
        generated are generated by Odoo's own rule (the generated range grows without gaps).

        Employees whose days span the same instants are regenerated together (one search,
        one archive, one generation of their contracts): a scheduled run of 200 employees
        on one day is a few generations, not 200.
        """
        if not correction:
            records = records.filtered(lambda record: not record.locked)
        by_employee = defaultdict(set)
        for record in records:
            by_employee[record.employee_id].add(record.work_date)
        if not by_employee:
            return True
        # sudo: work entries and contracts are written by the system when a day changes; the
        # caller changed the day through its own access rights.
        Entry = self.sudo().with_context(tracking_disable=True)
        employees = self.env["hr.employee"].sudo().browse([e.id for e in by_employee])
        everyone = set().union(*by_employee.values())
        contracts = employees._get_contracts(min(everyone), max(everyone),
                                             states=["open", "close"]).filtered(
            lambda c: c.work_entry_source == ZK_SOURCE)
        contracts_of = defaultdict(lambda: self.env["hr.contract"].sudo())
        for contract in contracts:
            contracts_of[contract.employee_id.id] |= contract
        zones = {employee.id: ZoneInfo(employee._get_tz() or "UTC") for employee in employees}
        wanted = {}
        for employee, dates in by_employee.items():
            # The employee's contracts that overlap the employee's own days.
            low, high = min(dates), max(dates)
            mine = self.env["hr.contract"].sudo().union(*(
                c for c in contracts_of[employee.id]
                if c.date_start <= high and (not c.date_end or c.date_end >= low)))
            if mine:
                # A night shift's entries run into the next day: its range is made again too
                # (unless that day is exported), which rebuilds that day from its own record.
                wanted[employee.id] = (mine, dates | ({day + timedelta(days=1)
                                                       for day in dates} - dates))
        if not wanted:
            return True
        if not correction:
            self._zk_keep_exported_and_validated(wanted, by_employee, zones)
        # {(first instant, last instant): [employee id]}: the employees regenerated together.
        spans = defaultdict(list)
        for employee_id, (_contracts, dates) in wanted.items():
            for first, last in _runs(dates):
                spans[(_local_midnight(first, zones[employee_id]),
                       _local_midnight(last + timedelta(days=1), zones[employee_id]))].append(
                    employee_id)
        for (start, stop), employee_ids in spans.items():
            Entry.search([("employee_id", "in", employee_ids), ("date_start", "<", stop),
                          ("date_stop", ">", start)]).write({"active": False})
            group = self.env["hr.contract"].sudo().union(
                *(wanted[employee_id][0] for employee_id in employee_ids))
            # Inside the range Odoo already generated, forced; then Odoo's own rule grows
            # the range (per contract: each has its own generated dates).
            inside = defaultdict(lambda: self.env["hr.contract"].sudo())
            for contract in group:
                low = max(start, contract.date_generated_from)
                high = min(stop, contract.date_generated_to)
                if low < high:
                    inside[(low, high)] |= contract
            for (low, high), forced in inside.items():
                forced._generate_work_entries(low, high, force=True)
            group._generate_work_entries(start, stop)
        # Exported days made again (the correction) are locked again.
        days = {(employee_id, day) for employee_id, (_c, dates) in wanted.items()
                for day in dates}
        Entry.search([("employee_id", "in", list(wanted)),
                      ("zk_record_id.work_date", "in", list({day for _e, day in days})),
                      ("zk_record_id.locked", "=", True)]).filtered(
            lambda entry: (entry.employee_id.id, entry.zk_record_id.work_date) in days)._zk_lock()
        return True

    def _zk_keep_exported_and_validated(self, wanted, by_employee, zones):
        """Take out of the dates of `wanted` ({employee id: (contracts, dates)}) the next
        days that were exported (locked) and the days whose entries a payroll validated:
        both keep their entries."""
        following = {(employee_id, day) for employee_id, (_c, dates) in wanted.items()
                     for day in dates} - {(employee.id, day) for employee, dates
                                          in by_employee.items() for day in dates}
        if following:
            # sudo: as in _zk_regenerate.
            for record in self.env["zk.daily.record"].sudo().search(
                    [("employee_id", "in", list({e for e, _d in following})),
                     ("work_date", "in", list({d for _e, d in following})),
                     ("locked", "=", True)]):
                if (record.employee_id.id, record.work_date) in following:
                    wanted[record.employee_id.id][1].discard(record.work_date)
        bounds = {employee_id: (_local_midnight(min(dates), zones[employee_id]),
                                _local_midnight(max(dates) + timedelta(days=1),
                                                zones[employee_id]))
                  for employee_id, (_c, dates) in wanted.items() if dates}
        if not bounds:
            return
        validated = self.sudo().search([
            ("employee_id", "in", list(bounds)), ("state", "=", "validated"),
            ("date_start", "<", max(high for _low, high in bounds.values())),
            ("date_stop", ">", min(low for low, _high in bounds.values()))])
        for entry in validated:
            employee_id = entry.employee_id.id
            low, high = bounds[employee_id]
            if entry.date_start < high and entry.date_stop > low:
                wanted[employee_id][1].discard(entry.date_start.replace(
                    tzinfo=UTC).astimezone(zones[employee_id]).date())

    def _zk_lock(self):
        """Validate these entries: their days were exported to payroll. Entries in conflict
        (e.g. with time off still to approve) stay in Odoo's conflict view to be resolved
        there; the export itself never fails because of them."""
        entries = self.filtered(lambda entry: entry.state != "validated")
        if entries and not entries.action_validate():
            # action_validate validates all or nothing: the entries without conflict overlap
            # nothing, so they are validated alone.
            entries.filtered(lambda entry: entry.state != "conflict").write(
                {"state": "validated"})
        return True
