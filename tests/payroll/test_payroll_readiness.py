"""Readiness: the days that block an export, each with a reason a person can act on."""

from __future__ import annotations

from payroll_helpers import day, employee

from zk_rules.payroll import blocking_days


def line(kind, minutes, status, approved=None):
    result = {"kind": kind, "minutes": minutes, "status": status}
    if approved is not None:
        result["approved_minutes"] = approved
    return result


def test_a_clean_period_has_no_blocking_day():
    people = [
        employee(
            "E1",
            "Ana",
            [
                day("2025-03-03", overtime_lines=[line("workday", 60, "approved", 30)]),
                day("2025-03-04", overtime_lines=[line("workday", 45, "refused")]),
                day(
                    "2025-03-05",
                    status="absent",
                    regular_minutes=0,
                    late_in_minutes=None,
                    early_out_minutes=None,
                    undertime_minutes=480,
                ),
            ],
        )
    ]
    assert blocking_days(people) == []


def test_provisional_days_and_overtime_to_approve_block_with_reasons():
    people = [
        employee(
            "E2",
            "Ben",
            [
                day(
                    "2025-03-04",
                    status="incomplete",
                    provisional=True,
                    early_out_minutes=None,
                    missing={"check_in": False, "check_out": True, "break": False},
                    exceptions=["missing_check_out"],
                ),
            ],
        ),
        employee(
            "E1",
            "Ana",
            [
                day(
                    "2025-03-08",
                    day_type="rest_day",
                    status="rest_day_work",
                    regular_minutes=0,
                    overtime_lines=[line("rest_day", 95, "to_approve")],
                ),
                day(
                    "2025-03-03",
                    status="on_leave",
                    provisional=True,
                    regular_minutes=0,
                    leave_minutes=480,
                    leaves=[{"kind": "paid", "minutes": 480}],
                    exceptions=["worked_on_leave"],
                ),
                day(
                    "2025-03-05",
                    status="incomplete",
                    provisional=True,
                    late_in_minutes=None,
                    missing={"check_in": True, "check_out": False, "break": False},
                    overtime_lines=[line("workday", 40, "to_approve")],
                ),
            ],
        ),
    ]
    blocked = blocking_days(people)
    assert [(b.employee_code, b.work_date.isoformat(), b.codes) for b in blocked] == [
        ("E1", "2025-03-03", ("worked_on_leave",)),
        ("E1", "2025-03-05", ("missing_check_in", "overtime_to_approve")),
        ("E1", "2025-03-08", ("overtime_to_approve",)),
        ("E2", "2025-03-04", ("missing_check_out",)),
    ]
    on_leave, both, rest_day, no_out = blocked
    assert "approved leave (480 min)" in on_leave.reason
    assert "cancel the leave" in on_leave.reason
    assert both.reasons[0].startswith("No check-in punch: add the missing attendance")
    assert both.reasons[1] == (
        "Overtime of 40 min on a workday waits for approval: approve it, approve fewer minutes "
        "or refuse it."
    )
    assert "95 min on a rest day" in rest_day.reason
    assert no_out.reason.startswith("No check-out punch")
    assert no_out.to_dict() == {
        "employee_code": "E2",
        "employee_name": "Ben",
        "company": "ACME PH",
        "work_date": "2025-03-04",
        "codes": ["missing_check_out"],
        "reason": no_out.reason,
    }


def test_a_provisional_day_without_a_known_cause_still_blocks():
    people = [employee("E1", "Ana", [day("2025-03-03", status="incomplete", provisional=True)])]
    (only,) = blocking_days(people)
    assert only.codes == ("provisional",)
    assert "status incomplete" in only.reason


def test_engine_records_with_a_missing_punch_block():
    from zk_rules.engine import compute_days

    records = compute_days(
        timezone="Asia/Manila",
        evaluate_dates=["2025-03-03"],
        punches=[{"id": 1, "local_time": "2025-03-03 07:58:00", "status": 0}],
        schedule={"2025-03-03": {"segments": [["08:00", "17:00"]], "unpaid_break_minutes": 60}},
        holidays=[],
    )
    (only,) = blocking_days([employee("E1", "Ana", list(records.values()))])
    assert only.codes == ("missing_check_out",)
