"""Durable SQLite store: WAL, synchronous=FULL, one writing connection with group commit.

One module per table family; :class:`Store` puts them together, so callers see one object:

* ``db`` — connections, schema, migrations;   * ``writer`` — group commit;
* ``base`` — opening, reads, writes;           * ``devices`` — terminals, pending serials;
* ``events`` — punches and other uploads, pages, acknowledgement, retention;
* ``commands`` — device commands;  * ``tokens`` — API tokens;  * ``odoo_link`` — the Odoo link;
  ``odoo_outbox`` — biometric pages pushed and Odoo's outbox of commands (push mode);
* ``recon`` — reconciliation runs and terminal-days;  * ``health`` — health events, computed
  terminal health, clock repairs;  * ``biometrics`` — sealed templates and photos, audit;
* ``biometric_readback`` — templates read back from polled terminals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zk_relay.store.biometric_readback import ReadbackResult, ReadTemplate, TemplateReadback
from zk_relay.store.biometrics import Biometrics
from zk_relay.store.commands import COMMAND_STATES, REQUEUE_KINDS, Commands
from zk_relay.store.db import INSERT_EVENT, StoreError, connect, utc_now
from zk_relay.store.device_cache import DeviceGeneration
from zk_relay.store.devices import Devices, session_token
from zk_relay.store.events import Events
from zk_relay.store.health import Health
from zk_relay.store.odoo_link import OdooLink, link_status
from zk_relay.store.odoo_outbox import OdooOutbox
from zk_relay.store.recon import Reconciliation
from zk_relay.store.tokens import Tokens
from zk_relay.store.writer import AttlogResult, Writer

__all__ = ["COMMAND_STATES", "INSERT_EVENT", "REQUEUE_KINDS", "AttlogResult", "DeviceGeneration",
           "ReadTemplate", "ReadbackResult", "Store", "StoreError", "Writer", "connect",
           "link_status", "session_token", "utc_now"]


class Store(Devices, Events, Commands, Tokens, OdooLink, OdooOutbox, Reconciliation, Health,
            Biometrics, TemplateReadback):
    """The relay's database (see the modules of this package)."""

    def prune_history(self, retention_days: int, now: datetime | None = None) -> int:
        """Reconciliation and health history older than ``retention_days`` (as retention
        deletes the punches themselves): closed runs, terminal-days, health events, finished
        clock repairs, and the outbox commands Odoo heard closed. Returns the rows deleted."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=retention_days)).isoformat(
            timespec="milliseconds")
        return self.prune_reconciliation(cutoff) + self.prune_health(cutoff) \
            + self.prune_outbox(cutoff)
