"""zk_rules.terminal_records: pyzk objects -> plain punch/user dicts (adms-protocol §5.2 quirk)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from zk_rules.fingerprint import punch_fingerprint
from zk_rules.terminal_records import record_from_pyzk, user_from_pyzk


def attendance(user_id="0042", timestamp=datetime(2025, 3, 4, 7, 58, 9), status=15, punch=1):
    # The attribute names of pyzk 0.9's zk.attendance.Attendance.
    return SimpleNamespace(uid=7, user_id=user_id, timestamp=timestamp, status=status, punch=punch)


def user(user_id="0042", name="Ana Alves", privilege=0, card=0, uid=7):
    return SimpleNamespace(
        uid=uid, user_id=user_id, name=name, privilege=privilege, card=card, password=""
    )


def test_record_maps_punch_to_status_and_status_to_verify():
    assert record_from_pyzk(attendance(status=15, punch=1)) == {
        "pin": "0042",
        "local_time": "2025-03-04 07:58:09",
        "status": 1,
        "verify": 15,
    }


def test_record_keeps_leading_zeros_and_letters_in_pins():
    assert record_from_pyzk(attendance(user_id="000123"))["pin"] == "000123"
    assert record_from_pyzk(attendance(user_id="A17"))["pin"] == "A17"


def test_record_pin_from_old_integer_layouts_becomes_text():
    assert record_from_pyzk(attendance(user_id=42))["pin"] == "42"


def test_record_time_is_the_fingerprint_text():
    mapped = record_from_pyzk(attendance(timestamp=datetime(2025, 1, 2, 3, 4, 5, 999)))
    assert mapped["local_time"] == "2025-01-02 03:04:05"
    assert punch_fingerprint("SN1", mapped["pin"], mapped["local_time"]) == punch_fingerprint(
        "SN1", "0042", datetime(2025, 1, 2, 3, 4, 5)
    )


def test_record_state_255_no_state_selected_is_kept():
    assert record_from_pyzk(attendance(punch=255, status=0))["status"] == 255


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"user_id": ""}, "PIN"),
        ({"user_id": None}, "PIN"),
        ({"timestamp": "2025-01-02 03:04:05"}, "datetime"),
        ({"timestamp": datetime(2025, 1, 2, tzinfo=timezone(timedelta(hours=1)))}, "naive"),
        ({"punch": None}, "state"),
        ({"status": 300}, "verify"),
        ({"punch": True}, "state"),
    ],
)
def test_record_refuses_what_cannot_be_a_punch(changes, message):
    with pytest.raises(ValueError, match=message):
        record_from_pyzk(attendance(**changes))


def test_user_maps_user_id_not_uid():
    assert user_from_pyzk(user(user_id="0042", uid=7, privilege=14, card=123456789)) == {
        "pin": "0042",
        "name": "Ana Alves",
        "privilege": 14,
        "card": "123456789",
    }


def test_user_without_card_has_empty_card():
    assert user_from_pyzk(user(card=0))["card"] == ""


def test_user_pyzk_placeholder_name_becomes_empty_but_real_names_stay():
    assert user_from_pyzk(user(user_id="0042", name="NN-0042"))["name"] == ""
    assert user_from_pyzk(user(user_id="0042", name="NN-0043"))["name"] == "NN-0043"
    assert user_from_pyzk(user(name="  Émile Müller "))["name"] == "Émile Müller"


@pytest.mark.parametrize(
    "changes", [{"user_id": ""}, {"privilege": -1}, {"card": "12ab"}, {"name": 5}]
)
def test_user_refuses_malformed(changes):
    with pytest.raises(ValueError):
        user_from_pyzk(user(**changes))


def test_real_pyzk_objects_map_the_same():
    zk_attendance = pytest.importorskip("zk.attendance")
    zk_user = pytest.importorskip("zk.user")
    real = zk_attendance.Attendance("0042", datetime(2025, 3, 4, 7, 58, 9), 15, 1, 7)
    assert record_from_pyzk(real) == record_from_pyzk(attendance())
    real_user = zk_user.User(7, "Ana Alves", 0, "", "", "0042", 0)
    assert user_from_pyzk(real_user) == user_from_pyzk(user())
