"""``GET /metrics``: Prometheus text format, produced by ``prometheus_client``.

Counted in the process (reset at restart, as Prometheus counters are): HTTP requests by route
and status, request latency, ADMS refusals by reason, group-commit batch sizes and commit
latency, polls. Read from the store at scrape time (so they survive restarts): per-device
events stored, duplicates, quarantined, events waiting for acknowledgement, last seen; commands
by state; the host clock's synchronisation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from zk_relay.store import Store, link_status

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ROUTES = frozenset({"cdata", "getrequest", "devicecmd", "ping", "fdata", "registry", "push",
                    "querydata"})


def route_of(path: str) -> str:
    """A bounded label for a request path (no serials, no ids)."""
    if path.startswith("/iclock/"):
        name = path[8:].lower()
        name = name[:-5] if name.endswith(".aspx") else name
        return f"iclock_{name}" if name in ROUTES else "iclock_other"
    if path.startswith("/api/v1/"):
        parts = path[8:].split("/")
        if parts[0] == "devices" and len(parts) >= 3 and parts[2] == "commands":
            return "api_device_commands"
        if parts[0] == "commands" and len(parts) >= 2:
            return "api_command"
        if parts[0] == "devices" and len(parts) >= 3 and parts[2] == "clock":
            return "api_device_clock"
        if parts[0] in {"reconciliation", "health", "clock-repairs"}:
            return "api_" + "_".join(p.replace("-", "_") for p in parts[:2]
                                     if p in {"reconciliation", "runs", "health", "terminals",
                                              "events", "clock-repairs"})
        if parts[0] in {"events", "devices", "users", "oplog", "quarantine", "commands"}:
            return "api_" + "_".join(p for p in parts[:2] if p in {"events", "ack", "devices",
                                                                   "users", "oplog",
                                                                   "quarantine", "commands"})
        return "api_other"
    if path in {"/health", "/metrics"}:
        return path[1:]
    return "other"


class StoreCollector(Collector):
    def __init__(self, store: Store, clock_ok: Callable[[], bool | None]) -> None:
        self.store = store
        self.clock_ok = clock_ok

    def collect(self) -> Iterator[Metric]:
        store = self.store
        stored = CounterMetricFamily("zk_relay_events_stored", "Punches stored (new records)",
                                     labels=["serial"])
        dups = CounterMetricFamily("zk_relay_events_duplicate",
                                   "Punches received again and not stored twice",
                                   labels=["serial"])
        quarantined = CounterMetricFamily("zk_relay_quarantined",
                                          "Lines kept in the quarantine with a reason",
                                          labels=["serial"])
        backlog = GaugeMetricFamily("zk_relay_device_events_waiting_for_ack",
                                    "Events of this terminal not yet acknowledged by the puller",
                                    labels=["serial"])
        seen = GaugeMetricFamily("zk_relay_device_last_seen_timestamp_seconds",
                                 "Unix time of the terminal's last request or poll",
                                 labels=["serial"])
        per_device = store.backlog_by_device()
        for d in store.devices():
            sn = d["serial"]
            stored.add_metric([sn], d["events_stored"])
            dups.add_metric([sn], d["events_duplicate"])
            quarantined.add_metric([sn], d["quarantined"])
            backlog.add_metric([sn], per_device.get(sn, 0))
            if d["last_seen"]:
                seen.add_metric([sn], datetime.fromisoformat(d["last_seen"]).timestamp())
        yield from (stored, dups, quarantined, backlog, seen)
        yield GaugeMetricFamily("zk_relay_events_waiting_for_ack",
                                "Events stored after the puller's acknowledged id",
                                value=sum(per_device.values()))
        yield GaugeMetricFamily("zk_relay_last_event_id", "Id of the newest stored event",
                                value=store.last_event_id())
        yield GaugeMetricFamily("zk_relay_acked_up_to", "Id acknowledged by the puller",
                                value=store.acked_up_to())
        yield GaugeMetricFamily("zk_relay_pending_serials",
                                "Serials that knocked without being registered",
                                value=len(store.pending()))
        yield CounterMetricFamily("zk_relay_pending_dropped",
                                  "Pending serials dropped because the list was full",
                                  value=store.pending_dropped())
        commands = GaugeMetricFamily("zk_relay_commands", "Device commands by state",
                                     labels=["state"])
        counts = store.command_counts()
        for state in ("queued", "sent", "done", "failed", "timed_out"):  # store.COMMAND_STATES
            commands.add_metric([state], counts.get(state, 0))
        yield commands
        yield from self._delivery()
        yield from self._health()
        clock = self.clock_ok()
        if clock is not None:
            yield GaugeMetricFamily("zk_relay_clock_synchronised",
                                    "1 when the kernel reports the host clock synchronised",
                                    value=1 if clock else 0)


    def _health(self) -> Iterator[Metric]:
        """Terminal health and reconciliation (issue 17), as the relay last computed them."""
        store = self.store
        drift = GaugeMetricFamily("zk_relay_device_clock_drift_seconds",
                                  "Terminal clock minus the relay's clock", labels=["serial"])
        memory = GaugeMetricFamily("zk_relay_device_memory_used_ratio",
                                   "Records held against the model's capacity (0-1)",
                                   labels=["serial", "kind"])
        punches = {key: GaugeMetricFamily(f"zk_relay_device_punches_{key}", text,
                                          labels=["serial"])
                   for key, text in (("today", "Punches stored for today (terminal-local)"),
                                     ("usual_by_now", "Median punches by this time of day on"
                                      " the same weekday of the four previous weeks"),
                                     ("last_hour", "Punches stored for the last hour"),
                                     ("usual_last_hour", "Median punches in the same hour on"
                                      " the same weekday of the four previous weeks"))}
        for serial, row in store.saved_health().items():
            if row.get("clock_drift_seconds") is not None:
                drift.add_metric([serial], row["clock_drift_seconds"])
            for kind, fill in (row.get("memory") or {}).items():
                if fill.get("percent") is not None:
                    memory.add_metric([serial, kind], fill["percent"] / 100)
            for key, family in punches.items():
                family.add_metric([serial], (row.get("punches") or {}).get(key) or 0)
        yield from (drift, memory, *punches.values())
        events = CounterMetricFamily("zk_relay_device_events",
                                     "What a terminal reported or was done to it (log cleared,"
                                     " clock set, user deleted, factory reset, count dropped,"
                                     " clock repaired)", labels=["serial", "kind"])
        for (serial, kind), n in sorted(store.health_event_totals().items()):
            events.add_metric([serial, kind], n)
        yield events
        since = (datetime.now(UTC) - timedelta(days=8)).date().isoformat()
        days = GaugeMetricFamily("zk_relay_reconciliation_days",
                                 "Terminal-days of the last week by reconciliation state",
                                 labels=["serial", "state"])
        for (serial, state), n in sorted(store.recon_state_counts(since).items()):
            days.add_metric([serial, state], n)
        yield days
        yield CounterMetricFamily("zk_relay_pages_refused",
                                  "Pages Odoo read and refused (push mode)",
                                  value=store.pages_refused()[0])

    def _delivery(self) -> Iterator[Metric]:
        """Delivery lag and the push destination's backoff state (issue 10)."""
        status = link_status(self.store)
        oldest = status["oldest_unacked_received_at"]
        if oldest:
            yield GaugeMetricFamily(
                "zk_relay_oldest_unacked_event_timestamp_seconds",
                "Unix time the oldest event not yet acknowledged (pull ack or push commit)"
                " was received", value=datetime.fromisoformat(oldest).timestamp())
        yield GaugeMetricFamily("zk_relay_oldest_unacked_event_age_seconds",
                                "Age of the oldest event not yet acknowledged (0 when none)",
                                value=status["oldest_unacked_age_seconds"] or 0)
        link = status["odoo"]
        if link is None:
            return
        yield GaugeMetricFamily("zk_relay_odoo_link_revoked",
                                "1 when Odoo refused the relay's credentials (push stopped)",
                                value=1 if link["state"] == "revoked" else 0)
        yield GaugeMetricFamily("zk_relay_push_cursor", "Last event id Odoo committed (push)",
                                value=link["push_cursor"])
        failures = GaugeMetricFamily("zk_relay_push_consecutive_failures",
                                     "Failed push attempts in a row, per destination",
                                     labels=["destination"])
        due = GaugeMetricFamily("zk_relay_push_next_attempt_timestamp_seconds",
                                "Unix time of the next push attempt after a failure",
                                labels=["destination"])
        for dest in status["destinations"]:
            failures.add_metric([dest["name"]], dest["consecutive_failures"])
            if dest["next_attempt_at"]:
                due.add_metric([dest["name"]],
                               datetime.fromisoformat(dest["next_attempt_at"]).timestamp())
        yield failures
        yield due


