"""What the demo's simulated terminals hold: people, a few weeks of punches, and the stories
worth looking at (overtime, a rest-day shift, a forgotten check-out, a late arrival).

Plain Python on ``zk_sim``'s model: seeded, so the same options give the same punches.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from zk_sim.model import (
    PRIV_ADMIN,
    PRIV_USER,
    STATE_BREAK_IN,
    STATE_BREAK_OUT,
    STATE_CHECK_IN,
    STATE_CHECK_OUT,
    VERIFY_FINGERPRINT,
    TerminalRecord,
    TerminalUser,
)

TIMEZONE = "Asia/Manila"
TERMINALS = [("DEMO000001", "Front door", "modern"), ("DEMO000002", "Warehouse", "legacy"),
             ("DEMO000003", "Side gate", "essl")]
# The office schedule the demo gives the employees in Odoo (local hours, Monday..Friday).
SCHEDULE = [(day, start, end, period) for day in range(5)
            for start, end, period in ((8.0, 12.0, "morning"), (12.0, 13.0, "lunch"),
                                       (13.0, 17.0, "afternoon"))]


@dataclass
class TerminalPlan:
    serial: str
    name: str
    profile: str
    users: list[TerminalUser]
    records: list[TerminalRecord]

    def to_json(self) -> dict:
        return {
            "serial": self.serial, "name": self.name, "profile": self.profile,
            "users": [{"uid": u.uid, "pin": u.pin, "name": u.name, "privilege": u.privilege}
                      for u in self.users],
            "records": [[r.pin, r.local_time_text, r.status, r.verify] for r in self.records],
        }

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False))
        return path


def read_plan(path: Path) -> TerminalPlan:
    data = json.loads(path.read_text())
    users = [TerminalUser(uid=u["uid"], pin=u["pin"], name=u["name"], privilege=u["privilege"])
             for u in data["users"]]
    records = [TerminalRecord(pin=pin, local_time=datetime.strptime(when, "%Y-%m-%d %H:%M:%S"),
                              status=status, verify=verify)
               for pin, when, status, verify in data["records"]]
    return TerminalPlan(data["serial"], data["name"], data["profile"], users, records)


@dataclass
class Story:
    pin: str
    name: str
    day: date
    text: str  # what happened, as a person says it


@dataclass
class Scenario:
    terminals: list[TerminalPlan]
    stories: list[Story] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None

    @property
    def punch_count(self) -> int:
        return sum(len(t.records) for t in self.terminals)

    def terminal_of(self, pin: str) -> TerminalPlan:
        return next(t for t in self.terminals if any(u.pin == pin for u in t.users))


def _day_records(pin: str, day: date, check_in: time | None, check_out: time | None,
                 lunch: bool = True, break_out: time = time(12, 1, 11),
                 break_in: time = time(12, 57, 40)) -> list[TerminalRecord]:
    moments = [(STATE_CHECK_IN, check_in)]
    if lunch:
        moments += [(STATE_BREAK_OUT, break_out), (STATE_BREAK_IN, break_in)]
    moments.append((STATE_CHECK_OUT, check_out))
    return [TerminalRecord(pin=pin, local_time=datetime.combine(day, moment), status=state,
                           verify=VERIFY_FINGERPRINT)
            for state, moment in moments if moment is not None]


def _ordinary_days(users: list[TerminalUser], workdays: list[date],
                   seed: int) -> list[TerminalRecord]:
    """Everyone on time on every working day (a few minutes early in, a few late out), so
    that the stories stand out in Odoo's lists."""
    rng = random.Random(seed)
    records = []
    for day in workdays:
        for user in users:
            records += _day_records(
                user.pin, day, time(7, rng.randint(40, 58), rng.randint(0, 59)),
                time(17, rng.randint(1, 14), rng.randint(0, 59)),
                break_out=time(12, rng.randint(0, 4), rng.randint(0, 59)),
                break_in=time(12, rng.randint(52, 59), rng.randint(0, 59)))
    return records


