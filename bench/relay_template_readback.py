"""What reading back the templates of a polled terminal costs (issue 19), beside a baseline poll
in the same run.

    .venv/bin/python bench/relay_template_readback.py           # 3,000 fingers (a full
                                                                 # terminal), 5 rounds
    .venv/bin/python bench/relay_template_readback.py --quick   # 500 fingers, 3 rounds

In-process: the relay's own poller and store against ``zk_sim.TcpTerminal`` over loopback
TCP with the real pyzk client; N users with one 1 KiB fingerprint template each and 1,000
punches. Per round:

* baseline: a poll without the template read (connect, users, attendance, disconnect);
* unchanged: a poll that also reads the template table, every template already seen (the
  steady state: one keyed digest per template, nothing stored);
* all new: the same after every finger was enrolled again (each template sealed, stored and
  audited: the first read of a terminal).

Medians and worst rounds in ms, and the bytes of the template table pyzk transfers.
Benchmarks are measurements, never test assertions.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from zk_relay.biometric_crypto import BiometricCipher
from zk_relay.config import load_config
from zk_relay.poller import Poller
from zk_relay.store import Store
from zk_sim import TcpTerminal, TerminalRecord, TerminalUser

SERIAL = "BENCHREAD1"
TEMPLATE_BYTES = 1024


def timed(fn: Callable[[], object], rounds: int, before: Callable[[], object] | None = None
          ) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        if before is not None:
            before()
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, rounds = (500, 3) if args.quick else (3000, 5)
    users = [TerminalUser(uid=i, pin=str(10_000 + i)) for i in range(1, n + 1)]
    t0 = datetime(2025, 3, 3, 7, 0)
    records = [TerminalRecord(pin=str(10_000 + 1 + i % n), local_time=t0 + timedelta(minutes=i))
               for i in range(1000)]
    terminal = TcpTerminal(users, records).start()

    def enrol_all() -> None:
        for user in users:
            terminal.enrol_finger(user.pin, 1, os.urandom(TEMPLATE_BYTES))

    enrol_all()
    results: list[tuple[str, float, float]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = load_config(env={}, overrides={"data_dir": tmp, "poll_timeout_seconds": 60})
            store = Store(config.db_path)
            store.upsert_device(SERIAL, timezone="Asia/Manila", address="127.0.0.1",
                                port=terminal.port)
            poller = Poller(store, config, clock=time.monotonic, rng=random.Random(1))
            device = next(d for d in poller.devices() if d["serial"] == SERIAL)
            results.append(("poll, baseline (no template read)",
                            *timed(lambda: poller.poll(device), rounds)))
            store.bio_cipher = BiometricCipher(os.urandom(32))
            poller.poll(device)  # first read: everything is new
            due = poller.template_schedule.next_due.clear
            results.append(("poll + templates, all unchanged",
                            *timed(lambda: poller.poll(device), rounds, due)))

            def fresh() -> None:
                due()
                enrol_all()

            results.append(("poll + templates, all new (sealed)",
                            *timed(lambda: poller.poll(device), rounds, fresh)))
            poller.close()
            store.close()
    finally:
        terminal.stop()
    table = 4 + n * (6 + TEMPLATE_BYTES)
    print(f"# zk-relay template read-back bench, {n:,} fingers of {TEMPLATE_BYTES} bytes"
          f" ({table / 1024 / 1024:.1f} MiB table), 1,000 punches, {rounds} rounds"
          f" (python {sys.version.split()[0]})")
    print(f"{'what':<40} {'median ms':>10} {'worst ms':>10} {'µs/finger':>10}")
    for what, median, worst in results:
        print(f"{what:<40} {median:>10.1f} {worst:>10.1f} {1000 * median / n:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
