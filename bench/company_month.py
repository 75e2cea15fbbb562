"""Month-end of a big company on one Odoo with workers (issue 22).

Run with Odoo's interpreter (Odoo 18 and the addons' dependencies, as ./run-tests installs):

    $ODOO18_HOME/venv/bin/python bench/company_month.py [--sizes 1000,10000] [--quick]
        [--relays 200] [--history N] [--cto] [--work-entries]
        [--durable | --durable-stages] [--save-setup DIR | --from-setup DIR]

For each size, in a fresh throwaway database (hr_payroll_export installed): a company of N
employees on 200 push relays (one terminal each), the month's working days before the last
one (or the last `--history` of them) already imported and computed (set-up, untimed).
Then Odoo runs as in production — `odoo-bin --workers 2 --max-cron-threads 2` with Odoo's
default memory and time limits —
and the month-end is timed stage by stage:

1. import of the last day: the relays push their signed pages (recorded by this script,
   two at a time) to /zk/relay/push, served by Odoo's HTTP workers;
2. attendances and daily records: the scheduled jobs (batch cron API, a chunk per run)
   triggered at once, waited for until no punch is pending;
3. overtime approvals in bulk: one `action_approve` on every line waiting (a manager's
   bulk action, run in this script's process as the request would: it decides the first
   lines and queues the rest for the chunked scheduled job, waited for);
4. payroll batch: the scheduled issue of the month's draft batch, a chunk of employees a
   run (rendered, then their days locked, then the file written from the chunks);
5. a payroll officer's checks of the issued batch, each one request to an HTTP worker
   (Odoo's external API, as the form's buttons): "Check against today's data" and, with
   work entries, "Check work entries"; for a big company the request hands the check to a
   scheduled job (a chunk of employees a run), waited for. Not part of the month-end.

Per stage it prints wall time, throughput, the peak RSS of the largest Odoo worker and of
the largest PostgreSQL backend (sampled every 0.2 s from /proc), rows written, the runs of
scheduled jobs and the longest of them (Odoo's "done in" lines), and whether
every job ended within its limits (no worker killed or over a limit in the server log, no
failed scheduled run). With `--cto` the CTO bank is installed (every employee in it): the
approvals credit it and the batch carries its columns. With `--work-entries` every
employee has a running contract whose work entries come from the daily records
(hr_zk_work_entry): the daily records stage writes them too, the batch's locking validates
them and its issue compares them with the file. `--durable` runs PostgreSQL durable
throughout; `--durable-stages` sets up on a fast cluster and turns it durable (fsync,
synchronous_commit, full_page_writes on, then a checkpoint and sync) before the first
measured stage, so the measured figures are durable and the long set-up is not slowed.
The report's first line says which. The set-up at 10,000 takes over an hour and a half:
`--save-setup DIR` keeps a copy of each size's (cluster, pages, batch) and `--from-setup DIR`
measures the stages again from it, with a change to the code in between. No assertion.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# zk_rules and zk_relay from this checkout, here and in the Odoo processes it starts (Odoo's
# venv may hold another checkout's copy), as ./run-tests does.
OWN = [str(ROOT / pkg / "src") for pkg in ("rules", "relay", "sim")]
os.environ["PYTHONPATH"] = os.pathsep.join(OWN + [p for p in [os.environ.get("PYTHONPATH")]
                                                  if p])
sys.path[:0] = OWN
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
from odoo_import import DB, HOME, ZONE, open_registry, point_odoo_at, signing_key  # noqa: E402
from pg_throwaway import ThrowawayPostgres, free_port  # noqa: E402

MODULES = "hr_payroll_export"
CTO_MODULES = "hr_payroll_export_cto"  # --cto: the CTO bank credits approved overtime
WORK_ENTRY_MODULES = "hr_zk_work_entry"  # --work-entries: contracts take the days' entries
TOKEN = "bench-relay-token-{n}"
# Odoo's line for each run of a scheduled job (the batch cron API logs one per chunk).
JOB_RUN = re.compile(r"Job '.*' \(\d+\) done in ([0-9.]+)s")
LIMIT_LINES = re.compile(r"(virtual (real )?time limit|limit exceeded|memory limit|"
                         r"killed|Timeout|MemoryError|WorkerTimeout)", re.IGNORECASE)


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError):
        return 0.0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


class Peaks:
    """Largest RSS of one Odoo process (server or worker) and of one PostgreSQL backend."""

    def __init__(self, odoo_pid: int, postmaster_pid: int):
        self.odoo_pid, self.postmaster_pid = odoo_pid, postmaster_pid
        self.odoo = self.pg = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.2):
            # The workers (HTTP and cron) the server forked; the server itself only
            # supervises them.
            self.odoo = max(self.odoo, 0.0, *(rss_mb(p) for p in children(self.odoo_pid)))
            self.pg = max(self.pg, 0.0, *(rss_mb(p) for p in children(self.postmaster_pid)))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def working_days(year: int, month: int) -> list[date]:
    days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]
    return [d for d in days if d.weekday() < 5][:22]


# The company's schedules: (share of employees in tenths, name, punches of a day as
# (day offset, hour, minute, status), calendar lines as (hour_from, hour_to, day_period, next)).
SCHEDULES = (
    (8, "Office 08-17", ((0, 7, 50, 0), (0, 12, 0, 2), (0, 12, 55, 3), (0, 17, 5, 1)),
     ((8, 12, "morning", 0), (12, 13, "lunch", 0), (13, 17, "afternoon", 0))),
    (1, "Early 06-14", ((0, 5, 52, 0), (0, 14, 3, 1)), ((6, 14, "morning", 0),)),
    (1, "Night 22-06", ((0, 21, 51, 0), (1, 6, 4, 1)),
     ((22, 24, "afternoon", 0), (0, 6, "morning", 1))),
)


def schedule_of(index: int) -> int:
    """Which schedule employee `index` works (8 in 10 office, 1 early, 1 night)."""
    slot, edge = index % 10, 0
    for number, (share, *_rest) in enumerate(SCHEDULES):
        edge += share
        if slot < edge:
            return number
    return 0


def day_events(employees: list[tuple[int, str, str]], day: date, first_id: int):
    """A working day's punches of each employee, by their schedule (fixed jitter; a night
    shift's out punch is on the next morning; one in five works overtime)."""
    from zk_rules.fingerprint import punch_fingerprint

    events, n = [], first_id
    for index, serial, pin in employees:
        for offset, hour, minute, status in SCHEDULES[schedule_of(index)][2]:
            if status == 1 and index % 5 == 0:  # one in five stays 1 h 30 longer: overtime
                hour, minute = hour + 1, minute + 30
            when = day + timedelta(days=offset)
            local = (f"{when} {hour:02d}:{min(minute + index % 7, 59):02d}:"
                     f"{index % 60:02d}")
            events.append({"id": n, "serial": serial, "pin": pin, "local_time": local,
                           "timezone": ZONE, "status": status, "verify": 1, "workcode": "",
                           "received_at": f"{when}T23:00:00+00:00",
                           "fingerprint": punch_fingerprint(serial, pin, local)})
            n += 1
    return events


