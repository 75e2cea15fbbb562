"""Deterministic demo data: employees and their punches over working days.

The same seed gives the same users and records, so a demo or a test can compare what a
terminal served with what it was given.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from .model import (
    PRIV_ADMIN,
    PRIV_USER,
    STATE_BREAK_IN,
    STATE_BREAK_OUT,
    STATE_CHECK_IN,
    STATE_CHECK_OUT,
    VERIFY_CARD,
    VERIFY_FACE,
    VERIFY_FINGERPRINT,
    TerminalRecord,
    TerminalUser,
)

_FIRST = ["Ana", "Ben", "Chloé", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jun",
          "Kofi", "Lena", "Mateo", "Nika", "Omar", "Paula", "Quan", "Rosa", "Sven", "Tariq"]
_LAST = ["Alves", "Berg", "Costa", "Dimitrov", "Eze", "Fischer", "Garcia", "Horvat", "Ito",
         "Jensen", "Kowalski", "Lopez", "Müller", "Novak", "Okafor", "Petrov", "Reyes"]

# (state, nominal time of day, spread in minutes either side)
_DAY_PATTERN = [
    (STATE_CHECK_IN, time(8, 0), 12),
    (STATE_BREAK_OUT, time(12, 0), 10),
    (STATE_BREAK_IN, time(12, 35), 10),
    (STATE_CHECK_OUT, time(17, 0), 25),
]


def generate_users(count: int, seed: int = 1) -> list[TerminalUser]:
    """``count`` users with zero-padded PINs ("0001" ...), uid 1..count, user 1 an admin."""
    if not 0 <= count <= 65535:
        raise ValueError("a terminal holds 0-65535 users")
    rng = random.Random(seed)
    width = max(4, len(str(count)))
    users = []
    for uid in range(1, count + 1):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        users.append(
            TerminalUser(
                uid=uid,
                pin=str(uid).zfill(width),
                name=name,
                privilege=PRIV_ADMIN if uid == 1 else PRIV_USER,
                card=rng.randrange(1_000_000, 16_000_000) if rng.random() < 0.5 else 0,
            )
        )
    return users


def generate_records(
    users: list[TerminalUser],
    days: int,
    last_day: date | None = None,
    seed: int = 1,
    absence_rate: float = 0.05,
) -> list[TerminalRecord]:
    """Punches of every user on the working days (Mon-Fri) among ``days`` days up to ``last_day``.

    Each present day has check-in, break-out, break-in and check-out with some jitter, in
    time order as a terminal would have stored them. ``last_day`` defaults to yesterday.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    rng = random.Random(seed)
    end = last_day or (date.today() - timedelta(days=1))
    verify_of = {u.pin: rng.choice([VERIFY_FINGERPRINT, VERIFY_FACE, VERIFY_CARD]) for u in users}
    records: list[TerminalRecord] = []
    for offset in range(days - 1, -1, -1):
        day = end - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for user in users:
            if rng.random() < absence_rate:
                continue
            for state, nominal, spread in _DAY_PATTERN:
                moment = datetime.combine(day, nominal) + timedelta(
                    minutes=rng.randint(-spread, spread), seconds=rng.randint(0, 59)
                )
                records.append(
                    TerminalRecord(
                        pin=user.pin, local_time=moment, status=state, verify=verify_of[user.pin]
                    )
                )
    records.sort(key=lambda r: (r.local_time, r.pin))
    return records
