"""A ZKTeco terminal on TCP port 4370 that the real pyzk client can talk to.

A real peer on a socket, for tests and demos: it keeps users and an attendance log, hands out
sessions (with the comm-password challenge when a password is set), serves big tables in
chunks the way firmware does, and can be told to misbehave so that pollers' back-off and
recovery can be tested::

    terminal = TcpTerminal(users, records, password=1234).start()
    zk = ZK("127.0.0.1", terminal.port, password=1234, force_udp=False, ommit_ping=True)
    conn = zk.connect()
    ...
    terminal.stop()

Fault switches (attributes, may be changed while running):

``refuse_connections``
    True closes the listening socket, so new connections are refused by the kernel
    (ECONNREFUSED); False listens again on the same port. Sessions already open stay open;
    :meth:`drop_sessions` resets them.
``drop_after_bytes``
    A session is cut after the terminal has sent this many bytes on it (mid-frame if that is
    where the count ends). ``drop_with_reset`` (default True) cuts with a TCP reset; False
    closes cleanly with FIN. Beware: pyzk 0.9 spins forever in ``__recieve_raw_data`` when a
    FIN arrives in the middle of a data chunk (``recv`` keeps returning ``b""``), so pollers
    must run pyzk under a watchdog of their own.
``mute``
    Requests are read but never answered (a hung terminal): the client's timeout fires.
``error_commands``
    A set of command codes answered with ``CMD_ACK_ERROR`` (the terminal is up but refuses,
    e.g. ``{zkproto.CMD_PREPARE_BUFFER}`` makes pyzk's reads raise ``ZKErrorResponse``).

Fingerprint templates (issue 19) live in ``templates`` ((PIN, finger) -> bytes) and
``template_flags`` (the valid flag, 1 or 3 for a duress finger): pyzk writes them
(``save_user_template``) and deletes them (``delete_user_template``, ``delete_user``);
:meth:`TcpTerminal.enrol_finger` enrols one at the terminal as a person would; pyzk's
``get_templates`` reads them as the table ``FCT_FINGERTMP`` (``CMD_DB_RRQ`` through
``CMD_PREPARE_BUFFER``, chunked like the other tables) and ``get_fp_version`` the option
``~ZKFPVersion`` (10). ``tables_read`` records which tables were read.
"""

from __future__ import annotations

import logging
import random
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import zkproto as zp
from .biometrics import fake_template
from .model import TerminalRecord, TerminalUser

log = logging.getLogger("zk_sim.tcp")

DEFAULT_SERIAL = "SIM0000000001"
DEFAULT_FIRMWARE = "Ver 6.60 Apr 28 2017"
MAX_REQUEST_BYTES = 1 << 20
_ACCEPT_POLL_SECONDS = 0.05
_SEND_TIMEOUT_SECONDS = 30.0


class _SessionClosed(Exception):
    """The session ends (client said goodbye, refused, or a fault cut it)."""


@dataclass(slots=True, eq=False)
class _Session:
    sock: socket.socket
    peer: tuple[str, int]
    session_id: int = 0
    authenticated: bool = False
    buffer: bytes | None = None
    sent: int = 0
    closing: bool = False
    # set from outside to end the session: True = with a TCP reset, False = with a FIN
    cut: bool | None = None
    replies: list[bytes] = field(default_factory=list)
    upload: bytearray | None = None  # CMD_PREPARE_DATA + CMD_DATA: what pyzk writes


