"""Load run: many ADMS push terminals (zk_sim.PushTerminal) against one relay on loopback.

    .venv/bin/python bench/load_relay.py                      # 200 terminals, 30 s
    .venv/bin/python bench/load_relay.py --seconds 10 --mode realtime

Each terminal is a thread running the push simulator as firmware would: handshake, its users
as OPERLOG rows, then ATTLOG batches (``catchup``: growing from 30 to 150 lines, §6.3;
``realtime``: one line per POST, Realtime=1), with the firmware's retry and back-off rules,
until the time is up. Profiles rotate modern / legacy / eSSL. The relay is a real
``zk-relay serve`` process with its default configuration (16 Waitress threads, INFO logs to a
file).

The table: acknowledged records/s (over the whole run), POSTs/s, p50/p99/max latency of an
acknowledged ATTLOG POST as the terminal saw it (connect to last byte), errors (any exchange
without a 200 + OK), relay peak RSS (VmHWM from /proc) and CPU, the load generator's own CPU
(so one can see whether it, rather than the relay, was the bottleneck on a small machine), and
a check that every acknowledged record is in the store exactly once. Measurements only: no
assertions.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from relay_process import ServerProcess, relay_argv, relay_cli

from zk_sim.generate import generate_users
from zk_sim.model import TerminalRecord
from zk_sim.push_terminal import BatchPolicy, Ledger, PushTerminal

PROFILES = ("modern", "legacy", "essl")
TICKS = os.sysconf("SC_CLK_TCK")


def relay_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def relay_memory(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            out[key] = int(value.split()[0]) * 1024
    return out


class RelayProcess(ServerProcess):
    """``zk-relay serve`` (default threads) on ``workdir/data`` with an API token ``bench``."""

    def __init__(self, workdir: Path, log_level: str) -> None:
        self.data = workdir / "data"
        relay_cli(self.data, "device", "list")  # creates the store
        self.token = relay_cli(self.data, "token", "create", "bench").strip()
        super().__init__(relay_argv(self.data, log_level=log_level), workdir, "relay.log")

    def register(self, serial: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("PUT", f"/api/v1/devices/{serial}",
                         body=json.dumps({"timezone": "Asia/Manila"}).encode(),
                         headers={"Authorization": f"Bearer {self.token}",
                                  "Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            if reply.status not in (200, 201):
                raise RuntimeError(f"cannot register {serial}: {reply.status}")
        finally:
            conn.close()

    def stored(self) -> Counter[tuple[str, str, str]]:
        conn = sqlite3.connect(f"file:{self.data / 'relay.sqlite3'}?mode=ro", uri=True)
        try:
            return Counter(conn.execute("SELECT serial, pin, local_time FROM events"))
        finally:
            conn.close()


class Feeder:
    """Punches of 20 employees, one second apart, produced as the terminal needs them."""

    def __init__(self, index: int) -> None:
        self.pins = [u.pin for u in generate_users(20, seed=index)]
        self.next = datetime(2026, 1, 1, 6, 0, 0)
        self.count = 0

    def take(self, n: int) -> list[TerminalRecord]:
        out = []
        for _ in range(n):
            pin = self.pins[self.count % len(self.pins)]
            out.append(TerminalRecord(pin=pin, local_time=self.next, status=self.count % 2,
                                      verify=1))
            self.count += 1
            self.next += timedelta(seconds=1)
        return out


def run_terminal(sim: PushTerminal, feeder: Feeder, mode: str, start: threading.Event,
                 deadline_box: list[float]) -> None:
    start.wait()
    deadline = deadline_box[0]
    sim.connect(deadline)
    sim.upload_users()
    per_round = 1 if mode == "realtime" else sim.batch.maximum
    while time.monotonic() < deadline:
        sim.add_records(feeder.take(per_round))
        if not sim.upload(deadline):
            sim.pause(sim.error_delay)
            sim.connect(deadline)
        # flash is not needed once delivered: keep the generator's memory flat
        del sim.records[:sim.marker]
        sim.marker = 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--mode", choices=["catchup", "realtime"], default="catchup")
    parser.add_argument("--relay-log-level", default="INFO")
    parser.add_argument("--keep", action="store_true", help="keep the relay's folder")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="zk-load-"))
    relay = RelayProcess(workdir, args.relay_log_level)
    try:
        serials = [f"LOAD{i:04d}" for i in range(args.terminals)]
        for serial in serials:
            relay.register(serial)
        ledgers: dict[str, Ledger] = {}
        start = threading.Event()
        deadline_box: list[float] = []
        threads = []
        sims = []
        for i, serial in enumerate(serials):
            users = generate_users(20, seed=i)
            sim = PushTerminal(relay.url, serial, users, profile=PROFILES[i % len(PROFILES)],
                               batch=BatchPolicy(), timeout=30, seed=i)
            sims.append((sim, Feeder(i)))
            ledgers[serial] = sim.ledger
        for sim, feeder in sims:
            thread = threading.Thread(target=run_terminal, daemon=True,
                                      args=(sim, feeder, args.mode, start, deadline_box))
            threads.append(thread)
            thread.start()
        peak_sampled = 0
        cpu_before = relay_cpu_seconds(relay.proc.pid)
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        began = time.monotonic()
        deadline = began + args.seconds
        deadline_box.append(deadline)
        start.set()
        while any(t.is_alive() for t in threads):
            peak_sampled = max(peak_sampled, relay_memory(relay.proc.pid).get("VmRSS", 0))
            time.sleep(0.25)
        elapsed = time.monotonic() - began
        relay_cpu = relay_cpu_seconds(relay.proc.pid) - cpu_before
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        own_cpu = (self_after.ru_utime - self_before.ru_utime
                   + self_after.ru_stime - self_before.ru_stime)
        memory = relay_memory(relay.proc.pid)

        attempts = [a for ledger in ledgers.values() for a in ledger.attempts]
        posts = [a for a in attempts if a.kind == "ATTLOG"]
        ok_latency = [a.seconds for a in posts if a.ok]
        errors = Counter(f"{a.kind} {a.status}" for a in attempts if not a.ok)
        acked = {(serial, pin, t) for serial, ledger in ledgers.items()
                 for (pin, t), n in ledger.acknowledged.items() if n}
        acked_records = sum(a.size for a in posts if a.ok)
        stored = relay.stored()
        twice = sum(1 for n in stored.values() if n > 1)
        missing = len(acked - set(stored))
        unexpected = len(set(stored) - acked)

        rows = [
            ("terminals", f"{args.terminals} ({', '.join(PROFILES)} rotating), mode {args.mode}"),
            ("duration", f"{elapsed:.1f} s (asked {args.seconds:.0f} s)"),
            ("ATTLOG POSTs acknowledged", f"{len(ok_latency)} ({len(ok_latency) / elapsed:.0f}/s)"),
            ("records acknowledged", f"{acked_records} ({acked_records / elapsed:.0f} records/s)"),
            ("latency p50 / p99 / max", f"{percentile(ok_latency, .5) * 1000:.1f} / "
                                        f"{percentile(ok_latency, .99) * 1000:.1f} / "
                                        f"{max(ok_latency, default=0) * 1000:.1f} ms"),
            ("mean batch", f"{statistics.fmean([a.size for a in posts if a.ok] or [0]):.1f}"
                           " records"),
            ("errors", f"{sum(errors.values())}" + (f" {dict(errors)}" if errors else "")),
            ("relay peak RSS", f"{memory.get('VmHWM', 0) / 2**20:.1f} MiB (VmHWM; sampled "
                               f"max {peak_sampled / 2**20:.1f} MiB)"),
            ("relay CPU", f"{relay_cpu:.1f} s = {relay_cpu / elapsed:.2f} cores"),
            ("load generator CPU", f"{own_cpu:.1f} s = {own_cpu / elapsed:.2f} cores "
                                   f"(machine: {os.cpu_count()} cores)"),
            ("store check", f"{len(stored)} events stored; acknowledged not stored: {missing}; "
                            f"stored twice: {twice}; stored never acknowledged: {unexpected}"),
        ]
        width = max(len(k) for k, _ in rows)
        print(f"\nzk-relay load run ({datetime.now():%Y-%m-%d %H:%M})")
        for key, value in rows:
            print(f"  {key:<{width}}  {value}")
    finally:
        relay.stop()
        if args.keep:
            print(f"relay folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
