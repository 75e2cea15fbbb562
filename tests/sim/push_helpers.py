"""A real ``zk-relay serve`` for the push simulator tests, and a loopback proxy that loses
answers.

The relay process comes from tests/relay/relay_harness.py (the same harness the relay's own
tests use); this module only puts that folder on ``sys.path``.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "relay"))

from relay_harness import Relay, make_relay  # noqa: E402

__all__ = ["FaultyProxy", "Relay", "make_relay", "register"]


def register(relay: Relay, serial: str, tz: str = "Asia/Manila") -> None:
    """Register a terminal through the pull API (as Odoo does), faster than the CLI."""
    reply = relay.api("PUT", f"/api/v1/devices/{serial}", {"timezone": tz})
    assert reply.status in (200, 201), reply.text


PASS, DROP_REPLY, REFUSE = "pass", "drop_reply", "refuse"


class FaultyProxy:
    """TCP proxy on loopback in front of the relay, one request per connection.

    ``decide(index, request)`` says what happens to the ``index``-th request (0-based):
    ``pass`` forwards it and returns the answer; ``drop_reply`` forwards it, lets the relay
    commit and answer, then closes the terminal's connection without a byte (the lost OK of
    §6.4.1); ``refuse`` closes the connection before anything reaches the relay.
    """

    def __init__(self, upstream_port: int, decide: Callable[[int, bytes], str]) -> None:
        self.upstream_port = upstream_port
        self.decide = decide
        self.log: list[tuple[str, str]] = []  # (request line, decision)
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)  # so the accept loop sees the stop flag
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with client:
            client.settimeout(10)
            request = _read_request(client)
            if request is None:
                return
            line = request.split(b"\r\n", 1)[0].decode("latin-1")
            with self._lock:
                index = len(self.log)
                decision = self.decide(index, request)
                self.log.append((line, decision))
            if decision == REFUSE:
                return
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as up:
                up.sendall(request)
                answer = b""
                while chunk := up.recv(65536):
                    answer += chunk
            if decision == PASS:
                client.sendall(answer)


def _read_request(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for header in head.split(b"\r\n")[1:]:
        key, _, value = header.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body
