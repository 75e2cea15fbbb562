"""Odoo import throughput: relay pages -> punch log -> hr.attendance and daily records (issue 6).

Run with Odoo's interpreter (it needs Odoo 18 and the addon's dependencies, as ./run-tests
installs them):

    $ODOO18_HOME/venv/bin/python bench/odoo_import.py [--events 100000] [--sample 10000]

It starts a throwaway PostgreSQL, installs hr_zk_attendance into a fresh database, then
imports the same kind of relay pages two ways, in one run:

* zk-odoo: one signed relay page at a time, one commit per page, as the scheduled action
  takes it (Ed25519 signature verified, page judged against the cursor and kept as evidence,
  fingerprint insert, mapping), then the scheduled action that follows: one engine run per
  employee gives the changed days' attendances and daily records (one pairing, issue 20);
* naive baseline, on a smaller sample: what the free modules do, one ORM `create` per event
  after a search for duplicates, then check-in/check-out toggling on `hr.attendance`.

It prints a table (events/s, the ratio, RSS across the import). No assertion: a benchmark.
`--breakdown` adds where the attendance build spends its time (wall time of its steps and of
the Odoo methods hr.attendance.create runs, outermost call counted once); `ZK_BENCH_PROFILE=1`
prints a cProfile of the zk-odoo path (import and build).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from pg_throwaway import ThrowawayPostgres, free_port  # noqa: E402

HOME = Path(os.environ.get("ODOO18_HOME", "/opt/odoo18"))
DB = "zk_bench"
ZONE = "Asia/Manila"
EMPLOYEES = 500
DEVICES = 10


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def punch_days(first: date, days: int) -> list[tuple[int, str, int]]:
    """Realistic days: in ~08:00, lunch out/in, out ~17:00; a double tap now and then."""
    rng = random.Random(7)
    events = []
    for n in range(days):
        day = first + timedelta(days=n)
        if day.weekday() == 6:
            continue
        for emp in range(EMPLOYEES):
            base = datetime.combine(day, datetime.min.time())
            times = [
                (base + timedelta(hours=8, seconds=rng.randint(-900, 900)), 0),
                (base + timedelta(hours=12, seconds=rng.randint(0, 300)), 2),
                (base + timedelta(hours=13, seconds=rng.randint(-300, 300)), 3),
                (base + timedelta(hours=17, seconds=rng.randint(0, 1800)), 1),
            ]
            if rng.random() < 0.05:
                times.append((times[0][0] + timedelta(seconds=20), 0))
            events += [(emp, when.strftime("%Y-%m-%d %H:%M:%S"), status)
                       for when, status in times]
    events.sort(key=lambda e: e[1])
    return events


def relay_pages(events, first_id: int, page_size: int):
    from zk_rules.fingerprint import punch_fingerprint

    page = []
    for offset, (emp, local_time, status) in enumerate(events):
        serial = f"BENCH{emp % DEVICES:03d}"
        pin = f"{emp:05d}"
        page.append({
            "id": first_id + offset, "serial": serial, "pin": pin, "local_time": local_time,
            "timezone": ZONE, "status": status, "verify": 1, "workcode": "",
            "received_at": "2025-01-01T00:00:00+00:00",
            "fingerprint": punch_fingerprint(serial, pin, local_time),
        })
        if len(page) == page_size:
            yield page
            page = []
    if page:
        yield page


def install(pg: ThrowawayPostgres, modules: str = "hr_zk_attendance") -> None:
    cmd = [str(HOME / "venv" / "bin" / "python"), str(HOME / "src" / "odoo-bin"),
           f"--addons-path={HOME / 'src' / 'odoo' / 'addons'},{ROOT / 'addons'}",
           f"--database={DB}", f"--db_host={pg.sock}", f"--db_port={pg.port}",
           "--db_user=odoo", "--without-demo=all", "--stop-after-init",
           f"--init={modules}", f"--http-port={free_port()}", "--log-level=warn",
           f"--data-dir={pg.root / 'filestore'}"]
    subprocess.run(cmd, check=True)


def open_registry(pg: ThrowawayPostgres, modules: str = "hr_zk_attendance"):
    """Start the cluster, install `modules`, and open the Odoo registry in-process."""
    pg.start()
    print(f"installing {modules} into a fresh database ({pg.root}) ...", flush=True)
    install(pg, modules)
    return point_odoo_at(pg)


def point_odoo_at(pg: ThrowawayPostgres):
    """The in-process Odoo on `pg`'s database: its configuration is parsed once per process,
    so a later cluster replaces the first one's address."""
    if "odoo" not in sys.modules:
        sys.path.insert(0, str(HOME / "src"))
        import odoo

        odoo.tools.config.parse_config([
            f"--addons-path={HOME / 'src' / 'odoo' / 'addons'},{ROOT / 'addons'}",
            f"--db_host={pg.sock}", f"--db_port={pg.port}", "--db_user=odoo",
            f"--data-dir={pg.root / 'filestore'}", "--log-level=warn"])
        return odoo.modules.registry.Registry(DB)
    import odoo

    odoo.modules.registry.Registry.delete_all()
    odoo.sql_db.close_all()
    odoo.tools.config["db_host"] = str(pg.sock)
    odoo.tools.config["db_port"] = pg.port
    odoo.tools.config["data_dir"] = str(pg.root / "filestore")
    return odoo.modules.registry.Registry(DB)


