"""Plain parts of the reliability suite (test_reliability.py, issue 12): no Odoo import.

* :func:`build_scenario`: seeded terminals (zk_sim users and records) for five weeks around
  the pay period 2025-03-01..15, with the scenario's people: an overtime worker per terminal,
  a CTO day and a CTO afternoon, and a terminal whose clock is set back 45 minutes at noon.
* :class:`Chaos` and :class:`FaultProxy`: a loopback HTTP proxy in front of the real relay
  process that loses answers, cuts responses after N bytes, SIGKILLs the relay before, during
  or after a request (restarting it after a few refused connections) and replays batches.
* :func:`expected_days`: what the export must say, computed from the generated punches with
  the plain engine (``zk_rules.engine``) and the schedule below, never read back from Odoo.
* :func:`table`: the outcome table.
"""

from __future__ import annotations

import socket
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from odoo.addons.hr_zk_attendance.tests.link_proxy import read_all, read_request, upstream_request

from zk_rules.calendar import CalendarLine, schedule_for_dates
from zk_rules.engine import compute_days, parse_policy
from zk_sim.generate import generate_records, generate_users
from zk_sim.model import STATE_BREAK_IN, STATE_BREAK_OUT, STATE_CHECK_OUT

TZ = "Asia/Manila"
PERIOD = (date(2025, 3, 1), date(2025, 3, 15))
FIRST_DAY, LAST_DAY = date(2025, 2, 17), date(2025, 3, 21)  # five weeks, Monday..Friday
# The office schedule of the suite (Odoo's calendar is created from these very lines).
CALENDAR = [(d, f, t, p) for d in range(5)
            for f, t, p in ((8.0, 12.0, "morning"), (12.0, 13.0, "lunch"),
                            (13.0, 17.0, "afternoon"))]
OVERTIME_SHIFT = timedelta(minutes=150)  # the overtime worker leaves at 19:30 instead of 17:00
CLOCK_BACK_DAY, CLOCK_BACK_AT = date(2025, 3, 5), time(12, 20)
CLOCK_BACK = timedelta(minutes=45)


@dataclass
class TerminalSpec:
    serial: str
    profile: str
    users: list
    records: list  # in the order the terminal stores them (its flash)
    malformed_rate: float = 0.0


@dataclass
class Leave:
    serial: str
    pin: str
    day: date
    hours: tuple[float, float] | None  # None: the whole day


@dataclass
class Scenario:
    terminals: list[TerminalSpec]
    leaves: list[Leave]
    overtime_workers: set[tuple[str, str]]
    clock_back: set[tuple[str, str, str]]  # keys recorded by a clock set back

    def people(self):
        return [(t.serial, u.pin, u.name) for t in self.terminals for u in t.users]

    def keys(self):
        """(serial, pin, local time) of every generated punch: the fingerprint's triple."""
        return [(t.serial, r.pin, r.local_time_text) for t in self.terminals for r in t.records]


def build_scenario(seed=12, per_terminal=5):
    """Three terminals (modern, legacy, eSSL firmware) of ``per_terminal`` people each."""
    terminals, leaves, overtime, clock_back = [], [], set(), set()
    days = (LAST_DAY - FIRST_DAY).days + 1
    for number, (profile, malformed) in enumerate(
            (("modern", 0.3), ("legacy", 0.0), ("essl", 0.2)), start=1):
        serial = f"SIMREL{number:04d}"
        users = generate_users(per_terminal, seed=seed * 10 + number)
        records = generate_records(users, days, last_day=LAST_DAY, seed=seed * 10 + number,
                                   absence_rate=0.05)
        worker = users[0].pin
        overtime.add((serial, worker))
        records = [replace(r, local_time=r.local_time + OVERTIME_SHIFT)
                   if r.pin == worker and r.status == STATE_CHECK_OUT else r for r in records]
        if number == 1:  # the overtime worker takes a whole CTO day on Thursday 13 March
            cto_day = date(2025, 3, 13)
            records = [r for r in records
                       if not (r.pin == worker and r.local_time.date() == cto_day)]
            leaves.append(Leave(serial, worker, cto_day, None))
        if number == 3:  # ... and here a CTO afternoon on Wednesday 12 March: out at noon
            cto_day = date(2025, 3, 12)
            kept = []
            for record in records:
                if record.pin == worker and record.local_time.date() == cto_day:
                    if record.status in (STATE_BREAK_IN, STATE_CHECK_OUT):
                        continue
                    if record.status == STATE_BREAK_OUT:
                        record = replace(record, status=STATE_CHECK_OUT)
                kept.append(record)
            records = kept
            leaves.append(Leave(serial, worker, cto_day, (13.0, 17.0)))
        records.sort(key=lambda r: (r.local_time, r.pin))  # flash order = real time order
        if number == 2:  # the clock is set back 45 minutes at 12:20 and stays so that day
            moment = datetime.combine(CLOCK_BACK_DAY, CLOCK_BACK_AT)
            shifted = []
            for record in records:
                if record.local_time.date() == CLOCK_BACK_DAY and record.local_time >= moment:
                    record = replace(record, local_time=record.local_time - CLOCK_BACK)
                    clock_back.add((serial, record.pin, record.local_time_text))
                shifted.append(record)
            records = shifted
        terminals.append(TerminalSpec(serial, profile, users, records, malformed))
    keys = [k for t in terminals for k in ((t.serial, r.pin, r.local_time_text)
                                           for r in t.records)]
    if len(set(keys)) != len(keys):
        raise AssertionError(f"seed {seed} generates one punch twice; pick another seed")
    return Scenario(terminals, leaves, overtime, clock_back)


