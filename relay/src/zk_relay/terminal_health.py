"""Terminal health (issue 17): computed every ``health_interval_seconds`` by the relay,
kept in ``terminal_health`` (so ``zk-relay status`` shows it too), served in ``/health``, the
signed ``/api/v1/health/terminals`` and the metrics. Also the clock repairs.

What a row holds, and where it comes from:

* last seen, firmware, push version, mode (push | poll);
* memory: users, fingerprints, faces and attendance records held (``INFO=`` of the command
  poll, else the ``INFO`` command's ``UserCount``/``FPCount``/``FaceCount``/
  ``TransactionCount``) against the model's capacity (the ``INFO`` command's
  ``~MaxUserCount``/``~MaxFingerCount``/``~MaxFaceCount``/``~MaxAttLogCount``), in %;
* clock drift, the terminal's clock minus the relay's: a polled terminal is asked its time
  (pyzk); a push terminal's is read from its realtime punches — a punch uploaded at once
  carries the terminal's clock at that moment, so the largest (punch time − arrival time, in
  the terminal's zone) over the punches received in the last hour is the drift (a record that
  waited on the terminal only makes that difference smaller);
* punches today and in the last hour against the usual: the median of the same weekday over
  the four previous weeks, up to the same time of day;
* what the terminal reported: attendance log cleared, clock set, user deleted, factory reset,
  a drop in the records it holds (``health_events``, last 7 days).

Clock repair: a drift beyond ``clock_repair_after_seconds`` (or a request from the command line
or the API) makes the relay set the terminal's clock — a push terminal gets ``CHECK`` (it
handshakes again and sets its clock from the relay's ``Date`` header and ``TimeZone``, §7); a
polled terminal gets pyzk's ``set_time``. The drift before and after is kept in
``clock_repairs``; a push terminal's drift after is read from its next realtime punch.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from zk_relay import commands
from zk_relay.adms_handshake import zone
from zk_relay.config import Config
from zk_relay.poller import Poller
from zk_relay.reconciler import local_now
from zk_relay.store import Store, link_status

log = logging.getLogger("zk_relay.health")

# kind -> (count key of the INFO command, capacity key of the INFO command)
MEMORY_KEYS = {
    "users": ("UserCount", "~MaxUserCount"),
    "fingerprints": ("FPCount", "~MaxFingerCount"),
    "faces": ("FaceCount", "~MaxFaceCount"),
    "attlogs": ("TransactionCount", "~MaxAttLogCount"),
}
DRIFT_WINDOW = timedelta(hours=1)
REPAIR_EVERY = timedelta(hours=1)  # at most one automatic repair per terminal and hour
USUAL_WEEKS = 4
FMT = "%Y-%m-%d %H:%M:%S"


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def memory_fill(info: dict[str, Any], options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """kind -> {held, capacity, percent} (None where the terminal did not say)."""
    out = {}
    for kind, (count_key, max_key) in MEMORY_KEYS.items():
        held = _int(info.get(kind))
        if held is None:
            held = _int(options.get(count_key))
        capacity = _int(options.get(max_key))
        percent = round(100.0 * held / capacity, 1) if held is not None and capacity else None
        out[kind] = {"held": held, "capacity": capacity, "percent": percent}
    return out


def drift_from_punches(rows: list[tuple[str, str]], tz: str, since: datetime) -> float | None:
    """Largest (punch local time − arrival time in the terminal's zone) over the punches that
    arrived after ``since`` (aware); None without any."""
    where = zone(tz)
    best = None
    for local_time, received_at in rows:
        arrived = datetime.fromisoformat(received_at)
        if arrived < since:
            continue
        arrived_local = arrived.astimezone(where).replace(tzinfo=None)
        drift = (datetime.strptime(local_time, FMT) - arrived_local).total_seconds()
        best = drift if best is None else max(best, drift)
    return best


class HealthMonitor:
    """Computes terminal health and carries out clock repairs (module docstring)."""

    def __init__(self, store: Store, config: Config, *,
                 now: Callable[[], datetime] | None = None, poller: Poller | None = None
                 ) -> None:
        self.store = store
        self.config = config
        self.now = now or (lambda: datetime.now(UTC))
        self.poller = poller or Poller(store, config)  # clock of polled terminals
        self._last: datetime | None = None
        self.rows: dict[str, dict[str, Any]] = {}

    def tick(self) -> None:
        now = self.now()
        self.follow_repairs(now)
        if self._last is None or (now - self._last).total_seconds() >= \
                self.config.health_interval_seconds:
            self._last = now
            self.rows = self.compute(now)
            self.store.save_health(self.rows)
            self.auto_repair(now)

    # -- health rows
    def compute(self, now: datetime) -> dict[str, dict[str, Any]]:
        week_ago = (now - timedelta(days=7)).isoformat(timespec="milliseconds")
        events = self.store.health_event_counts(week_ago)
        rows = {}
        for d in self.store.devices():
            serial = d["serial"]
            here = local_now(d, now)
            if not d["address"]:
                self._measure_drift(d, now)
            device = self.store.device(serial) or d
            rows[serial] = {
                "serial": serial,
                "name": d["name"],
                "enabled": d["enabled"],
                "mode": "poll" if d["address"] else "push",
                "last_seen": d["last_seen"],
                "seconds_since_seen": round((now - datetime.fromisoformat(d["last_seen"]))
                                            .total_seconds(), 1) if d["last_seen"] else None,
                "firmware": (d["info"] or {}).get("firmware") or d["options"].get("FWVersion"),
                "pushver": d["pushver"],
                "memory": memory_fill(d["info"] or {}, d["options"] or {}),
                "clock_drift_seconds": device["clock_drift"],
                "clock_drift_at": device["clock_drift_at"],
                "clock_drift_source": device["clock_drift_source"],
                "punches": self._activity(serial, here),
                "events_7d": {kind: n for (s, kind), n in events.items() if s == serial},
                "local_time": here.strftime(FMT),
            }
        return rows

    def _measure_drift(self, device: dict[str, Any], now: datetime) -> None:
        since = now - DRIFT_WINDOW
        repair = self.store.last_clock_repair(device["serial"])
        if repair is not None and repair["done_at"]:
            since = max(since, datetime.fromisoformat(repair["done_at"]))
        drift = drift_from_punches(self._latest(device["serial"]), device["timezone"], since)
        if drift is not None:
            self.store.record_drift(device["serial"], drift, "punches")

    def _latest(self, serial: str) -> list[tuple[str, str]]:
        """(local time, received at) of the terminal's 50 latest punches by its clock."""
        return self.store.read().execute(
            "SELECT local_time, received_at FROM events WHERE serial = ? ORDER BY local_time"
            " DESC LIMIT 50", (serial,)).fetchall()

    def _count(self, serial: str, start: datetime, end: datetime) -> int:
        return int(self.store.read().execute(
            "SELECT count(*) FROM events WHERE serial = ? AND local_time >= ? AND local_time < ?",
            (serial, start.strftime(FMT), end.strftime(FMT))).fetchone()[0])

    def _activity(self, serial: str, here: datetime) -> dict[str, Any]:
        midnight = here.replace(hour=0, minute=0, second=0)
        hour_ago = here - timedelta(hours=1)
        past_day, past_hour = [], []
        for week in range(1, USUAL_WEEKS + 1):
            shift = timedelta(days=7 * week)
            past_day.append(self._count(serial, midnight - shift, here - shift))
            past_hour.append(self._count(serial, hour_ago - shift, here - shift))
        return {"today": self._count(serial, midnight, here + timedelta(seconds=1)),
                "last_hour": self._count(serial, hour_ago, here + timedelta(seconds=1)),
                "usual_by_now": statistics.median(past_day),
                "usual_last_hour": statistics.median(past_hour)}

    # -- clock repair
    def auto_repair(self, now: datetime) -> None:
        limit = self.config.clock_repair_after_seconds
        if limit <= 0:
            return
        for serial, row in self.rows.items():
            drift = row["clock_drift_seconds"]
            if drift is None or abs(drift) <= limit or not row["enabled"]:
                continue
            last = self.store.last_clock_repair(serial)
            if last is not None and now - datetime.fromisoformat(last["requested_at"]) < \
                    REPAIR_EVERY:
                continue
            self.store.request_clock_repair(serial, "auto", drift)

    def follow_repairs(self, now: datetime) -> None:
        """``requested`` → carried out; ``sent`` → ``done`` when the terminal acknowledged;
        ``done`` → ``measured`` when the drift after is known."""
        for repair in self.store.open_clock_repairs():
            device = self.store.device(repair["serial"])
            if device is None:
                self.store.update_clock_repair(repair["id"], state="failed")
                continue
            try:
                self._follow_repair(repair, device, now)
            except Exception:
                log.exception("%s: clock repair %d failed", repair["serial"], repair["id"])
                self.store.update_clock_repair(repair["id"], state="failed")

    def _follow_repair(self, repair: dict[str, Any], device: dict[str, Any],
                       now: datetime) -> None:
        rid, serial = repair["id"], repair["serial"]
        stamp = now.isoformat(timespec="milliseconds")
        if repair["state"] == "requested":
            before = repair["drift_before"]
            if before is None:
                before = device["clock_drift"]
            if device["address"]:
                before, after = self.poller.set_clock(device)
                self.store.record_drift(serial, after, "pyzk")
                self.store.update_clock_repair(rid, method="pyzk_set_time", state="measured",
                                               drift_before=before, drift_after=after,
                                               done_at=stamp, measured_at=stamp)
                self._event(serial, before, after)
                return
            check = commands.build("check", {})
            queued = self.store.queue_command(serial, check)
            self.store.update_clock_repair(rid, method="check", state="sent",
                                           drift_before=before, command_id=queued["id"])
            return
        if repair["state"] == "done" and now - datetime.fromisoformat(repair["done_at"]) > \
                timedelta(days=1):  # no realtime punch for a day: the drift after is unknown
            self.store.update_clock_repair(rid, state="unmeasured")
            return
        if repair["state"] == "sent":
            command = self.store.command(repair["command_id"])
            if command is None or command["state"] in ("failed", "timed_out"):
                self.store.update_clock_repair(rid, state="failed")
            elif command["state"] == "done":
                self.store.update_clock_repair(rid, state="done", done_at=stamp)
            return
        done = datetime.fromisoformat(repair["done_at"])
        after = drift_from_punches(self._latest(serial), device["timezone"], done)
        if after is not None:
            self.store.record_drift(serial, after, "punches")
            self.store.update_clock_repair(rid, state="measured", drift_after=after,
                                           measured_at=stamp)
            self._event(serial, repair["drift_before"], after)

    def _event(self, serial: str, before: float | None, after: float) -> None:
        was = "unknown" if before is None else f"{before:+.0f} s"
        self.store.add_health_event(serial, "clock_repaired",
                                    f"clock set by the relay: drift {was} before, {after:+.0f} s"
                                    " after")
        log.info("%s: clock repaired, drift %s before, %+.0f s after", serial, was, after,
                 extra={"serial": serial})


def relay_health(store: Store) -> dict[str, Any]:
    """The relay as a whole: delivery lag to Odoo, pages Odoo refused (push mode)."""
    delivery = link_status(store)
    refused, last = store.pages_refused()
    return {"delivery_lag_seconds": delivery["oldest_unacked_age_seconds"] or 0,
            "unacked_events": delivery["unacked_events"],
            "last_delivery_at": (delivery["odoo"] or {}).get("last_delivery_at"),
            "pages_refused": refused, "last_page_refused": last}
