"""Relay ingest benchmark: every figure beside its ceiling measured in the same run.

    .venv/bin/python bench/relay_ingest.py            # default, about 2 minutes (2 CPUs)
    .venv/bin/python bench/relay_ingest.py --quick    # smaller, about 25 seconds

* catch-up: ATTLOG POSTs of 100 and 500 lines, 1/4/16 devices at once, against a real
  ``zk-relay serve`` process; ceiling = bare SQLite (same schema, WAL, synchronous=FULL)
  storing the same batches in-process, no HTTP: parse with the relay's parser, insert, commit,
  one transaction per batch. Target >= 50 %.
* the same catch-up on a store already holding 1,000,000 events (ceiling: bare SQLite on a copy
  of that store); target >= 50 % and within 2x of the fresh store's rate.
* realtime: 1-line punches from 16 devices at once; ceiling = the same Bottle + Waitress stack
  (same Waitress settings, 16 threads): a Bottle route that reads the body and answers OK,
  none of the relay's own code (request ids, metrics, device lookup, parsing, storing). Both
  are loaded in turn, each repetition. Target >= 60 % of its req/s and p99 < 20 ms.
* peak RSS (VmHWM) of the relay process under each load.

How the figures are made: every scenario runs ``repeats`` repetitions, each one loading the
relay and its ceiling one after the other (alternated, so a noisy moment of the machine hits
both), and every repetition is printed as it ends. A ratio is the **median of the
per-repetition ratios** (never best against best: one noisy repetition once swung the realtime
ratio from 66 % to 41 %); rates shown are the medians; the realtime p99 is the **worst**
relay p99 of all repetitions. "met / NOT MET" is decided from those figures.
The load average of the machine is printed at the start and the end: the clients run on the
same machine, so anything else running there shows up in the figures.
Benchmarks are measurements, never test assertions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from relay_process import ServerProcess, serve_relay

from zk_relay.adms import parse_attlog
from zk_relay.store import INSERT_EVENT, Store, connect

THREADS = 16
ZONE = "Asia/Manila"
BASE = datetime(2024, 1, 1, 6, 0, 0)


# ---------------------------------------------------------------------------- servers


def start_relay(data_dir: Path, serials: list[str], workdir: Path) -> ServerProcess:
    store = Store(data_dir / "relay.sqlite3")
    for serial in serials:
        if store.device_brief(serial) is None:
            store.upsert_device(serial, timezone=ZONE)
    store.close()
    return serve_relay(data_dir, workdir, threads=THREADS, log_name="server.log")


def serve_nostore(ready_file: str) -> None:
    """The same Bottle + Waitress stack, answering OK without storing anything."""
    from bottle import Bottle, HTTPResponse, request
    from waitress import create_server

    app = Bottle()

    def iclock(endpoint: str) -> HTTPResponse:
        length = int(request.environ.get("CONTENT_LENGTH") or 0)
        body = request.environ["wsgi.input"].read(length) if length else b""
        return HTTPResponse(b"OK: %d" % body.count(b"\n"), 200,
                            headers={"Content-Type": "text/plain"})

    app.route("/iclock/<endpoint>", ["GET", "POST"], iclock)
    server = create_server(app, host="127.0.0.1", port=0, threads=THREADS, ident="zk-relay",
                           channel_timeout=60, connection_limit=200, asyncore_use_poll=True)
    tmp = Path(ready_file + ".tmp")
    tmp.write_text(json.dumps({"port": int(server.effective_port),  # type: ignore[union-attr]
                               "pid": os.getpid()}))
    tmp.replace(ready_file)
    server.run()


# ---------------------------------------------------------------------------- clients


def post(port: int, serial: str, body: bytes) -> tuple[float, bytes]:
    """One ATTLOG POST as a terminal sends it (Connection: close, no Content-Type)."""
    request = (f"POST /iclock/cdata?SN={serial}&table=ATTLOG&Stamp=9999 HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{port}\r\nUser-Agent: iClock Proxy/1.09\r\n"
               f"Connection: close\r\nAccept: */*\r\nContent-Length: {len(body)}\r\n\r\n"
               ).encode() + body
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    elapsed = time.perf_counter() - start
    reply = b"".join(chunks)
    if not reply.startswith(b"HTTP/1.1 200") or b"OK" not in reply.split(b"\r\n\r\n", 1)[1]:
        raise RuntimeError(f"not acknowledged: {reply[:200]!r}")
    return elapsed, reply


def make_batches(serial: str, batches: int, size: int, offset: int) -> list[bytes]:
    out = []
    seq = offset
    for _ in range(batches):
        lines = []
        for _ in range(size):
            when = (BASE + timedelta(seconds=seq)).strftime("%Y-%m-%d %H:%M:%S")
            lines.append(f"{seq % 997 + 1}\t{when}\t0\t1\t0\t0\t0\n")
            seq += 1
        out.append("".join(lines).encode())
    return out


def run_devices(port: int, work: dict[str, list[bytes]]) -> tuple[float, list[float]]:
    """Every device posts its batches one after another; all devices at once."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work) + 1)

    def device(serial: str, batches: list[bytes]) -> None:
        mine = []
        barrier.wait()
        try:
            for body in batches:
                mine.append(post(port, serial, body)[0])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=device, args=item) for item in work.items()]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    return wall, latencies