def schedule_calendars(env) -> list[int]:
    """One resource calendar per schedule, Monday to Friday (a night shift's morning part
    is on the next day: Friday's ends on Saturday), in the company's zone."""
    ids = []
    for _share, name, _punches, lines in SCHEDULES:
        ids.append(env["resource.calendar"].create({
            "name": name, "tz": ZONE, "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"{name} d{(d + nxt) % 7}", "dayofweek": str((d + nxt) % 7),
                        "hour_from": start, "hour_to": end, "day_period": period})
                for d in range(5) for start, end, period, nxt in lines]}).id)
    return ids


def build_company(registry, size: int, days: list[date], options):
    """Employees, relays, terminals, mappings (and contracts); the history days imported and
    computed (untimed)."""
    relays, history, cto = options.relays, options.history, options.cto
    from odoo import SUPERUSER_ID, api

    from zk_rules import signing
    from zk_rules.delivery import secret_hash

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        env.company.write({"zk_overtime_approval": "manager", "payroll_export_auto": True,
                           "payroll_period_kind": "monthly", "zk_recompute_days": 0})
        calendar_ids = schedule_calendars(env)
        key = signing.public_key_b64(signing_key())
        relay_ids = env["zk.relay"].create([{
            "name": f"Branch {n:03d}", "delivery_mode": "push", "public_key": key,
            "odoo_token_hash": secret_hash(TOKEN.format(n=n))} for n in range(relays)]).ids
        devices = env["zk.device"].create([{
            "serial": f"BR{n:03d}", "timezone": ZONE, "connection": "direct",
            "address": "127.0.0.1"} for n in range(relays)])
        bank = {"cto_enabled": True, "cto_enabled_since": days[0] - timedelta(days=60)}
        employees = env["hr.employee"].create([{
            "name": f"Employee {n:05d}", "tz": ZONE, "barcode": f"E{n:05d}",
            "resource_calendar_id": calendar_ids[schedule_of(n)], **(bank if cto else {})}
            for n in range(size)])
        if options.work_entries:
            env["hr.contract"].create([{
                "name": f"Contract {employee.name}", "employee_id": employee.id,
                "wage": 1000, "date_start": days[0] - timedelta(days=30), "state": "open",
                "resource_calendar_id": employee.resource_calendar_id.id,
                "work_entry_source": "zk_daily"} for employee in employees])
        env["zk.device.user"].create([{
            "device_id": devices[n % relays].id, "pin": f"{n:05d}",
            "employee_id": employees[n].id} for n in range(size)])
        staff = {r: [] for r in range(relays)}
        for n in range(size):
            staff[n % relays].append((n, f"BR{n % relays:03d}", f"{n:05d}"))
        employee_ids = employees.ids
    cursors = dict.fromkeys(range(relays), 0)
    print(f"  set-up: {history} days of punches, then their daily records ...", flush=True)
    began = time.perf_counter()
    for day in days[-1 - history:-1]:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            for r in range(relays):
                relay = env["zk.relay"].browse(relay_ids[r])
                events = day_events(staff[r], day, cursors[r] + 1)
                payload = signing.sign_page({
                    "store_id": f"store-{r}", "after": cursors[r], "events": events,
                    "next_after": events[-1]["id"], "has_more": False,
                    "last_event_id": events[-1]["id"]}, signing_key())
                status, body = relay._receive_push(payload)
                if status != 200:
                    raise RuntimeError(f"set-up page refused: {body}")
                cursors[r] = events[-1]["id"]
    print(f"  set-up: punches imported in {time.perf_counter() - began:.0f} s", flush=True)
    began = time.perf_counter()
    # The history's days in one go per employee (the same changed span for most of them: few
    # engine calls), as the job does after a long outage.
    while True:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            if not env["zk.daily.record"]._cron_compute_pending(limit=500):
                break
    print(f"  set-up: daily records computed in {time.perf_counter() - began:.0f} s",
          flush=True)
    began = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        env["zk.overtime.line"].search([("status", "=", "to_approve")]).action_approve()
        while env["zk.overtime.line"]._cron_decide_queued():  # what the job would decide
            pass
    print(f"  set-up: overtime approved in {time.perf_counter() - began:.0f} s", flush=True)
    pages = []
    for r in range(relays):
        events = day_events(staff[r], days[-1], cursors[r] + 1)
        pages.append((TOKEN.format(n=r), signing.sign_page({
            "store_id": f"store-{r}", "after": cursors[r], "events": events,
            "next_after": events[-1]["id"],
            "has_more": False, "last_event_id": events[-1]["id"]}, signing_key())))
    return pages, employee_ids


