"""Relay pull benchmark: the pull API's throughput beside its ceiling measured in the same run.

    .venv/bin/python bench/relay_pull.py            # 100,000 events; RSS over 1,000,000
    .venv/bin/python bench/relay_pull.py --quick    # 20,000 events; RSS over 200,000

* throughput: page through N events with ``GET /api/v1/events?after=&limit=`` (pages of 1,000
  and 5,000) against a real ``zk-relay serve`` process, over one keep-alive HTTP connection,
  the client parsing each page's JSON to get its cursor (what Odoo does); ceiling = the same
  pages produced in-process by the relay's own code (``Store.events_page`` + the API's
  ``json.dumps``), no HTTP. Target >= 30 % of the ceiling at the better page size.
* memory: the relay's RSS (VmRSS) sampled while paging through 1,000,000 events with pages of
  5,000 — it should stay flat (pages are fetched with LIMIT, nothing accumulates).

Benchmarks are measurements, never test assertions.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from relay_process import ServerProcess, relay_argv, relay_cli

from zk_relay.store import INSERT_EVENT, Store

ZONE = "Asia/Manila"
SERIALS = [f"BENCHPULL{i:02d}" for i in range(16)]


def fill(data_dir: Path, total: int) -> Path:
    """A store holding ``total`` events from 16 terminals (built directly, not measured)."""
    path = data_dir / "relay.sqlite3"
    store = Store(path)
    for serial in SERIALS:
        store.upsert_device(serial, timezone=ZONE)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    batch = []
    for i in range(total):
        serial = SERIALS[i % 16]
        pin = str(1000 + (i // 16) % 500)
        minutes = i // 16 // 500
        local = (f"2024-{1 + (minutes // 44640) % 12:02d}-{1 + (minutes // 1440) % 28:02d} "
                 f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}:00")
        fp = hashlib.sha256(f"{serial}\x1f{pin}\x1f{local}".encode()).hexdigest()
        raw = f"{pin}\t{local}\t0\t1\t0\t0\t0"
        batch.append((serial, pin, local, ZONE, 0, 1, "0", raw, "2024-01-01T00:00:00.000+00:00",
                      fp))
        if len(batch) == 50_000:
            conn.executemany(INSERT_EVENT, batch)
            batch.clear()
    if batch:
        conn.executemany(INSERT_EVENT, batch)
    conn.execute("COMMIT")
    count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    if count != total:
        raise RuntimeError(f"expected {total} distinct events, built {count}")
    return path


class Relay(ServerProcess):
    """``zk-relay serve`` on ``data_dir`` (4 threads) with a new API token for the client."""

    def __init__(self, data_dir: Path, workdir: Path) -> None:
        self.token = relay_cli(data_dir, "token", "create", f"bench{time.monotonic_ns()}").strip()
        super().__init__(relay_argv(data_dir, threads=4), workdir, "relay.log")


def page_http(relay: Relay, total: int, limit: int,
              every: int = 0) -> tuple[float, list[tuple[int, float]]]:
    """Seconds to page through ``total`` events; optional RSS samples every ``every`` events."""
    conn = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=60)
    headers = {"Authorization": f"Bearer {relay.token}", "Connection": "keep-alive"}
    after, seen, samples = 0, 0, []
    next_sample = every
    start = time.perf_counter()
    while seen < total:
        conn.request("GET", f"/api/v1/events?after={after}&limit={limit}", headers=headers)
        reply = conn.getresponse()
        body = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}: {body[:200]!r}")
        page = json.loads(body)
        seen += len(page["events"])
        after = page["next_after"]
        if every and seen >= next_sample:
            samples.append((seen, relay.memory_mb()))
            next_sample += every
        if not page["has_more"]:
            break
    elapsed = time.perf_counter() - start
    conn.close()
    if seen < total:
        raise RuntimeError(f"only {seen} events served")
    return elapsed, samples


def page_inprocess(path: Path, total: int, limit: int) -> float:
    """The ceiling: the relay's query and the API's JSON encoding, without HTTP."""
    store = Store(path)
    store_id = store.store_id
    after, seen = 0, 0
    start = time.perf_counter()
    while seen < total:
        rows, more = store.events_page(after, limit)
        body = json.dumps({"store_id": store_id, "events": rows,
                           "next_after": rows[-1]["id"] if rows else after, "has_more": more},
                          separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert body
        seen += len(rows)
        after = rows[-1]["id"]
        if not more:
            break
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller run (well under a minute)")
    parser.add_argument("--repeats", type=int, default=3, help="best of N (default 3)")
    args = parser.parse_args()
    total = 20_000 if args.quick else 100_000
    big = 200_000 if args.quick else 1_000_000
    tmp = Path(tempfile.mkdtemp(prefix="zk-relay-pull-"))
    try:
        print(f"# zk-relay pull bench ({'quick' if args.quick else 'default'}), best of "
              f"{args.repeats}; python {sys.version.split()[0]}", flush=True)
        t0 = time.perf_counter()
        path = fill(tmp / "small", total)
        print(f"  built {total:,} events in {time.perf_counter() - t0:.1f} s", flush=True)
        relay = Relay(tmp / "small", tmp)
        rows = []
        try:
            for limit in (1000, 5000):
                page_http(relay, min(total, 10_000), limit)  # warm-up
                page_inprocess(path, min(total, 10_000), limit)
                http_s = min(page_http(relay, total, limit)[0] for _ in range(args.repeats))
                ceil_s = min(page_inprocess(path, total, limit) for _ in range(args.repeats))
                rows.append((limit, total / http_s, total / ceil_s))
        finally:
            relay.stop()
        print()
        print(f"pull throughput, {total:,} events (events/s; ceiling = same pages in-process,"
              " query + JSON, no HTTP)")
        print(f"{'page':>6}  {'HTTP':>10}  {'in-process':>10}  {'share':>6}")
        for limit, http_rate, ceil_rate in rows:
            print(f"{limit:>6}  {http_rate:>10,.0f}  {ceil_rate:>10,.0f}  "
                  f"{100 * http_rate / ceil_rate:>5.0f}%")
        best = max(rows, key=lambda r: r[1])
        print(f"better page size: {best[0]} -> {100 * best[1] / best[2]:.0f}% of its ceiling"
              " (target >= 30%)")

        t0 = time.perf_counter()
        fill(tmp / "big", big)
        print(f"\n  built {big:,} events in {time.perf_counter() - t0:.1f} s", flush=True)
        relay = Relay(tmp / "big", tmp)
        try:
            before = relay.memory_mb()
            elapsed, samples = page_http(relay, big, 5000, every=big // 10)
        finally:
            relay.stop()
        print(f"relay RSS while paging through {big:,} events (pages of 5,000; "
              f"{big / elapsed:,.0f} events/s)")
        print(f"{'events':>10}  {'RSS MB':>7}")
        print(f"{'(start)':>10}  {before:>7.1f}")
        for seen, rss in samples:
            print(f"{seen:>10,}  {rss:>7.1f}")
        values = [rss for _, rss in samples]
        print(f"first sample {values[0]:.1f} MB, last {values[-1]:.1f} MB, "
              f"max {max(values):.1f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
