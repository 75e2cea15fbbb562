"""Reconciliation of a terminal's day with what the relay holds (issue 17).

The relay asks a terminal to upload one closed day again (``DATA QUERY ATTLOG``,
adms-protocol §4.7) or reads it with pyzk. Every record of the day that comes back and was
stored already is *confirmed*; one that was not is a gap, filled by storing it. This module
holds the rules only: which state a day gets from the counts, which days are due, when in the
night a terminal is asked. Plain data in and out, no I/O.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

CONFIRMED = "confirmed"
GAPS_FILLED = "gaps_filled"
INCOMPLETE = "incomplete"
NOT_ANSWERED = "not_answered"
TERMINAL_OFFLINE = "terminal_offline"
NOT_CHECKED = "not_checked"
DAY_STATES = (CONFIRMED, GAPS_FILLED, INCOMPLETE, NOT_ANSWERED, TERMINAL_OFFLINE, NOT_CHECKED)
# asked again on the next night while inside the look-back window; an incomplete day is not:
# the terminal answered and holds fewer records than the relay, asking again changes nothing
RETRY_STATES = frozenset({NOT_CHECKED, NOT_ANSWERED, TERMINAL_OFFLINE})

# reasons (machine words; Odoo words them for people)
OTHER_DAYS = "other_days"  # the answer carried records of other days: not trusted
TERMINAL_HOLDS_FEWER = "terminal_holds_fewer"  # log cleared, or only part of the day came
LOG_CLEARED = "log_cleared"  # ... and the terminal reported its log cleared
NO_ACK = "no_acknowledgement"
REFUSED = "refused"
NOT_SEEN = "not_seen"


def answered_state(at_terminal: int, on_relay: int, gaps_filled: int, other_days: int,
                   log_cleared: bool = False) -> tuple[str, str | None]:
    """State and reason of a day whose terminal acknowledged the query.

    Never *confirmed* unless every record the relay holds for the day came back: a terminal
    that holds fewer (its log was cleared, or it sent only part), that answered with records
    of other days (its filter cannot be trusted), or that answered nothing after reporting its
    log cleared makes the day *incomplete*."""
    if min(at_terminal, on_relay, gaps_filled, other_days) < 0:
        raise ValueError("counts are never negative")
    if other_days:
        return INCOMPLETE, OTHER_DAYS
    if on_relay > at_terminal:
        return INCOMPLETE, LOG_CLEARED if log_cleared else TERMINAL_HOLDS_FEWER
    if log_cleared and at_terminal == 0:  # an empty answer after a clear proves nothing
        return INCOMPLETE, LOG_CLEARED
    if gaps_filled:
        return GAPS_FILLED, None
    return CONFIRMED, None


def day_range(day: str, local_now: datetime) -> tuple[str, str]:
    """Device-local ``(start, end)`` of ``day``; today ends at the current second."""
    start = f"{day} 00:00:00"
    end = f"{day} 23:59:59"
    now_text = local_now.strftime("%Y-%m-%d %H:%M:%S")
    return start, min(end, now_text)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"day {text!r}: use YYYY-MM-DD") from None


def days_between(first: str, last: str, local_today: date, max_days: int = 62) -> list[str]:
    """Every day from ``first`` to ``last`` (inclusive), none after today (terminal-local)."""
    a, b = parse_day(first), parse_day(last)
    if b < a:
        raise ValueError(f"{last} is before {first}")
    if b > local_today:
        raise ValueError(f"{last} has not begun on the terminal yet (today is {local_today})")
    n = (b - a).days + 1
    if n > max_days:
        raise ValueError(f"{n} days asked; at most {max_days} at once")
    return [(a + timedelta(days=i)).isoformat() for i in range(n)]


def closed_days(local_today: date, lookback: int, first_day: date | None = None) -> list[str]:
    """The closed days a nightly run looks at: yesterday back to ``lookback`` days ago, none
    before ``first_day`` (the terminal's registration)."""
    out = []
    for back in range(lookback, 0, -1):
        day = local_today - timedelta(days=back)
        if first_day is None or day >= first_day:
            out.append(day.isoformat())
    return out


def _minutes(text: str) -> int:
    hh, _, mm = text.partition(":")
    return int(hh) * 60 + int(mm)


def window_minutes(window: str) -> tuple[int, int]:
    """``"01:00-05:00"`` -> (60, 300); an end before the start crosses midnight."""
    start, _, end = window.partition("-")
    return _minutes(start), _minutes(end)


def spread_offset(serial: str, window: str) -> int:
    """Minutes after the window opens when this terminal is asked: stable per serial, in the
    first half of the window, so the terminals of a branch are not all asked at once and each
    has the second half to answer."""
    start, end = window_minutes(window)
    length = (end - start) % 1440 or 1440
    digest = int.from_bytes(hashlib.sha256(serial.encode("utf-8")).digest()[:4], "big")
    return digest % max(1, length // 2)


def in_window(serial: str, window: str, local_now: datetime) -> bool:
    """Whether the terminal's turn in tonight's window has come (and the window is open)."""
    start, end = window_minutes(window)
    length = (end - start) % 1440 or 1440
    minute = local_now.hour * 60 + local_now.minute
    since_open = (minute - start) % 1440
    return spread_offset(serial, window) <= since_open < length


def due_days(states: dict[str, str], last_asked: dict[str, datetime], candidates: list[str],
             now: datetime, min_gap: timedelta = timedelta(hours=20)) -> list[str]:
    """Of ``candidates`` (closed days), those to ask tonight: never checked, or in a retry
    state, and not asked within ``min_gap`` (once a night). ``states`` and ``last_asked`` are
    keyed by day; a day without a state is not checked."""
    out = []
    for day in candidates:
        if states.get(day, NOT_CHECKED) not in RETRY_STATES:
            continue
        asked = last_asked.get(day)
        if asked is not None and now - asked < min_gap:
            continue
        out.append(day)
    return out