def start_odoo(pg: ThrowawayPostgres, port: int, log: Path) -> subprocess.Popen:
    cmd = [str(HOME / "venv" / "bin" / "python"), str(HOME / "src" / "odoo-bin"),
           f"--addons-path={HOME / 'src' / 'odoo' / 'addons'},{ROOT / 'addons'}",
           f"--database={DB}", f"--db-filter=^{DB}$", f"--db_host={pg.sock}",
           f"--db_port={pg.port}", "--db_user=odoo", f"--http-port={port}",
           "--http-interface=127.0.0.1", "--workers=2", "--max-cron-threads=2",
           f"--logfile={log}", "--log-level=info", f"--data-dir={pg.root / 'filestore'}"]
    proc = subprocess.Popen(cmd)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=5)  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("Odoo did not start")


def push(port: int, token: str, payload: dict) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback Odoo of this bench
        f"http://127.0.0.1:{port}/zk/relay/push", data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
        return response.status


def call_button(port: int, model: str, method: str, record_id: int) -> dict:
    """A button's method on one record, as the admin, in one request to an HTTP worker; a
    worker killed over a limit answers an error instead."""
    request = urllib.request.Request(  # noqa: S310 - loopback Odoo of this bench
        f"http://127.0.0.1:{port}/jsonrpc", headers={"Content-Type": "application/json"},
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": {
            "service": "object", "method": "execute_kw",
            "args": [DB, 2, "admin", model, method, [[record_id]]]}}).encode())
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(answer["error"].get("data", {}).get("message")
                           or answer["error"].get("message"))
    return answer["result"]


