"""Shared bits for the simulator tests: start a terminal, make a pyzk client for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from zk import ZK

from zk_sim import TcpTerminal, TerminalRecord, TerminalUser

CLIENT_TIMEOUT = 5  # seconds a pyzk socket waits: bounds every test, asserts nothing


def client(terminal: TcpTerminal, password: int = 0, timeout: float = CLIENT_TIMEOUT) -> ZK:
    """The way the relay and Odoo call pyzk: TCP, no ICMP ping first."""
    return ZK(
        "127.0.0.1",
        port=terminal.port,
        timeout=timeout,
        password=password,
        force_udp=False,
        ommit_ping=True,
    )


@contextmanager
def running(*args, **kwargs) -> Iterator[TcpTerminal]:
    terminal = TcpTerminal(*args, **kwargs).start()
    try:
        yield terminal
    finally:
        terminal.stop()


def punch(pin: str, when: str, status: int = 0, verify: int = 1, workcode: int = 0):
    return TerminalRecord(
        pin=pin,
        local_time=datetime.strptime(when, "%Y-%m-%d %H:%M:%S"),
        status=status,
        verify=verify,
        workcode=workcode,
    )


USERS = [
    TerminalUser(uid=1, pin="0001", name="Ana Alves", privilege=14, password="12", card=0),
    TerminalUser(uid=2, pin="000123", name="Émile Müller", privilege=0, card=123456789),
    TerminalUser(uid=3, pin="42", name="Kofi Eze"),
    TerminalUser(uid=4, pin="A17", name="", privilege=2),
]

RECORDS = [
    punch("0001", "2025-03-03 07:58:09", status=0, verify=1),
    punch("000123", "2025-03-03 08:01:00", status=0, verify=15),
    punch("0001", "2025-03-03 12:00:41", status=2, verify=4),
    punch("0001", "2025-03-03 12:31:02", status=3, verify=4),
    punch("000123", "2025-03-03 17:02:59", status=1, verify=15, workcode=7),
    punch("0001", "2025-03-03 17:10:00", status=1, verify=1),
    punch("99", "2025-03-03 18:00:00", status=255, verify=0),  # PIN not enrolled
]
