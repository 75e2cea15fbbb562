"""`./run-demo` (README "Run it"): the real command, its real children, stopped by SIGINT.

Without Odoo: the relay holds every punch the simulated terminals generated. With an Odoo 18
at $ODOO18_HOME: admin logs in over JSON-RPC and finds the punches imported and the daily
records computed for the demo employees, the demo's stories among them. Either way SIGINT
leaves no process and no folder behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RUN_DEMO = ROOT / "run-demo"
ZK_RELAY = ROOT / ".venv" / "bin" / "zk-relay"


def odoo_home() -> Path | None:
    home = Path(os.environ.get("ODOO18_HOME", "/opt/odoo18"))
    if (home / "venv" / "bin" / "python").exists() and (home / "src" / "odoo-bin").exists():
        return home
    return None


class DemoRun:
    """`./run-demo ARGS` with its output read line by line in a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([str(RUN_DEMO), *args], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        with self.lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = re.search(pattern, self.output)
            if found:
                return found
            if self.proc.poll() is not None:
                self.reader.join(5)
                found = re.search(pattern, self.output)
                if found:
                    return found
                pytest.fail(f"run-demo exited {self.proc.returncode} before {pattern!r}:\n"
                            f"{self.output}")
            time.sleep(0.2)
        self.interrupt()
        pytest.fail(f"no {pattern!r} within {timeout:.0f} s:\n{self.output}")

    def interrupt(self, timeout: float = 90) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, command line) of every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), fields[0], cmdline)
    return table


def descendants(pid: int) -> dict[int, str]:
    table = process_table()
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _state, cmdline) in table.items():
            if ppid == parent and child not in found:
                found[child] = cmdline
                frontier.append(child)
    return found


def running(pids: dict[int, str]) -> list[str]:
    """The processes of ``pids`` still alive (same command line: not a reused pid)."""
    table = process_table()
    return [cmd for pid, cmd in pids.items()
            if pid in table and table[pid][1] != "Z" and table[pid][2] == cmd]