SIGNING_KEY = None


def signing_key():
    global SIGNING_KEY  # noqa: PLW0603 - one key per run, made lazily (cryptography import)
    if SIGNING_KEY is None:
        from zk_rules import signing

        SIGNING_KEY = signing.generate_private_key()
    return SIGNING_KEY


def take_signed_page(env, relay, events) -> None:
    """What the scheduled action does with a pulled page (zk.relay._pull_page, minus HTTP)."""
    from zk_rules import signing

    payload = signing.sign_page({
        "store_id": "bench-store", "events": events, "next_after": events[-1]["id"],
        "has_more": True, "last_event_id": events[-1]["id"]}, signing_key())
    page = relay._verified_page(payload, "pull", asked_after=relay.cursor)
    relay._import_page(page, payload, "pull")


def setup_fixtures(env):
    from zk_rules import signing

    relay = env["zk.relay"].create({"name": "bench", "url": "http://127.0.0.1:9", "token": "x",
                                    "public_key": signing.public_key_b64(signing_key())})
    # Terminals are created without contacting a relay: connection "direct" for the bench.
    devices = env["zk.device"].create([{
        "serial": f"BENCH{n:03d}", "timezone": ZONE, "connection": "direct",
        "address": "127.0.0.1"} for n in range(DEVICES)])
    employees = env["hr.employee"].create([{"name": f"Employee {n}", "tz": ZONE}
                                           for n in range(EMPLOYEES)])
    env["zk.device.user"].create([{
        "device_id": devices[n % DEVICES].id, "pin": f"{n:05d}", "employee_id": employees[n].id}
        for n in range(EMPLOYEES)])
    return relay


def naive_import(env, relay, page) -> None:
    """The free modules' way: search, create, toggle an open attendance, per event."""
    Punch, Attendance = env["zk.punch"], env["hr.attendance"]
    for event in page:
        if Punch.search_count([("fingerprint", "=", event["fingerprint"])]):
            continue
        device = env["zk.device"].search([("serial", "=", event["serial"])], limit=1)
        user = env["zk.device.user"].search([("device_id", "=", device.id),
                                             ("pin", "=", event["pin"])], limit=1)
        local = datetime.strptime(event["local_time"], "%Y-%m-%d %H:%M:%S")
        instant = local - timedelta(hours=8)
        Punch.create({
            "fingerprint": event["fingerprint"], "device_id": device.id, "relay_id": relay.id,
            "serial": event["serial"], "pin": event["pin"], "local_time": event["local_time"],
            "timezone": ZONE, "timestamp_utc": instant, "status": event["status"],
            "employee_id": user.employee_id.id, "state": "done",
        })
        open_attendance = Attendance.search([("employee_id", "=", user.employee_id.id),
                                             ("check_out", "=", False)], limit=1)
        if open_attendance and instant > open_attendance.check_in:
            open_attendance.check_out = instant
        elif not open_attendance:
            Attendance.create({"employee_id": user.employee_id.id, "check_in": instant})