def sql(pg: ThrowawayPostgres, query: str) -> str:
    return pg.psql(DB, query).strip()


def trigger(pg: ThrowawayPostgres, *xmlids: str) -> None:
    """Ask for a run of these scheduled jobs now and wake the cron workers, as
    `ir.cron._trigger` does (a trigger row, NOTIFY on the `postgres` database)."""
    names = ",".join(f"'{x.split('.')[1]}'" for x in xmlids)
    sql(pg, "INSERT INTO ir_cron_trigger (cron_id, call_at) SELECT res_id, now() at time "
        f"zone 'UTC' FROM ir_model_data WHERE model = 'ir.cron' AND name IN ({names})")
    pg.psql("postgres", f"NOTIFY cron_trigger, '{DB}'")


def quiet_crons(pg: ThrowawayPostgres) -> None:
    """Only the stage being measured runs: the project's jobs wait for their trigger, and
    nothing polls terminals (the bench has none on the network)."""
    sql(pg, "UPDATE ir_cron SET nextcall = '2099-01-01' WHERE id IN (SELECT res_id FROM "
        "ir_model_data WHERE model = 'ir.cron' AND module LIKE 'hr_%')")
    sql(pg, "UPDATE ir_cron SET active = false WHERE id IN (SELECT res_id FROM ir_model_data "
        "WHERE model = 'ir.cron' AND name IN ('ir_cron_zk_poll_direct', "
        "'ir_cron_zk_sync_devices', 'ir_cron_zk_pull_relays'))")


def wait_for(pg: ThrowawayPostgres, query: str, poke=None, deadline: float = 3600) -> None:
    """Until `query` answers true; `poke` (the stage's trigger) again every 10 s, as the
    jobs' own schedule would."""
    end = time.monotonic() + deadline
    poked = time.monotonic()
    while sql(pg, query) != "t":
        if time.monotonic() > end:
            raise RuntimeError(f"never happened: {query}")
        if poke and time.monotonic() - poked > 10:
            poke()
            poked = time.monotonic()
        time.sleep(0.5)


def modules_of(options) -> str:
    return ",".join([CTO_MODULES if options.cto else MODULES]
                    + ([WORK_ENTRY_MODULES] if options.work_entries else []))


def set_up(pg: ThrowawayPostgres, size: int, options) -> tuple[list, int]:
    """The company and its month before the last day (untimed), and the month's draft batch;
    with --save-setup a copy of it all, to measure the stages again with --from-setup."""
    registry = open_registry(pg, modules_of(options))
    previous = date.today().replace(day=1) - timedelta(days=1)
    days = working_days(previous.year, previous.month)
    started = time.perf_counter()
    pages, _employee_ids = build_company(registry, size, days, options)
    print(f"  set-up done in {time.perf_counter() - started:.0f} s", flush=True)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        batch_id = env["payroll.export.batch"].create({
            "company_id": env.company.id, "period_start": previous.replace(day=1),
            "period_end": previous}).id
    quiet_crons(pg)
    if options.save_setup:
        import odoo

        folder = Path(options.save_setup) / str(size)
        if folder.exists():
            shutil.rmtree(folder)
        odoo.sql_db.close_all()  # the pool's connections end with the stop; new ones later
        pg.save(folder, "filestore")
        (folder / "setup.json").write_text(json.dumps({
            "setup": setup_key(options), "batch_id": batch_id, "pages": pages,
            "saved": datetime.now().isoformat(timespec="seconds")}))
        print(f"  set-up saved in {folder}", flush=True)
    return pages, batch_id


