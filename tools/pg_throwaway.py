"""A throwaway PostgreSQL cluster for the Odoo tests and benchmarks.

Lives in a temporary folder, listens on a Unix socket there and on a loopback port, trusts
local connections, and disappears on stop(). PostgreSQL's server tools refuse to run as root,
so as root they run as the `postgres` account.

By default it trades durability for speed (fsync, synchronous_commit and full_page_writes
off: a crash may lose it, which a throwaway cluster does not mind). `durable=True` keeps
PostgreSQL's durable defaults (all three on), so a benchmark measures what a production
database pays for each commit; `durability` says which one a run used. `make_durable()`
switches a fast cluster to durable while it runs, so a long untimed set-up can stay fast.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_CANDIDATES = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"]
DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=False, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary folder, on a Unix socket and loopback port."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable
        self.bin = next((Path(p) for p in PG_BIN_CANDIDATES if Path(p, "initdb").exists()), None)
        if self.bin is None:
            found = shutil.which("initdb")
            self.bin = Path(found).parent if found else None
        self.root = Path(tempfile.mkdtemp(prefix="zk-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _cmd(self, *args: str) -> list[str]:
        # PostgreSQL's server tools refuse to run as root: use the postgres account then.
        if self.as_postgres:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def start(self) -> None:
        if self.bin is None:
            raise RuntimeError("PostgreSQL server tools (initdb) not found")
        self._make_socket_folder()
        init = run(
            self._cmd(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                      "-U", "postgres", "-E", "UTF8", "--no-sync"),
            capture_output=True, text=True,
        )
        if init.returncode:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        # In postgresql.conf, not on the command line: make_durable() overrides it later.
        setting = "on" if self.durable else "off"
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{name} = {setting}\n" for name in DURABILITY_SETTINGS)
        self._serve()
        self.psql("postgres", "CREATE ROLE odoo LOGIN SUPERUSER")

    def _make_socket_folder(self) -> None:
        self.sock.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")

    def _serve(self) -> None:
        options = f"-k {self.sock} -p {self.port} -c listen_addresses=127.0.0.1"
        start = run(
            self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                      "-l", str(self.root / "postgres.log"), "-w", "start"),
            capture_output=True, text=True,
        )
        if start.returncode:
            raise RuntimeError(f"PostgreSQL did not start: {start.stderr.strip()}")

    def save(self, target: Path, *extra: str) -> None:
        """A copy of the cluster (and the `extra` folders of its root) in `target`, taken
        stopped so it is consistent; the cluster runs again afterwards. A long benchmark
        set-up saved once can be measured again with restore()."""
        subprocess.run(self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                                 "-w", "stop"), check=True, capture_output=True)
        target.mkdir(parents=True, exist_ok=True)
        for name in ("data", *extra):
            if (self.root / name).exists():
                subprocess.run(["cp", "-a", str(self.root / name), str(target)], check=True)
        self._serve()

    def restore(self, source: Path) -> None:
        """Start this (new) cluster from a copy save() took, instead of an empty one."""
        self._make_socket_folder()
        for folder in source.iterdir():
            if folder.is_dir():
                subprocess.run(["cp", "-a", str(folder), str(self.root)], check=True)
        self._serve()
        self.durable = self.psql("postgres", "SHOW fsync") == "on"

    def make_durable(self) -> None:
        """From now on every commit reaches the disk: the three settings on (all reload
        without a restart), then what the fast cluster left in the OS cache is written out
        (a checkpoint, then sync), so the first measured commit starts from a clean state."""
        for name in DURABILITY_SETTINGS:
            self.psql("postgres", f"ALTER SYSTEM SET {name} = on")
        self.psql("postgres", "SELECT pg_reload_conf()")
        for _ in range(50):  # the server takes a reload signal a moment later
            if all(self.psql("postgres", f"SHOW {name}") == "on"
                   for name in DURABILITY_SETTINGS):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("PostgreSQL did not turn fsync, synchronous_commit and "
                               "full_page_writes on")
        self.psql("postgres", "CHECKPOINT")
        os.sync()
        self.durable = True

    @property
    def durability(self) -> str:
        """What the report prints: the cluster's durability settings."""
        if self.durable:
            return "durable (fsync, synchronous_commit, full_page_writes on)"
        return "not durable (fsync, synchronous_commit, full_page_writes off)"

    def psql(self, db: str, sql: str, user: str = "postgres") -> str:
        result = run(
            ["psql", "-h", str(self.sock), "-p", str(self.port), "-U", user, "-d", db,
             "-tAc", sql],
            capture_output=True, text=True,
        )
        if result.returncode:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def stop(self) -> None:
        if self.data.exists():
            run(self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "stop"), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
