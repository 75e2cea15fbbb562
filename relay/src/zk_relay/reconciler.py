"""Reconciliation per terminal and day, run by the relay (issue 17).

Each tick (about a second):

* **schedule** (``recon_schedule``, every ``health_interval_seconds``): every closed day of
  the look-back window gets a row (*not checked* until asked); inside the terminal-local
  ``recon_window``, at the terminal's own offset (``zk_rules.reconciliation.spread_offset``),
  the days never checked, not answered or with the terminal offline are asked again, once a
  night;
* **start** the oldest queued run of each terminal that has none under way, at most
  ``recon_concurrency`` terminals answering (waiting) at once: a push terminal
  gets ``DATA QUERY ATTLOG StartTime=..<TAB>EndTime=..`` (and ``INFO``, for its capacity); a
  polled terminal is read with pyzk at once; a push terminal not seen for
  ``offline_after_seconds`` makes the day *terminal offline* without asking;
* **follow** the runs under way: the terminal's acknowledgement (``Return>=0``) starts the
  settle period, after which the day gets its state from the counts; a refusal, or no
  acknowledgement within ``recon_answer_timeout_seconds``, makes it *not answered* (or
  *terminal offline* if the terminal was not seen since the query was queued).

The relay's state is all in SQLite: after a restart the runs under way are followed again and
their terminals' uploads are noted as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from zk_relay import commands
from zk_relay.adms_handshake import zone
from zk_relay.config import Config
from zk_relay.poller import Poller
from zk_relay.store import Store
from zk_rules import reconciliation as rules

log = logging.getLogger("zk_relay.recon")
LIVE_MARGIN = timedelta(hours=1)  # records this recent are live punches, not another day


def local_now(device: dict[str, Any], now: datetime) -> datetime:
    """The relay's clock read in the terminal's zone (naive, as terminals write times)."""
    return now.astimezone(zone(device["timezone"])).replace(tzinfo=None, microsecond=0)


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Reconciler:
    """Schedules, starts and closes reconciliation runs (see the module's docstring)."""

    def __init__(self, store: Store, config: Config, *,
                 now: Callable[[], datetime] | None = None,
                 poller: Poller | None = None) -> None:
        self.store = store
        self.config = config
        self.now = now or (lambda: datetime.now(UTC))
        self.poller = poller or Poller(store, config)  # reads polled terminals' days
        self._last_schedule: datetime | None = None
        self._restore()

    def _restore(self) -> None:
        """Runs under way when the relay stopped: their terminals' uploads count again."""
        devices = {d["serial"]: d for d in self.store.devices()}
        for run in self.store.open_runs():
            device = devices.get(run["serial"])
            if run["state"] in ("waiting", "settling") and device is not None \
                    and not device["address"]:
                self._listen(run, device)

    def _listen(self, run: dict[str, Any], device: dict[str, Any], *,
                other_days: bool = True) -> None:
        stale = (local_now(device, self.now()) - LIVE_MARGIN).strftime("%Y-%m-%d %H:%M:%S") \
            if other_days else ""
        self.store.recon_active[run["serial"]] = (run["id"], run["range_start"],
                                                  run["range_end"], stale)

    # -- one pass
    def tick(self) -> None:
        devices = {d["serial"]: d for d in self.store.devices()}
        now = self.now()
        if self.config.recon_schedule and (
                self._last_schedule is None
                or (now - self._last_schedule).total_seconds()
                >= self.config.health_interval_seconds):
            self._last_schedule = now
            for device in devices.values():
                if device["enabled"]:
                    self.schedule(device, now)
        runs = self.store.open_runs()
        busy: set[str] = set()
        for run in runs:
            if run["state"] in ("waiting", "settling"):
                busy.add(run["serial"])
                self._follow(run, devices.get(run["serial"]), now)
        # terminals re-uploading at the same time: the rest wait, so live ingest keeps its pace
        slots = self.config.recon_concurrency - sum(
            1 for r in self.store.open_runs() if r["state"] == "waiting")
        for run in runs:
            if slots <= 0:
                break
            if run["state"] == "queued" and run["serial"] not in busy:
                busy.add(run["serial"])
                self._start(run, devices.get(run["serial"]), now)
                slots -= 1

    def schedule(self, device: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
        """Rows for the closed days; tonight's questions when the terminal's turn came."""
        serial = device["serial"]
        here = local_now(device, now)
        created = _parse(device["created_at"])
        first = local_now(device, created).date() if created else None
        oldest = self.store.read().execute(  # a backlog from before the registration counts
            "SELECT min(local_time) FROM events WHERE serial = ?", (serial,)).fetchone()[0]
        if oldest and (first is None or oldest[:10] < first.isoformat()):
            first = datetime.strptime(oldest[:10], "%Y-%m-%d").date()
        candidates = rules.closed_days(here.date(), self.config.recon_lookback_days, first)
        if not candidates:
            return []
        self.store.ensure_days(serial, candidates)
        if not rules.in_window(serial, self.config.recon_window, here):
            return []
        states = {day: row["state"] for day, row in self.store.recon_days_of(serial).items()}
        asked = {day: datetime.fromisoformat(at) for day, at in
                 self.store.last_asked(serial, candidates[0]).items()}
        due = rules.due_days(states, asked, candidates, now)
        if not due:
            return []
        log.info("%s: reconciliation of %d day(s) queued (%s .. %s)", serial, len(due), due[0],
                 due[-1], extra={"serial": serial})
        return self.store.request_days(serial, due, "schedule")

    def _offline(self, device: dict[str, Any], now: datetime) -> bool:
        seen = _parse(device["last_seen"])
        return seen is None or (now - seen).total_seconds() > self.config.offline_after_seconds

    def _start(self, run: dict[str, Any], device: dict[str, Any] | None, now: datetime) -> None:
        if device is None or not device["enabled"]:
            self._close(run, answered=False, state=rules.NOT_ANSWERED, reason="not_registered")
            return
        here = local_now(device, now)
        _, end = rules.day_range(run["day"], here)
        if device["address"]:
            self._read_polled(run, device, end)
            return
        if self._offline(device, now):
            self._close(run, answered=False, state=rules.TERMINAL_OFFLINE, reason=rules.NOT_SEEN)
            return
        query = commands.build("attlog_query", {"start": run["range_start"], "end": end})
        started = self.store.start_run(run["id"], end, query.text)
        self._listen(started, device)
        day_ago = (now - timedelta(days=1)).isoformat(timespec="milliseconds")
        if not self.store.read().execute(  # capacity and counts, at most once a day
                "SELECT 1 FROM commands WHERE serial = ? AND kind = 'info' AND created_at > ?",
                (device["serial"], day_ago)).fetchone():
            self.store.queue_command(device["serial"], commands.build("info", {}))
        log.info("%s: asked for %s again (reconciliation %d, command %d)", device["serial"],
                 run["day"], run["id"], started["command_id"],
                 extra={"serial": device["serial"], "reconciliation": run["id"]})

    def _read_polled(self, run: dict[str, Any], device: dict[str, Any], end: str) -> None:
        """A polled terminal: read its log with pyzk now (the whole log comes back, so no
        record counts as another day's)."""
        started = self.store.start_run(run["id"], end, None)
        self._listen(started, device, other_days=False)
        try:
            self.poller.poll(device)
        except Exception as exc:  # noqa: BLE001 - any failed read closes the run
            offline = isinstance(exc, OSError) or "network" in type(exc).__name__.lower() \
                or "reach" in str(exc).lower()
            log.warning("%s: reconciliation read failed: %s", device["serial"], exc,
                        extra={"serial": device["serial"]})
            self._close(started, answered=False,
                        state=rules.TERMINAL_OFFLINE if offline else rules.NOT_ANSWERED,
                        reason=rules.NOT_SEEN if offline else "read_failed")
            return
        self._close(started, answered=True)

    def _follow(self, run: dict[str, Any], device: dict[str, Any] | None,
                now: datetime) -> None:
        serial = run["serial"]
        if device is not None and serial not in self.store.recon_active \
                and not device["address"]:
            self._listen(run, device)
        if run["state"] == "settling":
            answered = _parse(run["answered_at"])
            if answered is None or (now - answered).total_seconds() >= \
                    self.config.recon_settle_seconds:
                self._close(run, answered=True)
            return
        command = self.store.command(run["command_id"]) if run["command_id"] else None
        if command is not None and command["state"] == "done":
            self.store.mark_answered(run["id"])
            if self.config.recon_settle_seconds == 0:
                self._close(run, answered=True)
            return
        if command is not None and command["state"] == "failed":
            self._close(run, answered=False, state=rules.NOT_ANSWERED, reason=rules.REFUSED)
            return
        started = _parse(run["started_at"]) or now
        waited = (now - started).total_seconds()
        timed_out = command is not None and command["state"] == "timed_out"
        if timed_out or waited >= self.config.recon_answer_timeout_seconds or command is None:
            seen = _parse(device["last_seen"]) if device else None
            gone = seen is None or seen < started
            self._close(run, answered=False,
                        state=rules.TERMINAL_OFFLINE if gone else rules.NOT_ANSWERED,
                        reason=rules.NOT_SEEN if gone else rules.NO_ACK)

    def _close(self, run: dict[str, Any], *, answered: bool, state: str | None = None,
               reason: str | None = None) -> dict[str, Any]:
        active = self.store.recon_active.get(run["serial"])
        if active is not None and active[0] == run["id"]:
            del self.store.recon_active[run["serial"]]
        cleared = answered and self._log_cleared(run)
        closed = self.store.close_run(run["id"], answered=answered, state=state, reason=reason,
                                      log_cleared=cleared)
        log.info("%s: reconciliation of %s: %s (at the terminal %s, on the relay %s, gaps"
                 " filled %s)", run["serial"], run["day"], closed["state"],
                 closed["at_terminal"], closed["on_relay"], closed["gaps_filled"],
                 extra={"serial": run["serial"], "reconciliation": run["id"],
                        "state": closed["state"], "reason": closed["reason"]})
        return closed

    def _log_cleared(self, run: dict[str, Any]) -> bool:
        """Did the terminal say its log was cleared (operation log or a count that dropped)
        since the day began?"""
        return self.store.read().execute(
            "SELECT 1 FROM health_events WHERE serial = ? AND kind IN ('log_cleared',"
            " 'count_dropped', 'factory_reset') AND received_at >= ? LIMIT 1",
            (run["serial"], run["day"])).fetchone() is not None
