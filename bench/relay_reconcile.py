"""Reconciliation benchmark (issue 17): a branch's nightly re-read of its terminals, and what it
costs live ingest, measured beside plain ingest in the same run.

    .venv/bin/python bench/relay_reconcile.py            # 50 terminals x 30 days x 2,000 punches
    .venv/bin/python bench/relay_reconcile.py --quick    # 10 terminals x 3 days x 500 punches

Set-up (not measured): a store holding every terminal's days, each day missing one punch in 200
(the gaps the reconciliation must find), written directly to SQLite. A real ``zk-relay serve``
(``recon_settle_seconds`` = 1) and one simulated terminal per serial, polling ``getrequest``
every second over keep-alive HTTP and answering ``DATA QUERY ATTLOG`` as firmware does: the
day's records in ATTLOG POSTs of 150 lines, then ``Return=0`` on ``devicecmd``.

Phases, all with the same live load — realtime punches (one line per POST) of the same
terminals at ``--live-rate`` per second, whose latency is recorded:

1. baseline: live load only (``--live-seconds``);
2. night: every terminal's yesterday asked at once (what the schedule does each night);
3. backlog: every terminal's other days asked at once (a month after an outage);
4. baseline again; 2 and 4 alternate ``--repeat`` times, and each reconciliation phase is
   compared with the median of the baselines just before and after it (the machine's load
   drifts over minutes); the verdict uses the median over the nights.

Printed: per phase the live punches' rate and p50 / p99 / worst latency beside the baseline;
per reconciliation phase the wall time, terminal-days per minute, time per terminal-day
(median and worst, query handed out to day closed, settle included) and the punches checked,
gaps filled and punches stored (each exactly once). Benchmarks are measurements, never tests.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from relay_process import ServerProcess, relay_argv, relay_cli

from zk_relay.store import INSERT_EVENT, Store

ZONE = "Asia/Manila"
GAP_EVERY = 200  # one punch in 200 never reached the relay
BATCH = 150  # ATTLOG lines per POST of an answer (firmware's catch-up batches)


def day_lines(day: str, n: int) -> list[tuple[str, str]]:
    """(pin, local time) of ``n`` punches of a terminal-day: n/4 people, 4 punches each."""
    out = []
    for i in range(n):
        person, punch = divmod(i, 4)
        seconds = (7 + punch * 3) * 3600 + person * 7 % 3600
        out.append((f"{1000 + person}", f"{day} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:"
                                        f"{seconds % 60:02d}"))
    return out


def fill(path: Path, serials: list[str], days: list[str], per_day: int) -> int:
    store = Store(path)
    for serial in serials:
        store.upsert_device(serial, timezone=ZONE)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    stored = 0
    for serial in serials:
        for day in days:
            rows = []
            for i, (pin, local) in enumerate(day_lines(day, per_day)):
                if i % GAP_EVERY == GAP_EVERY - 1:
                    continue
                fp = hashlib.sha256(f"{serial}\x1f{pin}\x1f{local}".encode()).hexdigest()
                rows.append((serial, pin, local, ZONE, 0, 1, "0", f"{pin}\t{local}\t0\t1",
                             "2024-01-01T00:00:00.000+00:00", fp))
            conn.executemany(INSERT_EVENT, rows)
            stored += len(rows)
    conn.execute("UPDATE meta SET value = (SELECT max(id) FROM events) WHERE key ="
                 " 'acked_up_to'")  # Odoo is up to date: only new punches wait
    conn.execute("COMMIT")
    conn.close()
    return stored


class Terminal(threading.Thread):
    """Polls getrequest every ``delay`` s; answers DATA QUERY ATTLOG and INFO."""

    def __init__(self, port: int, serial: str, per_day: int, stop: threading.Event,
                 delay: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.port, self.serial, self.per_day, self.stop_flag = port, serial, per_day, stop
        self.delay = delay
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.uploaded = 0

    def request(self, method: str, target: str, body: bytes | None = None) -> str:
        for _ in range(3):
            try:
                self.conn.request(method, target, body=body)
                return self.conn.getresponse().read().decode()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        raise RuntimeError(f"{self.serial}: relay unreachable")

    def run(self) -> None:
        self.request("GET", f"/iclock/cdata?SN={self.serial}&options=all&pushver=2.4.1")
        while not self.stop_flag.wait(self.delay):
            for line in self.request("GET", f"/iclock/getrequest?SN={self.serial}").splitlines():
                if not line.startswith("C:"):
                    continue
                _, cid, command = line.split(":", 2)
                if command.startswith("DATA QUERY ATTLOG "):
                    start, _, end = command[18:].partition("\t")
                    start, end = start.partition("=")[2], end.partition("=")[2]
                    lines = [f"{pin}\t{t}\t0\t1\t0\t0\t0" for pin, t in
                             day_lines(start[:10], self.per_day) if start <= t <= end]
                    for i in range(0, len(lines), BATCH):
                        self.request("POST", f"/iclock/cdata?SN={self.serial}&table=ATTLOG"
                                     "&Stamp=9999", "\n".join(lines[i:i + BATCH]).encode())
                    self.uploaded += len(lines)
                    result = f"ID={cid}&Return=0&CMD=DATA"
                else:
                    result = f"ID={cid}&Return=0&CMD=INFO\n~MaxAttLogCount=200000"
                self.request("POST", f"/iclock/devicecmd?SN={self.serial}", result.encode())


class LiveLoad:
    """Realtime punches at ``rate``/s spread over the terminals, latency of each POST."""

    def __init__(self, port: int, serials: list[str], rate: float, workers: int = 4) -> None:
        self.port, self.serials, self.rate, self.workers = port, serials, rate, workers
        self.latencies: list[float] = []
        self.failures = 0
        self.sent = 0
        self._n = 0
        self._lock = threading.Lock()

    def run(self, seconds: float, until: threading.Event | None = None) -> dict[str, float]:
        self.latencies, self.failures = [], 0
        started = time.perf_counter()
        stop = threading.Event()

        def worker(k: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            interval = self.workers / self.rate
            due = time.perf_counter() + k * interval / self.workers
            while not stop.is_set():
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                due += interval
                with self._lock:
                    self._n += 1
                    n = self._n
                serial = self.serials[n % len(self.serials)]
                now = datetime.now(ZoneInfo(ZONE)) + timedelta(seconds=n % 50)
                body = f"{9000 + n // 3600}\t{now:%Y-%m-%d %H:%M:%S}\t0\t1\t0\t0\t0".encode()
                t0 = time.perf_counter()
                try:
                    conn.request("POST", f"/iclock/cdata?SN={serial}&table=ATTLOG&Stamp=9999",
                                 body)
                    ok = b"OK" in conn.getresponse().read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    ok = False
                with self._lock:
                    if ok:
                        self.latencies.append(time.perf_counter() - t0)
                        self.sent += 1
                    else:
                        self.failures += 1

        threads = [threading.Thread(target=worker, args=(k,), daemon=True)
                   for k in range(self.workers)]
        for t in threads:
            t.start()
        if until is not None:
            until.wait()
        else:
            time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        lat = sorted(self.latencies)
        return {"rate": len(lat) / elapsed, "p50": lat[len(lat) // 2] * 1000,
                "p99": lat[int(len(lat) * 0.99)] * 1000, "worst": lat[-1] * 1000,
                "failures": self.failures, "seconds": elapsed}


def api(port: int, token: str, method: str, path: str, payload: object = None) -> object:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps(payload).encode() if payload is not None else None
    conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}",
                                                   "Content-Type": "application/json"})
    reply = conn.getresponse()
    data = json.loads(reply.read())
    if reply.status >= 300:
        raise RuntimeError(f"{method} {path}: {reply.status} {data}")
    return data


def reconcile(db: Path, port: int, token: str, serials: list[str], first: str, last: str,
              live: LiveLoad) -> tuple[dict[str, float], dict[str, float]]:
    """Ask every terminal for first..last under the live load; wait until all days closed."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    since = conn.execute("SELECT coalesce(max(id), 0) FROM recon_runs").fetchone()[0]
    done = threading.Event()
    result: dict[str, dict[str, float]] = {}
    runner = threading.Thread(target=lambda: result.setdefault("live", live.run(0, done)))
    runner.start()
    started = time.perf_counter()
    for serial in serials:
        api(port, token, "POST", "/api/v1/reconciliation",
            {"serial": serial, "from": first, "to": last})
    while conn.execute("SELECT count(*) FROM recon_runs WHERE id > ? AND state IN ('queued',"
                       " 'waiting', 'settling')", (since,)).fetchone()[0]:
        time.sleep(0.2)
    wall = time.perf_counter() - started
    done.set()
    runner.join()
    rows = conn.execute("SELECT started_at, closed_at, state, at_terminal, gaps_filled FROM"
                        " recon_runs WHERE id > ?", (since,)).fetchall()
    conn.close()
    per_day = sorted((datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()
                     for a, b, *_ in rows)
    states = {state for _, _, state, _, _ in rows}
    return result["live"], {"terminal_days": len(rows), "wall": wall,
                            "per_min": len(rows) / wall * 60,
                            "median": statistics.median(per_day), "worst": per_day[-1],
                            "checked": sum(r[3] or 0 for r in rows),
                            "gaps": sum(r[4] or 0 for r in rows), "states": ",".join(states)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--terminals", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--per-day", type=int)
    parser.add_argument("--live-rate", type=float, default=50.0,
                        help="realtime punches per second (a 50-terminal branch peaks at ~5)")
    parser.add_argument("--live-seconds", type=float)
    parser.add_argument("--repeat", type=int, default=3, help="night phases (alternating with"
                        " baselines)")
    parser.add_argument("--no-backlog", action="store_true",
                        help="skip the month's backlog (the longest phase)")
    args = parser.parse_args()
    terminals = args.terminals or (10 if args.quick else 50)
    ndays = args.days or (3 if args.quick else 30)
    per_day = args.per_day or (500 if args.quick else 2000)
    live_seconds = args.live_seconds or (8.0 if args.quick else 20.0)
    serials = [f"RECON{i:03d}" for i in range(terminals)]
    today = datetime.now(ZoneInfo(ZONE)).date()
    days = [(today - timedelta(days=k)).isoformat() for k in range(ndays, 0, -1)]
    work = Path(tempfile.mkdtemp(prefix="zk-recon-bench-"))
    db = work / "data" / "relay.sqlite3"
    print(f"store: {terminals} terminals x {ndays} days x {per_day} punches, one in"
          f" {GAP_EVERY} missing; live load {args.live_rate:g} punches/s; {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    held = fill(db, serials, days, per_day)
    print(f"filled {held:,} events in {time.perf_counter() - t0:.0f} s (not measured)")
    os.environ.update(ZK_RELAY_RECON_SCHEDULE="false", ZK_RELAY_RECON_SETTLE_SECONDS="1",
                      ZK_RELAY_HEALTH_INTERVAL_SECONDS="60",
                      ZK_RELAY_RECON_ANSWER_TIMEOUT_SECONDS="3600")
    token = relay_cli(work / "data", "token", "create", "bench").strip()
    relay = ServerProcess(relay_argv(work / "data"), work)
    stop = threading.Event()
    fleet = [Terminal(relay.port, s, per_day, stop) for s in serials]
    for t in fleet:
        t.start()
    live = LiveLoad(relay.port, serials, args.live_rate)
    try:
        time.sleep(2)
        # baseline, then night and baseline alternately: each night is compared with the
        # baselines on both sides of it (this machine's load drifts over minutes)
        bases = [live.run(live_seconds)]
        nights = []
        for _ in range(args.repeat):
            nights.append(reconcile(db, relay.port, token, serials, days[-1], days[-1], live))
            bases.append(live.run(live_seconds))
        back_live, back = (reconcile(db, relay.port, token, serials, days[0], days[-2], live)
                           if len(days) > 1 and not args.no_backlog else (None, None))
        if back is not None:
            bases.append(live.run(live_seconds))
        rss = relay.memory_mb("VmHWM")
    finally:
        stop.set()
        relay.stop()
    conn = sqlite3.connect(db)
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    unique = conn.execute("SELECT count(*) FROM (SELECT DISTINCT serial, pin, local_time"
                          " FROM events)").fetchone()[0]
    conn.close()
    shutil.rmtree(work, ignore_errors=True)

    def around(i: int) -> dict[str, float]:
        return {k: statistics.median([bases[i][k], bases[i + 1][k]]) for k in bases[0]}

    print("\nlive ingest (realtime punches, one per POST): each reconciliation phase beside the"
          " median of the baselines just before and after it")
    print(f"{'phase':<14}{'punches/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'worst ms':>10}"
          f"{'base p50':>10}{'base p99':>10}{'p50 vs base':>13}{'p99 vs base':>13}")
    ratios50, ratios99 = [], []
    phases = [(f"night {i + 1}", live_row, i) for i, (live_row, _) in enumerate(nights)]
    if back is not None:
        phases.append(("backlog", back_live, len(nights)))
    for name, row, i in phases:
        base = around(i)
        r50, r99 = row["p50"] / base["p50"] - 1, row["p99"] / base["p99"] - 1
        if name.startswith("night"):
            ratios50.append(r50)
            ratios99.append(r99)
        print(f"{name:<14}{row['rate']:>10.1f}{row['p50']:>9.2f}{row['p99']:>9.2f}"
              f"{row['worst']:>10.1f}{base['p50']:>10.2f}{base['p99']:>10.2f}{r50:>+12.0%}"
              f"{r99:>+12.0%}")
    print("baselines p50 ms: " + ", ".join(f"{b['p50']:.2f}" for b in bases)
          + "; p99 ms: " + ", ".join(f"{b['p99']:.2f}" for b in bases))
    night = max((n for _, n in nights), key=lambda n: n["wall"])
    print("\nreconciliation")
    print(f"{'phase':<10}{'term-days':>10}{'wall s':>9}{'days/min':>10}{'median s':>10}"
          f"{'worst s':>9}{'checked':>10}{'gaps':>7}  states")
    for name, row in [(f"night {i + 1}", n) for i, (_, n) in enumerate(nights)] \
            + [("backlog", back)]:
        if row is None:
            continue
        print(f"{name:<10}{row['terminal_days']:>10}{row['wall']:>9.1f}{row['per_min']:>10.1f}"
              f"{row['median']:>10.2f}{row['worst']:>9.2f}{row['checked']:>10,}"
              f"{row['gaps']:>7,}  {row['states']}")
    expected_gaps = sum(1 for i in range(per_day) if i % GAP_EVERY == GAP_EVERY - 1) \
        * terminals * (ndays if back is not None else 1)
    filled = sum(n["gaps"] for _, n in nights) + (back["gaps"] if back else 0)
    print(f"\nevents stored {events:,} (distinct {unique:,}); gaps filled {filled:,} of"
          f" {expected_gaps:,}; relay peak RSS {rss:.0f} MB")
    slow50, slow99 = statistics.median(ratios50), statistics.median(ratios99)
    verdict = night["wall"] < 600 and slow50 < 0.10
    print(f"target (a night's reconciliation in minutes, live p50 slower by < 10 %):"
          f" {'met' if verdict else 'NOT MET'} (slowest night {night['wall']:.0f} s; live p50"
          f" {slow50:+.0%}, p99 {slow99:+.0%}: median over {len(ratios50)} nights)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