def bare_sqlite(db: Path, work: dict[str, list[bytes]]) -> float:
    """Ceiling: the same batches stored by the smallest possible program, no HTTP: parse each
    batch with the relay's parser, insert its rows, commit (WAL, synchronous=FULL), one
    transaction per batch, one batch after another."""
    batches = []
    longest = max(len(b) for b in work.values())
    for i in range(longest):  # interleave devices as they would arrive
        for serial, bodies in work.items():
            if i < len(bodies):
                batches.append((serial, bodies[i]))
    conn = connect(db, 10_000)
    start = time.perf_counter()
    for serial, body in batches:
        punches, _ = parse_attlog(serial, body)
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT_EVENT, [
            (serial, p.pin, p.local_time, ZONE, p.status, p.verify, p.workcode, p.raw, now,
             p.fingerprint) for p in punches])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def fresh_bare_db(workdir: Path, name: str) -> Path:
    path = workdir / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    Store(path).close()
    return path


def prefill(db: Path, count: int) -> None:
    """A store that already holds ``count`` events (a device offline for weeks, unpulled)."""
    conn = connect(db, 10_000)
    conn.execute("BEGIN IMMEDIATE")
    step = 50_000
    for start in range(0, count, step):
        rows = []
        for i in range(start, min(count, start + step)):
            serial = f"OLD{i % 40:03d}"
            pin = str(i % 3001 + 1)
            when = (BASE - timedelta(days=400) + timedelta(seconds=i)).strftime(
                "%Y-%m-%d %H:%M:%S")
            fp = hashlib.sha256(f"{serial}\x1f{pin}\x1f{when}".encode()).hexdigest()
            rows.append((serial, pin, when, ZONE, 0, 1, "0", f"{pin}\t{when}\t0\t1\t0",
                         "2024-01-01T00:00:00.000+00:00", fp))
        conn.executemany(INSERT_EVENT, rows)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# ---------------------------------------------------------------------------- report


@dataclass
class Row:
    name: str
    value: str
    ceiling: str
    ratio: float | None
    target: str
    ok: bool | None
    rss: str = ""


def fmt_ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio * 100:.0f}%"


def print_table(rows: list[Row]) -> None:
    head = ("scenario", "relay", "ceiling", "ratio", "target", "met", "relay peak RSS")
    cells = [(r.name, r.value, r.ceiling, fmt_ratio(r.ratio), r.target,
              "" if r.ok is None else ("yes" if r.ok else "NO"), r.rss) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))


