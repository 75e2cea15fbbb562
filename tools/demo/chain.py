"""``./run-demo``: the whole product on one machine, for a newcomer to look at.

With an Odoo 18 (``$ODOO18_HOME``, default /opt/odoo18, as ``./run-tests``): a throwaway
PostgreSQL, Odoo with the three addons and Odoo's demo data, demo employees mapped to terminal
PINs in the terminals' zone, a real ``zk-relay serve`` enrolled in Odoo, simulated terminals
pushing a few weeks of punches over ADMS, the import and the daily records run. Without Odoo:
the relay and the terminals only. Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .odoo_rpc import Odoo, OdooError
from .procs import Children

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
ADDONS = ["hr_zk_attendance", "hr_cto_bank", "hr_payroll_export"]
DB = "zk_demo"
ODOO_DEFAULT_PORT = 8069
CRON_PULL = "hr_zk_attendance.ir_cron_zk_pull_relays"
CRON_DAILY = "hr_zk_attendance.ir_cron_zk_compute_daily"
INSTALL_TIMEOUT = 1200  # seconds: installing on a busy 2-core machine takes a few minutes


class Stop(Exception):  # noqa: N818 - a signal, not an error
    """SIGINT or SIGTERM: stop everything that was started."""


class DemoError(RuntimeError):
    """Something the demo needs did not work: the message says what and where to look."""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run-demo",
        description="See the whole product with one command: a throwaway PostgreSQL, Odoo 18 "
        "with the three addons and Odoo's demo data, a real zk-relay enrolled in Odoo and "
        "simulated ZKTeco terminals pushing a few weeks of punches (overtime, a forgotten "
        "check-out, a late arrival). It prints the URL and the login, then waits; Ctrl-C stops "
        "everything it started. Without an Odoo 18 at $ODOO18_HOME (default /opt/odoo18) it "
        "runs the relay and the terminals only.",
    )
    parser.add_argument("--port", type=int, help="Odoo's HTTP port on 127.0.0.1 (default "
                        "8069 when free, else any free port; 0: any free port)")
    parser.add_argument("--relay-port", type=int, default=0,
                        help="the relay's port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--weeks", type=int, default=3,
                        help="weeks of punches up to yesterday (default 3)")
    parser.add_argument("--terminals", type=int, default=2, choices=(1, 2, 3),
                        help="simulated terminals (default 2)")
    parser.add_argument("--employees", type=int, default=8,
                        help="demo employees given a PIN (default 8)")
    parser.add_argument("--seed", type=int, default=16, help="seed of the generated punches")
    parser.add_argument("--no-odoo", action="store_true",
                        help="relay and simulated terminals only, even when Odoo is there")
    parser.add_argument("--keep", action="store_true",
                        help="keep the demo folder (relay store, logs, Odoo files) on exit; "
                        "the database goes with the throwaway PostgreSQL")
    return parser


def load_run_tests():
    """The helpers of ./run-tests (odoo_home, ensure_venv, odoo_deps_installed), shared."""
    if "zk_run_tests" in sys.modules:
        return sys.modules["zk_run_tests"]
    loader = importlib.machinery.SourceFileLoader("zk_run_tests", str(ROOT / "run-tests"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(condition, what: str, timeout: float, children=(), interval: float = 0.5):
    """Poll ``condition`` until it returns something true; fail if a child died meanwhile."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        for child in children:
            if not child.alive():
                raise DemoError(f"{child.name} stopped while waiting for {what} "
                                f"(exit {child.proc.returncode}); its log ({child.log}) ends "
                                f"with:\n{child.tail()}")
        if time.monotonic() > end:
            raise DemoError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(interval)


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder = Path(tempfile.mkdtemp(prefix="zk-demo-"))
        self.logs = self.folder / "logs"
        self.logs.mkdir()
        self.children = Children(self.logs)
        self.pg = None
        self.relay = None
        self.relay_url = ""
        self.relay_data = self.folder / "relay"
        self.odoo = None
        self.odoo_child = None
        self.odoo_url = ""
        self.terminals = []
        self.scenario = None

    # ------------------------------------------------------------------ relay
    def relay_cli(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(
            [str(VENV / "bin" / "zk-relay"), "--data-dir", str(self.relay_data), *args],
            capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode:
            raise DemoError(f"zk-relay {' '.join(args)} failed: "
                            f"{(result.stderr or result.stdout).strip()}")
        return result.stdout.strip()

    def start_relay(self) -> None:
        say("starting the relay (zk-relay serve)")
        self.relay_data.mkdir()
        ready = self.folder / "relay-ready.json"
        self.relay = self.children.start("relay", [
            str(VENV / "bin" / "zk-relay"), "serve", "--data-dir", str(self.relay_data),
            "--host", "127.0.0.1", "--port", str(self.args.relay_port),
            "--ready-file", str(ready), "--log-format", "text", "--log-level", "WARNING"])
        wait_for(ready.exists, "the relay to listen", 60, [self.relay], 0.1)
        port = json.loads(ready.read_text())["port"]
        self.relay_url = f"http://127.0.0.1:{port}"
        say(f"relay listening on {self.relay_url} (store in {self.relay_data})")

    def relay_health(self) -> dict:
        try:
            with urllib.request.urlopen(f"{self.relay_url}/health", timeout=10) as answer:  # noqa: S310
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:  # 503 still carries the JSON body
            return json.loads(error.read() or b"{}")
        except (OSError, ValueError):
            return {}

    # ------------------------------------------------------------------ terminals
    def start_terminals(self) -> None:
        scenario = self.scenario
        for plan in scenario.terminals:
            path = plan.write(self.folder / f"terminal-{plan.serial}.json")
            self.terminals.append(self.children.start(f"terminal-{plan.serial}", [
                str(VENV / "bin" / "python"), str(ROOT / "tools" / "demo" / "terminal.py"),
                str(path), "--url", self.relay_url]))
        say(f"{len(scenario.terminals)} simulated terminal(s) pushing {scenario.punch_count} "
            f"punches ({scenario.first_day} to {scenario.last_day}, {self.args.weeks} "
            f"week(s)) to the relay over ADMS")

        def stored():
            return self.relay_health().get("last_event_id", 0) >= scenario.punch_count

        wait_for(stored, "the relay to store every punch", 300, self.terminals + [self.relay])
        say(f"the relay stored and acknowledged all {scenario.punch_count} punches")

    # ------------------------------------------------------------------ scenario
    def last_day(self) -> date:
        from .scenario import TIMEZONE
        return datetime.now(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)

    def build_scenario(self, people: list[tuple[str, str]]) -> None:
        from .scenario import build_scenario
        self.scenario = build_scenario(people, self.args.terminals, self.args.weeks,
                                       last_day=self.last_day(), seed=self.args.seed)

    # ------------------------------------------------------------------ no Odoo
    def run_without_odoo(self) -> None:
        from zk_sim.generate import generate_users

        from .scenario import TIMEZONE
        self.start_relay()
        users = generate_users(max(self.args.employees, 1), seed=self.args.seed)
        self.build_scenario([(u.pin, u.name) for u in users])
        for plan in self.scenario.terminals:
            self.relay_cli("device", "add", plan.serial, "--tz", TIMEZONE, "--name", plan.name)
        say(f"terminals registered on the relay: "
            f"{', '.join(f'{p.serial} ({p.name})' for p in self.scenario.terminals)}")
        self.start_terminals()
        relay = f"{VENV / 'bin' / 'zk-relay'} --data-dir {self.relay_data}"
        print(f"""
==> READY: relay {self.relay_url} with {len(self.scenario.terminals)} simulated terminal(s) \
(no Odoo). Ctrl-C stops everything.

  Look at it:
    curl {self.relay_url}/health                 # the relay's state, as JSON
    {relay} events --limit 20   # the punches, terminal-local time and zone
    {relay} status              # per terminal: last seen, counts, duplicates
  Stories in the punches:""", flush=True)
        self.print_stories()
        print(flush=True)

    # ------------------------------------------------------------------ Odoo
    def start_odoo(self, run_tests, home: Path) -> None:
        from pg_throwaway import ThrowawayPostgres
        python = home / "venv" / "bin" / "python"
        say("checking the addons' Python dependencies in Odoo's venv (zk-rules, zk-relay)")
        if not run_tests.odoo_deps_installed(home, python):
            raise DemoError("installing the addons' dependencies into Odoo's venv failed; "
                            f"try: {python} -m pip install -e rules -e relay -e sim "
                            "-r addons/requirements.txt")
        self.pg = ThrowawayPostgres()
        self.pg.start()
        say(f"PostgreSQL: throwaway cluster in {self.pg.root} (port {self.pg.port})")
        port = self.args.port
        if port is None:
            port = ODOO_DEFAULT_PORT if port_free(ODOO_DEFAULT_PORT) else 0
        port = port or run_tests.free_port()
        if not port_free(port):
            raise DemoError(f"port {port} is in use: choose another with --port")
        self.odoo_url = f"http://127.0.0.1:{port}"
        say(f"Odoo: installing {', '.join(ADDONS)} with Odoo's demo data into database "
            f"{DB} (a few minutes; log: {self.logs / 'odoo-install.log'})")
        common = [
            str(python), str(home / "src" / "odoo-bin"),
            f"--addons-path={home / 'src' / 'odoo' / 'addons'},{ROOT / 'addons'}",
            f"--database={DB}", f"--db-filter=^{DB}$", f"--db_host={self.pg.sock}",
            f"--db_port={self.pg.port}", "--db_user=odoo", "--http-interface=127.0.0.1",
            f"--data-dir={self.folder / 'odoo'}", "--log-level=info",
        ]
        # Odoo re-executes itself as plain "python" on a reload (SIGHUP): let that name be
        # Odoo's own interpreter. It imports zk_rules/zk_relay/zk_sim from this checkout, as
        # run-tests does (several worktrees may share one Odoo venv).
        env = {**run_tests.checkout_env(),
               "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        started = time.monotonic()
        install = self.children.start("odoo-install", [
            *common, f"--init={','.join(ADDONS)}", "--stop-after-init",
            "--max-cron-threads=0", f"--http-port={run_tests.free_port()}"], env=env, cwd=ROOT)
        said = [started]

        def installed():
            if time.monotonic() - said[0] >= 30:
                said[0] = time.monotonic()
                say(f"Odoo: still installing ({said[0] - started:.0f} s)")
            return not install.alive()

        wait_for(installed, "Odoo to install the addons", INSTALL_TIMEOUT, (), 2)
        self.children.started.remove(install)  # done: not a service to watch or stop
        if install.proc.returncode:
            raise DemoError(f"installing the addons failed (exit {install.proc.returncode}); "
                            f"{install.log} ends with:\n{install.tail()}")
        say(f"Odoo: installed in {time.monotonic() - started:.0f} s; starting the server")
        self.odoo_child = self.children.start("odoo", [
            *common, f"--http-port={port}", "--max-cron-threads=1"], env=env, cwd=ROOT)
        self.odoo = Odoo(self.odoo_url, DB, "admin", "admin")
        wait_for(self.odoo.reachable, "Odoo to answer", 300, [self.odoo_child], 1)
        say(f"Odoo is up on {self.odoo_url}; logged in as admin over JSON-RPC")

    def setup_people(self) -> list[dict]:
        from .scenario import SCHEDULE, TIMEZONE
        odoo = self.odoo
        odoo.call("ir.config_parameter", "set_param", "web.base.url", self.odoo_url)
        # The admin reads times in the terminals' zone, as the branch's people do.
        odoo.call("res.users", "write", [odoo.uid], {"tz": TIMEZONE})
        calendar = odoo.call("resource.calendar", "create", {
            "name": "Manila office 08:00-17:00", "tz": TIMEZONE,
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"{['Mon', 'Tue', 'Wed', 'Thu', 'Fri'][d]} {period}",
                        "dayofweek": str(d), "hour_from": start, "hour_to": end,
                        "day_period": period})
                for d, start, end, period in SCHEDULE]})
        employees = odoo.search_read("hr.employee", [("user_id", "!=", odoo.uid)],
                                     ["name"], order="name", limit=self.args.employees)
        if not employees:
            raise DemoError("Odoo's demo data has no employees: was hr installed with demo "
                            "data?")
        odoo.call("hr.employee", "write", [e["id"] for e in employees],
                  {"tz": TIMEZONE, "resource_calendar_id": calendar})
        for number, employee in enumerate(employees, start=1):
            employee["pin"] = f"{number:04d}"
        say(f"{len(employees)} demo employees in {TIMEZONE} on the schedule 'Manila office "
            f"08:00-17:00': {', '.join(e['name'] for e in employees)}")
        return employees

    def enrol_relay(self) -> int:
        odoo = self.odoo
        relay_id = odoo.call("zk.relay", "create", {
            "name": "Manila branch relay", "url": self.relay_url, "delivery_mode": "pull"})
        action = odoo.call("zk.relay", "action_enrolment_code", [relay_id])
        wizard = odoo.search_read("zk.relay.enrol.wizard", [("id", "=", action["res_id"])],
                                  ["code", "command"])[0]
        say(f"relay created in Odoo; its enrolment code says: {wizard['command']}")
        self.relay_cli("enrol", "--odoo", self.odoo_url, "--code", wizard["code"], "--url",
                       self.relay_url)
        state = odoo.search_read("zk.relay", [("id", "=", relay_id)], ["link_state"])[0]
        if state["link_state"] != "enrolled":
            raise DemoError(f"the relay is {state['link_state']!r} in Odoo after enrolment")
        say("relay enrolled: Odoo holds its signing key and API token")
        return relay_id

    def register_terminals(self, relay_id: int, employees: list[dict]) -> None:
        from .scenario import TIMEZONE
        odoo = self.odoo
        by_pin = {e["pin"]: e["id"] for e in employees}
        for plan in self.scenario.terminals:
            device_id = odoo.call("zk.device", "create", {
                "serial": plan.serial, "name": plan.name, "timezone": TIMEZONE,
                "relay_id": relay_id, "connection": "relay"})
            error = odoo.search_read("zk.device", [("id", "=", device_id)],
                                     ["relay_sync_error"])[0]["relay_sync_error"]
            if error:
                raise DemoError(f"Odoo could not register {plan.serial} on the relay: {error}")
            odoo.call("zk.device.user", "create", [
                {"device_id": device_id, "pin": user.pin, "employee_id": by_pin[user.pin]}
                for user in plan.users])
        listed = ", ".join(f"{p.serial} ({p.name}, {len(p.users)} people)"
                           for p in self.scenario.terminals)
        say(f"terminals registered in Odoo and on the relay, PINs mapped: {listed}")

    def trigger(self, xmlid: str, cron_ids: dict) -> None:
        """Run a scheduled action now ("Run manually"); wait if the cron thread runs it."""
        for _attempt in range(120):
            try:
                self.odoo.call("ir.cron", "method_direct_trigger", [cron_ids[xmlid]])
                return
            except OdooError as error:
                if "being executed" not in str(error) and "locked" not in str(error).lower():
                    raise
                time.sleep(1)
        raise DemoError(f"the scheduled action {xmlid} stayed busy")

    def import_and_compute(self, relay_id: int) -> None:
        odoo = self.odoo
        crons = {x: odoo.ref(x) for x in (CRON_PULL, CRON_DAILY)}
        total = self.scenario.punch_count
        say("import: running the scheduled action 'import punches from relays'")
        for _run in range(500):
            self.trigger(CRON_PULL, crons)
            relay = odoo.search_read("zk.relay", [("id", "=", relay_id)],
                                     ["cursor", "last_error"])[0]
            if relay["cursor"] >= total:
                break
            if relay["last_error"]:
                raise DemoError(f"the import failed: {relay['last_error']}")
        else:
            raise DemoError("the import did not finish")
        imported = odoo.count("zk.punch", [("relay_id", "=", relay_id)])
        say(f"import: {imported} punches in Odoo's punch log")
        say("attendances and daily records: running 'attendances and daily records of changed "
            "days'")
        pending = [("relay_id", "=", relay_id), "|", ("pairing_pending", "=", True),
                   ("record_pending", "=", True)]
        for _run in range(200):
            self.trigger(CRON_DAILY, crons)
            if not odoo.count("zk.punch", pending):
                break
        else:
            raise DemoError("attendances and daily records did not finish")

    def summary(self, employees: list[dict]) -> dict:
        odoo = self.odoo
        ids = [e["id"] for e in employees]
        facts = {
            "punches": odoo.count("zk.punch", [("employee_id", "in", ids)]),
            "attendances": odoo.count("hr.attendance", [("employee_id", "in", ids)]),
            "records": odoo.count("zk.daily.record", [("employee_id", "in", ids)]),
            "overtime": odoo.count("zk.overtime.line", [("employee_id", "in", ids),
                                                        ("status", "=", "to_approve")]),
        }
        say(f"done: {facts['punches']} punches, {facts['attendances']} attendances, "
            f"{facts['records']} daily records, {facts['overtime']} overtime line(s) to approve")
        return facts

    def run_with_odoo(self, run_tests, home: Path) -> None:
        self.start_relay()
        self.start_odoo(run_tests, home)
        employees = self.setup_people()
        self.build_scenario([(e["pin"], e["name"]) for e in employees])
        relay_id = self.enrol_relay()
        self.register_terminals(relay_id, employees)
        self.start_terminals()
        self.import_and_compute(relay_id)
        self.summary(employees)
        url = self.odoo_url
        print(f"""
==> READY: open {url}/odoo and log in as admin / admin. Ctrl-C stops everything.

  Look first at (times are Asia/Manila, the terminals' zone):
    Attendances > Review > Daily records: each employee's day, worked, late, overtime
      {url}/odoo/action-hr_zk_attendance.zk_daily_record_action
    Attendances > Review > Overtime to approve: approve or approve less
      {url}/odoo/action-hr_zk_attendance.zk_overtime_line_action
    Attendances > Terminals > Punch log: every punch as the terminals sent it
      {url}/odoo/action-hr_zk_attendance.zk_punch_action
    Attendances > Configuration > ZKTeco > Relays: the enrolled relay, its terminals
      {url}/odoo/action-hr_zk_attendance.zk_relay_action
  Stories in the punches:""", flush=True)
        self.print_stories()
        print(f"""
  The relay: {self.relay_url}/health, or
    {VENV / 'bin' / 'zk-relay'} --data-dir {self.relay_data} events --limit 20
""", flush=True)

    def print_stories(self) -> None:
        for story in self.scenario.stories:
            terminal = self.scenario.terminal_of(story.pin)
            print(f"    {story.day:%a %d %b}  {story.name} (PIN {story.pin}, {terminal.name}): "
                  f"{story.text}", flush=True)

    # ------------------------------------------------------------------ lifetime
    def wait(self) -> None:
        while True:
            time.sleep(1)
            for child in self.children.started:
                if not child.alive():
                    raise DemoError(f"{child.name} stopped by itself (exit "
                                    f"{child.proc.returncode}); its log ({child.log}) ends "
                                    f"with:\n{child.tail()}")

    def close(self) -> None:
        names = [c.name for c in reversed(self.children.started) if c.alive()]
        self.children.stop_all()
        if self.pg is not None:
            self.pg.stop()
            names.append("postgresql")
        if self.args.keep:
            say(f"stopped: {', '.join(names) or 'nothing was running'}; kept {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
            say(f"stopped: {', '.join(names) or 'nothing was running'}; removed {self.folder}")


def _raise_stop(signum, frame):
    raise Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.weeks < 1 or args.employees < 1:
        print("run-demo: --weeks and --employees must be at least 1", file=sys.stderr)
        return 2
    run_tests = load_run_tests()
    home = None if args.no_odoo else run_tests.odoo_home()
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    demo = Demo(args)
    code = 0
    try:
        say(f"demo folder {demo.folder} (logs in {demo.logs})")
        if args.no_odoo:
            say("--no-odoo: running the relay and simulated terminals only")
            demo.run_without_odoo()
        elif home is None:
            where = os.environ.get("ODOO18_HOME", "/opt/odoo18")
            say(f"no Odoo 18 found at {where} (set ODOO18_HOME to a folder holding "
                "src/odoo-bin and venv/): running the relay and simulated terminals only")
            demo.run_without_odoo()
        else:
            say(f"Odoo 18 found at {home}")
            demo.run_with_odoo(run_tests, home)
        demo.wait()
    except Stop as stop:
        say(f"{stop}: stopping everything the demo started")
    except (DemoError, OdooError, RuntimeError, OSError) as error:
        say(f"the demo could not go on: {error}")
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        demo.close()
    return code
