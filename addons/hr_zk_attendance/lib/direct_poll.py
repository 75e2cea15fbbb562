"""Poll a terminal directly (pyzk over TCP 4370) in a child process with a hard deadline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("pyzk_worker.py")


class TerminalError(Exception):
    """The terminal could not be read; the message says why in plain words."""


def read_terminal(host: str, port: int, password: int = 0, timeout: int = 10,
                  deadline: int = 300) -> dict[str, Any]:
    """Return {serial, firmware, users, records, rejected} read from the terminal."""
    try:
        done = subprocess.run(
            [sys.executable, str(WORKER), host, str(port), str(password), str(timeout)],
            capture_output=True, text=True, timeout=deadline, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TerminalError(f"{host}:{port} did not finish within {deadline} s "
                            "(the transfer stalled); it will be retried.") from exc
    if done.returncode:
        reason = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise TerminalError(f"Cannot read the terminal at {host}:{port}: {reason}")
    try:
        return json.loads(done.stdout)
    except ValueError as exc:
        raise TerminalError(f"The poller's answer for {host}:{port} was not JSON.") from exc
