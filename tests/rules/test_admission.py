"""Punch admission (zk_rules.admission): which punches feed attendance, which wait and why."""

from datetime import datetime, timedelta

import pytest

from zk_rules.admission import (
    ADMITTED,
    DATED_FUTURE,
    DATED_PAST,
    DEFAULT_STATUS_CODES,
    PIN_UNMAPPED,
    STATUS_UNMAPPED,
    TERMINAL_PENDING,
    TERMINAL_UNKNOWN,
    Admission,
    AdmissionPolicy,
    admit,
    parse_status_codes,
)

NOW = datetime(2025, 3, 3, 12, 0, 0)
POLICY = AdmissionPolicy()


def decide(**overrides):
    punch = {"terminal_known": True, "terminal_active": True, "status": 0,
             "timestamp_utc": NOW - timedelta(hours=1), "pin_mapped": True, "now": NOW,
             "policy": POLICY}
    return admit(**{**punch, **overrides})


def test_a_good_punch_is_admitted():
    assert decide() == ADMITTED == Admission("done", None)


def test_defaults_are_the_documented_settings():
    assert DEFAULT_STATUS_CODES == "0,1,2,3,4,5,255"
    assert POLICY == AdmissionPolicy.from_settings("0,1,2,3,4,5,255", "24", "400")
    assert POLICY.status_codes == {0, 1, 2, 3, 4, 5, 255}
    assert (POLICY.future, POLICY.past) == (timedelta(hours=24), timedelta(days=400))


def test_status_codes_text_skips_blanks_and_spaces():
    assert parse_status_codes(" 0, 1,,4 ,") == {0, 1, 4}
    assert AdmissionPolicy.from_settings([0, 1], 6, 30).status_codes == {0, 1}
    with pytest.raises(ValueError):
        parse_status_codes("in,out")


def test_unknown_or_pending_terminal_waits_for_review():
    assert decide(terminal_known=False, terminal_active=False) == ("review", TERMINAL_UNKNOWN)
    assert decide(terminal_active=False) == ("review", TERMINAL_PENDING)


def test_status_code_not_in_use_at_the_site_waits_for_review():
    assert decide(status=9) == ("review", STATUS_UNMAPPED)
    assert decide(status=9, policy=AdmissionPolicy.from_settings("0,1,9")) == ADMITTED
    assert decide(status=None) == ADMITTED  # no status sent: nothing to check


def test_clock_window_is_inclusive_at_both_ends():
    future, past = POLICY.future, POLICY.past
    assert decide(timestamp_utc=NOW + future) == ADMITTED
    assert decide(timestamp_utc=NOW + future + timedelta(seconds=1)) == ("review", DATED_FUTURE)
    assert decide(timestamp_utc=NOW - past) == ADMITTED
    assert decide(timestamp_utc=NOW - past - timedelta(seconds=1)) == ("review", DATED_PAST)


def test_punch_without_an_instant_counts_as_dated_in_the_future():
    assert decide(timestamp_utc=None) == ("review", DATED_FUTURE)


def test_unknown_pin_is_kept_unmapped():
    assert decide(pin_mapped=False) == ("unmapped", PIN_UNMAPPED)


def test_first_failing_check_wins_in_the_documented_order():
    everything_wrong = {"terminal_known": False, "terminal_active": False, "status": 9,
                        "timestamp_utc": None, "pin_mapped": False}
    order = [("terminal_known", True, TERMINAL_UNKNOWN),
             ("terminal_active", True, TERMINAL_PENDING),
             ("status", 0, STATUS_UNMAPPED),
             ("timestamp_utc", NOW - timedelta(days=401), DATED_FUTURE),
             ("timestamp_utc", NOW, DATED_PAST),
             ("pin_mapped", True, PIN_UNMAPPED)]
    for field, fixed, reason in order:
        assert decide(**everything_wrong).reason == reason
        everything_wrong[field] = fixed
    assert decide(**everything_wrong) == ADMITTED


def test_aware_instants_work_the_same():
    from datetime import UTC
    now = NOW.replace(tzinfo=UTC)
    assert decide(now=now, timestamp_utc=now + timedelta(hours=25)).reason == DATED_FUTURE
