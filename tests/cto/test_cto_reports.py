"""C14: the monthly Certificate of COC Earned and the expiry-warning list, as plain data."""

from __future__ import annotations

from datetime import date

import pytest
from cto_helpers import bank_with, ot, req, revoke

from zk_rules.cto import CtoInputError, certificate_of_coc_earned, expiry_warnings

EVENTS = [
    ot("A", "2024-03-04", 2000),  # L1 2000
    ot("B", "2024-03-05", 300, kind="holiday"),  # raw 450, room 400 -> L2 400, 50 cut
    req("R", ["2024-03-25"], 480),  # L1 2000 -> 1520
    ot("C", "2024-04-02", 100),  # L3 100 (April)
    revoke("B", "2024-04-03"),  # L2 400 taken back in April, March total -400
]


def test_c14_certificate_of_coc_earned_for_one_month():
    bank = bank_with(EVENTS, opening=[{"lot": "OB", "earned_date": "2024-03-01", "minutes": 5}])
    cert = certificate_of_coc_earned(bank.lots, bank.ledger, "2024-03")
    assert cert["period_start"] == "2024-03-01" and cert["period_end"] == "2024-03-31"
    # B: 450 raw, room 2400 - 5 - 2000 = 395 -> 395 credited, 55 cut
    assert cert["earned_minutes"] == 2395  # 2000 + 395
    assert cert["opening_minutes"] == 5
    assert cert["cut_minutes"] == {"cap_monthly": 55, "cap_balance": 0, "total": 55}
    assert cert["used_minutes"] == 480
    assert cert["reversed_minutes"] == 0  # the reversal is dated April, after this month
    assert cert["balance"] == 5 + 2000 + 395 - 480  # 1920 at the end of March
    assert [(lot["lot"], lot["credited"], lot["remaining"], lot["valid_until"])
            for lot in cert["lots"]] == [
        ("OB", 5, 0, "2025-02-28"),  # R takes FIFO: OB's 5 first, then 475 of L1
        ("L1", 2000, 1525, "2025-03-03"),
        ("L2", 395, 395, "2025-03-04"),
    ]  # fmt: skip


def test_c14_certificate_as_of_a_later_day_shows_the_reversal():
    bank = bank_with(EVENTS)
    cert = certificate_of_coc_earned(
        [lot.to_dict() for lot in bank.lots],
        [entry.to_dict() for entry in bank.ledger],
        "2024-03",
        as_of=date(2024, 4, 30),
    )
    # March lots L1 2000, L2 400; L2 (400) reversed on 04-03 -> month total 2400 - 400 = 2000
    assert cert["reversed_minutes"] == 400 and cert["credited_minutes"] == 2000
    assert cert["credited_minutes"] == bank.month_credited["2024-03"]
    assert [(lot["lot"], lot["remaining"]) for lot in cert["lots"]] == [("L1", 1520), ("L2", 0)]
    assert cert["balance"] == 1520 + 100  # L1 + April's L3
    assert cert["cut_minutes"]["total"] == 50  # raw 450 - room 400


def test_c14_certificate_month_must_be_yyyy_mm():
    with pytest.raises(CtoInputError, match=r"^month: "):
        certificate_of_coc_earned([], [], "2024-13")


def test_c14_expiry_warning_lists_lots_expiring_within_60_days():
    bank = bank_with(
        [
            ot("A", "2024-01-10", 60),  # valid until 2025-01-09, expires 2025-01-10
            ot("B", "2024-02-20", 60),  # expires 2025-02-20
            ot("C", "2024-03-15", 60),  # expires 2025-03-15
            req("R", ["2024-03-18"], 240),  # 180 in the bank: rejected, nothing used
        ]
    )
    today = date(2024, 12, 22)
    # 2025-01-10 is 19 days away, 2025-02-20 is 60 days away, 2025-03-15 is 83 days away
    warnings = expiry_warnings(bank.lots, today)
    assert [(w["lot"], w["expires_on"], w["days_left"]) for w in warnings] == [
        ("L1", "2025-01-10", 19),
        ("L2", "2025-02-20", 60),
    ]
    assert [w["lot"] for w in expiry_warnings(bank.lots, today, within_days=90)] == [
        "L1", "L2", "L3",
    ]  # fmt: skip
    # on 2025-01-10 L1 expires today (no longer a warning); L2 in 41 days, L3 in 64 (> 60)
    assert expiry_warnings(bank.lots, date(2025, 1, 10)) == [
        {**bank.lots[1].to_dict(), "expires_on": "2025-02-20", "days_left": 41},
    ]


def test_c14_expiry_warning_skips_empty_and_never_expiring_lots():
    bank = bank_with(
        [ot("A", "2024-01-10", 480), req("R", ["2024-01-15"], 480), ot("B", "2024-01-11", 60)],
        policy={"expiry": {"mode": "none"}},
    )
    assert expiry_warnings(bank.lots, date(2024, 12, 1), within_days=10_000) == []