def _replace_day(records: list[TerminalRecord], pin: str, day: date,
                 new: list[TerminalRecord]) -> list[TerminalRecord]:
    kept = [r for r in records if not (r.pin == pin and r.local_time.date() == day)]
    return kept + new


def build_scenario(people: list[tuple[str, str]], terminals: int = 2, weeks: int = 3,
                   last_day: date | None = None, seed: int = 16) -> Scenario:
    """``people``: (PIN, name) of everyone enrolled, shared out over ``terminals`` terminals.

    Everyone on time on the working days of ``weeks`` weeks up to ``last_day`` (default
    yesterday), then the stories: the first person works late on Tuesdays and Thursdays
    and comes in on the last Saturday, the second forgets to check out one day, the third
    arrives late on the last working day.
    """
    if not people:
        raise ValueError("the demo needs at least one person")
    if not 1 <= terminals <= len(TERMINALS):
        raise ValueError(f"1 to {len(TERMINALS)} terminals")
    if weeks < 1:
        raise ValueError("at least one week")
    end = last_day or date.today() - timedelta(days=1)
    days = weeks * 7
    first = end - timedelta(days=days - 1)
    workdays = [first + timedelta(days=n) for n in range(days)
                if (first + timedelta(days=n)).weekday() < 5]
    saturdays = [first + timedelta(days=n) for n in range(days)
                 if (first + timedelta(days=n)).weekday() == 5]
    users = [TerminalUser(uid=n, pin=pin, name=name[:24],
                          privilege=PRIV_ADMIN if n == 1 else PRIV_USER)
             for n, (pin, name) in enumerate(people, start=1)]
    records = _ordinary_days(users, workdays, seed)
    stories: list[Story] = []

    overtime, *rest = users
    for day in workdays:
        if day.weekday() in (1, 3):  # Tuesday, Thursday: stays until about 19:30
            records = _replace_day(records, overtime.pin, day, _day_records(
                overtime.pin, day, time(7, 56, 5), time(19, 31, 20)))
    tuesdays = [d for d in workdays if d.weekday() in (1, 3)]
    if tuesdays:
        stories.append(Story(overtime.pin, overtime.name, tuesdays[-1],
                             "worked until 19:31: overtime to approve (so on every "
                             "Tuesday and Thursday)"))
    if saturdays:
        saturday = saturdays[-1]
        records = _replace_day(records, overtime.pin, saturday, _day_records(
            overtime.pin, saturday, time(8, 3, 0), time(12, 6, 30), lunch=False))
        stories.append(Story(overtime.pin, overtime.name, saturday,
                             "came in on a Saturday, 08:03-12:06 (rest-day overtime)"))
    recent = sorted(workdays, reverse=True)
    if rest and len(recent) >= 2:
        forgetful, day = rest[0], recent[1]
        records = _replace_day(records, forgetful.pin, day, _day_records(
            forgetful.pin, day, time(7, 58, 30), None))
        stories.append(Story(forgetful.pin, forgetful.name, day,
                             "forgot to check out (an incomplete day to fix with an "
                             "adjustment)"))
    if len(rest) >= 2 and recent:
        late, day = rest[1], recent[0]
        records = _replace_day(records, late.pin, day, _day_records(
            late.pin, day, time(9, 24, 50), time(17, 4, 0)))
        stories.append(Story(late.pin, late.name, day, "arrived at 09:24 (late)"))

    plans = []
    for number in range(terminals):
        serial, name, profile = TERMINALS[number]
        mine = users[number::terminals]
        pins = {u.pin for u in mine}
        flash = sorted((r for r in records if r.pin in pins), key=lambda r: (r.local_time, r.pin))
        plans.append(TerminalPlan(serial, name, profile, mine, flash))
    return Scenario(plans, stories, first, end)
