"""E5 pairing: status path, time path with anchors, conflicts, nothing invented."""

from __future__ import annotations

from engine_helpers import day, punches

DATE = "2025-03-03"
SHIFT = [["08:00", "17:00"]]


def _spans(record):
    """Intervals as (HH:MM | None, HH:MM | None) for short assertions."""

    def clock(text):
        return None if text is None else text[11:16]

    return [(clock(i["start"]), clock(i["end"])) for i in record["intervals"]]


def test_e5_1_consistent_statuses_take_the_status_path():
    # IN OUT IN OUT -> pairs by status (here equal to the time pairs), no conflict.
    record = day(
        DATE, punches(DATE, ("08:00", 0), ("12:00", 2), ("13:00", 3), ("17:00", 1)), SHIFT, 60
    )
    assert _spans(record) == [("08:00", "12:00"), ("13:00", "17:00")]
    assert record["exceptions"] == []


def test_e5_1_all_zero_device_falls_back_to_time_pairing_without_conflict():
    record = day(DATE, punches(DATE, ("08:00", 0), ("17:00", 0)), SHIFT, 60)
    assert _spans(record) == [("08:00", "17:00")]
    assert record["exceptions"] == []  # E5.4: all-0 raises nothing


def test_e5_1_all_255_device_falls_back_to_time_pairing_without_conflict():
    record = day(DATE, punches(DATE, ("08:00", 255), ("17:00", 255)), SHIFT, 60)
    assert _spans(record) == [("08:00", "17:00")]
    assert record["exceptions"] == []


def test_e5_1_reversed_keys_fall_back_to_time_pairing_and_raise_status_conflict():
    # OUT then IN: first punch not IN -> time path; known non-zero statuses were not used.
    record = day(DATE, punches(DATE, ("08:00", 1), ("17:00", 0)), SHIFT, 60)
    assert _spans(record) == [("08:00", "17:00")]
    assert record["exceptions"] == ["status_conflict"]
    assert record["status"] == "compliant"  # informational


def test_e5_1_status_mode_ignore_always_pairs_by_time():
    # Statuses IN, OUT, IN are consistent, but 'ignore' pairs by time: N = 3, 08:00 anchored
    # (0 <= 120) and 16:58 anchored (2 <= 120) -> (a): [08:00-16:58], 12:00 ignored.
    taps = punches(DATE, ("08:00", 0), ("12:00", 1), ("16:58", 0))
    auto = day(DATE, taps, SHIFT, 60)
    assert _spans(auto) == [("08:00", "12:00"), ("16:58", None)]
    ignored = day(DATE, taps, SHIFT, 60, policy={"status_mode": "ignore"})
    assert _spans(ignored) == [("08:00", "17:00")]  # 16:58 snapped by grace (E6)
    assert ignored["ignored_punch_ids"] == [2]


def test_e5_2_trailing_in_is_open_and_flags_missing_check_out():
    record = day(DATE, punches(DATE, ("08:00", 0), ("12:00", 1), ("13:00", 0)), SHIFT, 60)
    assert _spans(record) == [("08:00", "12:00"), ("13:00", None)]
    assert record["missing"] == {"check_in": False, "check_out": True, "break": False}
    assert record["early_out_minutes"] is None
    assert record["status"] == "incomplete" and record["provisional"] is True


def test_e5_3_even_count_pairs_in_order():
    taps = punches(DATE, "08:00", "10:00", "10:15", "12:00", "13:00", "17:00")
    assert _spans(day(DATE, taps, SHIFT, 60)) == [
        ("08:00", "10:00"),
        ("10:15", "12:00"),
        ("13:00", "17:00"),
    ]