# (module, class or None, attribute, label): the build's steps and what Odoo runs inside them.
BREAKDOWN = [
    ("odoo.addons.hr_zk_attendance.models.zk_daily_record", "ZkDailyRecord",
     "_cron_compute_pending", "attendances and daily records, total"),
    ("odoo.addons.hr_zk_attendance.models.zk_daily_record", None, "compute_days",
     "  engine (one pairing, the day's figures)"),
    ("odoo.addons.hr_zk_attendance.models.hr_attendance", "HrAttendance", "_zk_apply_plans",
     "  writing: unlink, create, flush, link"),
    ("odoo.addons.hr_attendance.models.hr_attendance", "HrAttendance", "create",
     "    Odoo hr.attendance.create"),
    ("odoo.addons.hr_attendance.models.hr_attendance", "HrAttendance", "_update_overtime",
     "      _update_overtime (with lazy computes)"),
    ("odoo.addons.hr_attendance.models.hr_attendance", "HrAttendance",
     "_compute_worked_hours", "      _compute_worked_hours"),
    ("odoo.addons.hr_attendance.models.hr_attendance", "HrAttendance",
     "_get_pre_post_work_time", "      _get_pre_post_work_time"),
    ("odoo.addons.hr_zk_attendance.models.hr_attendance", "HrAttendance", "_check_validity",
     "      overlap check, batched in a build"),
    ("odoo.addons.hr_attendance.models.hr_attendance", "HrAttendance", "_check_validity",
     "      overlap check, Odoo's (searches per attendance)"),
    ("odoo.addons.hr.models.hr_employee", "HrEmployeePrivate",
     "_employee_attendance_intervals", "      Odoo calendar intervals per employee"),
    ("odoo.addons.hr_attendance.models.hr_attendance", "HrAttendance",
     "_compute_overtime_hours", "      _compute_overtime_hours"),
    ("odoo.addons.hr_attendance.models.hr_attendance", "HrAttendance",
     "_compute_validated_overtime_hours", "      _compute_validated_overtime_hours"),
    ("odoo.sql_db", "BaseCursor", "flush", "    flush at savepoint/commit (recomputes)"),
    ("odoo.addons.hr_zk_attendance.models.hr_attendance", "HrAttendance",
     "_zk_link_punches", "    linking punches"),
]


def install_breakdown() -> dict:
    """Wrap the BREAKDOWN methods with wall-clock timers; returns {label: [calls, seconds]}."""
    import functools
    import importlib

    stats, building = {}, [False]

    def timed(function, label, total):
        depth = [0]

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            # Only inside the build (commits of the page import are not counted), and the
            # outermost call only (recursion, super()).
            if depth[0] or not (total or building[0]):
                return function(*args, **kwargs)
            depth[0] += 1
            building[0] = True
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                building[0] = building[0] and not total
                entry = stats.setdefault(label, [0, 0.0])
                entry[0] += 1
                entry[1] += time.perf_counter() - started
        return wrapper

    for number, (module_name, class_name, attribute, label) in enumerate(BREAKDOWN):
        owner = importlib.import_module(module_name)
        if class_name:
            owner = getattr(owner, class_name)
        function = (owner.__dict__.get(attribute) if class_name
                    else getattr(owner, attribute, None))
        if function is None:  # an older build without that step
            continue
        setattr(owner, attribute, timed(function, label, total=number == 0))
    return stats


def finish_days(env):
    """What the scheduled action runs after an import: attendances and daily records of the
    changed days, from one engine run per employee (returns the employees still waiting)."""
    return env["zk.daily.record"]._cron_compute_pending()


