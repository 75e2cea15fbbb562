"""Fault switches of TcpTerminal, as a poller with back-off will meet them through pyzk."""

from __future__ import annotations

import socket
import struct
from datetime import datetime, timedelta

import pytest
from sim_helpers import RECORDS, USERS, client, running
from zk.exception import ZKError, ZKErrorResponse, ZKNetworkError

from zk_sim import TcpTerminal, TerminalRecord, TerminalUser
from zk_sim import zkproto as zp

BIG_LOG = [
    TerminalRecord(pin=f"{i % 20:04d}", local_time=datetime(2025, 1, 1) + timedelta(minutes=i))
    for i in range(5000)
]


def test_refused_connections_then_recovery():
    with running(USERS, RECORDS) as terminal:
        port = terminal.port
        terminal.refuse_connections = True
        with pytest.raises(ZKNetworkError):
            client(terminal).connect()
        # Really refused by the kernel, not accepted and closed by the terminal.
        probe = socket.socket()
        try:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
        finally:
            probe.close()
        assert terminal.connections_accepted == 0

        terminal.refuse_connections = False
        assert terminal.port == port
        conn = client(terminal).connect()
        assert len(conn.get_attendance()) == len(RECORDS)
        conn.disconnect()


def test_connection_reset_in_the_middle_of_a_big_log_then_full_read():
    with running(USERS, BIG_LOG) as terminal:
        terminal.drop_after_bytes = 100_000  # inside the attendance table (200,004 bytes)
        with pytest.raises((ZKError, OSError)):
            client(terminal).connect().get_attendance()
        assert terminal.commands.count(zp.CMD_READ_BUFFER) >= 1

        terminal.drop_after_bytes = None
        conn = client(terminal).connect()
        assert len(conn.get_attendance()) == len(BIG_LOG)
        conn.disconnect()


def test_connection_closed_before_the_first_answer():
    with running(USERS, RECORDS) as terminal:
        terminal.drop_after_bytes = 0
        terminal.drop_with_reset = False  # a clean FIN, no answer to CMD_CONNECT
        with pytest.raises(ZKNetworkError):
            client(terminal).connect()
        assert terminal.commands == [zp.CMD_CONNECT]


def test_mute_terminal_lets_the_client_time_out():
    with running(USERS, RECORDS) as terminal:
        terminal.mute = True
        with pytest.raises(ZKNetworkError, match="timed out"):
            client(terminal, timeout=0.3).connect()
        terminal.mute = False
        conn = client(terminal).connect()
        assert conn.get_serialnumber() == terminal.serial
        conn.disconnect()


def test_error_commands_make_reads_fail_while_the_session_stays_up():
    with running(USERS, RECORDS) as terminal:
        terminal.error_commands = {zp.CMD_PREPARE_BUFFER}
        conn = client(terminal).connect()
        with pytest.raises(ZKErrorResponse):
            conn.get_attendance()
        terminal.error_commands = set()
        assert len(conn.get_attendance()) == len(RECORDS)
        conn.disconnect()


def test_drop_sessions_cuts_open_sessions():
    with running(USERS, RECORDS) as terminal:
        conn = client(terminal).connect()
        assert terminal.drop_sessions() == 1
        with pytest.raises(ZKNetworkError):
            conn.get_users()
        assert client(terminal).connect().get_serialnumber() == terminal.serial


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the peer ended the connection (FIN, or a reset for unread input)."""
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


def raw_request(sock: socket.socket, command: int, payload: bytes = b"", session: int = 0,
                reply_id: int = 0) -> tuple[int, int, bytes]:
    sock.sendall(zp.encode_packet(command, session, reply_id, payload))
    top = sock.recv(8, socket.MSG_WAITALL)
    length = zp.parse_top(top)
    body = sock.recv(length, socket.MSG_WAITALL)
    packet = zp.parse_body(body)
    return packet.command, packet.session_id, packet.payload


def test_raw_peer_commands_before_auth_are_refused_and_replies_echo_reply_id():
    with running(USERS, RECORDS, password=99) as terminal:
        with socket.create_connection(("127.0.0.1", terminal.port), timeout=5) as sock:
            code, session, _ = raw_request(sock, zp.CMD_CONNECT, reply_id=0)
            assert code == zp.CMD_ACK_UNAUTH and session > 0
            args = struct.pack("<bhii", 1, zp.CMD_ATTLOG_RRQ, 0, 0)
            code, _, _ = raw_request(sock, zp.CMD_PREPARE_BUFFER, args, session, 1)
            assert code == zp.CMD_ACK_UNAUTH
            key = zp.commkey(99, session, 77)
            assert raw_request(sock, zp.CMD_AUTH, key, session, 2)[0] == zp.CMD_ACK_OK
            sock.sendall(zp.encode_packet(zp.CMD_GET_VERSION, session, 4321))
            top = sock.recv(8, socket.MSG_WAITALL)
            reply = zp.parse_body(sock.recv(zp.parse_top(top), socket.MSG_WAITALL))
            assert reply.reply_id == 4321 and reply.session_id == session
            assert reply.payload.rstrip(b"\x00").decode() == terminal.firmware
            assert raw_request(sock, 4242, b"", session, 5)[0] == zp.CMD_ACK_UNKNOWN
            # Reading a slice with no table prepared is an error, not a crash.
            slice_args = struct.pack("<ii", 0, 100)
            assert raw_request(sock, zp.CMD_READ_BUFFER, slice_args, session, 6)[0] == (
                zp.CMD_ACK_ERROR
            )


def test_garbage_frame_closes_only_that_session():
    with running(USERS, RECORDS) as terminal:
        with socket.create_connection(("127.0.0.1", terminal.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert closed_by_peer(sock)
        conn = client(terminal).connect()
        assert len(conn.get_users()) == len(USERS)
        conn.disconnect()


def test_stop_ends_open_sessions():
    terminal = running(USERS, RECORDS)
    with terminal as started:
        sock = socket.create_connection(("127.0.0.1", started.port), timeout=5)
    try:
        assert closed_by_peer(sock)
    finally:
        sock.close()


def test_users_with_fields_a_terminal_cannot_store_are_refused():
    with pytest.raises(ValueError, match="pin"):
        TerminalUser(uid=1, pin="")
    with pytest.raises(ValueError, match="longer than 24 bytes"):
        TcpTerminal([TerminalUser(uid=1, pin="1" * 25)], [])
    with pytest.raises(ValueError, match="already enrolled"):
        TcpTerminal([TerminalUser(uid=1, pin="7"), TerminalUser(uid=2, pin="7")], [])


def test_longest_pin_a_terminal_stores_survives_the_trip():
    pin = "0" * 23 + "7"
    with running([TerminalUser(uid=9, pin=pin, name="N" * 24)], [
        TerminalRecord(pin=pin, local_time=datetime(2099, 12, 31, 23, 59, 59), status=5, verify=29)
    ]) as terminal:
        conn = client(terminal).connect()
        users = conn.get_users()
        attendances = conn.get_attendance()
        conn.disconnect()
    assert [(u.user_id, u.name) for u in users] == [(pin, "N" * 24)]
    assert [(a.user_id, a.timestamp, a.punch, a.status) for a in attendances] == [
        (pin, datetime(2099, 12, 31, 23, 59, 59), 5, 29)
    ]
