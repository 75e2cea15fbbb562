"""Start-up: open the store and its group commit, start the retention task and the poller, run
Waitress. :class:`RelayServer` also runs in-process (tests inject a clock)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from waitress import create_server

from zk_relay import __version__
from zk_relay.app import create_app
from zk_relay.biometric_crypto import load_cipher
from zk_relay.config import Config
from zk_relay.keys import RelayKey, load_or_create
from zk_relay.logs import setup_logging
from zk_relay.metrics import Metrics
from zk_relay.store import Store

__all__ = ["RelayServer", "Retention", "serve", "setup_logging"]

log = logging.getLogger("zk_relay.server")


class CommandExpiry(threading.Thread):
    """Commands ``sent`` for longer than ``command_timeout_seconds`` are re-queued once (kinds
    safe to repeat) or marked ``timed_out`` (:meth:`Store.expire_commands`); checked every
    quarter of the timeout, at most every minute."""

    def __init__(self, store: Store, config: Config) -> None:
        super().__init__(name="zk-relay-command-expiry", daemon=True)
        self.store = store
        self.config = config
        self.stopped = threading.Event()

    def run(self) -> None:
        timeout = self.config.command_timeout_seconds
        while not self.stopped.wait(min(60.0, max(0.05, timeout / 4))):
            try:
                requeued, timed_out = self.store.expire_commands(timeout)
                if requeued or timed_out:
                    log.warning("commands without a result after %g s: %d re-queued, %d timed"
                                " out", timeout, requeued, timed_out)
            except Exception:
                log.exception("command expiry failed; will retry")


class Retention(threading.Thread):
    """Every ``retention_interval_seconds``: delete acknowledged events older than
    ``retention_days`` (never an unacknowledged one), and the reconciliation and health
    history as old."""

    def __init__(self, store: Store, config: Config) -> None:
        super().__init__(name="zk-relay-retention", daemon=True)
        self.store = store
        self.config = config
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.config.retention_interval_seconds):
            try:
                deleted = self.store.prune(self.config.retention_days)
                if deleted:
                    log.info("retention: deleted %d acknowledged event(s) older than %d days",
                             deleted, self.config.retention_days)
                history = self.store.prune_history(self.config.retention_days)
                if history:
                    log.info("retention: deleted %d reconciliation and health row(s) older "
                             "than %d days", history, self.config.retention_days)
                templates, photos = self.store.prune_biometrics(
                    self.config.biometric_retention_days, self.config.photo_retention_days)
                if templates or photos:
                    log.info("retention: deleted %d template(s) and %d punch photo(s)",
                             templates, photos)
            except Exception:
                log.exception("retention failed; will retry")


class Monitor(threading.Thread):
    """Every half second: reconciliation runs (``reconciler.py``) and terminal health with
    clock repairs (``terminal_health.py``); each recovers from its own failures. Nothing here
    calls Odoo (that is :class:`OdooPush`), so a slow Odoo never holds them."""

    def __init__(self, store: Store, config: Config, *,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__(name="zk-relay-monitor", daemon=True)
        from zk_relay.poller import Poller
        from zk_relay.reconciler import Reconciler
        from zk_relay.terminal_health import HealthMonitor

        poller = Poller(store, config)  # pyzk reads of days and clocks, one pool for both
        self.reconciler = Reconciler(store, config, now=now, poller=poller)
        self.health = HealthMonitor(store, config, now=now, poller=poller)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            for part in (self.reconciler, self.health):
                try:
                    part.tick()
                except Exception:
                    log.exception("%s pass failed; will retry", type(part).__name__)


class OdooPush(threading.Thread):
    """Push mode, every half second: reconciliation and health to Odoo (``odoo_status.py``),
    biometric pages to Odoo and Odoo's outbox of commands (``odoo_biometric.py``). A thread of
    its own: a slow or unreachable Odoo holds it (up to ``push_timeout_seconds`` per call),
    never reconciliation or health themselves."""

    def __init__(self, store: Store, config: Config, key: RelayKey) -> None:
        super().__init__(name="zk-relay-odoo-push", daemon=True)
        from zk_relay.odoo_biometric import BiometricPusher, OutboxFetcher
        from zk_relay.odoo_status import StatusPusher

        self.parts = (StatusPusher(store, config, key), BiometricPusher(store, config, key),
                      OutboxFetcher(store, config))
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            for part in self.parts:
                try:
                    part.tick()
                except Exception:
                    log.exception("%s pass failed; will retry", type(part).__name__)


class RelayServer:
    """Store (with group commit) + WSGI app + Waitress + background tasks.

    ``now`` (aware datetime, default the real UTC clock) decides the TimeZone terminals are
    given; tests replace it to cross a DST transition without waiting for one.
    """

    def __init__(self, config: Config, *, now: Callable[[], datetime] | None = None,
                 background: bool = True) -> None:
        self.config = config
        self.metrics = Metrics()
        self.store = Store(config.db_path, config.busy_timeout_ms)
        self.store.start_writer(on_commit=self.metrics.on_commit)
        # biometric templates and photos (issue 19): sealed with this key, or not kept at all
        self.store.bio_cipher = load_cipher(config.biometric_key, config.biometric_key_file)
        sealed, deleted = self.store.migrate_biometrics()
        if sealed or deleted:
            log.warning("biometric data an older relay kept in clear: %d sealed, %d deleted",
                        sealed, deleted)
        log.info("biometric data: %s", self.store.biometric_state())
        self.key = load_or_create(config.db_path.parent)  # made at first start (issue 10)
        self.app = create_app(self.store, config, metrics=self.metrics, now=now, key=self.key)
        self.server: Any = create_server(
            self.app, host=config.host, port=config.port, threads=config.threads,
            max_request_body_size=config.max_body_bytes + 1, ident="zk-relay",
            channel_timeout=60, connection_limit=max(100, config.threads * 4),
            asyncore_use_poll=True)
        self.host = str(self.server.effective_host)
        self.port = int(self.server.effective_port)
        self.tasks: list[Any] = []
        if background:
            self.tasks.append(Retention(self.store, config))
            self.tasks.append(CommandExpiry(self.store, config))
            from zk_relay.poller import PollerThread

            self.tasks.append(PollerThread(self.store, config, metrics=self.metrics))
            from zk_relay.odoo_delivery import DelivererThread

            self.tasks.append(DelivererThread(self.store, config, self.key,
                                              metrics=self.metrics))
            self.tasks.append(Monitor(self.store, config, now=now))
            self.tasks.append(OdooPush(self.store, config, self.key))

    def run(self) -> None:
        for task in self.tasks:
            task.start()
        try:
            self.server.run()
        finally:
            self.close()

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="zk-relay-server", daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        """Stop a server started with :meth:`start_in_thread` (from another thread)."""
        for channel in list(self.server._map.values()):  # noqa: SLF001 - waitress internals
            channel.close()
        self.server.task_dispatcher.shutdown()

    def close(self) -> None:
        for task in self.tasks:
            task.stopped.set()
        try:
            self.server.close()
        except Exception:  # noqa: BLE001, S110 - already closed by shutdown()
            pass
        for task in self.tasks:
            if task.is_alive():
                task.join(10)
        self.store.close()


def serve(config: Config, *, ready_file: str | None = None, out: TextIO = sys.stdout) -> int:
    # Hand the GIL over sooner than the 5 ms default: the request thread leading a group
    # commit, back from its fsync, must not wait behind the other threads while the whole
    # batch waits for it (bench/relay_ingest.py; 1-5 ms measure alike since the commit is one
    # statement, 0.5 ms is slower).
    sys.setswitchinterval(0.001)
    relay = RelayServer(config)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"zk-relay {__version__} listening on http://{relay.host}:{relay.port} "
          f"(store {config.db_path}, store_id {relay.store.store_id}, key_id"
          f" {relay.key.key_id})", file=out, flush=True)
    log.info("listening on http://%s:%d", relay.host, relay.port,
             extra={"store_id": relay.store.store_id, "version": __version__})
    if ready_file:
        tmp = Path(ready_file + ".tmp")
        tmp.write_text(json.dumps({"host": relay.host, "port": relay.port, "pid": os.getpid(),
                                   "store_id": relay.store.store_id,
                                   "key_id": relay.key.key_id}))
        os.replace(tmp, ready_file)
    try:
        relay.run()
    except KeyboardInterrupt:
        pass
    log.info("stopped")
    return 0
