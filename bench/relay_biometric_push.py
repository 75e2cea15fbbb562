"""What push mode costs for biometric data (issue 19), beside a baseline in the same run.

    .venv/bin/python bench/relay_biometric_push.py           # 1,000 templates, 7 rounds
    .venv/bin/python bench/relay_biometric_push.py --quick   # 200 templates, 3 rounds

The relay's own code (store, signing, ``odoo_biometric.py``) against the contract peer
(``tests/relay/odoo_contract_peer.py``, a real HTTP server on loopback playing Odoo's side,
which verifies every page's signature):

* templates: push all N templates (1 KiB each, pages of 50: read, open, sign, POST, Odoo's
  answer, cursor and acknowledgement committed) against the baseline of the relay reading and
  signing the same pages for a pull (``GET /api/v1/biometric/templates`` without HTTP);
* commands: the relay takes K commands from Odoo's outbox in one exchange (each checked,
  queued once with its outbox row, results reported on the next exchange) against the
  baseline of queuing the same K commands through the store as the command API does.

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "relay"))

from odoo_contract_peer import OdooContractPeer  # noqa: E402

from zk_relay.adms_operlog import parse_operlog  # noqa: E402
from zk_relay.biometric_crypto import BiometricCipher  # noqa: E402
from zk_relay.commands import build  # noqa: E402
from zk_relay.config import load_config  # noqa: E402
from zk_relay.keys import load_or_create  # noqa: E402
from zk_relay.odoo_biometric import BiometricPusher, OutboxFetcher  # noqa: E402
from zk_relay.odoo_enrolment import enrol  # noqa: E402
from zk_relay.store import Store  # noqa: E402

SERIAL = "BENCHPUSH1"


def timed(prepare: Callable[[], None], fn: Callable[[], object], rounds: int
          ) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        prepare()
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, k, rounds = (200, 50, 3) if args.quick else (1000, 200, 7)
    peer = OdooContractPeer(mode="push", devices=[{"serial": SERIAL, "timezone": "Asia/Manila",
                                                   "name": "Bench", "enabled": True}]).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = load_config(env={}, overrides={"data_dir": tmp,
                                                    "health_interval_seconds": 3600})
            store = Store(config.db_path)
            store.bio_cipher = BiometricCipher(os.urandom(32))
            key = load_or_create(Path(tmp))
            enrol(store, config, key, odoo_url=peer.url, code=peer.new_code())
            rows = parse_operlog("".join(
                f"FP PIN={i}\tFID=0\tSize=1368\tValid=1\tTMP="
                f"{base64.b64encode(os.urandom(1024)).decode()}\n" for i in range(n)).encode())
            store.store_operlog(SERIAL, "Asia/Manila", None, rows, "1")  # type: ignore[arg-type]
            last = int(store.read().execute("SELECT max(id) FROM bio_templates").fetchone()[0])
            held = store.templates_held(SERIAL)
            if held < n:
                print(f"only {held} of {n} templates stored; check the upload path",
                      file=sys.stderr)
                return 1
            pusher = BiometricPusher(store, config, key)
            page = 50

            def rewind() -> None:
                store.write(lambda c: c.execute("UPDATE meta SET value = '0' WHERE key ="
                                                " 'bio_push_templates'"))
                with peer.lock:
                    peer.bio_cursor["templates"] = 0
                    peer.bio_rows["templates"].clear()
                    peer.bio_pages.clear()
                pusher.backoff.next_due = 0.0

            def push_all() -> None:
                while store.bio_push_cursor("templates") < last:
                    pusher.tick()

            def pull_all() -> None:
                after = 0
                while True:
                    found, more = store.templates_page(after, page, "bench")
                    key.sign({"store_id": store.store_id, "templates": found,
                              "next_after": found[-1]["id"] if found else after,
                              "has_more": more})
                    if not more:
                        return
                    after = found[-1]["id"]

            push = timed(rewind, push_all, rounds)
            assert len(peer.bio_rows["templates"]) == n
            pull = timed(lambda: None, pull_all, rounds)

            fetcher = OutboxFetcher(store, config)
            base = [0]

            def fill_outbox() -> None:
                with peer.lock:
                    peer.outbox.clear()
                    peer.outbox_results.clear()
                    for i in range(k):
                        oid = base[0] + i + 1
                        peer.outbox[oid] = {"outbox_id": oid, "serial": SERIAL,
                                            "kind": "user_upsert",
                                            "params": {"pin": str(i), "name": f"U {i}"}}
                base[0] += k
                fetcher.backoff.next_due = 0.0

            def take_all() -> None:
                fetcher.tick()  # takes the K commands
                fetcher.backoff.next_due = 0.0
                fetcher.tick()  # reports them taken

            def queue_direct() -> None:
                for i in range(k):
                    store.queue_command(SERIAL, build("user_upsert", {"pin": str(i),
                                                                      "name": f"U {i}"}))

            take = timed(fill_outbox, take_all, rounds)
            assert len(peer.outbox_results) == k
            direct = timed(lambda: None, queue_direct, rounds)
            store.close()
    finally:
        peer.stop()
    print(f"relay biometric push: {n} templates of 1 KiB (pages of {page}), {k} outbox"
          f" commands, {rounds} rounds; ms, median / worst")
    print(f"{'what':58} {'median':>9} {'worst':>9}")
    for label, (median, worst) in (
            (f"push {n} templates to Odoo (loopback HTTP, verified)", push),
            ("baseline: read and sign the same pages for a pull", pull),
            (f"take {k} commands from Odoo's outbox (2 exchanges)", take),
            (f"baseline: queue {k} commands through the store", direct)):
        print(f"{label:58} {median:9.1f} {worst:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
