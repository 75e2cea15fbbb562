"""§0.2 durability: a device is told OK only after its records are committed.

The relay process is SIGKILLed while several terminals are uploading; after a restart every
record that was acknowledged is on disk, nothing is stored twice, and the terminals' resends
(§6.3: the same records, cut into other batches) complete the store exactly once.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from relay_harness import Relay, terminal_request

pytestmark = pytest.mark.slow

DEVICES = 4
BATCHES = 60
LINES = 40
BASE = datetime(2024, 8, 5, 6, 0, 0)


def batch_lines(device: int, batch: int) -> list[bytes]:
    out = []
    for i in range(LINES):
        seq = batch * LINES + i
        when = (BASE + timedelta(seconds=seq)).strftime("%Y-%m-%d %H:%M:%S")
        out.append(f"{seq % 37 + 1:04d}\t{when}\t0\t1\t0\t0\t0\n".encode())
    return out


def records_of(lines: list[bytes]) -> set[tuple[str, str]]:
    out = set()
    for line in lines:
        pin, when = line.decode().split("\t")[:2]
        out.add((pin, when))
    return out


def test_s0_2_sigkill_mid_stream_loses_no_acknowledged_record(relay_factory) -> None:
    """§0.2/§6.3: kill -9 while 4 terminals upload; every acked record survives, none twice."""
    relay: Relay = relay_factory()
    serials = [f"KILL{d:02d}" for d in range(DEVICES)]
    for serial in serials:
        relay.cli("device", "add", serial, "--tz", "Asia/Manila")
    relay.start()

    acked: dict[str, set[tuple[str, str]]] = {s: set() for s in serials}
    lock = threading.Lock()
    enough = threading.Event()
    stop = threading.Event()
    total_acks = [0]

    def terminal(d: int, serial: str) -> None:
        for b in range(BATCHES):
            if stop.is_set():
                return
            lines = batch_lines(d, b)
            request = terminal_request(
                "POST", f"/iclock/cdata?SN={serial}&table=ATTLOG&Stamp=9999", b"".join(lines))
            try:
                reply = relay.send(request, timeout=10)
            except OSError:
                return  # the relay died under us: this batch was never acknowledged
            if reply.acknowledged:
                with lock:
                    acked[serial] |= records_of(lines)
                    total_acks[0] += 1
                    if total_acks[0] >= 30:
                        enough.set()

    threads = [threading.Thread(target=terminal, args=(d, s)) for d, s in enumerate(serials)]
    for t in threads:
        t.start()
    assert enough.wait(120), "the relay acknowledged too few batches"
    relay.kill()  # SIGKILL: no clean shutdown, requests in flight
    stop.set()
    for t in threads:
        t.join(60)
    assert relay.proc is not None and relay.proc.returncode == -9

    relay.start()
    stored = relay.events()
    keys = [(e[1], e[2], e[3]) for e in stored]
    assert len(keys) == len(set(keys)), "a record was stored twice"
    fingerprints = [e[9] for e in stored]
    assert len(fingerprints) == len(set(fingerprints))
    on_disk = {(s, p, t) for s, p, t in keys}
    for serial, records in acked.items():
        missing = {(serial, p, t) for p, t in records} - on_disk
        assert not missing, f"{len(missing)} acknowledged record(s) of {serial} lost"
    assert sum(len(r) for r in acked.values()) >= 30 * LINES

    # the terminals resend everything, cut into batches of another size (§6.3): exactly once
    for d, serial in enumerate(serials):
        every = [line for b in range(BATCHES) for line in batch_lines(d, b)]
        for i in range(0, len(every), 150):
            body = b"".join(every[i:i + 150])
            assert relay.attlog(serial, body).acknowledged
    final = relay.events()
    assert len(final) == DEVICES * len({r for b in range(BATCHES)
                                        for r in records_of(batch_lines(0, b))})
    assert len({(e[1], e[2], e[3]) for e in final}) == len(final)
    ids = [e[0] for e in final]
    assert ids == sorted(ids)
