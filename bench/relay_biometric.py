"""What sealing biometric data costs the relay (issue 19), beside a baseline in the same run.

    .venv/bin/python bench/relay_biometric.py           # 2,000 templates, 9 rounds
    .venv/bin/python bench/relay_biometric.py --quick   # 400 templates, 5 rounds

In-process (the relay's own store code, no HTTP), one OPERLOG upload of N rows per round:

* baseline: N ``USER`` rows (what an upload of that size cost before issue 19);
* sealed: N ``FP`` rows of 1 KiB templates, read and sealed (AES-256-GCM) into
  ``bio_templates`` with an audit row each;
* dropped: the same rows without a key (counted, audited, not kept);
* read: the templates page (open + base64 + one audit row per template) against a baseline of
  the same number of events read through ``events_page``.

Medians and worst rounds in ms. Benchmarks are measurements, never test assertions.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from zk_relay.adms import parse_attlog
from zk_relay.adms_operlog import parse_operlog
from zk_relay.biometric_crypto import BiometricCipher
from zk_relay.store import Store

SERIAL = "BENCHBIO01"


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, rounds = (400, 5) if args.quick else (2000, 9)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "relay.sqlite3")
        store.upsert_device(SERIAL, timezone="Asia/Manila")
        # new USER rows every round (the same rows again would only be de-duplicated)
        user_rounds = iter([parse_operlog("".join(
            f"USER PIN={i}\tName=User {i} {r}\tPri=0\n" for i in range(n)).encode())
            for r in range(rounds)])
        fps = "".join(
            f"FP PIN={i}\tFID=0\tSize=1368\tValid=1\tTMP="
            f"{base64.b64encode(os.urandom(1024)).decode()}\n" for i in range(n)).encode()
        parsed_fps = parse_operlog(fps)
        counter = iter(range(10**9))

        def upload(parsed: object) -> Callable[[], object]:
            # a distinct stamp per round; rows replace their own (same PIN/finger, new id)
            return lambda: store.store_operlog(SERIAL, "Asia/Manila", None, parsed,  # type: ignore[arg-type]
                                               str(next(counter)))

        results: list[tuple[str, float, float]] = []
        results.append(("upload, baseline: USER rows",
                        *timed(lambda: upload(next(user_rounds))(), rounds)))
        store.bio_cipher = None
        results.append(("upload, FP rows, no key (dropped)", *timed(upload(parsed_fps), rounds)))
        store.bio_cipher = BiometricCipher(os.urandom(32))
        results.append(("upload, FP rows, sealed", *timed(upload(parsed_fps), rounds)))
        punches = "".join(f"{i}\t2025-01-01 08:{i // 60 % 60:02d}:{i % 60:02d}\t0\t1\n"
                          for i in range(n)).encode()
        good, bad = parse_attlog(SERIAL, punches)
        store.store_punches(SERIAL, "Asia/Manila", None, "ATTLOG", good, bad, None)
        results.append(("read, baseline: events page",
                        *timed(lambda: store.events_page(0, n), rounds)))
        results.append(("read, templates page (open + audit)",
                        *timed(lambda: store.templates_page(0, n, "bench"), rounds)))
        store.close()
    print(f"# zk-relay biometric bench, {n:,} rows per upload/page, {rounds} rounds"
          f" (python {sys.version.split()[0]})")
    print(f"{'what':<40} {'median ms':>10} {'worst ms':>10} {'µs/row':>8}")
    for what, median, worst in results:
        print(f"{what:<40} {median:>10.1f} {worst:>10.1f} {1000 * median / n:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