def processes_mentioning(text: str) -> list[str]:
    return [cmd for _ppid, state, cmd in process_table().values()
            if text in cmd and state != "Z"]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def assert_all_gone(demo: DemoRun, children: dict[int, str], folder: str) -> None:
    code = demo.interrupt()
    assert code == 0, demo.output
    assert "SIGINT: stopping everything" in demo.output
    deadline = time.monotonic() + 20
    while running(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running(children), f"left running: {running(children)}"
    assert not processes_mentioning(folder), processes_mentioning(folder)
    assert not Path(folder).exists(), f"{folder} was not removed"


def test_no_odoo_relay_holds_the_simulated_punches_and_sigint_stops_all():
    demo = DemoRun("--no-odoo", "--weeks", "1", "--employees", "5")
    try:
        folder = demo.wait_for(r"demo folder (\S+)", 60).group(1)
        stored = int(demo.wait_for(r"relay stored and acknowledged all (\d+) punches", 180)
                     .group(1))
        demo.wait_for(r"READY: relay (http://127\.0\.0\.1:\d+)", 30)
        relay_url = re.search(r"READY: relay (\S+)", demo.output).group(1)
        store = re.search(r"store in (\S+)\)", demo.output).group(1)
        children = descendants(demo.proc.pid)
        commands = " ".join(children.values())
        assert "zk-relay serve" in commands
        assert commands.count("terminal.py") == 2

        # One week of Monday..Friday punches of 5 people, plus the overtime worker's Saturday.
        assert stored >= 5 * 4 * 3
        assert get_json(f"{relay_url}/health")["last_event_id"] == stored
        listing = subprocess.run(
            [str(ZK_RELAY), "--data-dir", store, "events", "--json", "--limit", "100000"],
            capture_output=True, text=True, check=True, timeout=60).stdout
        events = [json.loads(line) for line in listing.splitlines() if line.strip()]
        assert len(events) == stored
        assert {e["serial"] for e in events} == {"DEMO000001", "DEMO000002"}
        assert {e["timezone"] for e in events} == {"Asia/Manila"}
        late = [e for e in events if e["pin"] == "0003" and e["local_time"].endswith("09:24:50")]
        assert len(late) == 1, "the late arrival of the third person"
        assert any(e["pin"] == "0001" and e["local_time"].endswith("19:31:20") for e in events)
    except BaseException:
        demo.interrupt()
        raise
    assert_all_gone(demo, children, folder)


@pytest.mark.skipif(odoo_home() is None, reason="no Odoo 18 at $ODOO18_HOME")
def test_with_odoo_admin_sees_imported_punches_and_daily_records():
    demo = DemoRun("--weeks", "1", "--employees", "3", "--terminals", "1", "--port", "0")
    try:
        folder = demo.wait_for(r"demo folder (\S+)", 60).group(1)
        pg_root = demo.wait_for(r"PostgreSQL: throwaway cluster in (\S+)", 120).group(1)
        url = demo.wait_for(r"READY: open (http://127\.0\.0\.1:\d+)/odoo", 600).group(1)
        assert "log in as admin / admin" in demo.output
        stored = int(re.search(r"acknowledged all (\d+) punches", demo.output).group(1))
        children = descendants(demo.proc.pid)
        commands = " ".join(children.values())
        assert "odoo-bin" in commands and "zk-relay serve" in commands
        assert processes_mentioning(pg_root), "PostgreSQL runs from the demo's cluster"

        rpc = JsonRpc(url, "zk_demo", "admin", "admin")
        relay = rpc.call("zk.relay", "search_read", [], fields=["link_state", "cursor"])
        assert [r["link_state"] for r in relay] == ["enrolled"]
        assert rpc.call("zk.punch", "search_count", []) == stored
        assert rpc.call("zk.punch", "search_count", [("employee_id", "=", False)]) == 0
        mapping = {m["pin"]: m["employee_id"][0] for m in rpc.call(
            "zk.device.user", "search_read", [], fields=["pin", "employee_id"])}
        assert sorted(mapping) == ["0001", "0002", "0003"]
        for pin, employee in mapping.items():
            employee_tz = rpc.call("hr.employee", "read", [employee], fields=["tz"])[0]["tz"]
            assert employee_tz == "Asia/Manila", pin
            assert rpc.call("zk.daily.record", "search_count",
                            [("employee_id", "=", employee)]) >= 5, pin
        # The stories, as the engine computed them from the punches.
        assert rpc.call("zk.overtime.line", "search_count",
                        [("employee_id", "=", mapping["0001"])]) >= 1
        assert rpc.call("zk.daily.record", "search_count",
                        [("employee_id", "=", mapping["0002"]),
                         ("missing_check_out", "=", True)]) >= 1
        assert rpc.call("zk.daily.record", "search_count",
                        [("employee_id", "=", mapping["0003"]),
                         ("late_in_minutes", ">=", 80)]) == 1
    except BaseException:
        demo.interrupt()
        raise
    assert_all_gone(demo, children, folder)
    assert not processes_mentioning(pg_root)
    assert not Path(pg_root).exists()


class JsonRpc:
    def __init__(self, url: str, db: str, login: str, password: str) -> None:
        self.url, self.db, self.password = url, db, password
        self.uid = self._call("common", "login", db, login, password)
        assert self.uid, "admin / admin is refused"

    def _call(self, service: str, method: str, *args):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": service, "method": method, "args": list(args)}}).encode()
        request = urllib.request.Request(f"{self.url}/jsonrpc", data=body,  # noqa: S310
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            reply = json.loads(answer.read())
        assert "error" not in reply, reply.get("error")
        return reply["result"]

    def call(self, model: str, method: str, *args, **kwargs):
        return self._call("object", "execute_kw", self.db, self.uid, self.password, model,
                          method, list(args), kwargs)
