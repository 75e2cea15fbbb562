"""An ADMS / iClock push terminal: the firmware side of shared/docs/adms-protocol.md.

:class:`PushTerminal` holds users and an attendance log in "flash" and delivers them to a
server the way 2.x firmware does (section numbers refer to adms-protocol.md):

* handshake ``GET /iclock/cdata?SN=..&options=all[&pushver=..]`` and the option block
  (stamps, ``TimeZone``, ``TransFlag``, ``Delay``, ``ErrorDelay``, ``Realtime``) (§3, §4.1);
* ATTLOG uploads in batches that grow by 10 after each success up to 150 and shrink by 30
  after a failure; a batch is tried 3 times with 0.3 / 0.6 / 0.9 s pauses, then the terminal
  goes offline, waits ``ErrorDelay`` and handshakes again; the progress marker moves only on
  success, so the same records come again, possibly cut differently (§6.3);
* success is exactly status 200 with ``OK`` in the body (§0.1); a body starting with
  ``UNKNOWN DEVICE`` drops the session (§4.6);
* after a re-handshake the marker follows the server's stamp: legacy firmware resumes after
  the stamp (``Stamp``/``OpStamp`` keys, OldEncodeTime, §6.1-6.2), modern firmware only
  honours ``0`` (= upload everything again);
* ``getrequest`` polling, executing ``CHECK``, ``INFO``, ``LOG``, ``DATA QUERY ATTLOG``,
  ``DATA UPDATE|DELETE USERINFO``; results go to ``devicecmd`` until acknowledged (§4.6-4.8);
* firmware profiles (:data:`PROFILES`): ``modern`` (2.4.x, ``pushver``, 10-field lines),
  ``legacy`` (no ``pushver``, 4-field lines, encoded stamps), ``essl`` (``.aspx`` paths,
  empty workcode and trailing TAB).

Every pause goes through ``sleep`` (injectable) multiplied by ``time_scale``, so tests run in
milliseconds. The :class:`Ledger` records what was generated, sent and acknowledged.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

from .biometrics import BioMemory, StoredTemplate, execute_biometric, fake_template, upload_row
from .model import TerminalRecord, TerminalUser

Key = tuple[str, str]  # (pin, "YYYY-MM-DD HH:MM:SS"): what the relay de-duplicates on


def record_key(record: TerminalRecord) -> Key:
    return (record.pin, record.local_time_text)


def encode_time(moment: datetime) -> int:
    """Legacy firmware's OldEncodeTime (§6.1): not a Unix time."""
    return (((((moment.year - 2000) * 12 + (moment.month - 1)) * 31 + (moment.day - 1)) * 24
             + moment.hour) * 3600 + moment.minute * 60 + moment.second)


@dataclass(frozen=True, slots=True)
class Profile:
    """What differs between firmware generations on the wire."""

    name: str
    pushver: str | None  # None: legacy firmware sends no pushver (§1)
    aspx: bool = False  # eSSL: /iclock/cdata.aspx ... (§2.1)
    line_format: str = "modern"  # modern (10 fields) | legacy (4 fields) | essl (7 + TAB)
    encoded_stamps: bool = False  # URL Stamp = OldEncodeTime of the batch's last record
    stamp_keys: tuple[str, str] = ("ATTLOGStamp", "OPERLOGStamp")
    firmware: str = "Ver 8.0.4.7-20230615"


PROFILES: dict[str, Profile] = {
    "modern": Profile("modern", pushver="2.4.1"),
    "legacy": Profile("legacy", pushver=None, line_format="legacy", encoded_stamps=True,
                      stamp_keys=("Stamp", "OpStamp"), firmware="Ver 6.60 Apr 28 2012"),
    "essl": Profile("essl", pushver="2.2.14", aspx=True, line_format="essl",
                    firmware="Ver 6.60 Sep 27 2019"),
}


def attlog_line(record: TerminalRecord, line_format: str) -> str:
    """One ATTLOG record as the profile prints it (§5.1 variants)."""
    base = f"{record.pin}\t{record.local_time_text}\t{record.status}\t{record.verify}"
    if line_format == "legacy":
        return base
    if line_format == "essl":  # empty workcode and a trailing TAB (CAP-X100C)
        return base + "\t\t0\t0\t"
    return base + f"\t{record.workcode}\t0\t0\t0\t0\t0"