def setup_key(options) -> dict:
    """What a saved set-up depends on: a restore with other options would measure another
    company than it says."""
    return {"modules": modules_of(options), "relays": options.relays,
            "history": options.history, "month": f"{date.today():%Y-%m}"}


def restore_setup(pg: ThrowawayPostgres, size: int, options) -> tuple[list, int]:
    folder = Path(options.from_setup) / str(size)
    saved = json.loads((folder / "setup.json").read_text())
    if saved["setup"] != setup_key(options):
        raise SystemExit(f"{folder} was set up for {saved['setup']}, not {setup_key(options)}")
    print(f"  set-up restored from {folder} (saved {saved['saved']})", flush=True)
    pg.restore(folder)
    point_odoo_at(pg)
    return [tuple(page) for page in saved["pages"]], saved["batch_id"]


def run_size(size: int, options) -> list[dict]:
    pg = ThrowawayPostgres(durable=options.durable)
    rows = []
    odoo = None
    try:
        if options.from_setup:
            pages, batch_id = restore_setup(pg, size, options)
        else:
            pages, batch_id = set_up(pg, size, options)
        from odoo import SUPERUSER_ID, api

        if options.durable_stages:
            pg.make_durable()
        port, log = free_port(), pg.root / "odoo-workers.log"
        odoo = start_odoo(pg, port, log)
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])

        def stage(label, unit, count_sql, action, done_sql, poke=None):
            before = int(sql(pg, count_sql))
            log_size = log.stat().st_size
            with Peaks(odoo.pid, postmaster) as peaks:
                began = time.perf_counter()
                action()
                if done_sql:
                    wait_for(pg, done_sql, poke=poke or action)
                seconds = time.perf_counter() - began
            written = int(sql(pg, count_sql)) - before
            with open(log, errors="replace") as handle:
                handle.seek(log_size)
                lines = handle.readlines()
            over = [ln.strip() for ln in lines if LIMIT_LINES.search(ln)]
            runs = [float(m.group(1)) for ln in lines if (m := JOB_RUN.search(ln))]
            failed = int(sql(pg, "SELECT coalesce(sum(failure_count), 0) FROM ir_cron"))
            rows.append({"size": size, "stage": label, "seconds": seconds,
                         "rate": f"{written / seconds:,.0f} {unit}/s" if seconds else "-",
                         "odoo_mb": peaks.odoo, "pg_mb": peaks.pg, "rows": written,
                         "within": not over and not failed, "notes": over[:2],
                         "runs": len(runs), "longest": max(runs, default=0.0)})
            print(f"  {label}: {seconds:.1f} s, {written} rows, Odoo {peaks.odoo:.0f} MB, "
                  f"PG {peaks.pg:.0f} MB, {len(runs)} job runs (longest "
                  f"{rows[-1]['longest']:.1f} s), within limits: {rows[-1]['within']}",
                  flush=True)

        def import_pages():
            with ThreadPoolExecutor(2) as pool:
                statuses = list(pool.map(lambda p: push(port, *p), pages))
            if set(statuses) != {200}:
                raise RuntimeError(f"pushes answered {sorted(set(statuses))}")

        stage("import of the last day (push, HTTP workers)", "punches",
              "SELECT count(*) FROM zk_punch", import_pages, None)
        stage("attendances + daily records (crons)", "records",
              "SELECT (SELECT count(*) FROM zk_daily_record) "
              "+ (SELECT count(*) FROM zk_daily_record_version)"
              + (" + (SELECT count(*) FROM hr_work_entry)" if options.work_entries else ""),
              lambda: trigger(pg, "hr_zk_attendance.ir_cron_zk_compute_daily"),
              "SELECT NOT EXISTS (SELECT 1 FROM zk_punch WHERE record_pending "
              "OR pairing_pending)")

        def approve():
            registry = open_registry_again(pg)
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                env["zk.overtime.line"].search([("status", "=", "to_approve")]).action_approve()

        stage("overtime approvals in bulk (request + job)", "lines",
              "SELECT count(*) FROM zk_overtime_line WHERE status = 'approved'", approve,
              "SELECT NOT EXISTS (SELECT 1 FROM zk_overtime_line "
              "WHERE queued_decision IS NOT NULL)",
              poke=lambda: trigger(pg, "hr_zk_attendance.ir_cron_zk_decide_queued"))
        stage("payroll batch (cron, a chunk a run)", "rows",
              "SELECT coalesce(sum(row_count), 0) FROM payroll_export_batch "
              "WHERE state = 'issued'",
              lambda: trigger(pg, "hr_payroll_export.ir_cron_payroll_close"),
              f"SELECT state = 'issued' OR blocking_reasons IS NOT NULL "
              f"FROM payroll_export_batch WHERE id = {batch_id}")
        state = sql(pg, f"SELECT state FROM payroll_export_batch WHERE id = {batch_id}")
        if state != "issued":
            rows[-1]["notes"].append("batch blocked: " + sql(
                pg, f"SELECT left(blocking_reasons, 200) FROM payroll_export_batch "
                f"WHERE id = {batch_id}"))
            return rows
        officer_checks(stage, rows, pg, port, batch_id, options.work_entries)
    finally:
        if odoo is not None:
            workers = children(odoo.pid)
            odoo.terminate()
            try:
                odoo.wait(60)
            except subprocess.TimeoutExpired:
                odoo.kill()
            time.sleep(2)
            for pid in workers:  # workers the server left behind
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        if options.keep_log and (pg.root / "odoo-workers.log").exists():
            shutil.copy(pg.root / "odoo-workers.log",
                        Path(options.keep_log) / f"odoo-{size}.log")
        pg.stop()
    return rows


