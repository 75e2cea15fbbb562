import csv
import io
import json
import logging
import random
import time as monotonic_clock
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.hr_zk_attendance.tests.relay_process import RelayProcess, relay_command

from zk_sim import PushTerminal

from .reliability_lab import (
    CALENDAR,
    PERIOD,
    TZ,
    Chaos,
    FaultLog,
    FaultProxy,
    build_scenario,
    expected_cells,
    expected_days,
    table,
    weeks,
)

_logger = logging.getLogger(__name__)
SEED = 12
PAGE_SIZE = 100
SYNC_SECONDS = 120  # a bound for each terminal sync, never reached unless something hangs


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def captured(name):
    """Keep the expected warnings and errors of injected faults out of the test log."""
    logger, handler = logging.getLogger(name), _Records()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


@tagged("post_install", "-at_install", "zk_reliability")
class TestReliability(HttpCase):
    """Issue 12: simulated terminals -> real relay process -> Odoo pull -> attendances ->
    daily records -> overtime approval -> CTO bank -> payroll export, under faults, and the
    export compared with what the terminals generated. Seeded: the same data and fault plan on
    every run. Run it alone: ./run-tests --odoo-only --addons hr_payroll_export
    --test-tags zk_reliability (README "Reliability suite")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if relay_command() is None:
            cls.skipTest(cls, "zk-relay is not installed in Odoo's environment")

    # ------------------------------------------------------------------ set-up
    def setUp(self):
        super().setUp()
        self.env = self.env(context=dict(self.env.context, tracking_disable=True))
        self.rng = random.Random(SEED)
        self.scenario = build_scenario(SEED)
        self.log = FaultLog()
        self.relay_proc = RelayProcess()
        self.addCleanup(self.relay_proc.close)
        token = self.relay_proc.cli("token", "create", "odoo")
        self.relay_proc.start()
        self.chaos = Chaos(self.relay_proc)
        self.adms = FaultProxy("adms", self.chaos, self.adms_fault, self.log)
        self.api = FaultProxy("api", self.chaos, self.api_fault, self.log)
        self.addCleanup(self.adms.close)
        self.addCleanup(self.api.close)
        self.adms_plan, self.api_plan = self.fault_plans()
        self.adms_seen, self.api_seen = Counter(), Counter()
        self.clock_back_line = None

        # Dates of 2025 are "long ago" for the default 400 days of hr_zk_attendance.
        self.env["ir.config_parameter"].sudo().set_param("hr_zk_attendance.past_days", 36500)
        self.company = self.env.company
        self.calendar = self.env["resource.calendar"].create({
            "name": "Reliability 08-17", "tz": TZ, "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"d{d} {p}", "dayofweek": str(d), "hour_from": f,
                        "hour_to": t, "day_period": p}) for d, f, t, p in CALENDAR]})
        self.company.write({
            "resource_calendar_id": self.calendar.id, "cto_expiry_mode": "none",
            "payroll_period_kind": "semi_monthly", "payroll_granularity": "day",
            "payroll_unit": "minutes", "payroll_separator": ";", "payroll_leave_kinds": "cto",
            "payroll_export_auto": True, "payroll_last_close_check": datetime(2025, 3, 16, 3),
        })
        vals = {"name": "Reliability relay", "url": self.api.url, "token": token,
                "page_size": PAGE_SIZE}
        if "public_key" in self.env["zk.relay"]._fields:  # signed pages (issue 10)
            vals["public_key"] = self.relay_proc.public_key()
        self.relay = self.env["zk.relay"].create(vals)
        self.employees = {}
        for spec in self.scenario.terminals:
            device = self.env["zk.device"].create({  # registered on the relay by Odoo
                "serial": spec.serial, "name": spec.profile, "timezone": TZ,
                "relay_id": self.relay.id})
            self.assertFalse(device.relay_sync_error)
            for user in spec.users:
                employee = self.env["hr.employee"].create({
                    "name": user.name, "tz": TZ, "resource_calendar_id": self.calendar.id,
                    "cto_enabled": True, "cto_enabled_since": date(2025, 1, 1),
                    "barcode": f"T{spec.serial[-1]}{user.pin}"})
                self.env["zk.device.user"].create({"device_id": device.id, "pin": user.pin,
                                                   "employee_id": employee.id})
                self.employees[(spec.serial, user.pin)] = employee
        self.approver = new_test_user(
            self.env, "rel_att_admin",
            groups="base.group_user,hr_attendance.group_hr_attendance_manager")
        new_test_user(self.env, "rel_payroll",
                      groups="base.group_user,hr_payroll_export.group_payroll_officer")

    def fault_plans(self):
        """Which request gets which fault: seeded, by position in each terminal's ATTLOG
        posts and in Odoo's events pages and acknowledgements."""
        adms = {}
        for spec in self.scenario.terminals:
            posts = self.rng.sample(range(2, 12), 4)
            for number, action in zip(posts, ("kill_before", "drop", "kill_after",
                                              "kill_mid_body"), strict=True):
                adms[(spec.serial, "ATTLOG", number)] = action
        events = self.rng.sample(range(2, 14), 5)
        acks = self.rng.sample(range(2, 10), 2)
        api = {("events", events[0]): "cut", ("events", events[1]): "cut",
               ("events", events[2]): "kill_before", ("events", events[3]): "kill_after",
               ("events", events[4]): "drop",
               ("ack", acks[0]): "drop", ("ack", acks[1]): "kill_after"}
        return adms, api

    def adms_fault(self, exchange):
        query = parse_qs(urlsplit(exchange.target).query)
        serial = (query.get("SN") or [""])[0]
        if exchange.method != "POST" or query.get("table") != ["ATTLOG"]:
            return "pass"
        self.adms_seen[serial] += 1
        if self.clock_back_line and self.clock_back_line in exchange.body:
            # the first batch carrying a punch of the clock set back: the relay dies
            self.clock_back_line = None
            return "kill_before"
        return self.adms_plan.get((serial, "ATTLOG", self.adms_seen[serial]), "pass")

    def api_fault(self, exchange):
        if exchange.path == "/api/v1/events" and exchange.method == "GET":
            kind = "events"
        elif exchange.path == "/api/v1/events/ack":
            kind = "ack"
        else:
            return "pass"
        self.api_seen[kind] += 1
        return self.api_plan.get((kind, self.api_seen[kind]), "pass")

    # ------------------------------------------------------------------ steps
    def cron_pull(self):
        """One run of the scheduled import, then what its commit triggers (the ack)."""
        if "next_pull_at" in self.relay._fields and self.relay.next_pull_at:
            # A failed pull waits out a backoff (issue 10): here that time passes at once.
            self.relay.sudo().write({"next_pull_at": False})
        remaining = self.env["zk.relay"]._cron_pull()
        self.env.cr.postcommit.run()
        self.relay.invalidate_recordset()
        return remaining

    def pull_until_done(self, max_runs=300):
        for _run in range(max_runs):
            remaining = self.cron_pull()
            if not remaining and not self.relay.last_error:
                return
        self.fail(f"the import did not finish: {self.relay.last_error}")

    def sync(self, terminal):
        done = terminal.sync(deadline=monotonic_clock.monotonic() + SYNC_SECONDS)
        self.assertTrue(done, f"{terminal.serial} could not deliver its records")

    def stored_on_relay(self):
        rows = []
        for line in self.relay_proc.cli("events", "--json", "--limit", "1000000").splitlines():
            event = json.loads(line)
            rows.append((event["serial"], event["pin"], event["local_time"]))
        return rows

    def quarantined_on_relay(self):
        out = self.relay_proc.cli("quarantine", "--json", "--limit", "1000000")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    # ------------------------------------------------------------------ the suite
    def test_reliability_simulator_to_payroll_export(self):
        """Nothing lost, nothing doubled (issue 12), and the payroll export (issue 9) says
        what the engine (E0-E10) computes from the punches the terminals generated, with the
        CTO bank (C1 credit, C9 use) in between."""
        started = monotonic_clock.monotonic()
        terminals, faults, odoo_errors = self.deliver_under_faults()
        seconds = monotonic_clock.monotonic() - started
        counts = self.count(terminals)
        cto_minutes = self.days_overtime_and_cto()
        rows = self.export()
        mismatches, compared = self.compare(rows, cto_minutes)
        report = table([
            ("punches generated by the simulated terminals", len(counts["generated"])),
            ("acknowledged by the relay (OK to the terminal)", len(counts["acknowledged"])),
            ("stored on the relay", len(counts["stored"])),
            ("imported into Odoo (zk.punch)", len(counts["imported"])),
            ("lost", counts["lost"]),
            ("duplicated", counts["duplicated"]),
            ("  phantom (stored or imported, never generated)", len(counts["phantom"])),
            ("ATTLOG posts by the terminals, resends included", counts["posts"]),
            ("punches sent, resends included", counts["sent"]),
            ("fault: relay SIGKILLed", self.chaos.kills),
            ("fault: connections refused while the relay was down", self.chaos.refused),
            ("fault: relay restarted", self.chaos.restarts),
            ("fault: answers to a terminal lost", self.log.count("drop", "adms")),
            ("fault: answers to Odoo lost (page or ack)", self.log.count("drop", "api")),
            ("fault: pull pages cut mid-response", self.log.count("cut", "api")),
            ("fault: Odoo import transaction failed, retried", faults["import_failures"]),
            ("Odoo pull runs that failed (retried by the next run)", faults["failed_pulls"]),
            ("fault: batches repeated out of order by the network", len(faults["replays"])),
            ("fault: ranges re-uploaded on DATA QUERY ATTLOG", faults["attlog_queries"]),
            ("fault: Odoo cursor rewound (restore from backup)", faults["rewinds"]),
            ("fault: punches recorded with the clock set back",
             len(self.scenario.clock_back)),
            ("  skipped by legacy stamp resume, re-uploaded on command", faults["skipped"]),
            ("fault: malformed lines sent (distinct)", len(counts["malformed"])),
            ("  lines quarantined on the relay", counts["quarantined"]),
            ("export rows (period 2025-03-01..15)", len(rows)),
            ("export cells compared with the engine on generated punches", compared),
            ("export mismatches", len(mismatches)),
            ("seconds from terminals to the last import", round(seconds)),
        ])
        _logger.info("reliability suite outcome\n%s", report)

        self.assertEqual(counts["lost"], 0, "\n" + report)
        self.assertEqual(counts["duplicated"], 0, "\n" + report)
        self.assertFalse(counts["phantom"], sorted(counts["phantom"])[:10])
        self.assertEqual(counts["acknowledged"], counts["generated"],
                         "every punch acknowledged to its terminal")
        self.assertFalse(counts["acknowledged"] - counts["stored"],
                         "the relay lost a punch it acknowledged")
        self.assertFalse(counts["stored"] - counts["imported"],
                         "Odoo missed a punch the relay stored")
        self.assertTrue(counts["malformed"], "malformed lines were sent")
        self.assertLessEqual(counts["malformed"], counts["quarantined_lines"],
                             "every malformed line is quarantined, none dropped")
        self.assertTrue(faults["replays"] and all(faults["replays"]),
                        "the relay answers OK to batches it already has")
        self.assertEqual(faults["import_failures"], 1)
        self.assertEqual(len(odoo_errors), faults["import_failures"],
                         [r.getMessage() for r in odoo_errors])
        self.assertGreater(self.chaos.kills, 0)
        self.assertGreaterEqual(faults["failed_pulls"], self.log.count("cut", "api")
                                + faults["import_failures"], "the cut pages failed the pull")
        self.assertFalse(mismatches, "\n".join(mismatches[:20]))

    # ------------------------------------------------------------------ 1. delivery
    def deliver_under_faults(self):
        """Terminals push five weeks, week by week, while Odoo pulls; every fault of the
        plan happens on the way. Returns (terminals, fault counts, ERRORs Odoo logged)."""
        scenario = self.scenario
        legacy = next(t for t in scenario.terminals if t.profile == "legacy")
        first_back = next(r for r in legacy.records
                          if (legacy.serial, r.pin, r.local_time_text) in scenario.clock_back)
        self.clock_back_line = f"{first_back.pin}\t{first_back.local_time_text}".encode()
        terminals = [PushTerminal(self.adms.url, spec.serial, spec.users, [],
                                  profile=spec.profile, time_scale=0, timeout=30,
                                  malformed_rate=spec.malformed_rate, seed=SEED)
                     for spec in scenario.terminals]
        by_week = [weeks(spec.records) for spec in scenario.terminals]
        faults = {"import_failures": 0, "replays": [], "attlog_queries": 0, "rewinds": 0,
                  "skipped": 0}
        with captured("odoo.addons.hr_zk_attendance") as odoo_logs, self.flaky_import():
            for week_index in range(max(len(w) for w in by_week)):
                for terminal, chunks in zip(terminals, by_week, strict=True):
                    if week_index < len(chunks):
                        terminal.add_records(chunks[week_index])
                    self.sync(terminal)
                if week_index == 1:
                    # firmware re-uploads a range on command: older batches again, after
                    # newer ones (DATA QUERY ATTLOG, adms §4.7)
                    first = by_week[0][0]
                    self.relay._client().queue_command(
                        terminals[0].serial, "attlog_query",
                        start=first[0].local_time_text, end=first[-1].local_time_text)
                    faults["attlog_queries"] += 1
                if week_index == 3:
                    faults["replays"] = self.adms.replay(6, self.rng)
                for _run in range(4):
                    self.cron_pull()
                    faults["import_failures"] += self.check_failed_import_is_retried()
                if week_index == 2:
                    # Odoo restored from an older backup: pages come again from there
                    self.relay.sudo().write({"cursor": max(self.relay.cursor - 250, 0),
                                             "acked_cursor": 0})
                    faults["rewinds"] += 1
            for terminal in terminals:
                self.sync(terminal)
            faults["skipped"] = self.recover_skipped(terminals)
            faults["attlog_queries"] += bool(faults["skipped"])
            self.chaos.ensure_up()
            self.pull_until_done()
            faults["import_failures"] += self.check_failed_import_is_retried()
        errors = [r for r in odoo_logs if r.levelno >= logging.ERROR]
        faults["failed_pulls"] = sum(r.levelno >= logging.WARNING for r in odoo_logs)
        return terminals, faults, errors

    @contextmanager
    def flaky_import(self):
        """The real import; once, a real database error right after it wrote its rows."""
        Punch = type(self.env["zk.punch"])
        original = Punch._import_relay_events
        self.imports = {"calls": 0, "fail_at": self.rng.randrange(3, 9), "failed": [],
                        "just_failed": False}
        state = self.imports

        def import_then_fail_once(model, relay, events, *args, **kwargs):
            result = original(model, relay, events, *args, **kwargs)
            state["calls"] += 1
            if state["calls"] >= state["fail_at"] and events and not state["failed"]:
                state["failed"] = [e["fingerprint"] for e in events]
                state["just_failed"] = True
                model.env.cr.execute("SELECT 1 / 0", log_exceptions=False)
            return result

        with patch.object(Punch, "_import_relay_events", import_then_fail_once):
            yield

    def check_failed_import_is_retried(self):
        """After the run whose import failed: nothing of its page is stored, the relay shows
        the error, and the next run of the scheduled action imports the page."""
        if not self.imports["just_failed"]:
            return 0
        self.imports["just_failed"] = False
        failed = [("fingerprint", "in", self.imports["failed"])]
        self.assertTrue(self.relay.last_error)
        self.assertFalse(self.env["zk.punch"].search_count(failed))
        for _run in range(10):  # the next run, after any fault planned on the same pages
            self.cron_pull()
            if not self.relay.last_error:
                break
        self.assertEqual(self.env["zk.punch"].search_count(failed),
                         len(self.imports["failed"]), "the next run imports the failed page")
        return 1

    def recover_skipped(self, terminals):
        """Legacy firmware resumes after the relay's stamp (adms §6.2): punches recorded after
        its clock went back and not yet sent when it re-handshakes are never sent again, and
        the relay cannot see them. The protocol's own recovery: DATA QUERY ATTLOG of the range
        (an operator queues it through the relay's API; the terminal re-uploads it)."""
        skipped = 0
        for terminal in terminals:
            missing = sorted(terminal.ledger.unacknowledged(), key=lambda key: key[1])
            if missing:
                skipped += len(missing)
                self.relay._client().queue_command(
                    terminal.serial, "attlog_query", start=missing[0][1], end=missing[-1][1])
                self.sync(terminal)
            self.assertEqual(terminal.ledger.unacknowledged(), [])
        return skipped

    # ------------------------------------------------------------------ 2. counts
    def count(self, terminals):
        generated = set(self.scenario.keys())
        self.assertEqual(len(generated), sum(len(t.ledger.generated) for t in terminals))
        acknowledged = {(t.serial, *key) for t in terminals for key in t.ledger.generated
                        if t.ledger.acknowledged[key]}
        stored_rows = self.stored_on_relay()
        stored = set(stored_rows)
        self.punches = self.env["zk.punch"].search_read(
            [("serial", "in", [t.serial for t in terminals])],
            ["serial", "pin", "local_time", "state"])
        imported_rows = [(p["serial"], p["pin"], p["local_time"]) for p in self.punches]
        imported = set(imported_rows)
        quarantined = self.quarantined_on_relay()
        return {
            "generated": generated, "acknowledged": acknowledged, "stored": stored,
            "imported": imported, "lost": len(generated - imported),
            "duplicated": (len(stored_rows) - len(stored)) + (len(imported_rows)
                                                               - len(imported)),
            "phantom": (stored | imported) - generated,
            "posts": sum(a.kind == "ATTLOG" for t in terminals for a in t.ledger.attempts),
            "sent": sum(sum(t.ledger.sent.values()) for t in terminals),
            "malformed": {line for t in terminals for line in t.ledger.malformed_sent},
            "quarantined": len(quarantined),
            "quarantined_lines": {str(row.get("raw", "")).strip("\r\n")
                                  for row in quarantined},
        }

    # ------------------------------------------------------------------ 3. days, CTO
    def days_overtime_and_cto(self):
        """Attendances and daily records as the scheduled actions build them, every overtime
        line approved by an attendance manager (C1 credits the bank), then the scenario's CTO
        leaves approved (C9 debits it) and their days recomputed. Returns the CTO minutes
        per (serial, pin, date) as E4.3 counts them."""
        employees = self.env["hr.employee"].browse([e.id for e in self.employees.values()])
        while self.env["zk.daily.record"]._cron_compute_pending():
            pass
        while self.env["zk.daily.record"]._cron_compute_pending():
            pass
        self.assertFalse([p for p in self.punches if p["state"] != "done"],
                         "every punch was mapped and processed")
        lines = self.env["zk.overtime.line"].search(
            [("employee_id", "in", employees.ids), ("status", "=", "to_approve")])
        lines.sorted(lambda line: (line.work_date, line.id)).with_user(
            self.approver).action_approve()
        self.assertTrue(self.env["hr.cto.credit"].search_count(
            [("employee_id", "in", employees.ids)]), "approved overtime credits the bank")
        cto_type = self.env.ref("hr_cto_bank.leave_type_cto")
        cto_minutes = {}
        for leave in self.scenario.leaves:
            employee = self.employees[(leave.serial, leave.pin)]
            vals = {"name": "CTO", "employee_id": employee.id,
                    "holiday_status_id": cto_type.id, "request_date_from": leave.day,
                    "request_date_to": leave.day}
            if leave.hours:
                vals.update(request_unit_hours=True, request_hour_from=leave.hours[0],
                            request_hour_to=leave.hours[1])
            request = self.env["hr.leave"].create(vals)
            request.action_approve()
            self.assertEqual(request.state, "validate")
            self.env["zk.daily.record"].search(
                [("employee_id", "=", employee.id), ("work_date", "=", leave.day)]
            ).with_user(self.approver).action_recompute()
            cto_minutes[(leave.serial, leave.pin, leave.day.isoformat())] = \
                480 if leave.hours is None else 240
        return cto_minutes

    # ------------------------------------------------------------------ 4. export
    def export(self):
        """The period closes, the scheduled action issues the batch, a payroll officer
        downloads it through the logged route."""
        Batch = self.env["payroll.export.batch"]
        Batch._cron_close_periods(now=datetime(2025, 3, 16, 5))  # 13:00 in Manila: closed
        batch = Batch.search([("company_id", "=", self.company.id),
                              ("period_start", "=", PERIOD[0])])
        self.assertEqual(batch.state, "issued", batch.blocking_reasons)
        self.authenticate("rel_payroll", "rel_payroll")
        response = self.url_open(f"/payroll_export/download/{batch.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(batch.download_ids), 1)
        return list(csv.DictReader(io.StringIO(response.content.decode(), newline=""),
                                   delimiter=";"))

    def compare(self, rows, cto_minutes):
        """Every cell the engine determines, from the generated punches, against the file."""
        exported = {(row["employee_code"], row["work_date"]): row for row in rows}
        expected = expected_days(self.scenario, cto_minutes)
        mismatches, compared, wanted_keys = [], 0, set()
        for (serial, pin), days in expected.items():
            code = f"T{serial[-1]}{pin}"
            for day, record in days.items():
                wanted_keys.add((code, day))
                row = exported.get((code, day))
                if row is None:
                    mismatches.append(f"{code} {day}: no row in the export")
                    continue
                want = expected_cells(record)
                want["cto_used_minutes"] = str(cto_minutes.get((serial, pin, day), 0))
                for column, value in want.items():
                    compared += 1
                    if row[column] != value:
                        mismatches.append(f"{code} {day} {column}: export {row[column]!r}, "
                                          f"the generated punches give {value!r}")
                lots = [int(part.split(":")[1])
                        for part in row["cto_lots_minutes"].split("|") if part]
                if sum(lots) != int(row["cto_used_minutes"]):
                    mismatches.append(f"{code} {day}: CTO lots {row['cto_lots_minutes']} do "
                                      f"not add up to {row['cto_used_minutes']}")
        mismatches += [f"{code} {day}: a row nobody worked" for code, day
                       in sorted(set(exported) - wanted_keys)]
        return mismatches, compared