MALFORMED_LINES = (
    "\t2025-03-03 08:00:00\t0\t1",  # empty PIN
    "0001\t2025-02-30 08:00:00\t0\t1",  # no such date
    "garbage",  # one token, no TAB
    "0002\tyesterday morning\t0\t1",  # not a time
)


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """Batch sizes of §6.3: start, +``grow`` after a success up to ``maximum``, -``shrink``
    after a failure down to ``minimum``; ``pauses`` between the attempts of one batch."""

    initial: int = 30
    grow: int = 10
    shrink: int = 30
    minimum: int = 30
    maximum: int = 150
    pauses: tuple[float, ...] = (0.3, 0.6, 0.9)

    def __post_init__(self) -> None:
        if not 1 <= self.minimum <= self.initial <= self.maximum:
            raise ValueError("batch sizes need 1 <= minimum <= initial <= maximum")
        if not self.pauses:
            raise ValueError("at least one attempt per batch")


@dataclass(slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        """Firmware's success test (§0.1)."""
        return self.status == 200 and b"OK" in self.body

    @property
    def refused(self) -> bool:
        return self.body.startswith(b"UNKNOWN DEVICE")


@dataclass(slots=True)
class Attempt:
    """One POST or GET as the terminal saw it."""

    kind: str  # handshake | ATTLOG | OPERLOG | getrequest | devicecmd
    size: int  # records in the batch (0 for others)
    ok: bool
    status: int | None  # None: no HTTP answer (refused, cut, timeout)
    seconds: float
    target: str = ""


@dataclass
class Ledger:
    """What the terminal generated, sent and got acknowledged: compare it with the store."""

    generated: list[Key] = field(default_factory=list)
    sent: Counter[Key] = field(default_factory=Counter)  # per attempt, acknowledged or not
    acknowledged: Counter[Key] = field(default_factory=Counter)  # per acknowledged batch
    malformed_sent: list[str] = field(default_factory=list)
    dropped: list[Key] = field(default_factory=list)  # lost on the way (fault), never sent
    attempts: list[Attempt] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)  # requested, before time_scale
    handshakes: int = 0
    commands: list[tuple[str, str, int]] = field(default_factory=list)  # (id, command, Return)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def batch_sizes(self, kind: str = "ATTLOG") -> list[tuple[int, bool]]:
        return [(a.size, a.ok) for a in self.attempts if a.kind == kind]

    def unacknowledged(self) -> list[Key]:
        return [k for k in self.generated if not self.acknowledged[k]]

    def latencies(self, kind: str | None = None) -> list[float]:
        return [a.seconds for a in self.attempts if a.ok and (kind is None or a.kind == kind)]


@dataclass(slots=True)
class Faults:
    """Switches for what goes wrong (issue 17); all off by default.

    * ``drop``: keys of records lost on the way: the terminal believes them delivered, the
      server never sees them (only a ``DATA QUERY ATTLOG`` answer sends them);
      ``drop_rate``: the same for a random share of live uploads;
    * ``ignore_query``: ``DATA QUERY ATTLOG`` is not executed and never acknowledged;
    * ``answer_twice``: the range is uploaded twice and the result posted twice;
    * ``other_days``: the answer also carries the records of the day before and after;
    * ``refuse_query``: the query is answered ``Return=-1002`` (unsupported).

    A cleared log, a drifting clock and a full memory are methods and settings of the
    terminal: :meth:`PushTerminal.clear_log`, ``clock_offset`` with ``clock_sync=False``,
    ``capacity``.
    """

    drop: set[Key] = field(default_factory=set)
    drop_rate: float = 0.0
    ignore_query: bool = False
    answer_twice: bool = False
    other_days: bool = False
    refuse_query: bool = False