def officer_checks(stage, rows, pg, port: int, batch_id: int, work_entries: bool) -> None:
    """The checks a payroll officer makes of the issued batch (stage 5): the request, and
    for a big company the scheduled job it hands the check to, waited for."""
    checks = [("check against today's data (request + job)", "action_check_reproducible")]
    if work_entries:
        checks.append(("check work entries (request + job)", "action_check_work_entries"))
    for label, method in checks:
        answers = []

        def check(method=method, answers=answers):
            try:
                answers.append(call_button(port, "payroll.export.batch", method, batch_id))
            except (OSError, RuntimeError) as error:
                answers.append(error)

        stage(label, "messages", "SELECT count(*) FROM mail_message WHERE model = "
              f"'payroll.export.batch' AND res_id = {batch_id}", check,
              "SELECT NOT EXISTS (SELECT 1 FROM payroll_export_check)",
              poke=lambda: trigger(pg, "hr_payroll_export.ir_cron_payroll_checks"))
        answer = answers[0]
        if isinstance(answer, Exception):
            rows[-1]["within"] = False
            rows[-1]["notes"].append(f"the request failed: {answer}"[:150])
        elif isinstance(answer, dict) and answer.get("params", {}).get("message"):
            rows[-1]["notes"].append("answer: " + answer["params"]["message"])
            if answer["params"].get("type") == "info":  # handed to the job: its result
                rows[-1]["notes"].append("posted: " + sql(
                    pg, "SELECT left(regexp_replace(body, '<[^>]+>', '', 'g'), 140) FROM "
                    f"mail_message WHERE model = 'payroll.export.batch' AND res_id = "
                    f"{batch_id} ORDER BY id DESC LIMIT 1"))
        rows[-1]["month_end"] = False


