"""A real zk-relay process for end-to-end tests (no fake relay: DEVELOPERS.md)."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def relay_command():
    """The zk-relay installed beside this Odoo (./run-tests installs it into Odoo's venv)."""
    candidate = Path(sys.executable).with_name("zk-relay")
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which("zk-relay")
    return [found] if found else None


class RelayProcess:
    def __init__(self, env=None):
        # No nightly reconciliation queries and no clock repair (a CHECK queued because a
        # test pushed punches of days ago): the tests expect only the commands they queue,
        # whatever the hour they run at.
        self.env = {**os.environ, "ZK_RELAY_RECON_SCHEDULE": "false",
                    "ZK_RELAY_CLOCK_REPAIR_AFTER_SECONDS": "0", **(env or {})}
        self.command = relay_command()
        self.data = Path(tempfile.mkdtemp(prefix="zk-relay-e2e-"))
        self.proc = None
        self.port = None

    def cli(self, *args):
        result = subprocess.run([*self.command, "--data-dir", str(self.data), *args],
                                capture_output=True, text=True, timeout=60, check=False,
                                env=self.env)
        if result.returncode:
            raise RuntimeError(f"zk-relay {' '.join(args)} exited {result.returncode}: "
                               f"{result.stderr.strip() or result.stdout.strip()}")
        return result.stdout.strip()

    def odoo_link(self):
        """The relay's link to Odoo as `zk-relay odoo status --json` shows it."""
        return json.loads(self.cli("odoo", "status", "--json"))["odoo"]

    def last_event_id(self):
        return json.loads(self.cli("status", "--json"))["store"]["last_event_id"]

    def wait_until(self, condition, what, deadline=60.0):
        """Poll the relay (never Odoo's cursor: HTTP requests use it meanwhile)."""
        end = time.monotonic() + deadline
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > end:
                raise AssertionError(f"never happened: {what}")
            time.sleep(0.1)

    def public_key(self):
        """The relay's Ed25519 public key (base64), as `zk-relay key show` prints it."""
        return json.loads(self.cli("key", "show", "--json"))["public_key"]

    def start(self):
        ready = self.data / "ready.json"
        ready.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [*self.command, "--data-dir", str(self.data), "serve", "--host", "127.0.0.1",
             "--port", str(self.port or 0), "--ready-file", str(ready)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env,
        )
        deadline = time.monotonic() + 30
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("zk-relay did not start")
            time.sleep(0.05)
        self.port = json.loads(ready.read_text())["port"]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def kill(self):
        """SIGKILL: no chance to flush anything that was not committed."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        shutil.rmtree(self.data, ignore_errors=True)

    def adms(self, method, path, body=b""):
        """One request as a terminal sends it: no Content-Type, Connection: close."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.putheader("User-Agent", "iClock Proxy/1.09")
        conn.putheader("Connection", "close")
        conn.putheader("Accept", "*/*")
        if method == "POST":
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if method == "POST" else None)
        response = conn.getresponse()
        text = response.read().decode("ascii", "replace")
        conn.close()
        return response.status, text

    def push_attlog(self, serial, lines):
        body = "".join(f"{pin}\t{when}\t{status}\t1\t\t0\t0\t\n"
                       for pin, when, status in lines).encode("ascii")
        return self.adms("POST", f"/iclock/cdata?SN={serial}&table=ATTLOG&Stamp=9999", body)