def weeks(records):
    """The records cut by ISO week, keeping the flash order."""
    out = defaultdict(list)
    for record in records:
        out[record.local_time.isocalendar()[:2]].append(record)
    return [out[key] for key in sorted(out)]


# ---------------------------------------------------------------------- expected values
def calendar_lines():
    return [CalendarLine(dayofweek=d, hour_from=f, hour_to=t, day_period=p)
            for d, f, t, p in CALENDAR]


def expected_days(scenario, cto_minutes):
    """{(serial, pin): {iso date: B4 dict}} of the pay period from the generated punches.

    ``cto_minutes``: {(serial, pin, iso date): minutes} of CTO leave (E4.3 input)."""
    first, last = PERIOD
    pad = [FIRST_DAY - timedelta(days=1) + timedelta(days=n)
           for n in range((LAST_DAY - FIRST_DAY).days + 3)]
    schedule = schedule_for_dates(calendar_lines(), pad)
    dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    policy = parse_policy({"overtime_approval": "manager"})
    result = {}
    for terminal in scenario.terminals:
        for user in terminal.users:
            punches = [{"id": n, "local_time": r.local_time_text, "status": r.status}
                       for n, r in enumerate(terminal.records) if r.pin == user.pin]
            leaves = [{"date": day, "minutes": minutes, "kind": "cto"}
                      for (serial, pin, day), minutes in sorted(cto_minutes.items())
                      if (serial, pin) == (terminal.serial, user.pin)]
            days = compute_days(timezone=TZ, evaluate_dates=dates, punches=punches,
                                schedule=schedule, leaves=leaves, policy=policy)
            result[(terminal.serial, user.pin)] = {k: v.to_dict() for k, v in days.items()}
    return result


def expected_cells(day):
    """The export cells (unit minutes) a B4 day gives with all its overtime approved."""
    overtime = day["overtime_minutes"]

    def text(value):
        return "" if value is None else str(value)

    return {
        "day_type": day["day_type"], "status": day["status"],
        "provisional_days": "1" if day["provisional"] else "0",
        "absent_days": "1" if day["status"] == "absent" else "0",
        "regular_minutes": text(day["regular_minutes"]),
        "ot_workday_minutes": text(overtime["workday"]),
        "ot_rest_day_minutes": text(overtime["rest_day"]),
        "night_minutes": text(day["night_minutes"]),
        "late_in_minutes": text(day["late_in_minutes"]),
        "early_out_minutes": text(day["early_out_minutes"]),
        "undertime_minutes": text(day["undertime_minutes"]),
        "leave_cto_minutes": text(day["leave_minutes"]),
        "leave_other_minutes": "0",
    }


# ---------------------------------------------------------------------- faults
class Chaos:
    """The real relay process under faults: SIGKILL, then refuse ``down_for`` connections
    (as a dead relay does) before starting it again on the same port and data."""

    def __init__(self, relay):
        self.relay = relay
        self.lock = threading.RLock()
        self.down_left = 0
        self.kills = 0
        self.restarts = 0
        self.refused = 0

    def kill(self, down_for=3):
        with self.lock:
            self.relay.kill()
            self.kills += 1
            self.down_left = down_for

    def up(self):
        """True when the relay can take a connection now (restarting it when its time came)."""
        with self.lock:
            if self.relay.proc is not None and self.relay.proc.poll() is None:
                return True
            if self.down_left > 0:
                self.down_left -= 1
                self.refused += 1
                return False
            self.relay.start()
            self.restarts += 1
            return True

    def ensure_up(self):
        with self.lock:
            self.down_left = 0
            self.up()