def open_registry_again(pg: ThrowawayPostgres):
    import odoo

    return odoo.modules.registry.Registry(DB)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="employee counts, comma-separated (default 1000,10000)")
    parser.add_argument("--quick", action="store_true", help="sizes 200 and 1000")
    parser.add_argument("--relays", type=int, default=200)
    parser.add_argument("--history", type=int, default=21,
                        help="working days before the last one set up (default: the month's "
                        "21; fewer makes the untimed set-up shorter and the batch smaller)")
    parser.add_argument("--cto", action="store_true",
                        help="with the CTO bank (hr_payroll_export_cto): approved overtime "
                        "is credited, the batch carries the bank's columns")
    parser.add_argument("--work-entries", action="store_true",
                        help="with work entries from the daily records (hr_zk_work_entry): "
                        "every employee on a contract that takes them")
    parser.add_argument("--keep-log", metavar="DIR",
                        help="copy each size's Odoo server log into DIR (odoo-<size>.log)")
    setup = parser.add_mutually_exclusive_group()
    setup.add_argument("--save-setup", metavar="DIR",
                       help="keep a copy of each size's set-up in DIR/<size> (the cluster, "
                       "pages and batch; GBs at 10,000)")
    setup.add_argument("--from-setup", metavar="DIR",
                       help="measure again from the set-ups --save-setup kept in DIR "
                       "(same options; a set-up is for its month)")
    durable = parser.add_mutually_exclusive_group()
    durable.add_argument("--durable", action="store_true",
                         help="PostgreSQL with fsync, synchronous_commit, full_page_writes on")
    durable.add_argument("--durable-stages", action="store_true",
                         help="set-up on a fast PostgreSQL, the measured stages durable")
    args = parser.parse_args()
    sizes = [200, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    durability = ThrowawayPostgres(durable=args.durable).durability
    if args.durable_stages:
        durability = ("durable in the measured stages (fsync, synchronous_commit, "
                      "full_page_writes turned on after the set-up)")
    print(f"PostgreSQL: {durability}; modules: {modules_of(args)}; load average at start: "
          f"{os.getloadavg()[0]:.1f}",
          flush=True)
    rows = []
    for size in sizes:
        print(f"{size} employees, {args.relays} relays ({datetime.now():%H:%M:%S})", flush=True)
        rows += run_size(size, args)
    print()
    print(f"{'employees':>9} {'stage':46} {'seconds':>8} {'throughput':>18} "
          f"{'Odoo peak':>9} {'PG peak':>8} {'rows':>8} {'job runs':>8} {'longest':>8} "
          f"{'in limits':>9}")
    for row in rows:
        print(f"{row['size']:>9} {row['stage']:46} {row['seconds']:>8.1f} {row['rate']:>18} "
              f"{row['odoo_mb']:>6.0f} MB {row['pg_mb']:>5.0f} MB {row['rows']:>8} "
              f"{row['runs']:>8} {row['longest']:>7.1f}s {'yes' if row['within'] else 'NO':>9}")
        for note in row["notes"]:
            print(f"{'':>9} {note[:150]}")
    by_size = {}
    for row in rows:
        by_size.setdefault(row["size"], []).append(row)
    for size, stages in by_size.items():
        month_end = sum(r["seconds"] for r in stages
                        if "approvals" not in r["stage"] and r.get("month_end", True))
        print(f"{size} employees: month-end (import + daily records + batch) "
              f"{month_end / 60:.1f} min; largest stage peak "
              f"{max(r['odoo_mb'] for r in stages):.0f} MB (Odoo), "
              f"{max(r['pg_mb'] for r in stages):.0f} MB (PostgreSQL)")
    if len(by_size) > 1:
        small, large = min(by_size), max(by_size)
        growth = [(a["stage"], b["odoo_mb"] / a["odoo_mb"]) for a, b in
                  zip(by_size[small], by_size[large], strict=True) if a["odoo_mb"]]
        print(f"peak growth {small} -> {large}: " + ", ".join(
            f"{label.split(' (')[0]} {ratio:.2f}x" for label, ratio in growth))
    print(f"targets at 10,000: month-end <= 15 min, no stage above 600 MB, growth < 1.5x; "
          f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