class PushTerminal:
    """A terminal with ``users`` and ``records`` (in storage order) pushing to ``url``.

    Typical use::

        terminal = PushTerminal("http://127.0.0.1:8080", "SIM0001", users, records,
                                profile="legacy", time_scale=0)
        terminal.sync()          # handshake, upload the backlog, one command poll
        terminal.ledger.unacknowledged()   # -> []
    """

    def __init__(
        self,
        url: str,
        serial: str,
        users: Iterable[TerminalUser] = (),
        records: Iterable[TerminalRecord] = (),
        *,
        profile: str | Profile = "modern",
        batch: BatchPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        time_scale: float = 1.0,
        timeout: float = 10.0,
        clock_offset: timedelta = timedelta(0),
        clock_sync: bool = True,
        tz_minutes: int = 0,
        malformed_rate: float = 0.0,
        seed: int = 1,
        pushcommkey: str | None = None,
        max_offline_cycles: int | None = None,
        expect_continue_over: int | None = None,
        ledger: Ledger | None = None,
        faults: Faults | None = None,
        capacity: dict[str, int] | None = None,
        bio_versions: dict[str, int] | None = None,
        biodata_fingerprints: bool = False,
    ) -> None:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"need an http://host[:port] URL, not {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.base = parts.path.rstrip("/") + "/iclock/"
        self.serial = serial
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.batch = batch or BatchPolicy()
        self.batch_size = self.batch.initial
        self._sleep = sleep
        self.time_scale = time_scale
        self.timeout = timeout
        self.clock_offset = clock_offset  # device clock minus (server Date + TimeZone)
        self.clock_sync = clock_sync
        self.tz_minutes = tz_minutes
        self.malformed_rate = malformed_rate
        self.rng = random.Random(seed)
        self.pushcommkey = pushcommkey
        self.max_offline_cycles = max_offline_cycles
        self.expect_continue_over = expect_continue_over
        self.ledger = ledger or Ledger()
        self.users: dict[str, TerminalUser] = {u.pin: u for u in users}
        self.records: list[TerminalRecord] = []  # flash, in storage order
        self.marker = 0  # index of the first record not yet delivered
        self.users_marker = 0  # users delivered as OPERLOG USER rows
        self.options: dict[str, str] = {}
        self.connected = False
        self.info_sent = False
        self.pending_results: list[str] = []
        self.error_delay = 30.0
        self.delay = 10.0
        self.realtime = True
        self._keys: set[Key] = set()
        self.faults = faults or Faults()
        # the model's capacity, reported by the INFO command (~Max...Count)
        self.capacity = {"users": 3000, "fingerprints": 3000, "faces": 0, "attlogs": 100_000,
                         **(capacity or {})}
        self.fingerprints = 0
        self.oplog_pending: list[str] = []  # OPLOG rows not yet uploaded (§4.3)
        # biometric memory (issue 19): templates per PIN, algorithm versions, slots
        self.bio = BioMemory(capacity={k: v for k, v in self.capacity.items()
                                       if k in {"fingerprints", "faces", "palms", "veins"}})
        if bio_versions:
            self.bio.versions.update(bio_versions)
        self.biodata_fingerprints = biodata_fingerprints  # BioDataFun: FP as BIODATA rows
        self.bio_pending: list[tuple[str, str]] = []  # (table, row) not yet uploaded
        self.photo_pending: list[bytes] = []  # ATTPHOTO bodies not yet uploaded (§4.4)
        self.add_records(records)

    # ------------------------------------------------------------------ flash
    def add_records(self, records: Iterable[TerminalRecord]) -> None:
        with self.ledger.lock:
            for record in records:
                self.records.append(record)
                self.ledger.generated.append(record_key(record))
                self._keys.add(record_key(record))

    def device_now(self) -> datetime:
        """The terminal's wall clock: UTC + TimeZone + any offset (a clock set back)."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        return now + timedelta(minutes=self.tz_minutes) + self.clock_offset

    def punch(self, pin: str, status: int = 0, verify: int = 1,
              at: datetime | None = None, photo: bytes | None = None) -> TerminalRecord:
        """A punch now (device clock); with ``Realtime=1`` it is uploaded at once (§3).
        ``photo``: the JPEG the camera took, uploaded as ATTPHOTO with the punch (§4.4)."""
        moment = at or self.device_now()
        while (pin, moment.strftime("%Y-%m-%d %H:%M:%S")) in self._keys:
            moment += timedelta(seconds=1)  # one record per user and second, as stored
        record = TerminalRecord(pin=pin, local_time=moment, status=status, verify=verify)
        if photo is not None:
            self.photo_pending.append(attphoto_body(self.serial, moment, pin, photo))
        self.add_records([record])
        if self.realtime and self.connected:
            self.upload()
        return record

    # ------------------------------------------------------------------ pauses
    def pause(self, seconds: float) -> None:
        self.ledger.pauses.append(seconds)
        if self.time_scale > 0 and seconds > 0:
            self._sleep(seconds * self.time_scale)

    # ------------------------------------------------------------------ HTTP
    def _target(self, endpoint: str, query: str) -> str:
        suffix = ".aspx" if self.profile.aspx else ""
        return f"{self.base}{endpoint}{suffix}?SN={quote(self.serial)}{query}"

    def request(self, method: str, target: str, body: bytes | None = None) -> Reply | None:
        """One exchange as firmware writes it (§2.1); None when no HTTP answer came."""
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "User-Agent: iClock Proxy/1.09", "Connection: close", "Accept: */*"]
        expect = False
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
            if self.expect_continue_over is not None and len(body) > self.expect_continue_over:
                lines.append("Expect: 100-continue")
                expect = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                if expect:
                    sock.sendall(head)
                    data = _read_head(sock)
                    if data.startswith(b"HTTP/1.1 100"):
                        sock.sendall(body or b"")
                        return _read_reply(sock, data.split(b"\r\n\r\n", 1)[1])
                    return _read_reply(sock, data)
                sock.sendall(head + (body or b""))
                return _read_reply(sock, b"")
        except (OSError, ValueError):
            return None

    def _exchange(self, kind: str, method: str, target: str, body: bytes | None = None,
                  size: int = 0) -> Reply | None:
        """One request, recorded in the ledger. Success: 200 + OK for uploads and results;
        for the handshake and command polls a 200 that is not a refusal (their bodies are
        an option block or commands)."""
        started = time.perf_counter()
        reply = self.request(method, target, body)
        if kind in {"handshake", "getrequest"}:
            ok = reply is not None and reply.status == 200 and not reply.refused
        else:
            ok = reply is not None and reply.ok
        attempt = Attempt(kind, size, ok,
                          reply.status if reply else None, time.perf_counter() - started,
                          target)
        with self.ledger.lock:
            self.ledger.attempts.append(attempt)
        if reply is not None and reply.refused:
            self.connected = False  # §4.6: drop the session, handshake again
        return reply

    # ------------------------------------------------------------------ §4.1 handshake
    def handshake(self) -> bool:
        query = "&options=all"
        if self.profile.pushver:
            query += f"&pushver={self.profile.pushver}"
        else:
            query += "&language=69"
        if self.pushcommkey:
            query += f"&pushcommkey={quote(self.pushcommkey)}"
        reply = self._exchange("handshake", "GET", self._target("cdata", query))
        self.ledger.handshakes += 1
        if reply is None or reply.status != 200 or reply.refused:
            self.connected = False
            return False
        options = parse_options(reply.body)
        if options is None:
            self.connected = False
            return False
        self.options = options
        self._apply_options(options, reply.headers.get("date"))
        self.connected = True
        self.info_sent = False
        return True

    def _apply_options(self, options: dict[str, str], date_header: str | None) -> None:
        self.delay = float(_atoi(options.get("Delay", "10")) or 10)
        self.error_delay = float(_atoi(options.get("ErrorDelay", "30")) or 30)
        self.realtime = options.get("Realtime", "1").strip() == "1"
        if "TimeZone" in options:
            tz = _atoi(options["TimeZone"])
            minutes = tz * 60 if abs(tz) < 25 else tz  # FW-PUSH iclock_opions_update
            if self.clock_sync and date_header:
                self._sync_clock(date_header, minutes)
            self.tz_minutes = minutes
        att_key = self.profile.stamp_keys[0]
        stamp = options.get(att_key)
        if stamp is None and att_key == "Stamp":
            stamp = options.get("ATTLOGStamp")
        self._apply_stamp(stamp)

    def _sync_clock(self, date_header: str, tz_minutes: int) -> None:
        """§7: clock := Date(GMT) + TimeZone when it differs by more than 10 s."""
        try:
            server = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return
        server_local = server.astimezone(UTC).replace(tzinfo=None) + timedelta(minutes=tz_minutes)
        if abs((self.device_now() - server_local).total_seconds()) > 10:
            self.clock_offset = timedelta(0)

    def _apply_stamp(self, stamp: str | None) -> None:
        """Where the next pass starts (§6.2); modern firmware honours only 0."""
        value = _atoi(stamp or "0")
        if not self.profile.encoded_stamps:
            if stamp is not None and stamp.strip() == "0":
                self.marker = 0
            return
        if value <= 0 or value > encode_time(self.device_now()):
            self.marker = 0  # everything is uploaded again
            return
        self.marker = next((i for i, r in enumerate(self.records)
                            if encode_time(r.local_time) > value), len(self.records))

    def wants(self, table: str) -> bool:
        """TransFlag: names (``TransData AttLog\\tOpLog``) or a bit string (§4.1)."""
        flag = self.options.get("TransFlag")
        if flag is None:
            return True
        if set(flag.strip()) <= {"0", "1"} and flag.strip():
            bits = flag.strip()
            position = {"AttLog": 0, "OpLog": 1, "AttPhoto": 2, "EnrollFP": 3, "EnrollUser": 4,
                        "FACE": 8}.get(table, 0)
            return len(bits) > position and bits[position] == "1"
        return table in flag

    # ------------------------------------------------------------------ §4.2 uploads
    def _attlog_target(self, batch: list[TerminalRecord]) -> str:
        if self.profile.encoded_stamps and batch:
            stamp = str(encode_time(batch[-1].local_time))
        else:
            stamp = "9999"
        return self._target("cdata", f"&table=ATTLOG&Stamp={stamp}")

    def _body(self, batch: list[TerminalRecord]) -> tuple[bytes, list[str]]:
        lines = [attlog_line(r, self.profile.line_format) for r in batch]
        bad: list[str] = []
        if self.malformed_rate and self.rng.random() < self.malformed_rate:
            bad.append(self.rng.choice(MALFORMED_LINES))
            lines.insert(self.rng.randrange(len(lines) + 1), bad[0])
        return ("\n".join(lines) + "\n").encode("utf-8"), bad

    def _lost(self, batch: list[TerminalRecord]) -> list[TerminalRecord]:
        """Fault: records lost on the way (live uploads only)."""
        kept = []
        for record in batch:
            key = record_key(record)
            if key in self.faults.drop or (self.faults.drop_rate
                                           and self.rng.random() < self.faults.drop_rate):
                self.faults.drop.add(key)
                with self.ledger.lock:
                    self.ledger.dropped.append(key)
            else:
                kept.append(record)
        return kept

    def post_batch(self, batch: list[TerminalRecord], *, answer: bool = False) -> bool:
        """One batch with up to len(pauses) attempts (§6.3); True when acknowledged.
        ``answer``: part of a ``DATA QUERY ATTLOG`` answer (nothing is lost on the way)."""
        if not answer and (self.faults.drop or self.faults.drop_rate):
            batch = self._lost(batch)
            if not batch:
                return True  # the terminal believes it delivered them
        body, bad = self._body(batch)
        target = self._attlog_target(batch)
        keys = [record_key(r) for r in batch]
        for pause in self.batch.pauses:
            with self.ledger.lock:
                self.ledger.sent.update(keys)
                self.ledger.malformed_sent.extend(bad)
            reply = self._exchange("ATTLOG", "POST", target, body, len(batch))
            if reply is not None and reply.ok:
                with self.ledger.lock:
                    self.ledger.acknowledged.update(keys)
                return True
            if reply is not None and reply.refused:
                return False
            self.pause(pause)
        return False

    def upload(self, deadline: float | None = None) -> bool:
        """Deliver the records from the marker on; False when the session was lost."""
        while self.marker < len(self.records) and self.connected:
            if deadline is not None and time.monotonic() >= deadline:
                return True
            if not self.wants("AttLog"):
                return True
            batch = self.records[self.marker:self.marker + self.batch_size]
            if self.post_batch(batch):
                self.marker += len(batch)
                self.batch_size = min(self.batch.maximum, self.batch_size + self.batch.grow)
            else:
                self.batch_size = max(self.batch.minimum, self.batch_size - self.batch.shrink)
                self.connected = False
                return False
        return self.connected

    def upload_users(self) -> bool:
        """Enrolled users as OPERLOG ``USER`` rows (§4.3), once each."""
        pending = list(self.users.values())[self.users_marker:]
        if not pending or not self.connected or not self.wants("EnrollUser"):
            return self.connected
        body = "".join(user_row(u) + "\n" for u in pending).encode("utf-8")
        stamp_key = "OpStamp" if self.profile.encoded_stamps else "Stamp"
        target = self._target("cdata", f"&table=OPERLOG&{stamp_key}=9999")
        for pause in self.batch.pauses:
            reply = self._exchange("OPERLOG", "POST", target, body, len(pending))
            if reply is not None and reply.ok:
                self.users_marker += len(pending)
                return True
            self.pause(pause)
        self.connected = False
        return False

    def upload_oplog(self) -> bool:
        """OPLOG rows (§4.3, §5.4) waiting, as one OPERLOG upload."""
        if not self.oplog_pending or not self.connected or not self.wants("OpLog"):
            return self.connected
        rows = list(self.oplog_pending)
        body = ("\n".join(rows) + "\n").encode("utf-8")
        stamp_key = "OpStamp" if self.profile.encoded_stamps else "Stamp"
        reply = self._exchange("OPERLOG", "POST",
                               self._target("cdata", f"&table=OPERLOG&{stamp_key}=9999"), body,
                               len(rows))
        if reply is not None and reply.ok:
            del self.oplog_pending[:len(rows)]
            return True
        self.connected = False
        return False

    def operation(self, op_type: int, *objects: str, operator: str = "0") -> None:
        """An operation at the terminal's keypad, logged as an OPLOG row (§5.4)."""
        fields = [*objects, "0", "0", "0", "0"][:4]
        self.oplog_pending.append(
            f"OPLOG {op_type}\t{operator}\t{self.device_now():%Y-%m-%d %H:%M:%S}\t"
            + "\t".join(fields))

    def enrol(self, pin: str, kind: str = "fingerprint", index: int = 0, *,
              name: str = "", size: int = 512, data: bytes | None = None) -> StoredTemplate:
        """A person enrols a finger (or face, palm...) at this terminal: the user is created
        if needed, the template stored and queued for upload (FP row, or BIODATA)."""
        if pin not in self.users:
            uid = max((u.uid for u in self.users.values()), default=0) + 1
            self.users[pin] = TerminalUser(uid=uid, pin=pin, name=name or f"User {pin}")
        template = StoredTemplate(pin, kind, index,
                                  data or fake_template(pin, kind, index, size, self.serial),
                                  self.bio.versions[kind])
        code = self.bio.put(template)
        if code:
            raise RuntimeError(f"enrolment refused by the terminal: Return={code}")
        self.bio_pending.append(upload_row(template, self.biodata_fingerprints))
        self.info_sent = False
        return template

    def upload_bio(self) -> bool:
        """Templates enrolled here (§4.3 FP/FACE rows, §4.5 BIODATA) and punch photos (§4.4),
        when the server's TransFlag asks for them."""
        stamp_key = "OpStamp" if self.profile.encoded_stamps else "Stamp"
        for table, flag in (("OPERLOG", "EnrollFP"), ("BIODATA", "FACE")):
            rows = [row for t, row in self.bio_pending if t == table]
            if not rows or not self.connected or not self.wants(flag):
                continue
            body = ("\n".join(rows) + "\n").encode("utf-8")
            reply = self._exchange(table, "POST",
                                   self._target("cdata", f"&table={table}&{stamp_key}=9999"),
                                   body, len(rows))
            if reply is None or not reply.ok:
                self.connected = False
                return False
            self.bio_pending = [(t, r) for t, r in self.bio_pending if t != table]
        while self.photo_pending and self.connected and self.wants("AttPhoto"):
            reply = self._exchange("ATTPHOTO", "POST",
                                   self._target("cdata", "&table=ATTPHOTO&Stamp=9999"),
                                   self.photo_pending[0], 1)
            if reply is None or not reply.ok:
                self.connected = False
                return False
            self.photo_pending.pop(0)
        return self.connected

    def clear_log(self) -> int:
        """Fault: someone deletes the attendance records at the terminal (OPLOG 23); the
        count the terminal reports drops. Returns how many were deleted."""
        with self.ledger.lock:
            deleted = len(self.records)
            self.records.clear()
            self._keys.clear()
        self.marker = 0
        self.info_sent = False  # firmware reports INFO again after data changes (§4.6)
        self.operation(23)
        return deleted

    # ------------------------------------------------------------------ connection loop
    def connect(self, deadline: float | None = None) -> bool:
        """Handshake, retrying every ErrorDelay (bounded by ``max_offline_cycles``)."""
        cycles = 0
        while not self.handshake():
            cycles += 1
            if self.max_offline_cycles is not None and cycles >= self.max_offline_cycles:
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            self.pause(self.error_delay)
        return True

    def sync(self, deadline: float | None = None) -> bool:
        """Bring the server up to date: (re)connect, users, backlog, one command poll.

        After a failure the terminal waits ErrorDelay and starts again from the handshake,
        as firmware does; ``max_offline_cycles`` bounds how often (None: until it works).
        True when everything was acknowledged and the last poll went through.
        """
        failures = 0
        while deadline is None or time.monotonic() < deadline:
            if not self.connected and not self.connect(deadline):
                return False
            if self.upload_users() and self.upload_oplog() and self.upload_bio() \
                    and self.upload(deadline) and self.poll():
                if self.marker >= len(self.records):
                    return True
                continue  # more work: new punches, or a command left the marker behind
            failures += 1
            if self.max_offline_cycles is not None and failures >= self.max_offline_cycles:
                return False
            self.pause(self.error_delay)
        return False

    def reboot(self) -> None:
        """Power cycle: the session and options are gone, flash (records, marker) is kept."""
        self.connected = False
        self.options = {}
        self.batch_size = self.batch.initial

    # ------------------------------------------------------------------ §4.6 commands
    def info_query(self) -> str:
        faces = self.bio.count("face")
        fields = [self.profile.firmware, str(len(self.users)),
                  str(self.fingerprints + self.bio.count("fingerprint")), str(len(self.records)),
                  "192.168.1.201", str(self.bio.versions["fingerprint"]),
                  str(self.bio.versions["face"] if self.capacity["faces"] else 0), "0",
                  str(faces), "1"]
        return quote(",".join(fields), safe=",")

    def poll(self) -> bool:
        """One ``getrequest``: execute the commands, post results (§4.6-4.8)."""
        if not self.connected:
            return False
        if not self.post_results():
            return False
        query = "" if self.info_sent else f"&INFO={self.info_query()}"
        reply = self._exchange("getrequest", "GET", self._target("getrequest", query))
        if reply is None or reply.status != 200:
            self.connected = False
            return False
        if reply.refused:
            return False
        self.info_sent = True
        recheck = False
        for line in reply.body.decode("utf-8", "replace").splitlines():
            if not line.startswith("C:"):
                continue  # firmware only executes lines starting with C
            _, cmd_id, command = (line.split(":", 2) + ["", ""])[:3]
            if self.faults.ignore_query and command.startswith("DATA QUERY ATTLOG"):
                continue  # fault: never executed, never acknowledged
            code, result, action = self.execute(cmd_id[:16], command)
            with self.ledger.lock:
                self.ledger.commands.append((cmd_id, command, code))
            self.pending_results.append(result)
            if self.faults.answer_twice and command.startswith("DATA QUERY ATTLOG"):
                self.pending_results.append(result)
            recheck = recheck or action == "check"
        ok = self.post_results()
        if recheck:
            self.connected = False  # CHECK: handshake again, stamps re-applied (§3)
            return self.connect()
        return ok and self.connected

    def execute(self, cmd_id: str, command: str) -> tuple[int, str, str | None]:
        """(Return code, result text, follow-up) for one command."""
        word = command.split(" ", 1)[0]
        if command == "CHECK":
            return 0, f"ID={cmd_id}&Return=0&CMD=CHECK", "check"
        if command == "INFO":
            lines = [f"ID={cmd_id}&Return=0&CMD=INFO", f"~DeviceName=SIM {self.profile.name}",
                     "MAC=00:17:61:12:34:56", f"TransactionCount={len(self.records)}",
                     f"UserCount={len(self.users)}", f"FWVersion={self.profile.firmware}",
                     f"PushVersion={self.profile.pushver or ''}", "IPAddress=192.168.1.201",
                     f"FPCount={self.fingerprints + self.bio.count('fingerprint')}",
                     f"~MaxUserCount={self.capacity['users']}",
                     f"~MaxFingerCount={self.capacity['fingerprints']}",
                     f"~MaxAttLogCount={self.capacity['attlogs']}",
                     f"~MaxFaceCount={self.capacity['faces']}",
                     f"FPVersion={self.bio.versions['fingerprint']}",
                     f"FaceVersion={self.bio.versions['face']}",
                     f"PvVersion={self.bio.versions['palm']}",
                     f"FvVersion={self.bio.versions['finger_vein']}",
                     f"BioDataFun={1 if self.biodata_fingerprints else 0}"]
            return 0, "\n".join(lines), None
        if command == "LOG":
            return 0, f"ID={cmd_id}&Return=0&CMD=LOG", None
        if command.startswith("DATA QUERY ATTLOG"):
            return self._query_attlog(cmd_id, command[len("DATA QUERY ATTLOG"):].strip())
        if command.startswith("DATA UPDATE USERINFO "):
            values = _kv(command[len("DATA UPDATE USERINFO "):])
            pin = values.get("PIN", "")
            if not pin:
                return -1, f"ID={cmd_id}&Return=-1&CMD=DATA", None
            old = self.users.get(pin)
            uid = old.uid if old else max((u.uid for u in self.users.values()), default=0) + 1
            self.users[pin] = TerminalUser(uid=uid, pin=pin, name=values.get("Name", ""),
                                           privilege=_atoi(values.get("Pri", "0")))
            return 0, f"ID={cmd_id}&Return=0&CMD=DATA", None
        if command.startswith("DATA DELETE USERINFO "):
            pin = _kv(command[len("DATA DELETE USERINFO "):]).get("PIN", "")
            if self.users.pop(pin, None) is None:
                return -10, f"ID={cmd_id}&Return=-10&CMD=DATA", None  # PIN not on device
            self.bio.delete(pin)  # the user's templates go with the user
            return 0, f"ID={cmd_id}&Return=0&CMD=DATA", None
        code = execute_biometric(self.bio, set(self.users), command)
        if code is not None:
            return code, f"ID={cmd_id}&Return={code}&CMD=DATA", None
        if word in {"DATA", "CLEAR", "SET", "REBOOT", "ENROLL_FP", "USER"}:
            return -1002, f"ID={cmd_id}&Return=-1002&CMD={word}", None
        return -22, f"ID={cmd_id}&Return=-22&CMD=UNKNOWN CMD", None

    def _query_attlog(self, cmd_id: str, args: str) -> tuple[int, str, str | None]:
        """Re-upload the records of a range through ordinary ATTLOG POSTs (§4.7)."""
        start_text, tab, rest = args.partition("\t")  # firmware reads StartTime up to TAB
        values = _kv(start_text + "\t" + rest)
        try:
            if not tab:
                raise ValueError("no TAB")
            start = datetime.strptime(values["StartTime"], "%Y-%m-%d %H:%M:%S")
            end = datetime.strptime(values["EndTime"], "%Y-%m-%d %H:%M:%S")
        except (KeyError, ValueError):
            return -1, f"ID={cmd_id}&Return=-1&CMD=DATA", None
        if self.faults.refuse_query:
            return -1002, f"ID={cmd_id}&Return=-1002&CMD=DATA", None
        if self.faults.other_days:  # fault: a filter that also lets the next days through
            start -= timedelta(days=1)
            end += timedelta(days=1)
        chosen = [r for r in self.records if start <= r.local_time <= end]
        for _ in range(2 if self.faults.answer_twice else 1):
            for i in range(0, len(chosen), self.batch_size):
                if not self.post_batch(chosen[i:i + self.batch_size], answer=True):
                    return -3, f"ID={cmd_id}&Return=-3&CMD=DATA", None
        return 0, f"ID={cmd_id}&Return=0&CMD=DATA", None

    def post_results(self) -> bool:
        """Buffered results, re-posted until a 200 text/plain with OK (§6.3, §9.12)."""
        if not self.pending_results:
            return True
        body = ("\n".join(self.pending_results) + "\n").encode("utf-8")
        reply = self._exchange("devicecmd", "POST", self._target("devicecmd", ""), body)
        if reply is not None and reply.ok and "text/plain" in reply.headers.get(
                "content-type", ""):
            self.pending_results.clear()
            return True
        self.connected = False
        return False

    # ------------------------------------------------------------------ long run (CLI)
    def run(self, seconds: float | None, punch_every: float | None = None,
            stop: threading.Event | None = None) -> None:
        """Sync, then poll every Delay and (with ``punch_every``) punch a random user."""
        stop = stop or threading.Event()
        end = None if seconds is None else time.monotonic() + seconds
        next_punch = time.monotonic() + (punch_every or 0)
        self.sync(deadline=end)
        pins = sorted(self.users)
        while not stop.is_set() and (end is None or time.monotonic() < end):
            if punch_every and pins and time.monotonic() >= next_punch:
                next_punch += punch_every
                self.punch(self.rng.choice(pins), status=self.rng.choice([0, 1]))
            if not self.connected or self.marker < len(self.records):
                self.sync(deadline=end)
            else:
                self.poll()
            wait = self.delay * self.time_scale
            if punch_every:
                wait = min(wait, max(0.0, next_punch - time.monotonic()))
            stop.wait(wait if wait > 0 else 0.01)


