"""Which problems a terminal or a relay has right now, worded for a person (issue 17).

Odoo keeps one open alert per (record, problem): it calls these functions with the figures
the relay reported, the company's thresholds and the terminal's working hours, opens an alert
for every problem returned that is not open yet and closes the open ones no longer returned.

Two kinds of problem:

* a *condition* (silent, not seen, drift, memory, relay not delivering, days not answered...)
  is open while it holds and closes by itself when it no longer does;
* a *report* (the terminal's operation log said its attendance log was cleared, its clock was
  set, a user was deleted, it was reset; a page was refused; a reconciliation found gaps) is
  open while something of that kind arrived after the last one a person acknowledged. Every
  report carries a monotonic mark (the relay's event id, the refused-page counter, the day's
  revision) and the caller passes the highest mark acknowledged per problem.

Plain data in and out, no I/O, no Odoo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# problem codes (stored by Odoo; people see the sentence)
NOT_SEEN = "not_seen"
SILENT = "silent"
CLOCK_DRIFT = "clock_drift"
MEMORY_FULL = "memory_full"
LOG_CLEARED = "log_cleared"
CLOCK_SET = "clock_set"
USER_DELETED = "user_deleted"
FACTORY_RESET = "factory_reset"
RECON_GAPS = "recon_gaps"
RECON_NOT_ANSWERED = "recon_not_answered"
RECON_OFFLINE = "recon_offline"
RECON_INCOMPLETE = "recon_incomplete"
NOT_DELIVERED = "not_delivered"
PAGE_REFUSED = "page_refused"

# the operation-log event kinds a person is told about, and the problem each raises
# (``count_dropped`` — the records a terminal holds went down — is a cleared log by another way)
EVENT_PROBLEMS = {
    "log_cleared": LOG_CLEARED,
    "count_dropped": LOG_CLEARED,
    "clock_set": CLOCK_SET,
    "user_deleted": USER_DELETED,
    "factory_reset": FACTORY_RESET,
}
# reports: closed by a person acknowledging them, not by the condition ending
REPORTS = frozenset({LOG_CLEARED, CLOCK_SET, USER_DELETED, FACTORY_RESET, RECON_GAPS,
                     PAGE_REFUSED})

TITLES = {
    NOT_SEEN: "Terminal not seen",
    SILENT: "No punches this hour",
    CLOCK_DRIFT: "Clock drifts",
    MEMORY_FULL: "Memory almost full",
    LOG_CLEARED: "Attendance log cleared",
    CLOCK_SET: "Clock set at the terminal",
    USER_DELETED: "User deleted at the terminal",
    FACTORY_RESET: "Factory reset",
    RECON_GAPS: "Missing punches found and filled",
    RECON_NOT_ANSWERED: "Days not answered",
    RECON_OFFLINE: "Days not checked: terminal offline",
    RECON_INCOMPLETE: "Days incomplete",
    NOT_DELIVERED: "Relay not delivering",
    PAGE_REFUSED: "Page refused",
}


@dataclass(frozen=True)
class Thresholds:
    silent_minutes: int = 60
    drift_seconds: int = 120
    memory_percent: int = 90
    not_delivered_minutes: int = 30

    def __post_init__(self):
        if min(self.silent_minutes, self.drift_seconds, self.not_delivered_minutes) < 1:
            raise ValueError("thresholds are at least 1")
        if not 1 <= self.memory_percent <= 100:
            raise ValueError("the memory threshold is a percentage, 1 to 100")


@dataclass(frozen=True)
class Problem:
    code: str
    sentence: str
    mark: int = 0  # reports: the highest mark it covers (acknowledging it acknowledges these)

    @property
    def title(self) -> str:
        return TITLES[self.code]


@dataclass(frozen=True)
class TerminalFigures:
    """What Odoo knows of one terminal. Times are naive UTC, ``local_now`` is terminal-local."""

    now: datetime
    local_now: datetime
    last_seen: datetime | None = None
    punches_last_hour: int = 0
    punches_usual_last_hour: int = 0
    clock_drift_seconds: int = 0
    clock_drift_known: bool = False
    memory_percent: int = 0
    memory_known: bool = False
    # (id, kind, detail) of operation-log events, any order
    events: Sequence[tuple[int, str, str]] = ()
    # (day "YYYY-MM-DD", state, gaps_filled, revision) of its reconciled days
    days: Sequence[tuple[str, str, int, int]] = ()
    # (weekday 0=Monday, hour_from, hour_to) local; None: no schedule known (always working)
    working_hours: Sequence[tuple[int, float, float]] | None = None


@dataclass(frozen=True)
class RelayFigures:
    now: datetime
    delivery_lag_seconds: int = 0
    unacked_events: int = 0
    pages_refused: int = 0
    last_page_refused: str = ""
    health_at: datetime | None = None


def in_working_hours(local_now: datetime,
                     working_hours: Sequence[tuple[int, float, float]] | None) -> bool:
    if working_hours is None:
        return True
    hour = local_now.hour + local_now.minute / 60 + local_now.second / 3600
    return any(day == local_now.weekday() and start <= hour < end
               for day, start, end in working_hours)


def worked_minutes_since(start_local: datetime, local_now: datetime,
                         working_hours: Sequence[tuple[int, float, float]] | None) -> float:
    """Minutes of working time between two terminal-local moments (a night does not count)."""
    if local_now <= start_local:
        return 0.0
    if working_hours is None:
        return (local_now - start_local).total_seconds() / 60
    total = 0.0
    day = start_local.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= local_now:
        for weekday, start, end in working_hours:
            if weekday != day.weekday():
                continue
            a = max(day + timedelta(hours=start), start_local)
            b = min(day + timedelta(hours=end), local_now)
            if b > a:
                total += (b - a).total_seconds() / 60
        day += timedelta(days=1)
        if (day - start_local).days > 62:  # a terminal gone for months: enough said
            return total + 62 * 24 * 60
    return total


def _minutes(n: float) -> str:
    n = int(n)
    if n < 120:
        return f"{n} minutes"
    if n < 48 * 60:
        return f"{n // 60} hours"
    return f"{n // (24 * 60)} days"


def _seconds(n: int) -> str:
    n = abs(int(n))
    if n < 120:
        return f"{n} seconds"
    return _minutes(n / 60)


def _days_list(days: Iterable[str]) -> str:
    days = sorted(days)
    if len(days) <= 3:
        return ", ".join(days)
    return f"{', '.join(days[:3])} and {len(days) - 3} more"


def terminal_problems(f: TerminalFigures, t: Thresholds,
                      acknowledged: Mapping[str, int] | None = None) -> dict[str, Problem]:
    """The open problems of a terminal, by code."""
    acknowledged = acknowledged or {}
    out: dict[str, Problem] = {}
    working = in_working_hours(f.local_now, f.working_hours)
    if f.last_seen:  # None (or Odoo's False): never seen, nothing to compare
        gone = f.now - f.last_seen
        local_seen = f.local_now - gone
        worked = worked_minutes_since(local_seen, f.local_now, f.working_hours)
        if working and worked >= t.silent_minutes:
            out[NOT_SEEN] = Problem(NOT_SEEN, (
                "The terminal has not contacted the relay for"
                f" {_minutes(gone.total_seconds() / 60)}"
                f" ({_minutes(worked)} of working time). Check its power and network cable, and"
                " that the relay is running."))
    if (NOT_SEEN not in out and working and f.last_seen
            and f.punches_last_hour == 0 and f.punches_usual_last_hour > 0
            and worked_minutes_since(f.local_now - timedelta(hours=1), f.local_now,
                                     f.working_hours) >= min(t.silent_minutes, 60)):
        out[SILENT] = Problem(SILENT, (
            f"No punch in the last hour, when this hour usually has about "
            f"{f.punches_usual_last_hour}. The terminal still answers the relay: check that"
            " people can punch (screen, sensor, a door left open) and that it sends its records."))
    if f.clock_drift_known and abs(f.clock_drift_seconds) > t.drift_seconds:
        way = "ahead of" if f.clock_drift_seconds > 0 else "behind"
        out[CLOCK_DRIFT] = Problem(CLOCK_DRIFT, (
            f"The terminal's clock is {_seconds(f.clock_drift_seconds)} {way} the relay's"
            f" (more than {t.drift_seconds} seconds allowed): punches carry a wrong time."
            " Use 'Correct the clock' on the terminal."))
    if f.memory_known and f.memory_percent >= t.memory_percent:
        out[MEMORY_FULL] = Problem(MEMORY_FULL, (
            f"The terminal's memory is {f.memory_percent}% full (alert from"
            f" {t.memory_percent}%). Once full it stops recording: delete old attendance records"
            " at the terminal after they reached Odoo, or remove people who left."))
    by_problem: dict[str, list[tuple[int, str]]] = {}
    for event_id, kind, detail in f.events:
        code = EVENT_PROBLEMS.get(kind)
        if code and event_id > acknowledged.get(code, 0):
            by_problem.setdefault(code, []).append((event_id, detail))
    for code, items in by_problem.items():
        items.sort()
        last = items[-1][1] or TITLES[code]
        more = f" ({len(items)} reports since the last one acknowledged)" if len(items) > 1 else ""
        out[code] = Problem(code, f"{last}{more}. Check with the branch who did it and why;"
                            " mark this done once understood.", mark=items[-1][0])
    out.update(_day_problems(f.days, acknowledged.get(RECON_GAPS, 0)))
    return out


def _day_problems(days, gaps_acknowledged: int) -> dict[str, Problem]:
    out: dict[str, Problem] = {}
    gaps = [(rev, day, n) for day, state, n, rev in days
            if state == "gaps_filled" and rev > gaps_acknowledged]
    if gaps:
        total = sum(n for _, _, n in gaps)
        out[RECON_GAPS] = Problem(RECON_GAPS, (
            f"{total} punch{'es' if total != 1 else ''} missing in Odoo came back when the"
            f" terminal was asked again ({_days_list(d for _, d, _ in gaps)}); they are imported"
            " now. Check the days' attendances if payroll was already prepared."),
            mark=max(rev for rev, _, _ in gaps))
    for state, code, text in (
        ("not_answered", RECON_NOT_ANSWERED,
         "The terminal did not answer when asked for {days}: these days are not confirmed."
         " Check that it is online, then use 'Check again'."),
        ("terminal_offline", RECON_OFFLINE,
         "The terminal was offline when {days} were to be checked: these days are not"
         " confirmed. Bring it back online; they are asked again at night."),
        ("incomplete", RECON_INCOMPLETE,
         "The terminal holds fewer punches than Odoo received for {days} (its log may have"
         " been cleared): these days cannot be confirmed."),
    ):
        hit = [day for day, s, _, _ in days if s == state]
        if hit:
            out[code] = Problem(code, text.format(days=_days_list(hit)))
    return out


def relay_problems(f: RelayFigures, t: Thresholds,
                   acknowledged: Mapping[str, int] | None = None) -> dict[str, Problem]:
    """The open problems of a relay, by code."""
    acknowledged = acknowledged or {}
    out: dict[str, Problem] = {}
    if f.unacked_events and f.delivery_lag_seconds >= t.not_delivered_minutes * 60:
        out[NOT_DELIVERED] = Problem(NOT_DELIVERED, (
            f"{f.unacked_events} punch{'es' if f.unacked_events != 1 else ''} have waited"
            f" {_seconds(f.delivery_lag_seconds)} on the relay without reaching Odoo. Check"
            " the relay's link (Test connection) and its log."))
    if f.pages_refused > acknowledged.get(PAGE_REFUSED, 0):
        new = f.pages_refused - acknowledged.get(PAGE_REFUSED, 0)
        why = f": {f.last_page_refused}" if f.last_page_refused else ""
        out[PAGE_REFUSED] = Problem(PAGE_REFUSED, (
            f"Odoo refused {new} page{'s' if new != 1 else ''} of punches from the relay"
            f"{why}. The punches stay on the relay; check the relay's signing key and Odoo's"
            " log."), mark=f.pages_refused)
    return out


# overview colours
OK, WARNING, ALERT, UNKNOWN = "ok", "warning", "alert", "unknown"


def colour(seen: bool, open_alerts: int, warnings: int) -> str:
    """Green ok, orange warning, red open alert, grey never seen."""
    if open_alerts:
        return ALERT
    if not seen:
        return UNKNOWN
    return WARNING if warnings else OK


def terminal_warnings(f: TerminalFigures, t: Thresholds) -> list[str]:
    """Figures close to a threshold (three quarters of the way): worth a look, no alert yet."""
    out = []
    if f.clock_drift_known and abs(f.clock_drift_seconds) > t.drift_seconds * 3 // 4:
        out.append(f"Clock {_seconds(f.clock_drift_seconds)} off")
    if f.memory_known and f.memory_percent >= t.memory_percent * 3 // 4:
        out.append(f"Memory {f.memory_percent}% full")
    if any(state == "not_checked" for _, state, _, _ in f.days):
        out.append("Days not checked yet")
    return out
