"""Daily records in Odoo: 1,000 employees x 31 days computed and stored (issue 7).

Run with Odoo's interpreter (Odoo 18 and the addon's dependencies, as ./run-tests installs):

    $ODOO18_HOME/venv/bin/python bench/odoo_daily.py [--employees 1000] [--days 31]

Starts a throwaway PostgreSQL, installs hr_zk_attendance, stores a month of punches, then in
one run measures:

* ceiling: the same precomputed records (engine already run) written with one batched ORM
  `create` per chunk of employees, and their attendances written from that engine result
  (`hr.attendance._zk_write_paired`): what storing alone costs;
* zk-odoo: `zk.daily.record._compute_range` — inputs read from Odoo (punches, calendar,
  holidays, leave), the engine (one pairing gives the day and its attendances), and the same
  storage.

Prints employee-days/s for both and the ratio (target >= 50% of the ceiling). No assertion.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
from odoo_import import ZONE, open_registry  # noqa: E402
from pg_throwaway import ThrowawayPostgres  # noqa: E402

CHUNK = 100


def month_of_punches(env, employees, first: date, days: int) -> None:
    """4 punches per workday (in, break out, break in, out) with realistic jitter."""
    rng = random.Random(11)
    relay = env["zk.relay"].create({"name": "bench", "url": "http://127.0.0.1:9"})
    rows = []
    for n in range(days):
        day = first + timedelta(days=n)
        if day.weekday() >= 5:
            continue
        for employee in employees:
            base = datetime.combine(day, datetime.min.time())
            for offset, status in ((8 * 3600 + rng.randint(-900, 900), 0),
                                   (12 * 3600 + rng.randint(0, 300), 2),
                                   (13 * 3600 + rng.randint(-300, 300), 3),
                                   (17 * 3600 + rng.randint(0, 5400), 1)):
                local = (base + timedelta(seconds=offset)).strftime("%Y-%m-%d %H:%M:%S")
                rows.append({"fingerprint": f"{employee.id}-{local}", "device_id": None,
                             "relay_id": relay.id, "relay_event_id": None, "source": "relay",
                             "company_id": employee.company_id.id, "serial": "BENCH",
                             "pin": str(employee.id), "local_time": local, "timezone": ZONE,
                             "status": status, "verify": 1, "workcode": None,
                             "received_at": None, "employee_id": employee.id})
    Punch = env["zk.punch"]
    for start in range(0, len(rows), 5000):
        chunk = rows[start:start + 5000]
        punches = Punch._insert_rows([{k: v for k, v in r.items() if k != "employee_id"}
                                      for r in chunk])
        Punch._write_outcomes([(p.id, "done", None, employee) for p, employee in zip(
            punches.sorted("id"), env["hr.employee"].browse([r["employee_id"] for r in chunk]),
            strict=True)])


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
        registry = open_registry(pg)
        from odoo import SUPERUSER_ID, api

        first = date.today() - timedelta(days=args.days + 2)
        last = first + timedelta(days=args.days - 1)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            env.company.zk_overtime_approval = "manager"
            employees = env["hr.employee"].create([{"name": f"E{n}", "tz": ZONE}
                                                   for n in range(args.employees)])
            employee_ids = employees.ids
            print("storing a month of punches ...", flush=True)
            month_of_punches(env, employees, first, args.days)

        def chunks():
            for start in range(0, len(employee_ids), CHUNK):
                yield employee_ids[start:start + CHUNK]

        # Ceiling: plan (untimed), then per chunk one batched create of the records and the
        # writing of their attendances from the same engine result (timed).
        stored = 0.0
        for ids in chunks():
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                Record = env["zk.daily.record"]
                paired = {}
                to_create, _changed = Record._plan_range(Record.env["hr.employee"].browse(ids),
                                                         first, last, paired=paired)
                started = time.perf_counter()
                Record.create(to_create)
                env["hr.attendance"]._zk_write_paired(paired)
                Record.env.flush_all()
                stored += time.perf_counter() - started
                cr.rollback()  # leave the table empty for the real run
        # zk-odoo: read inputs, run the engine, store.
        started = time.perf_counter()
        for ids in chunks():
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                env["zk.daily.record"]._compute_range(env["hr.employee"].browse(ids), first,
                                                      last)
        ours = time.perf_counter() - started
        with registry.cursor() as cr:
            cr.execute("SELECT count(*), count(*) FILTER (WHERE overtime_minutes > 0) "
                       "FROM zk_daily_record")
            records, with_overtime = cr.fetchone()
    finally:
        pg.stop()
    days_total = args.employees * args.days
    print()
    print(f"{'path':46} {'employee-days':>13} {'seconds':>8} {'days/s':>8} {'of ceiling':>10}")
    print(f"{'ceiling: store records + attendances':46} {days_total:>13} {stored:>8.1f} "
          f"{days_total / stored:>8.0f} {'100%':>10}")
    print(f"{'zk-odoo: inputs + engine + store both':46} {days_total:>13} {ours:>8.1f} "
          f"{days_total / ours:>8.0f} {stored / ours:>10.0%}")
    print(f"\n{records} daily records stored ({with_overtime} with overtime); peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
          "target: >= 50% of the ceiling")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