def print_targets(rows: list[Row]) -> None:
    """One line per target of issue 3: met or NOT met, with the deciding figure."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        if row.ok is None:
            continue
        if row.name.startswith("catch-up") and "(fresh)" in row.name:
            key = "catch-up, fresh store: >= 50% of bare SQLite, every scenario"
        elif row.name.startswith("catch-up"):
            key = "catch-up, big store: >= 50% of bare SQLite"
        elif row.name.strip().startswith("same vs fresh"):
            key = "catch-up, big store: within 2x of the fresh store"
        elif row.name.startswith("realtime latency"):
            key = "realtime: p99 < 20 ms"
        else:
            key = "realtime: >= 60% of the no-store stack's req/s"
        groups.setdefault(key, []).append(row)
    print("targets:")
    for key, members in groups.items():
        met = all(r.ok for r in members)
        worst = min(members, key=lambda r: (bool(r.ok), r.ratio or 0))
        figure = fmt_ratio(worst.ratio) if worst.ratio is not None else worst.value
        what = "lowest" if len(members) > 1 else "measured"
        if key.startswith("realtime: p99"):
            what, figure = "median p50 / worst p99", worst.value
        print(f"  {'met    ' if met else 'NOT MET'}  {key} ({what}: {figure}"
              f"{', ' + worst.name.strip() if len(members) > 1 else ''})")
    print("  (ratios: median of the alternated repetitions; p99: the worst repetition)")


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def catchup(workdir: Path, serials: list[str], size: int, devices: int, lines_total: int,
            offset: int, repeats: int, big_db: Path | None = None
            ) -> tuple[list[tuple[float, float]], float, int]:
    """([(relay rec/s, bare rec/s) per repetition], relay peak RSS MB, next offset).

    Each repetition loads the relay, then bare SQLite with the same batches (alternated).
    The relay gets a fresh store per scenario (or a copy of ``big_db``), bare SQLite a fresh
    database (or another copy of ``big_db``) per repetition."""
    per_device = max(1, lines_total // size // devices)
    lines = per_device * size * devices
    data = workdir / f"relay-{size}-{devices}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    if big_db is not None:
        shutil.copyfile(big_db, data / "relay.sqlite3")
    relay = start_relay(data, serials[:devices], workdir)
    reps: list[tuple[float, float]] = []
    rss = 0.0
    try:
        for i in range(repeats):
            work = {s: make_batches(s, per_device, size, offset) for s in serials[:devices]}
            offset += per_device * size
            relay.reset_peak_rss()
            wall, _ = run_devices(relay.port, work)
            rss = max(rss, relay.memory_mb("VmHWM"))
            if big_db is not None:
                bare_db = workdir / "bare.sqlite3"
                shutil.copyfile(big_db, bare_db)
                for suffix in ("-wal", "-shm"):
                    Path(str(bare_db) + suffix).unlink(missing_ok=True)
            else:
                bare_db = fresh_bare_db(workdir, "bare.sqlite3")
            reps.append((lines / wall, lines / bare_sqlite(bare_db, work)))
            print(f"    repetition {i + 1}: relay {reps[-1][0]:,.0f} rec/s, bare SQLite"
                  f" {reps[-1][1]:,.0f} rec/s: {reps[-1][0] / reps[-1][1] * 100:.0f}%",
                  flush=True)
    finally:
        relay.stop()
        shutil.rmtree(data, ignore_errors=True)
    return reps, rss, offset


def median_ratio(reps: list[tuple[float, float]]) -> float:
    return statistics.median(a / b for a, b in reps)


def realtime(workdir: Path, serials: list[str], per_device: int, repeats: int
             ) -> tuple[list[tuple[tuple[float, float, float], tuple[float, float, float]]],
                        float]:
    """([((relay req/s, p50 ms, p99 ms), (no-store req/s, p50 ms, p99 ms)) per repetition],
    relay peak RSS MB). Each repetition loads the no-store stack, then the relay; every
    repetition is printed as it ends."""
    nostore = ServerProcess([sys.executable, __file__, "--serve-nostore"], workdir,
                            "nostore.log")
    nostore_port = nostore.port
    data = workdir / "relay-realtime"
    shutil.rmtree(data, ignore_errors=True)
    relay = start_relay(data, serials, workdir)
    seq = [0]

    def load(port: int) -> tuple[float, list[float]]:
        work: dict[str, list[bytes]] = {}
        for d, serial in enumerate(serials):
            batches = []
            for _ in range(per_device):
                n = seq[0] + d * 10_000_000
                seq[0] += 1
                when = (BASE + timedelta(days=30, seconds=n)).strftime("%Y-%m-%d %H:%M:%S")
                batches.append(f"{n % 500 + 1}\t{when}\t0\t1\t\t0\t0\t\n".encode())
            work[serial] = batches
        return run_devices(port, work)

    def stats(wall: float, lat: list[float]) -> tuple[float, float, float]:
        ordered = sorted(lat)
        return (len(lat) / wall, statistics.median(lat) * 1000,
                ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000)

    try:
        load(nostore_port)  # warm-up both
        load(relay.port)
        reps = []
        rss = 0.0
        for i in range(repeats):
            c = stats(*load(nostore_port))
            relay.reset_peak_rss()
            r = stats(*load(relay.port))
            rss = max(rss, relay.memory_mb("VmHWM"))
            reps.append((r, c))
            print(f"    realtime repetition {i + 1}: relay {r[0]:,.0f} req/s (p50 {r[1]:.1f}, p99"
                  f" {r[2]:.1f} ms), no-store stack {c[0]:,.0f} req/s (p50 {c[1]:.1f}, p99"
                  f" {c[2]:.1f} ms): {r[0] / c[0] * 100:.0f}%", flush=True)
    finally:
        relay.stop()
        nostore.stop()
        shutil.rmtree(data, ignore_errors=True)
    return reps, rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller run (about 25 seconds)")
    parser.add_argument("--big", type=int, default=None,
                        help="events already in the big store (default 1,000,000)")
    parser.add_argument("--only", choices=("catchup", "realtime", "big"), action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--serve-nostore", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_nostore:
        serve_nostore(args.ready_file)
        return 0
    quick = args.quick
    parts = set(args.only or ("catchup", "realtime", "big"))
    big = args.big if args.big is not None else (200_000 if quick else 1_000_000)
    lines_total = 16_000 if quick else 48_000  # per catch-up scenario and repetition
    repeats = 3
    realtime_per_device = 100 if quick else 300

    rows: list[Row] = []
    workdir = Path(tempfile.mkdtemp(prefix="zk-relay-bench-"))
    print(f"# zk-relay ingest bench ({'quick' if quick else 'default'}), {repeats} alternated"
          " repetitions (medians; worst p99),"
          f" {os.cpu_count()} CPUs, load average {load_average()}, work dir {workdir}",
          flush=True)
    serials = [f"BENCH{d:03d}" for d in range(16)]
    offset = 0
    fresh_rates: dict[tuple[int, int], float] = {}
    try:
        if parts & {"catchup", "big"}:
            for size in (100, 500):
                for devices in (1, 4, 16):
                    if "catchup" not in parts and devices != 16:
                        continue
                    print(f"  catch-up {size} lines x {devices} dev (fresh)", flush=True)
                    reps, rss, offset = catchup(workdir, serials, size, devices,
                                                lines_total, offset, repeats)
                    rate = statistics.median(r for r, _ in reps)
                    ceiling = statistics.median(c for _, c in reps)
                    ratio = median_ratio(reps)
                    fresh_rates[(size, devices)] = rate
                    rows.append(Row(f"catch-up {size} lines x {devices} dev (fresh)",
                                    f"{rate:,.0f} rec/s", f"{ceiling:,.0f} rec/s (bare SQLite)",
                                    ratio, ">= 50%", ratio >= 0.5, f"{rss:.0f} MB"))
                    print(f"  done {rows[-1].name}", flush=True)
        if "realtime" in parts:
            print("  realtime 1 line x 16 dev", flush=True)
            reps, rss = realtime(workdir, serials, realtime_per_device, repeats)
            ratio = median_ratio([(r[0], c[0]) for r, c in reps])
            rate = statistics.median(r[0] for r, _ in reps)
            crate = statistics.median(c[0] for _, c in reps)
            p50 = statistics.median(r[1] for r, _ in reps)
            c50 = statistics.median(c[1] for _, c in reps)
            p99 = max(r[2] for r, _ in reps)
            c99 = max(c[2] for _, c in reps)
            rows.append(Row("realtime 1 line x 16 dev", f"{rate:,.0f} req/s",
                            f"{crate:,.0f} req/s (no-store stack)", ratio, ">= 60%",
                            ratio >= 0.6, f"{rss:.0f} MB"))
            rows.append(Row("realtime latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms",
                            f"{c50:.1f} / {c99:.1f} ms (no-store stack)", None, "p99 < 20 ms",
                            p99 < 20))
            print("  done realtime", flush=True)
        if "big" in parts:
            big_db = workdir / "big.sqlite3"
            t0 = time.perf_counter()
            Store(big_db).close()
            prefill(big_db, big)
            print(f"  prefilled {big:,} events in {time.perf_counter() - t0:.0f} s", flush=True)
            for size in (100, 500):
                print(f"  catch-up {size} lines x 16 dev ({big:,} stored)", flush=True)
                reps, rss, offset = catchup(workdir, serials, size, 16, lines_total,
                                            offset, repeats, big_db)
                rate = statistics.median(r for r, _ in reps)
                ceiling = statistics.median(c for _, c in reps)
                ratio = median_ratio(reps)
                fresh = fresh_rates[(size, 16)]
                rows.append(Row(f"catch-up {size} lines x 16 dev ({big:,} stored)",
                                f"{rate:,.0f} rec/s", f"{ceiling:,.0f} rec/s (bare SQLite)",
                                ratio, ">= 50%", ratio >= 0.5, f"{rss:.0f} MB"))
                rows.append(Row(f"  same vs fresh store ({size} x 16)", f"{rate:,.0f} rec/s",
                                f"{fresh:,.0f} rec/s (fresh store)", rate / fresh,
                                ">= 50% (within 2x)", rate / fresh >= 0.5))
                print(f"  done big store {size} x 16", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(rows)
    print()
    print_targets(rows)
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
