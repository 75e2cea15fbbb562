"""A server process for the benchmarks: ``zk-relay serve`` (or any server that takes
``--ready-file``) started as a child, its port once it listens, its memory from /proc."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

RELAY = Path(sys.executable).parent / "zk-relay"


class ServerProcess:
    """``argv --ready-file F``, output appended to ``workdir / log_name``."""

    def __init__(self, argv: list[str], workdir: Path, log_name: str = "server.log") -> None:
        self.ready = workdir / f"ready-{time.monotonic_ns()}.json"
        self.log = open(workdir / log_name, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([*argv, "--ready-file", str(self.ready)],
                                     stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while not self.ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start: {argv} (see {workdir / log_name})")
            time.sleep(0.05)
        self.port = int(json.loads(self.ready.read_text())["port"])
        self.url = f"http://127.0.0.1:{self.port}"

    def memory_mb(self, field: str = "VmRSS") -> float:
        """A memory line of /proc/<pid>/status (VmRSS now, VmHWM the peak), in MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def reset_peak_rss(self) -> None:
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        except OSError:
            pass

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        self.log.close()


def relay_cli(data_dir: Path, *args: str) -> str:
    """Run ``zk-relay --data-dir DATA_DIR ARGS…``; its standard output."""
    return subprocess.run([str(RELAY), "--data-dir", str(data_dir), *args], check=True,
                          capture_output=True, text=True).stdout


def relay_argv(data_dir: Path, *, threads: int | None = None, log_level: str = "WARNING"
               ) -> list[str]:
    """``zk-relay serve`` on a free loopback port (add ``--ready-file``: ServerProcess does)."""
    argv = [str(RELAY), "--data-dir", str(data_dir), "serve", "--host", "127.0.0.1", "--port",
            "0", "--log-level", log_level]
    if threads is not None:
        argv += ["--threads", str(threads)]
    return argv


def serve_relay(data_dir: Path, workdir: Path, *, threads: int | None = None,
                log_level: str = "WARNING", log_name: str = "relay.log") -> ServerProcess:
    return ServerProcess(relay_argv(data_dir, threads=threads, log_level=log_level), workdir,
                         log_name)