# ---------------------------------------------------------------------- helpers


def attphoto_body(serial: str, moment: datetime, pin: str, jpeg: bytes) -> bytes:
    """§4.4: ``PIN=<YYYYMMDDhhmmss>-<PIN>.jpg\nSN=..\nsize=..\nCMD=uploadphoto\0<JPEG>``."""
    head = f"PIN={moment:%Y%m%d%H%M%S}-{pin}.jpg\nSN={serial}\nsize={len(jpeg)}\nCMD=uploadphoto"
    return head.encode("utf-8") + b"\x00" + jpeg


def fake_jpeg(seed: str, size: int = 2048) -> bytes:
    """JPEG-framed pseudo-photo bytes (SOI ... EOI), deterministic per seed."""
    return b"\xff\xd8\xff\xe0" + fake_template(seed, "photo", 0, size - 6, "jpeg") + b"\xff\xd9"


def user_row(user: TerminalUser) -> str:
    """OPERLOG ``USER`` row (§4.3)."""
    card = f"[{user.card.to_bytes(4, 'little').hex().upper()}]" if user.card else ""
    return (f"USER PIN={user.pin}\tName={user.name}\tPri={user.privilege}\t"
            f"Passwd={user.password}\tCard={card}\tGrp=1\tTZ=0000000000000000\tVerify=0\t"
            "ViceCard=")


