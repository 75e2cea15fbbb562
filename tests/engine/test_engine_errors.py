"""Bad input is refused with an error naming the field; it never yields a silently wrong day."""

from __future__ import annotations

import copy

import pytest

from zk_rules.engine import EngineInputError, Policy, Rounding, compute_days
from zk_rules.engine.replay import replay_document

GOOD = {
    "timezone": "Asia/Manila",
    "evaluate_dates": ["2025-03-03"],
    "punches": [
        {"id": 1, "local_time": "2025-03-03 08:00:00", "status": 0},
        {"id": 2, "local_time": "2025-03-03 17:00:00", "status": 1},
    ],
    "schedule": {"2025-03-03": {"segments": [["08:00", "17:00"]], "unpaid_break_minutes": 60}},
    "holidays": [{"date": "2025-03-10", "name": "Holiday", "kind": "regular"}],
    "leaves": [{"date": "2025-03-04", "minutes": 60, "kind": "paid"}],
    "policy": {},
}


def _broken(path, value):
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


CASES = [
    (("timezone",), "Mars/Olympus_Mons", r"^timezone: unknown IANA time zone"),
    (("timezone",), "", r"^timezone: must be an IANA"),
    (("timezone",), KeyError, r"^timezone: is required"),
    (("evaluate_dates",), ["2025-02-30"], r"^evaluate_dates\[0\]: must be a date"),
    (("evaluate_dates",), "2025-03-03", r"^evaluate_dates: must be a list"),
    (("punches", 0, "local_time"), "2025-03-03T08:00:00", r"^punches\[0\]\.local_time:"),
    (("punches", 0, "local_time"), "2025-03-03 8:00:00", r"^punches\[0\]\.local_time:"),
    (("punches", 1, "local_time"), "2025-03-03 24:00:00", r"^punches\[1\]\.local_time:"),
    (("punches", 1, "local_time"), KeyError, r"^punches\[1\]\.local_time: is required"),
    (("punches", 0, "id"), None, r"^punches\[0\]\.id: must be"),
    (("punches", 0, "status"), "0", r"^punches\[0\]\.status: must be an integer or null"),
    (
        ("schedule", "2025-03-03", "segments"),
        [["8:00", "17:00"]],
        r"^schedule\.2025-03-03\.segments\[0\]\[0\]: must be a time HH:MM",
    ),
    (
        ("schedule", "2025-03-03", "segments"),
        [["08:00"]],
        r"^schedule\.2025-03-03\.segments\[0\]: must be a pair",
    ),
    (
        ("schedule", "2025-03-03", "segments"),
        [["08:00", "13:00"], ["12:00", "17:00"]],
        r"^schedule\.2025-03-03\.segments: segments overlap",
    ),
    (
        ("schedule", "2025-03-03", "segments"),
        "08:00-17:00",
        r"^schedule\.2025-03-03\.segments: must be a list",
    ),
    (
        ("schedule", "2025-03-03", "unpaid_break_minutes"),
        -5,
        r"^schedule\.2025-03-03\.unpaid_break_minutes: must be >= 0",
    ),
    (("schedule", "2025-03-03", "break"), 60, r"^schedule\.2025-03-03\.break: unknown key"),
    (("holidays", 0, "kind"), "national", r"^holidays\[0\]\.kind: must be one of"),
    (("leaves", 0, "minutes"), -60, r"^leaves\[0\]\.minutes: must be >= 0"),
    (("policy", "grace_late_minutes"), -1, r"^policy\.grace_late_minutes: must be >= 0"),
    (
        ("policy", "overtime_threshold_minutes"),
        7.5,
        r"^policy\.overtime_threshold_minutes: must be an integer",
    ),
    (("policy", "double_tap_seconds"), True, r"^policy\.double_tap_seconds: must be an integer"),
    (("policy", "status_mode"), "statuses", r"^policy\.status_mode: must be one of auto, ignore"),
    (("policy", "night_start"), "10pm", r"^policy\.night_start: must be a time HH:MM"),
    (("policy", "rounding"), {"unit_minutes": 0}, r"^policy\.rounding\.unit_minutes: must be >= 1"),
    (("policy", "rounding"), {"in_mode": "ceil"}, r"^policy\.rounding\.in_mode: must be one of"),
    (("policy", "grace_late"), 5, r"^policy\.grace_late: unknown policy key"),
    (("policy", "count_early_arrival"), "yes", r"^policy\.count_early_arrival: must be true"),
]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    CASES,
    ids=[".".join(map(str, c[0])) + f"={c[1]!r}" for c in CASES],
)
def test_bad_input_names_the_field(path, value, message):
    with pytest.raises(EngineInputError, match=message) as caught:
        replay_document(_broken(path, value))
    assert isinstance(caught.value, ValueError)  # zk-replay turns it into exit status 2


def test_the_good_document_is_accepted():
    assert replay_document(copy.deepcopy(GOOD))["days"]["2025-03-03"]["status"] == "compliant"


def test_policy_objects_validate_on_creation():
    with pytest.raises(EngineInputError, match=r"^policy\.late_window_minutes: must be >= 0"):
        Policy(late_window_minutes=-1)
    with pytest.raises(EngineInputError, match=r"^policy\.rounding\.out_mode"):
        Rounding(out_mode="sideways")
    assert Policy(night_start="21:00").night_start_minute == 21 * 60


def test_typed_inputs_are_validated_like_dicts():
    with pytest.raises(EngineInputError, match=r"^punches\[0\]: must be an object"):
        compute_days(timezone="UTC", evaluate_dates=["2025-03-03"], punches=["08:00"])
