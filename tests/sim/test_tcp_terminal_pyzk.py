"""The real pyzk 0.9 client against a running TcpTerminal on loopback."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sim_helpers import RECORDS, USERS, client, punch, running
from zk.exception import ZKErrorConnection, ZKErrorResponse

from zk_rules.terminal_records import record_from_pyzk, user_from_pyzk
from zk_sim import TerminalRecord, TerminalUser
from zk_sim import zkproto as zp

FIXED_NOW = datetime(2025, 3, 4, 9, 15, 30)


def expected_punch(record: TerminalRecord) -> dict:
    return {
        "pin": record.pin,
        "local_time": record.local_time_text,
        "status": record.status,
        "verify": record.verify,
    }


def test_connect_reads_device_identity_and_clock():
    with running(
        USERS, RECORDS, serial="CQUJ123456789", firmware="Ver 6.60 Sep 26 2019",
        device_name="Front door", platform="ZLM60_TFT", mac="00:17:61:aa:bb:cc",
        clock=lambda: FIXED_NOW,
    ) as terminal:
        conn = client(terminal).connect()
        assert conn.is_connect
        assert conn.get_firmware_version() == "Ver 6.60 Sep 26 2019"
        assert conn.get_serialnumber() == "CQUJ123456789"
        assert conn.get_device_name() == "Front door"
        assert conn.get_platform() == "ZLM60_TFT"
        assert conn.get_mac() == "00:17:61:aa:bb:cc"
        assert conn.get_time() == FIXED_NOW
        assert conn.get_pin_width() == 24
        assert conn.get_extend_fmt() == 1
        assert conn.get_network_params()["ip"] == "127.0.0.1"
        conn.read_sizes()
        assert (conn.users, conn.records) == (len(USERS), len(RECORDS))
        assert conn.disconnect() is True
    assert terminal.commands[0] == zp.CMD_CONNECT
    assert terminal.commands[-1] == zp.CMD_EXIT


def test_get_users_keeps_pins_as_strings_with_leading_zeros():
    with running(USERS, []) as terminal:
        conn = client(terminal).connect()
        users = conn.get_users()
        conn.disconnect()
    assert [u.user_id for u in users] == ["0001", "000123", "42", "A17"]
    assert [u.uid for u in users] == [1, 2, 3, 4]
    assert [user_from_pyzk(u) for u in users] == [
        {"pin": "0001", "name": "Ana Alves", "privilege": 14, "card": ""},
        {"pin": "000123", "name": "Émile Müller", "privilege": 0, "card": "123456789"},
        {"pin": "42", "name": "Kofi Eze", "privilege": 0, "card": ""},
        {"pin": "A17", "name": "", "privilege": 2, "card": ""},
    ]
    assert users[0].password == "12"


def test_get_attendance_maps_state_and_verify_through_record_from_pyzk():
    with running(USERS, RECORDS) as terminal:
        conn = client(terminal).connect()
        conn.disable_device()
        assert terminal.enabled is False
        attendances = conn.get_attendance()
        conn.enable_device()
        assert terminal.enabled is True
        conn.disconnect()
    assert [record_from_pyzk(a) for a in attendances] == [expected_punch(r) for r in RECORDS]
    # pyzk's own names, the other way round (adms-protocol §5.2, last bullet):
    first_break = attendances[2]
    assert (first_break.punch, first_break.status) == (2, 4)
    assert first_break.timestamp == datetime(2025, 3, 3, 12, 0, 41)
    # The terminal's internal uid travels too; an unknown PIN has uid 0.
    assert [a.uid for a in attendances][:2] == [1, 2]
    assert attendances[-1].uid == 0 and attendances[-1].user_id == "99"


def test_big_log_of_5000_records_is_read_completely_in_chunks():
    users = [TerminalUser(uid=i, pin=f"{i:05d}", name=f"User {i}") for i in range(1, 51)]
    start = datetime(2025, 1, 1, 6, 0, 0)
    records = [
        TerminalRecord(
            pin=f"{i % 50 + 1:05d}",
            local_time=start + timedelta(minutes=7 * i, seconds=i % 60),
            status=i % 6,
            verify=(1, 15, 4)[i % 3],
        )
        for i in range(5000)
    ]
    with running(users, records) as terminal:
        conn = client(terminal).connect()
        attendances = conn.get_attendance()
        conn.free_data()
        conn.disconnect()
    assert len(attendances) == 5000
    assert [record_from_pyzk(a) for a in attendances] == [expected_punch(r) for r in records]
    # 4 + 5000 * 40 bytes do not fit in one pyzk chunk (0xFFC0): several reads were made.
    assert terminal.commands.count(zp.CMD_READ_BUFFER) >= 4
    assert zp.CMD_FREE_DATA in terminal.commands


def test_tables_answered_inline_when_small():
    with running(USERS, RECORDS, inline_max_bytes=1 << 16) as terminal:
        conn = client(terminal).connect()
        users = conn.get_users()
        attendances = conn.get_attendance()
        conn.disconnect()
    assert [u.user_id for u in users] == [u.pin for u in USERS]
    assert [record_from_pyzk(a) for a in attendances] == [expected_punch(r) for r in RECORDS]
    assert zp.CMD_READ_BUFFER not in terminal.commands


def test_empty_terminal_answers_empty_lists():
    with running([], []) as terminal:
        conn = client(terminal).connect()
        assert conn.get_users() == []
        assert conn.get_attendance() == []
        assert conn.get_templates() == []
        conn.disconnect()


def test_new_punches_show_up_in_the_next_read():
    with running(USERS, RECORDS[:2]) as terminal:
        conn = client(terminal).connect()
        assert len(conn.get_attendance()) == 2
        terminal.add_records([punch("42", "2025-03-03 09:00:00", status=0, verify=15)])
        latest = conn.get_attendance()
        conn.disconnect()
    assert record_from_pyzk(latest[-1]) == {
        "pin": "42", "local_time": "2025-03-03 09:00:00", "status": 0, "verify": 15
    }
    assert len(latest) == 3


@pytest.mark.parametrize("password", [1, 123456, 0x3FFFF])
def test_comm_password_accepted(password):
    # 0x3FFFF: session ids must stay small or pyzk's MakeKey overflows (see zkproto).
    with running(USERS, RECORDS, password=password) as terminal:
        for _ in range(3):
            conn = client(terminal, password=password).connect()
            assert [u.user_id for u in conn.get_users()] == [u.pin for u in USERS]
            conn.disconnect()
    assert terminal.commands[:2] == [zp.CMD_CONNECT, zp.CMD_AUTH]


@pytest.mark.parametrize("given", [0, 123457, 654321])
def test_wrong_or_missing_comm_password_is_refused(given):
    with running(USERS, RECORDS, password=123456) as terminal:
        with pytest.raises(ZKErrorResponse, match="Unauthenticated"):
            client(terminal, password=given).connect()
        # Refused means refused: nothing was read, the session was ended.
        assert zp.CMD_PREPARE_BUFFER not in terminal.commands
        assert terminal.commands == [zp.CMD_CONNECT, zp.CMD_AUTH]


def test_disconnect_ends_the_session_and_the_client_refuses_further_calls():
    with running(USERS, RECORDS) as terminal:
        zk = client(terminal)
        conn = zk.connect()
        assert conn.disconnect() is True
        assert conn.is_connect is False
        with pytest.raises(ZKErrorConnection):
            conn.get_users()
        # A new session after a disconnect works as the first did.
        again = client(terminal).connect()
        assert len(again.get_attendance()) == len(RECORDS)
        again.disconnect()
    assert terminal.commands.count(zp.CMD_EXIT) == 2


def test_set_time_moves_the_terminal_clock():
    with running(USERS, RECORDS, clock=lambda: FIXED_NOW) as terminal:
        conn = client(terminal).connect()
        target = datetime(2025, 3, 30, 1, 59, 58)
        conn.set_time(target)
        assert conn.get_time() == target
        assert terminal.now() == target
        conn.disconnect()


def test_set_user_and_delete_user_through_pyzk():
    with running(USERS, []) as terminal:
        conn = client(terminal).connect()
        conn.set_user(uid=5, name="Lena Novak", privilege=0, password="", user_id="000777",
                      card=4242)
        created = {u.user_id: u for u in conn.get_users()}["000777"]
        assert user_from_pyzk(created) == {
            "pin": "000777", "name": "Lena Novak", "privilege": 0, "card": "4242"
        }
        conn.delete_user(user_id="000777")
        assert "000777" not in [u.user_id for u in conn.get_users()]
        conn.disconnect()
    assert [u.pin for u in terminal.users] == [u.pin for u in USERS]


def test_clear_attendance_empties_the_log():
    with running(USERS, RECORDS) as terminal:
        conn = client(terminal).connect()
        conn.clear_attendance()
        assert conn.get_attendance() == []
        conn.disconnect()
    assert terminal.records == []


def test_two_terminals_side_by_side_keep_their_own_data():
    with running(USERS[:1], RECORDS[:1], serial="SN-A") as a, running(
        USERS, RECORDS, serial="SN-B"
    ) as b:
        assert a.port != b.port
        conn_a, conn_b = client(a).connect(), client(b).connect()
        assert conn_a.get_serialnumber() == "SN-A"
        assert conn_b.get_serialnumber() == "SN-B"
        assert len(conn_a.get_attendance()) == 1
        assert len(conn_b.get_attendance()) == len(RECORDS)
        conn_a.disconnect()
        conn_b.disconnect()
