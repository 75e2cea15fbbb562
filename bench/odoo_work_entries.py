"""Work entries from daily records in Odoo: 1,000 employees x 31 days (issue 21).

Run with Odoo's interpreter (Odoo 18 and the addons' dependencies, as ./run-tests installs):

    $ODOO18_HOME/venv/bin/python bench/odoo_work_entries.py [--employees 1000] [--days 31]

Starts a throwaway PostgreSQL, installs hr_zk_work_entry, stores a month of punches, computes
the daily records (untimed), gives every employee a running contract whose work entries come
from the daily records, then in one run measures:

* ceiling: the same work-entry values (made beforehand, untimed) written with one batched ORM
  `create` per chunk of contracts: what storing alone costs (Odoo's conflict check included);
* zk-odoo: Odoo's own `hr.contract.generate_work_entries` for the month: daily records,
  schedules and holidays read, zk_rules.work_entries, Odoo's leave entries, and the same
  storage;
* a day regenerated, as the daily records job does after the day's punches: each chunk's
  employees one call each (the former per-employee loop, the baseline), then the chunk in
  one call (employees of the same span together), alternated, each rolled back.

Prints entries/s and employee-days/s for both, each chunk's time (median and worst) and the
ratio (target >= 50% of the ceiling). No assertion.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
from odoo_daily import month_of_punches  # noqa: E402
from odoo_import import ZONE, open_registry  # noqa: E402
from pg_throwaway import ThrowawayPostgres  # noqa: E402

CHUNK = 100


def office_calendar(env):
    """Mon-Fri 08-12 / lunch / 13-17 in the terminals' zone (the punches' schedule)."""
    return env["resource.calendar"].create({
        "name": "Bench office", "tz": ZONE, "attendance_ids": [(5, 0, 0)] + [
            (0, 0, {"name": f"d{d} {p}", "dayofweek": str(d), "hour_from": f, "hour_to": t,
                    "day_period": p})
            for d in range(5)
            for f, t, p in ((8, 12, "morning"), (12, 13, "lunch"), (13, 17, "afternoon"))]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--durable", action="store_true",
                        help="PostgreSQL with fsync, synchronous_commit, full_page_writes on")
    args = parser.parse_args()
    pg = ThrowawayPostgres(durable=args.durable)
    print(f"PostgreSQL: {pg.durability}", flush=True)
    try:
        registry = open_registry(pg, "hr_zk_work_entry")
        import pytz

        from odoo import SUPERUSER_ID, api

        first = date.today() - timedelta(days=args.days + 2)
        last = first + timedelta(days=args.days - 1)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            env.company.zk_overtime_approval = "auto"
            env.company.write({"zk_work_entry_deduct_late": True,
                               "zk_work_entry_deduct_undertime": True})
            calendar = office_calendar(env)
            employees = env["hr.employee"].create([
                {"name": f"E{n}", "tz": ZONE, "resource_calendar_id": calendar.id}
                for n in range(args.employees)])
            employee_ids = employees.ids
            print("storing a month of punches ...", flush=True)
            month_of_punches(env, employees, first, args.days)
        print("computing the daily records ...", flush=True)
        chunks = [employee_ids[i:i + CHUNK] for i in range(0, len(employee_ids), CHUNK)]
        for ids in chunks:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                env["zk.daily.record"]._compute_range(env["hr.employee"].browse(ids), first,
                                                      last)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            contracts = env["hr.contract"].create([{
                "name": f"C{employee_id}", "employee_id": employee_id, "wage": 1000,
                "date_start": first - timedelta(days=10), "state": "open",
                "resource_calendar_id": calendar.id, "work_entry_source": "zk_daily",
            } for employee_id in employee_ids])
            contract_ids = contracts.ids
        contract_chunks = [contract_ids[i:i + CHUNK] for i in range(0, len(contract_ids), CHUNK)]

        # Ceiling: the same values (made untimed), one batched create per chunk (timed).
        ceiling_times, entries_made = [], 0
        for ids in contract_chunks:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                chunk = env["hr.contract"].browse(ids)
                values = []
                for contract in chunk:
                    # the range generate_work_entries gives each contract (its calendar's zone)
                    zone = pytz.timezone(contract.resource_calendar_id.tz)
                    start, stop = (zone.localize(datetime.combine(day, moment)).astimezone(
                        pytz.utc).replace(tzinfo=None)
                        for day, moment in ((first, dt_time.min), (last, dt_time.max)))
                    values += contract._get_work_entries_values(start, stop)
                entries_made += len(values)
                started = time.perf_counter()
                env["hr.work.entry"].create(values)
                env.flush_all()
                ceiling_times.append(time.perf_counter() - started)
                cr.rollback()  # leave the table empty for the real run
        # zk-odoo: Odoo's generator, from the daily records.
        our_times = []
        for ids in contract_chunks:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                started = time.perf_counter()
                env["hr.contract"].browse(ids).generate_work_entries(first, last, force=True)
                env.flush_all()
                our_times.append(time.perf_counter() - started)
        # A day's regeneration, as the daily records job makes it after the day's punches:
        # each chunk's employees one call each (the per-employee loop, baseline), then in one
        # call (grouped by span), alternated, each rolled back so both start alike.
        alone_times, together_times = [], []
        for ids in chunks:
            for grouped in (False, True):
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                    records = env["zk.daily.record"].search(
                        [("employee_id", "in", ids), ("work_date", "=", last)])
                    env.invalidate_all()
                    started = time.perf_counter()
                    if grouped:
                        env["hr.work.entry"]._zk_regenerate(records)
                    else:
                        for record in records:
                            env["hr.work.entry"]._zk_regenerate(record)
                    env.flush_all()
                    (together_times if grouped else alone_times).append(
                        time.perf_counter() - started)
                    cr.rollback()
        with registry.cursor() as cr:
            cr.execute("SELECT count(*), count(*) FILTER (WHERE zk_record_id IS NOT NULL), "
                       "count(*) FILTER (WHERE state = 'conflict') FROM hr_work_entry "
                       "WHERE active")
            stored, from_days, conflicts = cr.fetchone()
    finally:
        pg.stop()
    days_total = args.employees * args.days
    ceiling, ours = sum(ceiling_times), sum(our_times)
    print()
    print(f"{'path':44} {'entries':>8} {'seconds':>8} {'entries/s':>9} {'days/s':>7} "
          f"{'chunk median':>12} {'chunk worst':>11} {'of ceiling':>10}")
    for label, seconds, times in (
            ("ceiling: batched ORM create of the entries", ceiling, ceiling_times),
            ("zk-odoo: generate_work_entries from days", ours, our_times)):
        print(f"{label:44} {entries_made:>8} {seconds:>8.1f} {entries_made / seconds:>9.0f} "
              f"{days_total / seconds:>7.0f} {statistics.median(times):>11.2f}s "
              f"{max(times):>10.2f}s {ceiling / seconds:>10.0%}")
    print(f"\n{'a day regenerated, as the daily records job':44} {'employees':>9} "
          f"{'seconds':>8} {'employees/s':>11} {'chunk median':>12} {'chunk worst':>11} "
          f"{'speed-up':>8}")
    alone = sum(alone_times)
    for label, times in (("one employee a call (the former loop)", alone_times),
                         ("the chunk in one call (grouped by span)", together_times)):
        print(f"{label:44} {args.employees:>9} {sum(times):>8.1f} "
              f"{args.employees / sum(times):>11.0f} {statistics.median(times):>11.2f}s "
              f"{max(times):>10.2f}s {alone / sum(times):>7.1f}x")
    print(f"\n{stored} active work entries stored ({from_days} from daily records, {conflicts} "
          f"in conflict) for {args.employees} employees x {args.days} days, chunks of {CHUNK} "
          f"contracts; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          " MB; target: >= 50% of the ceiling")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
