"""Fixtures that run a real ``zk-relay serve`` process and talk to it over real HTTP.

Requests to /iclock/ are written byte for byte as terminals send them (raw sockets), so no
client library adds or normalises headers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

RELAY_BIN = Path(sys.executable).parent / "zk-relay"
STARTUP_DEADLINE = 30.0


@dataclass
class Reply:
    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    raw: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def acknowledged(self) -> bool:
        """What firmware calls success: status exactly 200 and OK in the body (§0.1)."""
        return self.status == 200 and b"OK" in self.body


def parse_reply(raw: bytes) -> Reply:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    # skip interim 100 Continue responses
    while lines[0].startswith("HTTP/1.1 100"):
        head, _, body = body.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
    _, status, reason = (lines[0].split(" ", 2) + [""])[:3]
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return Reply(int(status), reason, headers, body, raw)


def _complete(data: bytes) -> bool:
    """A final (non-100) response whose Content-Length bytes have all arrived."""
    try:
        reply = parse_reply(data)
    except (ValueError, IndexError):
        return False
    length = reply.headers.get("content-length")
    return length is not None and len(reply.body) >= int(length)


def terminal_request(method: str, target: str, body: bytes | None = None, *,
                     host: str = "127.0.0.1", extra: list[str] | None = None,
                     content_length: bool = True) -> bytes:
    """Headers in the order 2.x firmware sends them (§2.1): no Content-Type."""
    extra = list(extra or [])
    connection = [h for h in extra if h.lower().startswith("connection:")] or ["Connection: close"]
    extra = [h for h in extra if not h.lower().startswith("connection:")]
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "User-Agent: iClock Proxy/1.09",
             *connection, "Accept: */*"]
    if body is not None and content_length:
        lines.append(f"Content-Length: {len(body)}")
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


@dataclass
class Relay:
    data_dir: Path
    workdir: Path
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    # -- process
    def start(self) -> Relay:
        ready = self.workdir / "ready.json"
        ready.unlink(missing_ok=True)
        log = open(self.workdir / "relay.log", "ab")  # noqa: SIM115
        args = [str(RELAY_BIN), "--data-dir", str(self.data_dir), "serve", "--host",
                "127.0.0.1", "--port", str(self.port), "--ready-file", str(ready)]
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, env=self.env)
        log.close()
        deadline = time.monotonic() + STARTUP_DEADLINE
        while not ready.exists():
            if self.proc.poll() is not None:
                raise RuntimeError("relay exited:\n" + self.log())
            if time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("relay did not start:\n" + self.log())
            time.sleep(0.02)
        self.port = int(json.loads(ready.read_text())["port"])
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def log(self) -> str:
        path = self.workdir / "relay.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- command line
    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(RELAY_BIN), "--data-dir", str(self.data_dir), *args],
                                capture_output=True, text=True, env=self.env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"zk-relay {' '.join(args)} failed: {result.stderr}")
        return result

    def add_device(self, serial: str, tz: str = "Asia/Manila", *extra: str) -> None:
        self.cli("device", "add", serial, "--tz", tz, *extra)

    def token(self, name: str = "odoo") -> str:
        if name not in self.tokens:
            self.tokens[name] = self.cli("token", "create", name).stdout.strip()
        return self.tokens[name]

    # -- HTTP
    def send(self, request: bytes, *, timeout: float = 30) -> Reply:
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(request)
            data = b""
            while True:  # until the server closes, or the announced body is complete
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                if _complete(data):
                    break
        try:
            return parse_reply(data)
        except (ValueError, IndexError):
            raise ConnectionError(f"no complete response: {data[:100]!r}") from None

    def get(self, target: str, **kw: Any) -> Reply:
        return self.send(terminal_request("GET", target, **kw))

    def post(self, target: str, body: bytes, **kw: Any) -> Reply:
        return self.send(terminal_request("POST", target, body, **kw))

    def attlog(self, serial: str, body: bytes, stamp: str = "9999") -> Reply:
        return self.post(f"/iclock/cdata?SN={serial}&table=ATTLOG&Stamp={stamp}", body)

    def handshake(self, serial: str, extra_query: str = "&pushver=2.4.1") -> Reply:
        return self.get(f"/iclock/cdata?SN={serial}&options=all{extra_query}")

    def api(self, method: str, path: str, payload: Any = None, *, token: str | None = None,
            auth: bool = True, headers: list[str] | None = None) -> Reply:
        """A JSON API call; with the default token unless ``token`` or ``auth=False``."""
        body = json.dumps(payload).encode() if payload is not None else None
        extra = list(headers or [])
        if auth and token is None:
            token = self.token()
        if auth:
            extra.append(f"Authorization: Bearer {token}")
        if body is not None:
            extra.append("Content-Type: application/json")
        return self.send(terminal_request(method, path, body, extra=extra))

    # -- database (read-only look at what is on disk)
    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.data_dir / 'relay.sqlite3'}?mode=ro", uri=True)
        return conn

    def events(self, serial: str | None = None) -> list[tuple[Any, ...]]:
        conn = self.db()
        try:
            sql = ("SELECT id, serial, pin, local_time, timezone, status, verify, workcode, raw,"
                   " fingerprint FROM events")
            if serial:
                return conn.execute(sql + " WHERE serial = ? ORDER BY id", (serial,)).fetchall()
            return conn.execute(sql + " ORDER BY id").fetchall()
        finally:
            conn.close()


def make_relay(tmp: Path, **env: str) -> Relay:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ZK_RELAY_")}
    # The nightly reconciliation would queue its queries whenever a test runs in its window;
    # tests of it turn it on themselves.
    environ["ZK_RELAY_RECON_SCHEDULE"] = "false"
    environ.update(env)
    return Relay(data_dir=tmp / "data", workdir=tmp, env=environ)


@pytest.fixture
def relay_factory(tmp_path: Path) -> Iterator[Any]:
    """Make relays in a fresh folder; every started one is stopped at the end."""
    made: list[Relay] = []

    def factory(**env: str) -> Relay:
        sub = tmp_path / f"relay{len(made)}"
        sub.mkdir()
        relay = make_relay(sub, **env)
        made.append(relay)
        return relay

    yield factory
    for relay in made:
        relay.stop()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    """One running relay shared by a module; each test uses its own serials."""
    tmp = tmp_path_factory.mktemp("relay")
    relay = make_relay(tmp)
    relay.cli("device", "list")  # creates the store
    relay.start()
    yield relay
    relay.stop()
    shutil.rmtree(tmp, ignore_errors=True)
