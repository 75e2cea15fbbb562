"""zk_rules.fleet_alerts: which problems a terminal or relay has, worded for a person
(issue 17: alerts that a person receives)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zk_rules import fleet_alerts as fa

T = fa.Thresholds()
# Monday 2026-11-30, 10:00 local; UTC is local - 1h (the terminal is at UTC+1)
LOCAL = datetime(2026, 11, 30, 10, 0)
NOW = LOCAL - timedelta(hours=1)
OFFICE = [(d, 8.0, 17.0) for d in range(5)]


def fig(**kw):
    base = {"now": NOW, "local_now": LOCAL, "last_seen": NOW - timedelta(minutes=1),
            "working_hours": OFFICE}
    base.update(kw)
    return fa.TerminalFigures(**base)


def test_a_healthy_terminal_has_no_problem():
    f = fig(punches_last_hour=12, punches_usual_last_hour=10, clock_drift_known=True,
            clock_drift_seconds=5, memory_known=True, memory_percent=40,
            days=[("2026-11-29", "confirmed", 0, 3)])
    assert fa.terminal_problems(f, T) == {}
    assert fa.terminal_warnings(f, T) == []


def test_not_seen_for_the_threshold_during_working_hours():
    f = fig(last_seen=NOW - timedelta(minutes=61))
    p = fa.terminal_problems(f, T)
    assert set(p) == {fa.NOT_SEEN}
    assert "61 minutes" in p[fa.NOT_SEEN].sentence
    assert fa.NOT_SEEN not in fa.terminal_problems(fig(last_seen=NOW - timedelta(minutes=59)), T)


def test_not_seen_counts_working_time_only():
    # last seen Friday 16:30 local, now Monday 08:20: 30 + 20 = 50 worked minutes
    local_seen = datetime(2026, 11, 27, 16, 30)
    f = fig(local_now=datetime(2026, 11, 30, 8, 20), now=datetime(2026, 11, 30, 7, 20),
            last_seen=local_seen - timedelta(hours=1))
    assert fa.NOT_SEEN not in fa.terminal_problems(f, T)
    f2 = fig(local_now=datetime(2026, 11, 30, 8, 31), now=datetime(2026, 11, 30, 7, 31),
             last_seen=local_seen - timedelta(hours=1))
    p = fa.terminal_problems(f2, T)
    assert fa.NOT_SEEN in p
    assert "2 days" in p[fa.NOT_SEEN].sentence


def test_nothing_is_raised_outside_working_hours():
    sunday = datetime(2026, 11, 29, 10, 0)
    f = fig(local_now=sunday, now=sunday - timedelta(hours=1),
            last_seen=sunday - timedelta(hours=30), punches_usual_last_hour=5)
    assert fa.terminal_problems(f, T) == {}


def test_no_working_hours_known_means_always_watched():
    sunday = datetime(2026, 11, 29, 10, 0)
    f = fig(local_now=sunday, now=sunday - timedelta(hours=1),
            last_seen=sunday - timedelta(hours=3), working_hours=None)
    assert fa.NOT_SEEN in fa.terminal_problems(f, T)


def test_silent_when_the_hour_usually_has_punches():
    f = fig(punches_last_hour=0, punches_usual_last_hour=8)
    p = fa.terminal_problems(f, T)
    assert set(p) == {fa.SILENT}
    assert "about 8" in p[fa.SILENT].sentence
    assert fa.terminal_problems(fig(punches_last_hour=1, punches_usual_last_hour=8), T) == {}
    assert fa.terminal_problems(fig(punches_last_hour=0, punches_usual_last_hour=0), T) == {}


def test_silent_not_raised_in_the_first_hour_of_the_day():
    f = fig(local_now=datetime(2026, 11, 30, 8, 30), now=datetime(2026, 11, 30, 7, 30),
            last_seen=datetime(2026, 11, 30, 7, 29), punches_usual_last_hour=8)
    assert fa.terminal_problems(f, T) == {}


def test_not_seen_and_silent_are_not_both_raised():
    f = fig(last_seen=NOW - timedelta(hours=2), punches_usual_last_hour=8)
    assert set(fa.terminal_problems(f, T)) == {fa.NOT_SEEN}


@pytest.mark.parametrize(("drift", "raised", "word"), [
    (121, True, "ahead of"), (-300, True, "behind"), (120, False, ""), (-120, False, "")])
def test_clock_drift(drift, raised, word):
    p = fa.terminal_problems(fig(clock_drift_known=True, clock_drift_seconds=drift), T)
    assert (fa.CLOCK_DRIFT in p) is raised
    if raised:
        assert word in p[fa.CLOCK_DRIFT].sentence


def test_unknown_drift_and_memory_raise_nothing():
    f = fig(clock_drift_known=False, clock_drift_seconds=9999, memory_known=False,
            memory_percent=100)
    assert fa.terminal_problems(f, T) == {}


def test_memory_full():
    p = fa.terminal_problems(fig(memory_known=True, memory_percent=93), T)
    assert "93% full" in p[fa.MEMORY_FULL].sentence
    assert fa.terminal_problems(fig(memory_known=True, memory_percent=89), T) == {}
    assert fa.terminal_warnings(fig(memory_known=True, memory_percent=80), T) == [
        "Memory 80% full"]


def test_operation_log_reports_until_acknowledged():
    events = [(4, "log_cleared", "Attendance log cleared at the terminal"),
              (7, "user_deleted", "User 12 deleted at the terminal"),
              (9, "log_cleared", "Attendance log cleared at the terminal"),
              (10, "clock_repaired", "Clock corrected: 300 s before, 1 s after")]
    p = fa.terminal_problems(fig(events=events), T)
    assert set(p) == {fa.LOG_CLEARED, fa.USER_DELETED}
    assert p[fa.LOG_CLEARED].mark == 9
    assert "2 reports" in p[fa.LOG_CLEARED].sentence
    assert p[fa.USER_DELETED].sentence.startswith("User 12 deleted")
    acked = fa.terminal_problems(fig(events=events), T, {fa.LOG_CLEARED: 9})
    assert set(acked) == {fa.USER_DELETED}
    # a new clear after the acknowledgement opens it again
    again = fa.terminal_problems(fig(events=[*events, (11, "count_dropped", "")]), T,
                                 {fa.LOG_CLEARED: 9})
    assert again[fa.LOG_CLEARED].mark == 11


def test_reconciliation_days():
    days = [("2026-11-20", "gaps_filled", 2, 5), ("2026-11-21", "gaps_filled", 1, 8),
            ("2026-11-22", "not_answered", 0, 9), ("2026-11-23", "terminal_offline", 0, 10),
            ("2026-11-24", "incomplete", 0, 11), ("2026-11-25", "confirmed", 0, 12),
            ("2026-11-26", "not_checked", 0, 13)]
    p = fa.terminal_problems(fig(days=days), T)
    assert set(p) == {fa.RECON_GAPS, fa.RECON_NOT_ANSWERED, fa.RECON_OFFLINE,
                      fa.RECON_INCOMPLETE}
    assert p[fa.RECON_GAPS].sentence.startswith("3 punches")
    assert p[fa.RECON_GAPS].mark == 8
    assert "2026-11-22" in p[fa.RECON_NOT_ANSWERED].sentence
    assert fa.RECON_GAPS not in fa.terminal_problems(fig(days=days), T, {fa.RECON_GAPS: 8})
    assert fa.terminal_warnings(fig(days=days), T) == ["Days not checked yet"]


def test_many_days_are_summarised():
    days = [(f"2026-11-{d:02d}", "not_answered", 0, d) for d in range(1, 11)]
    text = fa.terminal_problems(fig(days=days), T)[fa.RECON_NOT_ANSWERED].sentence
    assert "2026-11-01, 2026-11-02, 2026-11-03 and 7 more" in text


def test_relay_not_delivered_and_pages_refused():
    r = fa.RelayFigures(now=NOW, delivery_lag_seconds=31 * 60, unacked_events=40,
                        pages_refused=2, last_page_refused="signature does not verify")
    p = fa.relay_problems(r, T)
    assert set(p) == {fa.NOT_DELIVERED, fa.PAGE_REFUSED}
    assert "40 punches have waited 31 minutes" in p[fa.NOT_DELIVERED].sentence
    assert "refused 2 pages" in p[fa.PAGE_REFUSED].sentence
    assert p[fa.PAGE_REFUSED].mark == 2
    assert fa.relay_problems(r, T, {fa.PAGE_REFUSED: 2}).keys() == {fa.NOT_DELIVERED}
    calm = fa.RelayFigures(now=NOW, delivery_lag_seconds=29 * 60, unacked_events=3)
    assert fa.relay_problems(calm, T) == {}
    # an old lag with nothing waiting is no problem
    assert fa.relay_problems(fa.RelayFigures(now=NOW, delivery_lag_seconds=9999), T) == {}


def test_colour():
    assert fa.colour(seen=True, open_alerts=1, warnings=0) == fa.ALERT
    assert fa.colour(seen=False, open_alerts=1, warnings=0) == fa.ALERT
    assert fa.colour(seen=False, open_alerts=0, warnings=2) == fa.UNKNOWN
    assert fa.colour(seen=True, open_alerts=0, warnings=1) == fa.WARNING
    assert fa.colour(seen=True, open_alerts=0, warnings=0) == fa.OK


def test_thresholds_validated():
    with pytest.raises(ValueError):
        fa.Thresholds(memory_percent=0)
    with pytest.raises(ValueError):
        fa.Thresholds(silent_minutes=0)


def test_every_problem_has_a_title():
    assert set(fa.TITLES) >= set(fa.EVENT_PROBLEMS.values()) | fa.REPORTS


@given(drift=st.integers(-10_000, 10_000), mem=st.integers(0, 100),
       seen_ago=st.integers(0, 10_000), last_hour=st.integers(0, 50), usual=st.integers(0, 50),
       minute=st.integers(0, 7 * 24 * 60 - 1))
def test_sentences_are_readable(drift, mem, seen_ago, last_hour, usual, minute):
    local = datetime(2026, 11, 30) + timedelta(minutes=minute)
    f = fig(local_now=local, now=local - timedelta(hours=1),
            last_seen=local - timedelta(hours=1, minutes=seen_ago),
            clock_drift_known=True, clock_drift_seconds=drift, memory_known=True,
            memory_percent=mem, punches_last_hour=last_hour, punches_usual_last_hour=usual)
    for code, problem in fa.terminal_problems(f, T).items():
        assert problem.code == code
        assert problem.sentence[0].isupper() and problem.sentence.endswith(".")
        assert "_" not in problem.sentence
    if not fa.in_working_hours(local, OFFICE):
        assert not {fa.NOT_SEEN, fa.SILENT} & set(fa.terminal_problems(f, T))