@dataclass
class Exchange:
    number: int
    method: str
    target: str
    body: bytes
    head: bytes

    @property
    def path(self):
        return self.target.split("?", 1)[0]


@dataclass
class FaultLog:
    actions: list = field(default_factory=list)  # (proxy, number, path, action)

    def count(self, action, proxy=None):
        return sum(1 for p, _n, _path, a in self.actions
                   if a == action and (proxy is None or p == proxy))


class FaultProxy:
    """Loopback HTTP proxy in front of the relay, one upstream connection per request.

    ``decide(exchange) -> action`` chooses what happens to each request: ``pass``; ``drop``
    (the relay answers, the answer is lost); ``cut`` (the first half of the answer's body,
    then the connection closes); ``kill_before`` (SIGKILL before the request reaches the
    relay); ``kill_mid_body`` (half the request body reaches it, then SIGKILL);
    ``kill_after`` (the relay commits and answers, SIGKILL, the answer is lost)."""

    def __init__(self, name, chaos, decide, log):
        self.name, self.chaos, self.decide, self.log = name, chaos, decide, log
        self.count = 0
        self.ok_attlog = []  # (head, body) of ATTLOG posts the relay acknowledged
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, name=f"proxy-{name}", daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.running = False
        self.server.close()

    # ------------------------------------------------------------------ serving
    def _serve(self):
        while self.running:
            try:
                client, _addr = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client):
        client.settimeout(60)
        try:
            request = read_request(client)
            if request is None:
                return
            with self.lock:
                self.count += 1
                number = self.count
            method, target, head, body = request
            exchange = Exchange(number, method, target, body, head)
            action = self.decide(exchange)
            self.log.actions.append((self.name, number, exchange.path, action))
            self._act(client, exchange, action)
        except OSError as error:  # the client gave up (its timeout): nothing to answer
            self.log.actions.append((self.name, 0, "", f"client socket: {error}"))
        finally:
            client.close()

    def _act(self, client, exchange, action):
        if action == "kill_before":
            self.chaos.kill()
            return
        raw = upstream_request(exchange.head, exchange.body)
        if action == "kill_mid_body":
            if not self.chaos.up():
                return
            with socket.create_connection(("127.0.0.1", self.chaos.relay.port), 30) as up:
                cut = len(raw) - max(len(exchange.body) // 2, 1)
                up.sendall(raw[:cut])
                self.chaos.kill()
            return
        response = self.forward(raw)
        if response is None:
            return  # relay down: the client sees the connection close without an answer
        if exchange.method == "POST" and "table=ATTLOG" in exchange.target \
                and response.startswith(b"HTTP/1.1 200") and b"OK" in response:
            with self.lock:
                self.ok_attlog.append((exchange.head, exchange.body))
        if action == "pass":
            client.sendall(response)
        elif action == "cut":
            head, _sep, body = response.partition(b"\r\n\r\n")
            client.sendall(head + b"\r\n\r\n" + body[:len(body) // 2])
        elif action == "kill_after":
            self.chaos.kill()
        # "drop": nothing is sent back

    def forward(self, raw):
        if not self.chaos.up():
            return None
        try:
            with socket.create_connection(("127.0.0.1", self.chaos.relay.port), 30) as up:
                up.settimeout(60)
                up.sendall(raw)
                return read_all(up) or None
        except OSError:
            return None

    def replay(self, count, rng):
        """The network delivers ``count`` acknowledged ATTLOG batches again, out of order."""
        with self.lock:
            chosen = rng.sample(self.ok_attlog, min(count, len(self.ok_attlog)))
        answers = []
        for head, body in chosen:
            response = self.forward(upstream_request(head, body))
            answers.append(bool(response and response.startswith(b"HTTP/1.1 200")
                                and b"OK" in response))
            self.log.actions.append((self.name, 0, "/iclock/cdata", "replay"))
        return answers


# ---------------------------------------------------------------------- outcome
def table(rows):
    """A two-column text table: (label, value) rows."""
    width = max(len(label) for label, _value in rows)
    lines = [f"{'reliability suite (issue 12)':<{width}}  count", "-" * (width + 8)]
    lines += [f"{label:<{width}}  {value:>6}" for label, value in rows]
    return "\n".join(lines)
