"""Polling fallback: terminals registered with an address are read with pyzk (TCP 4370).

Each poll connects, reads the users and the attendance log, runs the queued user and biometric
commands (``poll_commands.py``), with a biometric key reads the fingerprint templates every
``poll_templates_interval_seconds`` (``poll_templates.py``), disconnects, and stores what it
read through the same store calls as ADMS pushes: punches are de-duplicated on (serial, PIN,
device-local time) exactly like pushed ones, and a record pyzk returns that cannot be a punch is
quarantined with the reason. pyzk objects are mapped by ``zk_rules.terminal_records`` (the
same functions Odoo's direct poll uses).

Schedule (per terminal): the first poll at start; after a success the next one
``poll_interval_seconds`` later; after the n-th failure in a row the next attempt after a
delay drawn with *full jitter*: ``uniform(0, min(cap, base * 2 ** n))`` (``zk_rules.backoff``,
as every retrying path; ``poll_backoff_base_seconds``, ``poll_backoff_cap_seconds``); one
success resets it. The clock and the random source are injected, so the schedule is computed in
tests, not waited for.

Concurrency: terminals are polled in a pool of ``poll_concurrency`` threads, so a terminal that
does not answer holds one worker until its watchdog fires and the others are polled on time
(as long as fewer than ``poll_concurrency`` terminals hang at once). A terminal is never polled
twice at the same time.

Watchdog: pyzk 0.9 can spin forever when a terminal closes the connection in the middle of a
data chunk (``recv`` keeps returning ``b""``), so every poll runs in a worker thread and, past
its deadline, the poller closes pyzk's socket under it (the next ``recv`` then raises) and
counts a failure.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zk_relay import adms, adms_operlog
from zk_relay.adms_handshake import zone
from zk_relay.config import Config
from zk_relay.metrics import Metrics
from zk_relay.poll_commands import POLL_KINDS, run_one
from zk_relay.poll_templates import TemplateRead, TemplateSchedule, read_templates
from zk_relay.store import Store
from zk_rules.backoff import backoff_delay
from zk_rules.terminal_records import record_from_pyzk, user_from_pyzk

log = logging.getLogger("zk_relay.poller")


@dataclass(slots=True)
class PollResult:
    records: int = 0
    inserted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    users: int = 0
    templates_read: int | None = None  # None: the templates were not read in this poll
    templates_stored: int = 0


def _default_zk(address: str, port: int, password: int, timeout: float) -> Any:
    from zk import ZK  # pyzk

    return ZK(address, port=port, timeout=max(1, round(timeout)), password=password,
              force_udp=False, ommit_ping=True)


def _punch_line(rec: dict[str, Any]) -> str:
    return f"{rec['pin']}\t{rec['local_time']}\t{rec['status']}\t{rec['verify']}\t\t0\t0"


class Poller:
    """The polling schedule and one poll; :class:`PollerThread` runs it."""

    def __init__(self, store: Store, config: Config, *,
                 clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None,
                 zk_factory: Callable[[str, int, int, float], Any] = _default_zk,
                 metrics: Metrics | None = None) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.zk_factory = zk_factory
        self.metrics = metrics
        self.next_due: dict[str, float] = {}
        self.failures: dict[str, int] = {}
        self.in_flight: dict[str, Future[PollResult | None]] = {}
        self.template_schedule = TemplateSchedule(config.poll_templates_interval_seconds, clock)
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=config.poll_concurrency,
                                        thread_name_prefix="zk-poll")

    # -- schedule
    def devices(self) -> list[dict[str, Any]]:
        return [d for d in self.store.devices() if d["address"] and d["enabled"]]

    def tick(self, *, wait: bool = True) -> float:
        """Start a poll of every terminal that is due and not being polled (in the pool);
        with ``wait``, return only when those polls are over. Returns the seconds until the
        next terminal not being polled is due."""
        devices = self.devices()
        known = {d["serial"] for d in devices}
        started: list[Future[PollResult | None]] = []
        with self._lock:
            for serial in list(self.next_due):
                if serial not in known and serial not in self.in_flight:
                    self.next_due.pop(serial)
                    self.failures.pop(serial, None)
                    self.template_schedule.forget(serial)
            for device in devices:
                serial = device["serial"]
                if serial in self.in_flight:
                    continue
                if self.clock() >= self.next_due.setdefault(serial, self.clock()):
                    future = self._pool.submit(self._run, device)
                    self.in_flight[serial] = future
                    started.append(future)
        if wait:
            wait_for(started)
        with self._lock:
            waiting = [due for serial, due in self.next_due.items()
                       if serial not in self.in_flight]
        if not waiting:
            return self.config.poll_interval_seconds
        return max(0.0, min(waiting) - self.clock())

    def _run(self, device: dict[str, Any]) -> PollResult | None:
        try:
            return self.poll_and_schedule(device)
        finally:
            with self._lock:
                self.in_flight.pop(device["serial"], None)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def poll_and_schedule(self, device: dict[str, Any]) -> PollResult | None:
        serial = device["serial"]
        try:
            result = self.poll(device)
        except Exception as exc:  # noqa: BLE001 - every failure backs off
            failures = self.failures.get(serial, 0) + 1
            self.failures[serial] = failures
            delay = backoff_delay(failures, self.config.poll_backoff_base_seconds,
                                  self.config.poll_backoff_cap_seconds, self.rng.uniform)
            self.next_due[serial] = self.clock() + delay
            error = f"{type(exc).__name__}: {exc}"[:500]
            self.store.record_poll(serial, ok=False, failures=failures, error=error)
            if self.metrics is not None:
                self.metrics.polls.labels("failure").inc()
            log.warning("poll of %s at %s:%s failed (%d in a row), next attempt in %.1f s: %s",
                        serial, device["address"], device["port"] or 4370, failures, delay,
                        error, extra={"serial": serial, "failures": failures,
                                      "retry_in_s": round(delay, 3)})
            return None
        if self.failures.pop(serial, 0):
            log.info("poll of %s recovered", serial, extra={"serial": serial})
        self.next_due[serial] = self.clock() + self.config.poll_interval_seconds
        self.store.record_poll(serial, ok=True, failures=0, error=None)
        if self.metrics is not None:
            self.metrics.polls.labels("success").inc()
            self.metrics.polled_records.inc(result.records)
        log.info("polled %s: %d record(s), %d new, %d user(s)%s", serial, result.records,
                 result.inserted, result.users,
                 "" if result.templates_read is None else
                 f", {result.templates_read} template(s) read, {result.templates_stored} new",
                 extra={"serial": serial, "records": result.records,
                        "inserted": result.inserted})
        return result

    # -- one poll
    def poll(self, device: dict[str, Any]) -> PollResult:
        """Connect, read users and attendance, run the queued commands, read the templates
        when due, disconnect (under the watchdog), store."""
        box: dict[str, Any] = {}
        serial = device["serial"]
        with_templates = self.template_schedule.due(
            serial, getattr(self.store, "bio_cipher", None) is not None)
        # user and biometric commands queued for this terminal (issue 19): run on this connection
        queued = self.store.take_polled_commands(device["serial"], POLL_KINDS)
        zk = self.zk_factory(device["address"], int(device["port"] or 4370),
                             int(device["comm_password"] or 0),
                             self.config.poll_timeout_seconds)

        def work() -> None:
            conn = None
            try:
                conn = zk.connect()
                box["users"] = conn.get_users()
                box["attendance"] = conn.get_attendance()
                box["drift"] = self._drift(conn, device)
                box["results"] = [run_one(conn, *command) for command in queued]
                if with_templates:
                    box["templates"] = self._read_templates(conn, box["users"] or [], serial)
            except BaseException as exc:  # noqa: BLE001 - handed to the poller
                box["error"] = exc
            finally:
                if conn is not None:
                    try:
                        conn.disconnect()
                    except Exception:  # noqa: BLE001, S110 - the data is already read
                        pass

        worker = threading.Thread(target=work, name=f"zk-poll-{device['serial']}", daemon=True)
        worker.start()
        # connect + two reads (each may take several timeouts on a slow terminal); reading the
        # template table as well may take as long again
        worker.join(self.config.poll_timeout_seconds * (8 if with_templates else 4))
        if worker.is_alive():
            sock = getattr(zk, "_ZK__sock", None)
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
            worker.join(self.config.poll_timeout_seconds)
            raise TimeoutError("watchdog: the terminal stopped answering mid-transfer")
        if "error" in box:
            raise box["error"]
        if box.get("drift") is not None:
            self.store.record_drift(device["serial"], box["drift"], "pyzk")
        if box.get("results"):
            self.store.store_command_results(device["serial"], device["address"], box["results"])
        result = self.store_polled(device, box.get("users") or [], box.get("attendance") or [])
        if with_templates:
            self.template_schedule.read_done(serial)
        read: TemplateRead | None = box.get("templates")
        if read is not None:
            stored = self.store.store_read_templates(serial, read.fp_version, read.templates)
            result.templates_read, result.templates_stored = stored.read, stored.stored
        return result

    @staticmethod
    def _read_templates(conn: Any, users: list[Any], serial: str) -> TemplateRead | None:
        """The terminal's templates, or None when the read failed (the poll still counts)."""
        try:
            return read_templates(conn, users)
        except Exception as exc:  # noqa: BLE001 - tried again after the interval
            log.warning("reading the fingerprint templates of %s failed (%s: %s); the next"
                        " try is after poll_templates_interval_seconds", serial,
                        type(exc).__name__, str(exc)[:200], extra={"serial": serial})
            return None

    @staticmethod
    def _drift(conn: Any, device: dict[str, Any]) -> float | None:
        """The terminal's clock minus the relay's, read in the terminal's zone (seconds)."""
        try:
            theirs = conn.get_time()
        except Exception:  # noqa: BLE001 - the drift is extra; the poll is what counts
            return None
        ours = datetime.now(UTC).astimezone(zone(device["timezone"])).replace(tzinfo=None)
        return (theirs - ours).total_seconds()

    def set_clock(self, device: dict[str, Any]) -> tuple[float | None, float]:
        """Clock repair of a polled terminal: drift before, ``set_time`` to the relay's clock
        in the terminal's zone, drift after (seconds)."""
        zk = self.zk_factory(device["address"], int(device["port"] or 4370),
                             int(device["comm_password"] or 0),
                             self.config.poll_timeout_seconds)
        conn = zk.connect()
        try:
            before = self._drift(conn, device)
            conn.set_time(datetime.now(UTC).astimezone(zone(device["timezone"]))
                          .replace(tzinfo=None, microsecond=0))
            after = self._drift(conn, device)
        finally:
            conn.disconnect()
        if after is None:
            raise RuntimeError("the terminal did not tell its time after set_time")
        return before, after

    def store_polled(self, device: dict[str, Any], users: list[Any],
                     attendance: list[Any]) -> PollResult:
        serial, tz, addr = device["serial"], device["timezone"], device["address"]
        punches: list[adms.Punch] = []
        bad: list[adms.BadLine] = []
        for item in attendance:
            try:
                rec = record_from_pyzk(item)
            except ValueError as exc:
                bad.append(adms.BadLine(repr(vars(item) if hasattr(item, "__dict__") else item)
                                        .encode("utf-8", "replace"), f"pyzk record: {exc}"))
                continue
            line = _punch_line(rec)
            punches.append(adms.Punch(rec["pin"], rec["local_time"], rec["status"],
                                      rec["verify"], "", line,
                                      adms.fingerprint(serial, rec["pin"], rec["local_time"])))
        stored = self.store.store_punches(serial, tz, addr, "POLL", punches, bad, None,
                                          stamp_column=None)
        parsed = adms_operlog.Operlog()
        for item in users:
            try:
                u = user_from_pyzk(item)
            except ValueError as exc:
                parsed.bad.append(adms.BadLine(repr(item).encode("utf-8", "replace"),
                                               f"pyzk user: {exc}"))
                continue
            raw = (f"USER PIN={u['pin']}\tName={u['name']}\tPri={u['privilege']}"
                   f"\tCard={u['card']}").encode()
            parsed.users.append(adms_operlog.UserRow(
                u["pin"], u["name"], u["name"].encode(), "pyzk", u["privilege"], u["card"], "",
                None, raw))
        if parsed.users or parsed.bad:
            self.store.store_operlog(serial, tz, addr, parsed, None, "POLL")
        return PollResult(len(attendance), stored.inserted, stored.duplicates,
                          stored.quarantined + len(parsed.bad), len(parsed.users))


class PollerThread(threading.Thread):
    """Runs :meth:`Poller.tick` until stopped; looks for new terminals at least every second."""

    def __init__(self, store: Store, config: Config, *, metrics: Metrics | None = None) -> None:
        super().__init__(name="zk-relay-poller", daemon=True)
        self.poller = Poller(store, config, metrics=metrics)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                wait = self.poller.tick(wait=False)
            except Exception:
                log.exception("poller pass failed; will retry")
                wait = 5.0
            self.stopped.wait(min(wait, 1.0))
        self.poller.close()


__all__ = ["PollResult", "Poller", "PollerThread"]
