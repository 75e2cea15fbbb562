"""Payroll export in Odoo: one period for 1,000 employees x 31 days (issue 9).

Run with Odoo's interpreter (Odoo 18 and the addons' dependencies, as ./run-tests installs):

    $ODOO18_HOME/venv/bin/python bench/odoo_payroll.py [--employees 1000]

Starts a throwaway PostgreSQL, installs hr_payroll_export, stores a month of punches and
computes its daily records (untimed set-up), then times the issue of the month's batch in Odoo
(`payroll.export.batch._generate`: read the records, CTO uses, holidays and leave, render,
hash, store, lock the days) beside the plain layout module rendering the same inputs
(`zk_rules.payroll.build_batch`), and reports the peak memory of each. No assertion.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))
from odoo_daily import CHUNK, month_of_punches  # noqa: E402
from odoo_import import ZONE, open_registry, rss_mb  # noqa: E402
from pg_throwaway import ThrowawayPostgres  # noqa: E402


class PeakRss:
    """Samples this process's RSS every 10 ms while the block runs."""

    def __enter__(self):
        self.start, self.peak, self._stop = rss_mb(), rss_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--durable", action="store_true",
                        help="PostgreSQL with fsync, synchronous_commit, full_page_writes on")
    args = parser.parse_args()
    pg = ThrowawayPostgres(durable=args.durable)
    print(f"PostgreSQL: {pg.durability}", flush=True)
    try:
        registry = open_registry(pg, "hr_payroll_export")
        from odoo import SUPERUSER_ID, api

        from zk_rules.payroll import build_batch

        today = date.today()
        last = today.replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            env.company.write({"zk_overtime_approval": "auto", "payroll_period_kind": "monthly"})
            employees = env["hr.employee"].create([{"name": f"E{n}", "tz": ZONE}
                                                   for n in range(args.employees)])
            ids = employees.ids
            print(f"storing punches and computing {len(ids)} x {(last - first).days + 1} "
                  "daily records ...", flush=True)
            month_of_punches(env, employees, first, (last - first).days + 1)
        for start in range(0, len(ids), CHUNK):
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                env["zk.daily.record"]._compute_range(
                    env["hr.employee"].browse(ids[start:start + CHUNK]), first, last)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            batch = env["payroll.export.batch"].create({
                "company_id": env.company.id, "period_start": first, "period_end": last})
            bundles, _records, _orphans = batch._inputs()
            layout = batch._layout()
            tracemalloc.start()
            started = time.perf_counter()
            plain = build_batch(batch._period(), bundles, layout)
            plain_seconds = time.perf_counter() - started
            plain_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            with PeakRss() as rss:
                started = time.perf_counter()
                batch._generate(raise_blocked=False)
                env.flush_all()
                odoo_seconds = time.perf_counter() - started
            state, rows, size = batch.state, batch.row_count, len(plain.content)
            same = batch._effective_content() == plain.content
    finally:
        pg.stop()
    days = args.employees * ((last - first).days + 1)
    print()
    print(f"{'path':52} {'rows':>7} {'seconds':>8} {'peak memory':>22}")
    print(f"{'plain layout: zk_rules.payroll.build_batch':52} {len(plain.rows):>7} "
          f"{plain_seconds:>8.2f} {plain_peak:>15.0f} MiB (py)")
    print(f"{'Odoo: payroll.export.batch issue (read+render+store)':52} {rows:>7} "
          f"{odoo_seconds:>8.2f} {rss.peak:>11.0f} MB RSS (+{rss.peak - rss.start:.0f})")
    print(f"\n{days} employee-days, batch {state}, file {size / 1e6:.1f} MB, "
          f"same bytes as the plain render: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