def measure(label, registry, relay_id, pages, importer, total, finisher=None):
    from odoo import SUPERUSER_ID, api

    samples = []
    started = time.perf_counter()
    done = 0
    for page in pages:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            importer(env, env["zk.relay"].browse(relay_id), page)
        done += len(page)
        if not samples or done >= total * len(samples) / 4:
            samples.append((done, rss_mb()))
    imported_at = time.perf_counter()
    while finisher:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            if not finisher(env):
                break
    elapsed = time.perf_counter() - started
    samples.append((done, rss_mb()))
    return {"label": label, "events": done, "seconds": elapsed, "rate": done / elapsed,
            "rss": samples, "import_seconds": imported_at - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--breakdown", action="store_true",
                        help="time the attendance build's steps and Odoo's methods inside")
    parser.add_argument("--durable", action="store_true",
                        help="PostgreSQL with fsync, synchronous_commit, full_page_writes on")
    args = parser.parse_args()
    os.nice(0)
    pg = ThrowawayPostgres(durable=args.durable)
    print(f"PostgreSQL: {pg.durability}", flush=True)
    try:
        registry = open_registry(pg)
        from odoo import SUPERUSER_ID, api

        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            relay_id = setup_fixtures(env).id
        today = date.today()
        # Sundays are rest days: generate enough working days for the requested events.
        days = max(1, args.events * 7 // (EMPLOYEES * 4 * 6) + 3)
        ours = punch_days(today - timedelta(days=days + 1), days)[: args.events]
        sample_days = max(1, args.sample * 7 // (EMPLOYEES * 4 * 6) + 3)
        older = today - timedelta(days=days + sample_days + 3)
        naive = punch_days(older, sample_days)[: args.sample]
        profiler = None
        if os.environ.get("ZK_BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
        # Before any attendance is created: Odoo collects its constraint methods then. The
        # timers count inside the zk-odoo build only.
        breakdown = install_breakdown() if args.breakdown else None
        results = [
            measure("naive (search + create per event)", registry, relay_id,
                    relay_pages(naive, 10_000_000, args.page_size), naive_import, len(naive))]
        if profiler:
            profiler.enable()
        results.append(
            measure("zk-odoo (signed page + one pairing)", registry, relay_id,
                    relay_pages(ours, 1, args.page_size), take_signed_page,
                    len(ours), finisher=finish_days))
        if profiler:
            import pstats

            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
        with registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM zk_punch")
            punches = cr.fetchone()[0]
            cr.execute("SELECT count(*) FROM hr_attendance WHERE in_mode = 'zk'")
            attendances = cr.fetchone()[0]
    finally:
        pg.stop()
    base = results[0]["rate"]
    print()
    print(f"{'path':42} {'events':>8} {'seconds':>8} {'events/s':>9} {'× naive':>8}  RSS MB "
          "(start → quarters → end)")
    for row in results:
        rss = " → ".join(f"{mb:.0f}" for _done, mb in row["rss"])
        print(f"{row['label']:42} {row['events']:>8} {row['seconds']:>8.1f} "
              f"{row['rate']:>9.0f} {row['rate'] / base:>8.1f}  {rss}")
    ours_row = results[-1]
    print(f"\nzk-odoo phases: pages stored in {ours_row['import_seconds']:.1f} s, attendances "
          f"and daily records in {ours_row['seconds'] - ours_row['import_seconds']:.1f} s "
          "(the naive baseline makes attendances only, no daily records)")
    print(f"stored: {punches} punches, {attendances} attendances written by zk-odoo; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("target: zk-odoo ≥ 10× naive, RSS flat across the import")
    if breakdown:
        print("\nattendance build, wall time (an indented line runs inside the one above it; "
              "computes run where Odoo triggers them, in create or at a flush):")
        for _module, _class, _attribute, label in BREAKDOWN:
            calls, seconds = breakdown.get(label, (0, 0.0))
            print(f"  {seconds:8.1f} s {calls:>8} calls  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