class Metrics:
    """One registry per relay (no global state, so several relays can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.requests = Counter("zk_relay_http_requests", "HTTP requests answered",
                                ["route", "status"], registry=r)
        self.latency = Histogram("zk_relay_http_request_duration_seconds",
                                 "Time to answer an HTTP request", ["route"], registry=r,
                                 buckets=(.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5,
                                          5, 10))
        self.refused = Counter("zk_relay_adms_refused", "ADMS requests refused (never OK)",
                               ["reason"], registry=r)
        self.commit_batch = Histogram("zk_relay_commit_batch_size",
                                      "Requests' writes sharing one group commit", registry=r,
                                      buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
        self.commit_seconds = Histogram("zk_relay_commit_seconds",
                                        "Duration of one group-commit transaction", registry=r,
                                        buckets=(.0005, .001, .0025, .005, .01, .025, .05, .1,
                                                 .25, .5, 1, 2.5))
        self.polls = Counter("zk_relay_polls", "pyzk polls of terminals by outcome",
                             ["outcome"], registry=r)
        self.polled_records = Counter("zk_relay_polled_records",
                                      "Attendance records read by polling (before dedupe)",
                                      registry=r)

        self.push_pages = Counter("zk_relay_push_pages", "Pages pushed to Odoo by outcome"
                                  " (committed, failure, revoked, store_mismatch)", ["outcome"],
                                  registry=r)
        self.pushed_events = Counter("zk_relay_pushed_events",
                                     "Events Odoo reported committed in push mode", registry=r)

    def attach_store(self, store: Store, clock_ok: Callable[[], bool | None]) -> None:
        self.registry.register(StoreCollector(store, clock_ok))

    def on_commit(self, batch_size: int, seconds: float) -> None:
        self.commit_batch.observe(batch_size)
        self.commit_seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
