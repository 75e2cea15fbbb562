"""Start-up: open the store, start the writer and the retention task, run Waitress."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TextIO

from waitress import create_server

from zk_relay import __version__
from zk_relay.app import create_app
from zk_relay.config import Config
from zk_relay.store import Store

log = logging.getLogger("zk_relay.server")


def setup_logging(level: str = "INFO") -> None:
    """Plain line logs on stderr (extension point: structured JSON logs, issue 5)."""
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class Retention(threading.Thread):
    """Every ``retention_interval_seconds``: delete acknowledged events older than
    ``retention_days`` (never an unacknowledged one)."""

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
            except Exception:
                log.exception("retention failed; will retry")


def serve(config: Config, *, ready_file: str | None = None, out: TextIO = sys.stdout) -> int:
    # Hand the GIL over sooner than the 5 ms default: the writer thread, back from an fsync,
    # must not wait behind request threads (measured by bench/relay_ingest.py).
    sys.setswitchinterval(0.001)
    store = Store(config.db_path, config.busy_timeout_ms)
    store.start_writer()
    app = create_app(store, config)
    server = create_server(
        app, host=config.host, port=config.port, threads=config.threads,
        max_request_body_size=config.max_body_bytes + 1, ident="zk-relay",
        channel_timeout=60, connection_limit=max(100, config.threads * 4),
        asyncore_use_poll=True)
    host, port = server.effective_host, int(server.effective_port)  # type: ignore[union-attr]
    retention = Retention(store, config)
    retention.start()

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"zk-relay {__version__} listening on http://{host}:{port} "
          f"(store {config.db_path}, store_id {store.store_id})", file=out, flush=True)
    if ready_file:
        tmp = Path(ready_file + ".tmp")
        tmp.write_text(json.dumps({"host": host, "port": port, "pid": os.getpid(),
                                   "store_id": store.store_id}))
        os.replace(tmp, ready_file)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        retention.stopped.set()
        server.close()
        store.close()
        log.info("stopped")
    return 0