def parse_options(body: bytes) -> dict[str, str] | None:
    """The option block as firmware reads it (§4.1): None when the server refused."""
    options: dict[str, str] = {}
    for line in body.decode("utf-8", "replace").replace("\r", "\n").split("\n"):
        if line.startswith(("UN", "RETRY")):
            return None
        key, sep, value = line.partition("=")
        if sep and key and " " not in key:
            options.setdefault(key, value)
    return options


def _atoi(text: str) -> int:
    """C ``atoi``: leading sign and digits, else 0 (``+05:30`` -> 5, ``None`` -> 0)."""
    text = text.strip()
    digits = ""
    for i, ch in enumerate(text):
        if ch.isdigit() or (i == 0 and ch in "+-"):
            digits += ch
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _kv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split("\t"):
        key, sep, value = part.partition("=")
        if sep:
            out.setdefault(key.strip(), value)
    return out


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("connection closed before the response head")
        data += chunk
    return data


def _read_reply(sock: socket.socket, data: bytes) -> Reply:
    """Read until the announced body is complete (or the server closes)."""
    while True:
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep and head.startswith(b"HTTP/1.1 100"):
            data = body
            continue
        if sep:
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            length = headers.get("content-length")
            if length is not None and len(body) >= int(length):
                return Reply(int(lines[0].split(" ", 2)[1]), headers, body[:int(length)])
        chunk = sock.recv(65536)
        if not chunk:
            if not sep:
                raise ValueError("connection closed before a complete response")
            if headers.get("transfer-encoding", "").lower() == "chunked":
                body = _dechunk(body)
            return Reply(int(lines[0].split(" ", 2)[1]), headers, body)
        data += chunk


def _dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2:]
    return out