def test_e5_3_single_punch_with_schedule_uses_the_midpoint():
    # Midpoint of [08:00, 17:00] is 12:30. 12:29 is before it -> IN (open interval).
    before = day(DATE, punches(DATE, "12:29"), SHIFT, 60)
    assert _spans(before) == [("12:29", None)]
    assert set(before["exceptions"]) == {"single_punch", "missing_check_out", "late_in"}
    # 12:30 is not before it -> OUT (orphan).
    after = day(DATE, punches(DATE, "12:30"), SHIFT, 60)
    assert _spans(after) == [(None, "12:30")]
    assert set(after["exceptions"]) == {"single_punch", "missing_check_in", "early_out"}
    # late and early are known for the side that has a punch: 12:29 - 08:00 = 269 late,
    # 17:00 - 12:30 = 270 early; the other side is null.
    assert (before["late_in_minutes"], before["early_out_minutes"]) == (269, None)
    assert (after["late_in_minutes"], after["early_out_minutes"]) == (None, 270)


def test_e5_3_single_punch_without_schedule_follows_a_known_status_else_in():
    assert _spans(day(DATE, punches(DATE, ("10:00", 1)))) == [(None, "10:00")]
    assert _spans(day(DATE, punches(DATE, ("10:00", None)))) == [("10:00", None)]
    assert _spans(day(DATE, punches(DATE, ("10:00", 255)))) == [("10:00", None)]


def test_e5_3_a_both_anchored_drops_last_internal():
    # Spec example: 07:59 / 12:03 / 17:02, shift 08:00-17:00. |07:59-08:00| = 1 <= 120 and
    # |17:02-17:00| = 2 <= 120: keep both ends, drop 12:03 -> [07:59-17:02].
    record = day(DATE, punches(DATE, "07:59", "12:03", "17:02"), SHIFT, 60)
    assert _spans(record) == [("07:59", "17:02")]
    assert record["ignored_punch_ids"] == [2]
    assert record["punch_ids"] == [1, 2, 3]
    assert record["missing"]["break"] is True
    assert "missing_break_punch" in record["exceptions"]
    # The unpunched break is deducted in full: in schedule 08:00-17:00 = 540, minus 60 = 480.
    assert record["regular_minutes"] == 480


def test_e5_3_a_five_punches_drop_only_the_last_internal():
    # 08:00 10:00 10:15 12:00 17:00: drop 12:00 -> [08:00-10:00], [10:15-17:00].
    record = day(DATE, punches(DATE, "08:00", "10:00", "10:15", "12:00", "17:00"), SHIFT, 60)
    assert _spans(record) == [("08:00", "10:00"), ("10:15", "17:00")]
    assert record["ignored_punch_ids"] == [4]


def test_e5_3_b_only_first_anchored_pairs_from_start_and_leaves_last_open():
    # 08:00 anchored; 14:00 is 180 min from 17:00 (> 120): pair from the start, 14:00 open.
    record = day(DATE, punches(DATE, "08:00", "12:00", "14:00"), SHIFT, 60)
    assert _spans(record) == [("08:00", "12:00"), ("14:00", None)]
    assert record["missing"]["check_out"] is True
    assert record["ignored_punch_ids"] == []


def test_e5_3_b_no_anchors_on_a_rest_day():
    record = day(DATE, punches(DATE, "09:00", "12:00", "12:30"))
    assert _spans(record) == [("09:00", "12:00"), ("12:30", None)]


def test_e5_3_c_only_last_anchored_pairs_from_end_and_first_is_orphan():
    # 11:00 is 180 min from 08:00 (> 120); 17:00 anchored: pair from the end.
    record = day(DATE, punches(DATE, "11:00", "13:00", "17:00"), SHIFT, 60)
    assert _spans(record) == [(None, "11:00"), ("13:00", "17:00")]
    assert record["missing"]["check_in"] is True
    assert record["late_in_minutes"] is None  # E8.7
    assert record["status"] == "incomplete"