class TcpTerminal:
    """A terminal serving ``users`` and ``records`` over the ZK binary TCP protocol."""

    def __init__(
        self,
        users: Iterable[TerminalUser] = (),
        records: Iterable[TerminalRecord] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        password: int = 0,
        serial: str = DEFAULT_SERIAL,
        firmware: str = DEFAULT_FIRMWARE,
        device_name: str = "ZK-SIM",
        platform: str = "ZMM220_TFT",
        mac: str = "00:17:61:00:00:01",
        clock: Callable[[], datetime] | None = None,
        inline_max_bytes: int = 0,
        pin_width: int = 24,
    ) -> None:
        if not isinstance(password, int) or not 0 <= password <= 0xFFFFFFFF:
            raise ValueError("password (comm key) must be an int 0-4294967295")
        self.host = host
        self._requested_port = port
        self.password = password
        self.serial = serial
        self.firmware = firmware
        self.pin_width = pin_width
        # Tables up to this size are answered straight away with CMD_DATA instead of being
        # served in chunks; 0 (the default) always goes through the chunked path.
        self.inline_max_bytes = inline_max_bytes
        self._clock = clock or datetime.now
        self._clock_offset = timedelta(0)
        self.options: dict[str, str] = {
            "~SerialNumber": serial,
            "~DeviceName": device_name,
            "~Platform": platform,
            "MAC": mac,
            "~OS": "1",
            "~ZKFPVersion": "10",
            "ZKFaceVersion": "0",
            "FaceFunOn": "0",
            "~ExtendFmt": "1",
            "~UserExtFmt": "1",
            "CompatOldFirmware": "0",
            "IPAddress": host,
            "NetMask": "255.255.255.0",
            "GATEIPAddress": "127.0.0.1",
            "~PIN2Width": str(pin_width),
        }
        self._lock = threading.RLock()
        self._users: dict[int, TerminalUser] = {}
        for user in users:
            self._put_user(user)
        self._records: list[TerminalRecord] = list(records)
        # fingerprint templates (issue 19): (PIN, finger) -> template, written by pyzk's
        # save_user_template or enrolled at the terminal (enrol_finger), removed by
        # delete_user_template / delete_user, read by pyzk's get_templates
        self.templates: dict[tuple[str, int], bytes] = {}
        # (PIN, finger) -> valid flag of a template (1 normal, 3 duress finger); 1 when absent
        self.template_flags: dict[tuple[str, int], int] = {}

        # fault switches
        self.drop_after_bytes: int | None = None
        self.drop_with_reset = True
        self.mute = False
        self.error_commands: set[int] = set()
        self._refuse = False

        # what happened, for tests
        self.enabled = True
        self.connections_accepted = 0
        self.commands: list[int] = []
        # (command, table) of every CMD_PREPARE_BUFFER, e.g. (CMD_DB_RRQ, FCT_FINGERTMP)
        self.tables_read: list[tuple[int, int]] = []

        self._listener: socket.socket | None = None
        self._port: int | None = None
        self._stop = threading.Event()
        self._listener_changed = threading.Condition(self._lock)
        self._accept_thread: threading.Thread | None = None
        self._sessions: dict[_Session, threading.Thread] = {}

    # ------------------------------------------------------------------ data
    @property
    def users(self) -> list[TerminalUser]:
        with self._lock:
            return sorted(self._users.values(), key=lambda u: u.uid)

    @property
    def records(self) -> list[TerminalRecord]:
        with self._lock:
            return list(self._records)

    def add_records(self, records: Iterable[TerminalRecord]) -> None:
        """New punches on the terminal (they show up in the next read)."""
        with self._lock:
            self._records.extend(records)

    def add_user(self, user: TerminalUser) -> None:
        with self._lock:
            self._put_user(user)

    def enrol_finger(self, pin: str, finger: int, template: bytes | None = None,
                     valid: int = 1) -> bytes:
        """A person enrols (or re-enrols) a finger at the terminal's keypad: the template is
        kept like one pyzk wrote and shows up in the next ``get_templates``. Without
        ``template``, new pseudo-template bytes (each enrolment of a finger differs, as a real
        scan does). Returns the template."""
        with self._lock:
            if not any(u.pin == pin for u in self._users.values()):
                raise ValueError(f"PIN {pin!r} is not enrolled on this terminal")
            if template is None:
                seed = f"enrol|{self.serial}|{len(self.commands)}|{random.random()}"  # noqa: S311
                template = fake_template(pin, "fingerprint", finger, seed=seed)
            zp.pack_template(1, finger, valid, template)  # refuse what could not be served
            self.templates[pin, finger] = template
            self.template_flags[pin, finger] = valid
            return template

    def _put_user(self, user: TerminalUser) -> None:
        zp.pack_user(user)  # refuse what could not be served (over-long fields)
        for other in self._users.values():
            if other.pin == user.pin and other.uid != user.uid:
                raise ValueError(f"PIN {user.pin!r} already enrolled as uid {other.uid}")
        self._users[user.uid] = user

    def now(self) -> datetime:
        """The terminal's wall clock (naive, whole seconds)."""
        return (self._clock() + self._clock_offset).replace(microsecond=0)

    # --------------------------------------------------------------- lifecycle
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("terminal not started")
        return self._port

    def start(self) -> TcpTerminal:
        if self._accept_thread is not None:
            raise RuntimeError("terminal already started")
        self._stop.clear()
        with self._lock:
            self._listener = self._listen(self._requested_port)
            self._port = self._listener.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"zk-sim-tcp-{self._port}", daemon=True
        )
        self._accept_thread.start()
        log.info("terminal %s listening on %s:%s", self.serial, self.host, self._port)
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._listener_changed.notify_all()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
            self._accept_thread = None
        self.drop_sessions(reset=False)
        with self._lock:
            threads = list(self._sessions.values())
        for thread in threads:
            thread.join(timeout=5)

    def __enter__(self) -> TcpTerminal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def refuse_connections(self) -> bool:
        return self._refuse

    @refuse_connections.setter
    def refuse_connections(self, value: bool) -> None:
        """Close or reopen the listening socket; returns once the change is in effect."""
        with self._lock:
            self._refuse = bool(value)
            if self._accept_thread is None:
                return
            self._listener_changed.notify_all()
            while (self._listener is None) != self._refuse and not self._stop.is_set():
                self._listener_changed.wait(timeout=1)

    def drop_sessions(self, reset: bool = True) -> int:
        """Cut every open session (TCP reset by default) and wait until they are gone.

        Returns how many sessions were cut.
        """
        with self._lock:
            sessions = dict(self._sessions)
        for session in sessions:
            session.cut = reset
            if not reset:
                _shutdown(session.sock)  # FIN now; wakes the session thread at once
        for thread in sessions.values():
            thread.join(timeout=5)
        return len(sessions)

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(16)
        sock.settimeout(_ACCEPT_POLL_SECONDS)
        return sock

    def _sync_listener(self) -> socket.socket | None:
        """Run by the accept thread only: make the listener match ``refuse_connections``."""
        with self._lock:
            if self._refuse and self._listener is not None:
                self._listener.close()
                self._listener = None
                self._listener_changed.notify_all()
            elif not self._refuse and self._listener is None:
                try:
                    self._listener = self._listen(self.port)
                except OSError as exc:
                    log.warning("cannot listen again on port %s: %s", self.port, exc)
                    self._listener_changed.wait(timeout=_ACCEPT_POLL_SECONDS)
                    return None
                self._listener_changed.notify_all()
            elif self._listener is None:
                self._listener_changed.wait(timeout=_ACCEPT_POLL_SECONDS)
            return self._listener

    def _accept_loop(self) -> None:
        try:
            while not self._stop.is_set():
                listener = self._sync_listener()
                if listener is None:
                    continue
                try:
                    conn, peer = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    if self._stop.is_set():
                        break
                    raise
                # The session thread wakes this often to see whether it was told to end.
                conn.settimeout(_ACCEPT_POLL_SECONDS)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                session = _Session(conn, peer)
                thread = threading.Thread(
                    target=self._serve, args=(session,), name="zk-sim-session", daemon=True
                )
                with self._lock:
                    self.connections_accepted += 1
                    self._sessions[session] = thread
                thread.start()
        finally:
            with self._lock:
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
                self._listener_changed.notify_all()

    # ----------------------------------------------------------------- session
    def _serve(self, session: _Session) -> None:
        conn, peer = session.sock, session.peer
        try:
            while True:
                top = self._recv_exact(session, zp.TOP_SIZE)
                if top is None:
                    break
                length = zp.parse_top(top)
                if length > MAX_REQUEST_BYTES:
                    raise ValueError(f"request of {length} bytes")
                body = self._recv_exact(session, length)
                if body is None:
                    break
                packet = zp.parse_body(body)
                with self._lock:
                    self.commands.append(packet.command)
                if self.mute:
                    continue
                self._dispatch(session, packet)
                self._flush(session)
                if session.closing:
                    break
        except ValueError as exc:
            log.warning("session from %s: bad frame (%s), closing", peer, exc)
        except (_SessionClosed, OSError):
            pass
        finally:
            try:
                if session.cut:
                    # linger 0: close sends a TCP reset instead of a FIN
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            except OSError:
                pass
            with self._lock:
                self._sessions.pop(session, None)

    def _recv_exact(self, session: _Session, size: int) -> bytes | None:
        """Exactly ``size`` bytes; None when the peer closed between frames.

        Raises _SessionClosed when the session is told to end or the peer leaves mid-frame.
        """
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            if session.cut is not None or self._stop.is_set():
                raise _SessionClosed
            try:
                chunk = session.sock.recv(remaining)
            except TimeoutError:
                continue
            if not chunk:
                if chunks:
                    raise _SessionClosed
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _flush(self, session: _Session) -> None:
        data = b"".join(session.replies)
        session.replies.clear()
        if not data:
            return
        limit = self.drop_after_bytes
        cut_here = False
        if limit is not None and session.sent + len(data) > limit:
            cut_here = True
            data = data[: max(0, limit - session.sent)]
        # Sending may wait for a slow reader; only reads wake up often.
        session.sock.settimeout(_SEND_TIMEOUT_SECONDS)
        try:
            session.sock.sendall(data)
        finally:
            session.sock.settimeout(_ACCEPT_POLL_SECONDS)
        session.sent += len(data)
        if cut_here:
            session.cut = self.drop_with_reset
            raise _SessionClosed

    def _reply(
        self, session: _Session, request: zp.Packet, command: int, payload: bytes = b""
    ) -> None:
        session.replies.append(
            zp.encode_packet(command, session.session_id, request.reply_id, payload)
        )

    def _dispatch(self, session: _Session, pkt: zp.Packet) -> None:
        cmd = pkt.command
        if cmd == zp.CMD_CONNECT:
            self._on_connect(session, pkt)
        elif cmd == zp.CMD_AUTH:
            self._on_auth(session, pkt)
        elif cmd == zp.CMD_ACK_OK:
            return  # a client's acknowledgement of an event: nothing to answer
        elif cmd == zp.CMD_EXIT:
            self._reply(session, pkt, zp.CMD_ACK_OK)
            session.closing = True
        elif not session.authenticated:
            self._reply(session, pkt, zp.CMD_ACK_UNAUTH)
        elif cmd in self.error_commands:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
        else:
            handler = self._handlers().get(cmd)
            if handler is None:
                log.debug("unknown command %s", cmd)
                self._reply(session, pkt, zp.CMD_ACK_UNKNOWN)
            else:
                handler(session, pkt)

    def _handlers(self) -> dict[int, Callable[[_Session, zp.Packet], None]]:
        ok = self._on_ok
        return {
            zp.CMD_ENABLEDEVICE: self._on_enable,
            zp.CMD_DISABLEDEVICE: self._on_disable,
            zp.CMD_GET_VERSION: self._on_version,
            zp.CMD_OPTIONS_RRQ: self._on_option_read,
            zp.CMD_OPTIONS_WRQ: self._on_option_write,
            zp.CMD_GET_FREE_SIZES: self._on_free_sizes,
            zp.CMD_GET_PINWIDTH: self._on_pin_width,
            zp.CMD_GET_TIME: self._on_get_time,
            zp.CMD_SET_TIME: self._on_set_time,
            zp.CMD_PREPARE_BUFFER: self._on_prepare_buffer,
            zp.CMD_READ_BUFFER: self._on_read_buffer,
            zp.CMD_FREE_DATA: self._on_free_data,
            zp.CMD_USER_WRQ: self._on_user_write,
            zp.CMD_DELETE_USER: self._on_user_delete,
            zp.CMD_CLEAR_ATTLOG: self._on_clear_attlog,
            zp.CMD_PREPARE_DATA: self._on_prepare_data,
            zp.CMD_DATA: self._on_data,
            zp.CMD_SAVE_USERTEMPS: self._on_save_usertemps,
            zp.CMD_DELETE_USERTEMP: self._on_delete_usertemp,
            zp.CMD_REFRESHDATA: ok,
            zp.CMD_REG_EVENT: ok,
            zp.CMD_TESTVOICE: ok,
            zp.CMD_RESTART: self._on_goodbye,
            zp.CMD_POWEROFF: self._on_goodbye,
        }

    def _on_connect(self, session: _Session, pkt: zp.Packet) -> None:
        session.session_id = random.randint(1, max(1, zp.max_session_id(self.password)))
        session.authenticated = self.password == 0
        self._reply(session, pkt, zp.CMD_ACK_OK if session.authenticated else zp.CMD_ACK_UNAUTH)

    def _on_auth(self, session: _Session, pkt: zp.Packet) -> None:
        if session.session_id and zp.check_commkey(self.password, session.session_id, pkt.payload):
            session.authenticated = True
            self._reply(session, pkt, zp.CMD_ACK_OK)
        else:
            log.info("session from %s: wrong comm password", session.peer)
            self._reply(session, pkt, zp.CMD_ACK_UNAUTH)
            session.closing = True

    def _on_ok(self, session: _Session, pkt: zp.Packet) -> None:
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_goodbye(self, session: _Session, pkt: zp.Packet) -> None:
        self._reply(session, pkt, zp.CMD_ACK_OK)
        session.closing = True

    def _on_enable(self, session: _Session, pkt: zp.Packet) -> None:
        self.enabled = True
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_disable(self, session: _Session, pkt: zp.Packet) -> None:
        self.enabled = False
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_version(self, session: _Session, pkt: zp.Packet) -> None:
        self._reply(session, pkt, zp.CMD_ACK_OK, self.firmware.encode() + b"\x00")

    def _on_option_read(self, session: _Session, pkt: zp.Packet) -> None:
        name = pkt.payload.split(b"\x00", 1)[0].decode("ascii", errors="replace")
        with self._lock:
            value = self.options.get(name)
        if value is None:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
        else:
            self._reply(session, pkt, zp.CMD_ACK_OK, f"{name}={value}\x00".encode())

    def _on_option_write(self, session: _Session, pkt: zp.Packet) -> None:
        text = pkt.payload.split(b"\x00", 1)[0].decode("utf-8", errors="replace")
        name, sep, value = text.partition("=")
        if not sep or not name:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        with self._lock:
            self.options[name] = value
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_free_sizes(self, session: _Session, pkt: zp.Packet) -> None:
        with self._lock:
            users, records = len(self._users), len(self._records)
            fingers = len(self.templates)
        payload = zp.free_sizes(users, records, max(3000, users), max(100_000, records),
                                fingers)
        self._reply(session, pkt, zp.CMD_ACK_OK, payload)

    def _on_pin_width(self, session: _Session, pkt: zp.Packet) -> None:
        self._reply(session, pkt, zp.CMD_ACK_OK, bytes([self.pin_width]))

    def _on_get_time(self, session: _Session, pkt: zp.Packet) -> None:
        self._reply(session, pkt, zp.CMD_ACK_OK, struct.pack("<I", zp.encode_time(self.now())))

    def _on_set_time(self, session: _Session, pkt: zp.Packet) -> None:
        if len(pkt.payload) < 4:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        target = zp.decode_time(struct.unpack_from("<I", pkt.payload)[0])
        self._clock_offset = target - self._clock().replace(microsecond=0)
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _table(self, command: int, fct: int) -> bytes:
        with self._lock:
            if command == zp.CMD_ATTLOG_RRQ:
                uid_of = {u.pin: u.uid for u in self._users.values()}
                rows = [zp.pack_record(r, uid_of.get(r.pin, 0)) for r in self._records]
                return zp.table_buffer(rows)
            if command == zp.CMD_USERTEMP_RRQ and fct == zp.FCT_USER:
                users = sorted(self._users.values(), key=lambda u: u.uid)
                return zp.table_buffer([zp.pack_user(u) for u in users])
            if command == zp.CMD_DB_RRQ and fct == zp.FCT_FINGERTMP:
                uid_of = {u.pin: u.uid for u in self._users.values()}
                return zp.table_buffer([
                    zp.pack_template(uid_of[pin], finger, self.template_flags.get((pin, finger), 1),
                                     data)
                    for (pin, finger), data in sorted(self.templates.items(),
                                                      key=lambda kv: (uid_of[kv[0][0]], kv[0][1]))
                    if pin in uid_of])
        return b""  # other tables: this terminal has none

    def _on_prepare_buffer(self, session: _Session, pkt: zp.Packet) -> None:
        if len(pkt.payload) < 11:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        _flag, command, fct, _ext = struct.unpack_from("<bhii", pkt.payload)
        with self._lock:
            self.tables_read.append((command, fct))
        table = self._table(command, fct)
        if len(table) <= self.inline_max_bytes:
            session.buffer = None
            self._reply(session, pkt, zp.CMD_DATA, table)
            return
        session.buffer = table
        self._reply(session, pkt, zp.CMD_ACK_OK, struct.pack("<BI", 0, len(table)))

    def _on_read_buffer(self, session: _Session, pkt: zp.Packet) -> None:
        buffer = session.buffer
        if buffer is None or len(pkt.payload) < 8:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        start, size = struct.unpack_from("<ii", pkt.payload)
        if start < 0 or size <= 0 or start + size > len(buffer):
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        # Firmware answers a slice with three frames: its size, the bytes, then OK.
        self._reply(session, pkt, zp.CMD_PREPARE_DATA, struct.pack("<II", size, 0))
        self._reply(session, pkt, zp.CMD_DATA, buffer[start : start + size])
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_free_data(self, session: _Session, pkt: zp.Packet) -> None:
        session.buffer = None
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_user_write(self, session: _Session, pkt: zp.Packet) -> None:
        try:
            user = zp.unpack_user_write(pkt.payload)
            with self._lock:
                for other in list(self._users.values()):
                    if other.pin == user.pin and other.uid != user.uid:
                        del self._users[other.uid]
                self._put_user(user)
        except ValueError as exc:
            log.info("user write refused: %s", exc)
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_user_delete(self, session: _Session, pkt: zp.Packet) -> None:
        if len(pkt.payload) < 2:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        uid = struct.unpack_from("<H", pkt.payload)[0]
        with self._lock:
            user = self._users.pop(uid, None)
            if user is not None:  # the user's fingerprints go with the user
                for key in [k for k in self.templates if k[0] == user.pin]:
                    del self.templates[key]
                    self.template_flags.pop(key, None)
        self._reply(session, pkt, zp.CMD_ACK_OK)

    # -- templates written by pyzk (save_user_template, delete_user_template)
    def _on_prepare_data(self, session: _Session, pkt: zp.Packet) -> None:
        session.upload = bytearray()
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_data(self, session: _Session, pkt: zp.Packet) -> None:
        if session.upload is None:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        session.upload += pkt.payload
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_save_usertemps(self, session: _Session, pkt: zp.Packet) -> None:
        """``III`` sizes (user, table, templates), the user, 8-byte table entries
        ``<bHbI`` (2, uid, 0x10 + finger, offset), then ``<H`` size + template each."""
        data, session.upload = bytes(session.upload or b""), None
        try:
            user_size, table_size, _fp_size = struct.unpack_from("<III", data)
            table = data[12 + user_size:12 + user_size + table_size]
            templates = data[12 + user_size + table_size:]
            found: dict[tuple[str, int], bytes] = {}
            with self._lock:
                for i in range(0, len(table) - 7, 8):
                    _kind, uid, fnum, start = struct.unpack_from("<bHbI", table, i)
                    size = struct.unpack_from("<H", templates, start)[0]
                    user = self._users.get(uid)
                    if user is None or size == 0:
                        raise ValueError(f"no user {uid} or an empty template")
                    found[user.pin, fnum - 0x10] = templates[start + 2:start + 2 + size]
                self.templates.update(found)
                for key in found:  # pyzk sends no valid flag: the firmware keeps 1
                    self.template_flags[key] = 1
        except (struct.error, ValueError) as exc:
            log.info("template write refused: %s", exc)
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        self._reply(session, pkt, zp.CMD_ACK_OK)

    def _on_delete_usertemp(self, session: _Session, pkt: zp.Packet) -> None:
        if len(pkt.payload) < 3:
            self._reply(session, pkt, zp.CMD_ACK_ERROR)
            return
        uid, finger = struct.unpack_from("<hb", pkt.payload)
        with self._lock:
            user = self._users.get(uid)
            removed = user is not None and self.templates.pop((user.pin, finger), None)
            if user is not None:
                self.template_flags.pop((user.pin, finger), None)
        self._reply(session, pkt, zp.CMD_ACK_OK if removed else zp.CMD_ACK_ERROR)

    def _on_clear_attlog(self, session: _Session, pkt: zp.Packet) -> None:
        with self._lock:
            self._records.clear()
        self._reply(session, pkt, zp.CMD_ACK_OK)


def _shutdown(sock: socket.socket) -> None:
    """Send a FIN and wake whoever is blocked reading the socket."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
