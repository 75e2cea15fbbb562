"""E1 punch intake and E2 double taps / minute precision."""

from __future__ import annotations

import pytest
from engine_helpers import day, punches

from zk_rules.engine import EngineInputError, compute_days
from zk_rules.engine.model import DIRECTION_OF_STATUS, IN, OUT

DATE = "2025-03-03"  # a Monday
SHIFT = [["08:00", "17:00"]]


def test_e1_1_same_local_time_is_one_punch():
    taps = [
        {"id": 1, "local_time": f"{DATE} 08:00:00", "status": 255},
        {"id": 2, "local_time": f"{DATE} 08:00:00", "status": 0},  # second device, same second
        {"id": 3, "local_time": f"{DATE} 17:00:00", "status": 1},
    ]
    record = day(DATE, taps, SHIFT, 60)
    # One punch at 08:00 with the known status 0 -> IN, OUT: the status path, one interval.
    assert record["intervals"] == [{"start": f"{DATE}T08:00+08:00", "end": f"{DATE}T17:00+08:00"}]
    assert record["punch_ids"] == [1, 2, 3]
    assert record["collapsed_punch_ids"] == [2]
    assert "double_tap_collapsed" not in record["exceptions"]  # not a double tap: one punch
    assert "status_conflict" not in record["exceptions"]


def test_e1_1_a_repeated_punch_changes_nothing():
    taps = punches(DATE, ("08:00", 0), ("17:00", 1))
    assert day(DATE, taps + taps, SHIFT, 60) == day(DATE, taps, SHIFT, 60)


def test_e1_1_one_id_with_two_different_times_is_refused():
    taps = [
        {"id": 1, "local_time": f"{DATE} 08:00:00"},
        {"id": 1, "local_time": f"{DATE} 09:00:00"},
    ]
    with pytest.raises(EngineInputError, match=r"punches\[1\]\.id"):
        day(DATE, taps, SHIFT)


def test_e1_2_status_mapping():
    assert {code: DIRECTION_OF_STATUS.get(code) for code in (0, 1, 2, 3, 4, 5, 6, 255)} == {
        0: IN,
        3: IN,
        4: IN,
        1: OUT,
        2: OUT,
        5: OUT,
        6: None,
        255: None,
    }


def test_e1_2_ot_keys_are_directions_and_other_codes_are_unknown():
    # 4 = OT-in (IN), 5 = OT-out (OUT), 3 = break-in (IN): IN, OUT, IN is consistent -> status
    # path: [08:00-12:00] and an open interval from 16:58.
    known = day(DATE, punches(DATE, ("08:00", 4), ("12:00", 5), ("16:58", 3)), SHIFT, 60)
    assert known["intervals"][1] == {"start": f"{DATE}T16:58+08:00", "end": None}
    assert known["missing"]["check_out"] is True
    # Code 6 is unknown -> time path. N = 3: 08:00 is 0 min from the start and 16:58 is 2 min
    # from the end (both <= 120, anchored) -> E5.3(a) drops 12:00, keeps [08:00-16:58],
    # and grace snaps 16:58 to 17:00.
    unknown = day(DATE, punches(DATE, ("08:00", 4), ("12:00", 5), ("16:58", 6)), SHIFT, 60)
    assert unknown["intervals"] == [{"start": f"{DATE}T08:00+08:00", "end": f"{DATE}T17:00+08:00"}]
    assert unknown["ignored_punch_ids"] == [2]


def test_e1_3_sorted_by_instant_then_id():
    # Berlin 2025-03-30: 02:30 does not exist and resolves to 01:30 UTC (E0.3), the same
    # instant as 03:30 CEST. Same instant -> id order: id 3 first, so the cluster keeps id 3.
    taps = [
        {"id": 7, "local_time": "2025-03-30 02:30:00", "status": 0},
        {"id": 3, "local_time": "2025-03-30 03:30:00", "status": 0},
    ]
    record = day("2025-03-29", taps, tz="Europe/Berlin")
    assert record["collapsed_punch_ids"] == [7]
    assert record["intervals"] == [{"start": "2025-03-30T03:30+02:00", "end": None}]


def test_e2_1_cluster_is_anchored_to_its_first_punch():
    # 09:00:00, 09:01:30 (+90 s <= 120: joins), 09:02:30 (+150 s from the first: new punch).
    # Chained windows would have made one punch; anchored, two remain: [09:00-09:02].
    taps = punches(DATE, "09:00:00", "09:01:30", "09:02:30")
    record = day(DATE, taps)  # no schedule: a rest day
    assert record["intervals"] == [{"start": f"{DATE}T09:00+08:00", "end": f"{DATE}T09:02+08:00"}]
    assert record["collapsed_punch_ids"] == [2]
    assert record["presence_minutes"] == 2


def test_e2_2_cluster_takes_first_instant_and_last_known_status():
    # 08:00:00 (1) 08:00:40 (0) 08:01:10 (255): one punch at 08:00 with status 0 (the last
    # known one), so IN then OUT at 17:00: the status path, no conflict.
    taps = punches(DATE, ("08:00:00", 1), ("08:00:40", 0), ("08:01:10", 255), ("17:00:00", 1))
    record = day(DATE, taps, SHIFT, 60)
    assert record["intervals"] == [{"start": f"{DATE}T08:00+08:00", "end": f"{DATE}T17:00+08:00"}]
    assert record["collapsed_punch_ids"] == [2, 3]
    assert record["exceptions"] == ["double_tap_collapsed"]


def test_e2_3_collapse_happens_before_day_assignment():
    # 03:59:00 and 04:00:30 on Tuesday (90 s apart): one punch at 03:59, whose operational
    # date (03:59 - 04:00) is Monday. Assigned one by one, 04:00:30 would go to Tuesday.
    taps = punches("2025-03-04", "03:59:00", "04:00:30")
    records = compute_days(
        timezone="Asia/Manila", evaluate_dates=["2025-03-03", "2025-03-04"], punches=taps
    )
    assert records["2025-03-03"].punch_ids == (1, 2)
    assert "double_tap_collapsed" in records["2025-03-03"].exceptions
    assert records["2025-03-04"].punch_ids == ()
    assert records["2025-03-04"].status == "off"


def test_e2_4_instants_are_truncated_to_the_minute():
    # 08:05:59 truncates to 08:05, which is within the 5-minute grace -> snapped to 08:00.
    # Without truncation it would be 5 min 59 s late.
    record = day(DATE, punches(DATE, ("08:05:59", 0), ("17:00:00", 1)), SHIFT, 60)
    assert record["late_in_minutes"] == 0
    assert record["presence_minutes"] == 17 * 60 - (8 * 60 + 5)  # 1020 - 485 = 535


def test_e2_double_tap_window_comes_from_policy():
    taps = punches(DATE, "09:00:00", "09:01:30")
    assert day(DATE, taps)["collapsed_punch_ids"] == [2]
    # With a 60 s window the two taps stay separate: an interval of 1 minute.
    separate = day(DATE, taps, policy={"double_tap_seconds": 60})
    assert separate["collapsed_punch_ids"] == []
    assert separate["presence_minutes"] == 1