def test_e5_4_single_punch_conflict_only_for_known_non_zero_disagreeing_status():
    # 08:00 is before the midpoint -> IN. Status 1 (OUT) disagrees -> conflict.
    assert "status_conflict" in day(DATE, punches(DATE, ("08:00", 1)), SHIFT)["exceptions"]
    # 16:00 -> OUT; status 0 disagrees but 0 never raises (all-0 devices).
    assert "status_conflict" not in day(DATE, punches(DATE, ("16:00", 0)), SHIFT)["exceptions"]
    # 16:00 -> OUT; status 2 (break-out, OUT) agrees.
    assert "status_conflict" not in day(DATE, punches(DATE, ("16:00", 2)), SHIFT)["exceptions"]


def test_e5_5_open_and_orphan_intervals_add_no_time():
    record = day(DATE, punches(DATE, ("08:00", 0)), SHIFT, 60)
    assert record["presence_minutes"] == 0
    assert record["worked_minutes"] == 0
    assert record["undertime_minutes"] == 480  # expected 480 - regular 0


# --------------------------------------------------------------------------- one pairing
def _record(taps, segments, policy=None, date="2025-03-04"):
    from zk_rules.engine import compute_days

    return compute_days(
        timezone="Asia/Manila",
        evaluate_dates=[date],
        punches=taps,
        schedule={date: {"segments": segments, "unpaid_break_minutes": 60}},
        policy=policy,
    )[date]


def _utc_minute(local: str) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    aware = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Manila"))
    return int(aware.timestamp()) // 60


def test_e5_paired_are_the_punch_times_before_grace_and_rounding():
    """E5 + E8.1: the attendances' pairs keep the punches' own minutes while the day's
    intervals are snapped (E6) and rounded (E7); both come from one engine run."""
    taps = punches("2025-03-04", "08:03", "12:01", "12:58", "17:02")
    policy = {"grace_late_minutes": 5, "grace_early_out_minutes": 5,
              "rounding": {"unit_minutes": 15, "in_mode": "up", "out_mode": "down"}}
    record = _record(taps, [["08:00", "17:00"]], policy)
    expected = [(_utc_minute("2025-03-04 08:03"), _utc_minute("2025-03-04 12:01")),
                (_utc_minute("2025-03-04 12:58"), _utc_minute("2025-03-04 17:02"))]
    assert list(record.paired) == expected
    snapped = [(i.start, i.end) for i in record.intervals]
    assert snapped[0][0] == _utc_minute("2025-03-04 08:00")  # grace moved the day's start
    assert record.presence_minutes == sum(end - start for start, end in expected)


def test_e5_paired_hold_only_closed_pairs_and_stay_out_of_the_g1_output():
    """E5.3 an odd count leaves an open interval: no attendance for it; the G1 record (and
    so every replay's bytes) does not carry the pairs."""
    record = _record(punches("2025-03-04", "08:00", "12:00", "13:00"), [["08:00", "17:00"]])
    assert record.paired == ((_utc_minute("2025-03-04 08:00"), _utc_minute("2025-03-04 12:00")),)
    assert any(i.end is None for i in record.intervals)
    assert "paired" not in record.to_dict()


def test_e5_paired_equal_a_run_with_grace_and_rounding_off():
    """The attendances used to come from a second engine run with grace and rounding off;
    the pairs of one run with the company's policy are the same intervals."""
    taps = punches("2025-03-04", "07:52", "12:04", "12:55", "17:11", "18:02", "19:30")
    policy = {"grace_late_minutes": 10, "grace_early_out_minutes": 10,
              "rounding": {"unit_minutes": 30, "in_mode": "up", "out_mode": "down"}}
    off = {"grace_late_minutes": 0, "grace_early_out_minutes": 0,
           "rounding": {"unit_minutes": 1, "in_mode": "nearest", "out_mode": "nearest"}}
    with_policy = _record(taps, [["08:00", "17:00"]], policy)
    plain = _record(taps, [["08:00", "17:00"]], off)
    assert with_policy.paired == tuple((i.start, i.end) for i in plain.intervals)
