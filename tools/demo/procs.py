"""The demo's child processes: started with their output in a log file, stopped in reverse.

Each child runs in a session of its own, so Ctrl-C in the terminal reaches ``run-demo`` only
and ``run-demo`` stops its children in order (terminals, relay, Odoo). Each child also gets
SIGTERM from the kernel should ``run-demo`` die without cleaning up (Linux PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the explicit stop still applies
        pass


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Children:
    """Every process the demo started, stopped in the reverse order of their start."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[Child] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str] | None = None,
              cwd: Path | None = None) -> Child:
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=cwd, start_new_session=True, preexec_fn=_die_with_parent,
            )
        child = Child(name, proc, log)
        self.started.append(child)
        return child

    def stop(self, child: Child, grace: float = 15.0) -> None:
        if child.alive():
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                child.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.proc.wait(timeout=10)
        else:
            child.proc.wait()
        # Anything the child left in its session (a worker it forked) goes too.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self) -> None:
        for child in reversed(self.started):
            self.stop(child)
