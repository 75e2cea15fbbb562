"""One or more tests per rule C1–C13 (engine-rules.md Part C), arithmetic worked by hand."""

from __future__ import annotations

from datetime import date

import pytest
from cto_helpers import bank_with, cancel, ot, remaining, req, revoke, rows, separation

from zk_rules.cto import CtoBank, CtoInputError

SMALL_CAPS = {"monthly_cap_minutes": 300, "balance_cap_minutes": 500}


# --------------------------------------------------------------------------- C1 source
def test_c1_only_approved_lines_earn():
    bank = bank_with(
        [
            ot("A", "2024-03-01", 60, status="to_approve"),
            ot("B", "2024-03-02", 60, status="refused"),
            ot("C", "2024-03-03", 60, status="to_approve", approved_minutes=None),
            ot("D", "2024-03-04", 60),
        ]
    )
    assert rows(bank) == [("earn", "2024-03-04", 60, "L1", "D")]
    assert bank.balance == 60


def test_c1_each_line_credited_at_most_once():
    bank = CtoBank()
    assert bank.apply(ot("A", "2024-03-01", 60)).status == "applied"
    again = bank.apply(ot("A", "2024-03-01", 60))
    assert again.status == "duplicate" and again.entries == ()
    assert [lot.lot for lot in bank.lots] == ["L1"] and bank.balance == 60


def test_c1_pending_line_then_approved_credits_once():
    bank = bank_with([ot("A", "2024-03-01", 60, status="to_approve"), ot("A", "2024-03-01", 60)])
    assert rows(bank) == [("earn", "2024-03-01", 60, "L1", "A")]


def test_c1_an_approved_line_needs_approved_minutes():
    with pytest.raises(CtoInputError, match=r"^event\.approved_minutes: "):
        CtoBank().apply(ot("A", "2024-03-01", None))


# --------------------------------------------------------------------------- C2 rate
def test_c2_rest_day_rate_1_5_on_41_minutes_is_61():
    bank = bank_with([ot("A", "2024-03-02", 41, kind="rest_day")])
    earn = bank.ledger[0]
    # 41 × 1.5 = 61.5 -> floor 61, both as credit and as raw_minutes
    assert (earn.type, earn.minutes, earn.raw_minutes) == ("earn", 61, 61)


def test_c2_holiday_and_workday_rates():
    bank = bank_with(
        [ot("H", "2024-03-01", 101, kind="holiday"), ot("W", "2024-03-02", 101, kind="workday")]
    )
    # holiday 101 × 1.5 = 151.5 -> 151; workday 101 × 1.0 = 101; balance 252
    assert [e.minutes for e in bank.ledger] == [151, 101] and bank.balance == 252


def test_c2_zero_credit_writes_nothing():
    bank = bank_with([ot("A", "2024-03-01", 0)])
    assert bank.ledger == () and bank.lots == () and bank.month_credited == {}
    assert not bank.credited_ref("A")  # nothing was credited, nothing is remembered (C1)


# --------------------------------------------------------------------------- C3 order
def test_c3_earned_date_is_the_work_date_not_the_approval():
    # Approved on 2024-04-02 for work done on 2024-03-31: the month of earning is March.
    bank = bank_with([ot("A", "2024-03-31", 60, timestamp="2024-04-02T09:00:00")])
    lot = bank.lots[0]
    assert lot.earned_date == date(2024, 3, 31) and lot.valid_until == date(2025, 3, 30)
    assert bank.month_credited == {"2024-03": 60}
    assert bank.ledger[0].date == date(2024, 3, 31)
    assert bank.ledger[0].timestamp == "2024-04-02T09:00:00"


def test_c3_entries_carry_their_effective_dates():
    bank = bank_with(
        [
            ot("A", "2024-03-01", 480),
            req("R", ["2024-03-10"]),
            revoke("A", "2024-03-12"),
        ],
        policy={"expiry": {"mode": "rolling_months", "months": 1}},
        opening=[{"lot": "OB", "earned_date": "2024-02-01", "minutes": 60}],
    )
    bank.expire_through(date(2024, 3, 31))
    assert [(e.type, e.date.isoformat()) for e in bank.ledger] == [
        ("opening", "2024-02-01"),  # earned date of the opening lot
        ("expire", "2024-03-01"),  # OB valid until 2024-02-29, expires the day after
        ("earn", "2024-03-01"),  # the work date
        ("use", "2024-03-10"),  # the leave date
        ("reverse", "2024-03-12"),  # the revocation date
    ]


# --------------------------------------------------------------------------- C4 monthly cap
def test_c4_monthly_cap_cuts_and_logs_cap_monthly():
    bank = bank_with(
        [
            ot("A", "2024-03-04", 2000),  # 2000 credited, month total 2000
            ot("B", "2024-03-05", 600),  # room 2400 - 2000 = 400 -> 400 credited, 200 cut
            ot("C", "2024-04-01", 100),  # new month: full 100
        ]
    )
    assert rows(bank) == [
        ("earn", "2024-03-04", 2000, "L1", "A"),
        ("earn", "2024-03-05", 400, "L2", "B"),
        ("cap_monthly", "2024-03-05", 0, None, "B"),
        ("earn", "2024-04-01", 100, "L3", "C"),
    ]
    cap = bank.ledger[2]
    assert cap.uncredited_minutes == 200 and cap.balance_after == 2400
    assert bank.ledger[1].raw_minutes == 600
    assert bank.month_credited == {"2024-03": 2400, "2024-04": 100}


def test_c4_a_full_month_credits_nothing_and_creates_no_lot():
    bank = bank_with([ot("A", "2024-03-04", 2400), ot("B", "2024-03-20", 90, kind="holiday")])
    # B: raw 90 × 1.5 = 135, room 0 -> all 135 cut, no earn entry, no L2
    assert rows(bank)[1:] == [("cap_monthly", "2024-03-20", 0, None, "B")]
    assert bank.ledger[1].uncredited_minutes == 135
    assert [lot.lot for lot in bank.lots] == ["L1"]
    assert bank.credited_ref("B")


# --------------------------------------------------------------------------- C5 balance cap
def test_c5_balance_cap_applies_after_the_monthly_cap():
    bank = bank_with([ot("A", "2024-01-10", 300), ot("B", "2024-02-10", 400)], policy=SMALL_CAPS)
    # B: raw 400; monthly room 300 -> 300 (100 cut); balance room 500 - 300 = 200
    #    -> credit 200 (100 cut)
    assert rows(bank)[1:] == [
        ("earn", "2024-02-10", 200, "L2", "B"),
        ("cap_monthly", "2024-02-10", 0, None, "B"),
        ("cap_balance", "2024-02-10", 0, None, "B"),
    ]
    assert [e.uncredited_minutes for e in bank.ledger[2:]] == [100, 100]
    assert bank.balance == 500 and bank.month_credited == {"2024-01": 300, "2024-02": 200}


def test_c5_balance_is_taken_after_the_expiries_due_that_day():
    policy = {"balance_cap_minutes": 100, "expiry": {"mode": "rolling_months", "months": 1}}
    # L1 earned 2024-01-10 is valid until 2024-02-09 and expires on 2024-02-10, before B
    # is applied: balance 0, so B's 100 fit under the cap of 100.
    bank = bank_with([ot("A", "2024-01-10", 100), ot("B", "2024-02-10", 100)], policy=policy)
    assert rows(bank) == [
        ("earn", "2024-01-10", 100, "L1", "A"),
        ("expire", "2024-02-10", -100, "L1", "A"),
        ("earn", "2024-02-10", 100, "L2", "B"),
    ]


def test_c5_uses_free_room_under_the_balance_cap():
    bank = bank_with(
        [ot("A", "2024-01-10", 480), req("R", ["2024-01-15"], 240), ot("B", "2024-02-10", 300)],
        policy={"monthly_cap_minutes": 1000, "balance_cap_minutes": 500},
    )
    # after R the balance is 480 - 240 = 240; B fits 500 - 240 = 260 of 300, 40 cut
    assert bank.ledger[-2].minutes == 260 and bank.ledger[-1].uncredited_minutes == 40
    assert bank.balance == 500


# --------------------------------------------------------------------------- C6 overflow
def test_c6_cap_entries_have_no_effect_on_the_balance():
    bank = bank_with([ot("A", "2024-01-10", 300), ot("B", "2024-02-10", 400)], policy=SMALL_CAPS)
    for entry in bank.ledger:
        if entry.type.startswith("cap_"):
            assert entry.minutes == 0 and entry.lot is None and entry.ref == "B"
            assert entry.balance_after == bank.ledger[entry.seq - 2].balance_after
    assert sum(lot.remaining for lot in bank.lots) == bank.balance == 500


def test_c6_cut_minutes_are_never_credited_later():
    bank = bank_with(
        [ot("A", "2024-03-01", 2400), ot("B", "2024-03-02", 100), revoke("A", "2024-03-03")]
    )
    # B was fully cut (100); revoking A frees the month (2400 - 2400 = 0) but B stays cut.
    assert bank.month_credited == {"2024-03": 0}
    assert bank.balance == 0 and [lot.ref for lot in bank.lots] == ["A"]
    bank.apply(ot("C", "2024-03-04", 50))  # a new line does use the freed room
    assert bank.balance == 50 and bank.month_credited == {"2024-03": 50}


def test_c6_payout_policy_sends_the_cut_to_payroll():
    bank = CtoBank({**SMALL_CAPS, "cap_overflow": "payout"})
    bank.apply(ot("A", "2024-01-10", 300))
    outcome = bank.apply(ot("B", "2024-02-10", 400))
    assert [(p.source, p.ref, p.minutes) for p in outcome.payroll] == [
        ("cap_monthly", "B", 100),
        ("cap_balance", "B", 100),
    ]
    assert [e.type for e in outcome.entries] == ["earn", "cap_monthly", "cap_balance"]
    assert CtoBank(SMALL_CAPS).apply(ot("X", "2024-01-10", 400)).payroll == ()


# --------------------------------------------------------------------------- C7 lots
def test_c7_lots_are_numbered_in_creation_order_and_opening_ids_kept():
    bank = bank_with(
        [ot("A", "2024-03-01", 10), ot("B", "2024-03-02", 2400), ot("C", "2024-03-03", 10)],
        opening=[{"lot": "MIG-7", "earned_date": "2024-03-01", "minutes": 30}],
    )
    # B is cut to 2400 - 30 - 10 = 2360; C finds the month full: no lot, no number used
    assert [(lot.lot, lot.ref, lot.credited) for lot in bank.lots] == [
        ("MIG-7", "opening", 30),
        ("L1", "A", 10),
        ("L2", "B", 2360),
    ]
    assert bank.apply(ot("D", "2024-04-01", 5)).entries[0].lot == "L3"


@pytest.mark.parametrize(
    ("expiry", "valid_until"),
    [
        ({"mode": "rolling_months"}, "2025-03-14"),
        ({"mode": "rolling_months", "months": 6}, "2024-09-14"),
        ({"mode": "end_of_following_year"}, "2025-12-31"),
        ({"mode": "none"}, None),
    ],
)
def test_c7_valid_until_per_expiry_mode(expiry, valid_until):
    bank = bank_with([ot("A", "2024-03-15", 60)], policy={"expiry": expiry})
    assert bank.lots[0].to_dict()["valid_until"] == valid_until


# --------------------------------------------------------------------------- C8 expiry
def test_c8_expiry_comes_before_an_event_on_the_expiry_day():
    policy = {"expiry": {"mode": "rolling_months", "months": 1}}
    # L1 earned 2024-01-10, valid until 2024-02-09; a leave on 2024-02-10 cannot use it
    bank = bank_with([ot("A", "2024-01-10", 480), req("R", ["2024-02-10"])], policy=policy)
    assert rows(bank)[1] == ("expire", "2024-02-10", -480, "L1", "A")
    assert [r.to_dict() for r in bank.rejections] == [
        {"ref": "R", "reason": "insufficient_balance"}
    ]


def test_c8_a_lot_is_still_usable_on_its_valid_until_day():
    policy = {"expiry": {"mode": "rolling_months", "months": 1}}
    bank = bank_with([ot("A", "2024-01-10", 480), req("R", ["2024-02-09"], 480)], policy=policy)
    assert rows(bank)[1] == ("use", "2024-02-09", -480, "L1", "R")
    bank.expire_through(date(2024, 3, 1))
    assert len(bank.ledger) == 2  # nothing left: no expire entry


def test_c8_expire_through_is_inclusive_and_idempotent():
    bank = bank_with([ot("A", "2024-03-15", 60)])  # valid until 2025-03-14
    assert bank.expire_through(date(2025, 3, 14)).entries == ()
    outcome = bank.expire_through(date(2025, 3, 15))
    assert [(e.type, e.date, e.minutes) for e in outcome.entries] == [
        ("expire", date(2025, 3, 15), -60)
    ]
    assert bank.expire_through(date(2025, 3, 15)).status == "ignored"
    assert bank.balance == 0 and bank.lots[0].remaining == 0


def test_c8_simultaneous_expiries_run_in_fifo_order():
    policy = {"expiry": {"mode": "end_of_following_year"}}
    opening = [
        {"lot": "OB10", "earned_date": "2024-05-01", "minutes": 10},
        {"lot": "OB9", "earned_date": "2024-05-01", "minutes": 9},
    ]
    bank = bank_with([ot("A", "2024-02-01", 20)], policy=policy, opening=opening)
    bank.expire_through(date(2026, 1, 1))
    # all valid until 2025-12-31: earned_date first (L1 in February), then id (OB9 < OB10)
    assert rows(bank, "expire") == [
        ("expire", "2026-01-01", -20, "L1", "A"),
        ("expire", "2026-01-01", -9, "OB9", "opening"),
        ("expire", "2026-01-01", -10, "OB10", "opening"),
    ]


def test_c8_lots_without_expiry_never_expire():
    bank = bank_with([ot("A", "2024-03-15", 60)], policy={"expiry": {"mode": "none"}})
    assert bank.expire_through(date(2099, 1, 1)).entries == () and bank.balance == 60


def test_c8_expire_through_limit_keeps_future_leave_from_expiring_lots_early():
    # The addon approves a leave for 2024-02-05 on 2024-01-20 (today): the sweep stops at today.
    policy = {"expiry": {"mode": "rolling_months", "months": 1}}
    bank = bank_with([ot("A", "2024-01-01", 480), ot("B", "2024-01-02", 480)], policy=policy)
    bank.apply(req("R", ["2024-02-01"], 240), expire_through=date(2024, 1, 20))
    assert rows(bank, "expire") == []  # L1 (expiring 2024-02-01) is not touched early
    assert rows(bank, "use") == [("use", "2024-02-01", -240, "L2", "R")]


# --------------------------------------------------------------------------- C9 usage
def test_c9_1_invalid_block_rejects_the_whole_request():
    bank = bank_with([ot("A", "2024-03-01", 2000), req("R", ["2024-03-05"], 300)])
    assert [r.to_dict() for r in bank.rejections] == [{"ref": "R", "reason": "invalid_block"}]
    assert rows(bank, "use") == [] and bank.balance == 2000


def test_c9_2_too_many_days_rejects_the_whole_request():
    days = [f"2024-03-{d:02d}" for d in range(4, 10)]  # 6 dates > 5
    bank = bank_with([ot("A", "2024-03-01", 2400), req("R", days, 240)])
    assert [r.reason for r in bank.rejections] == ["too_many_days"]
    assert rows(bank, "use") == []


def test_c9_validation_order_block_then_days_then_balance():
    days = [f"2024-03-{d:02d}" for d in range(4, 10)]
    bank = bank_with(
        [req("R1", days, 300), req("R2", days, 240), req("R3", days[:5], 240)]
    )  # empty bank: every request would also lack balance
    assert [r.reason for r in bank.rejections] == [
        "invalid_block",
        "too_many_days",
        "insufficient_balance",
    ]


def test_c9_3_insufficient_balance_debits_nothing():
    # 700 minutes, a request of 2 × 480 = 960: the first date (480) could be covered, but
    # the second (220 left) cannot, so nothing at all is debited.
    bank = bank_with(
        [
            ot("A", "2024-03-01", 400),
            ot("B", "2024-03-02", 300),
            req("R", ["2024-03-04", "2024-03-05"], 480),
        ]
    )
    assert [r.to_dict() for r in bank.rejections] == [
        {"ref": "R", "reason": "insufficient_balance"}
    ]
    assert rows(bank, "use") == [] and remaining(bank) == {"L1": 400, "L2": 300}


def test_c9_3_fifo_by_expiry_one_use_entry_per_date_and_lot():
    opening = [
        {"lot": "OB-late", "earned_date": "2024-01-20", "minutes": 200},
        {"lot": "OB-early", "earned_date": "2023-07-01", "minutes": 300},
    ]
    bank = bank_with(
        [ot("A", "2024-03-01", 400), req("R", ["2024-03-05", "2024-03-04"], 240)],
        opening=opening,
    )
    # FIFO by valid_until: OB-early (2024-06-30), OB-late (2025-01-19), L1 (2025-02-28)
    # 2024-03-04: 240 from OB-early (300 -> 60)
    # 2024-03-05: 60 from OB-early (-> 0), 180 from OB-late (200 -> 20)
    assert rows(bank, "use") == [
        ("use", "2024-03-04", -240, "OB-early", "R"),
        ("use", "2024-03-05", -60, "OB-early", "R"),
        ("use", "2024-03-05", -180, "OB-late", "R"),
    ]
    assert remaining(bank) == {"OB-late": 20, "OB-early": 0, "L1": 400}
    assert bank.balance == 420  # 900 - 480


def test_c9_3_a_lot_only_pays_dates_inside_its_validity():
    policy = {"expiry": {"mode": "rolling_months", "months": 1}}
    # L1 (480) valid 2024-01-10..2024-02-09; L2 (240) earned 2024-02-09
    bank = bank_with([ot("A", "2024-01-10", 480), ot("B", "2024-02-09", 240)], policy=policy)
    bank.apply(req("R1", ["2024-02-09", "2024-02-10"], 480))
    # 2024-02-10 needs 480 but only L2 (240) is valid then -> rejected, nothing debited
    assert [r.reason for r in bank.rejections] == ["insufficient_balance"]
    assert rows(bank, "use") == []
    bank.apply(req("R2", ["2024-02-09", "2024-02-10"], 240))
    # 2024-02-09: L1 (valid_until first); 2024-02-10: L1 no longer valid -> L2
    assert rows(bank, "use") == [
        ("use", "2024-02-09", -240, "L1", "R2"),
        ("use", "2024-02-10", -240, "L2", "R2"),
    ]


def test_c9_3_a_lot_cannot_pay_a_date_before_it_was_earned():
    bank = bank_with([], opening=[{"lot": "OB", "earned_date": "2024-03-20", "minutes": 480}])
    bank.apply(req("R", ["2024-03-18"], 240))
    assert [r.reason for r in bank.rejections] == ["insufficient_balance"]


def test_c9_only_approved_requests_debit_and_none_is_rejected_otherwise():
    bank = bank_with([ot("A", "2024-03-01", 480), req("R", ["2024-03-04"], 999, state="draft")])
    assert rows(bank, "use") == [] and bank.rejections == ()


def test_c9_rejection_has_a_clear_message_and_check_request_writes_nothing():
    bank = bank_with([ot("A", "2024-03-01", 240)])
    rejection = bank.check_request([date(2024, 3, 4)], 300)
    assert rejection.reason == "invalid_block" and "240/480" in rejection.message
    assert bank.check_request([date(2024, 3, 4), date(2024, 3, 5)], 240).reason == (
        "insufficient_balance"
    )
    assert bank.check_request([date(2024, 3, 4)], 240) is None
    assert len(bank.ledger) == 1 and bank.rejections == ()


def test_c9_an_active_request_is_not_debited_twice():
    bank = bank_with([ot("A", "2024-03-01", 960), req("R", ["2024-03-04"], 480)])
    assert bank.apply(req("R", ["2024-03-04"], 480)).status == "duplicate"
    assert bank.balance == 480


# --------------------------------------------------------------------------- C10 reversal
def test_c10_reversal_takes_back_from_its_own_lot():
    bank = bank_with([ot("A", "2024-03-01", 300), ot("B", "2024-03-02", 200)])
    outcome = bank.apply(revoke("B", "2024-03-10"))
    entry = outcome.entries[0]
    assert (entry.type, entry.minutes, entry.lot, entry.shortfall_minutes) == (
        "reverse",
        -200,
        "L2",
        0,
    )
    assert remaining(bank) == {"L1": 300, "L2": 0}
    assert bank.month_credited == {"2024-03": 300}  # 500 - 200


def test_c10_reversal_with_shortfall_never_goes_negative():
    bank = bank_with(
        [ot("A", "2024-03-01", 300), req("R", ["2024-03-04"], 240), revoke("A", "2024-03-10")]
    )
    # L1 300, 240 used -> 60 left: the reversal takes 60, the 240 used are the shortfall
    reverse = bank.ledger[-1]
    assert (reverse.minutes, reverse.shortfall_minutes, reverse.balance_after) == (-60, 240, 0)
    assert bank.balance == 0
    # the month goes down by the whole credit (300), and is still listed at 0
    assert bank.month_credited == {"2024-03": 0}


def test_c10_reversing_twice_or_an_uncredited_line_does_nothing():
    bank = bank_with([ot("A", "2024-03-01", 300), ot("P", "2024-03-02", 60, status="to_approve")])
    bank.apply(revoke("A", "2024-03-10"))
    assert bank.apply(revoke("A", "2024-03-11")).status == "ignored"
    assert bank.apply(revoke("P", "2024-03-11")).status == "ignored"
    assert bank.apply(revoke("never-seen", "2024-03-11")).status == "ignored"
    assert [e.type for e in bank.ledger] == ["earn", "reverse"]


def test_c10_cancelled_request_gives_minutes_back_to_the_same_lots_in_order():
    bank = bank_with(
        [
            ot("A", "2024-03-01", 300),
            ot("B", "2024-03-02", 300),
            req("R", ["2024-03-04", "2024-03-05"], 240),
            cancel("R", "2024-03-06"),
        ]
    )
    # uses: 03-04 240 from L1; 03-05 60 from L1 + 180 from L2; cancels mirror them
    assert rows(bank, "use", "use_cancel") == [
        ("use", "2024-03-04", -240, "L1", "R"),
        ("use", "2024-03-05", -60, "L1", "R"),
        ("use", "2024-03-05", -180, "L2", "R"),
        ("use_cancel", "2024-03-06", 240, "L1", "R"),
        ("use_cancel", "2024-03-06", 60, "L1", "R"),
        ("use_cancel", "2024-03-06", 180, "L2", "R"),
    ]
    assert remaining(bank) == {"L1": 300, "L2": 300} and bank.balance == 600
    assert bank.apply(cancel("R", "2024-03-07")).status == "ignored"  # nothing left to give


def test_c10_cancel_after_expiry_re_expires_right_after():
    policy = {"expiry": {"mode": "rolling_months", "months": 1}}
    bank = bank_with(
        [
            ot("A", "2024-01-10", 240),  # L1 valid until 2024-02-09
            ot("B", "2024-02-01", 240),  # L2 valid until 2024-02-29
            req("R", ["2024-02-05"], 480),  # 240 from L1, 240 from L2
            cancel("R", "2024-02-15"),  # L1 expired on 2024-02-10 with nothing left
        ],
        policy=policy,
    )
    assert rows(bank)[-3:] == [
        ("use_cancel", "2024-02-15", 240, "L1", "R"),
        ("expire", "2024-02-15", -240, "L1", "A"),
        ("use_cancel", "2024-02-15", 240, "L2", "R"),
    ]
    assert remaining(bank) == {"L1": 0, "L2": 240} and bank.balance == 240


def test_c10_cancel_after_the_credit_was_revoked_takes_the_minutes_back_again():
    bank = bank_with(
        [
            ot("A", "2024-03-01", 240),
            req("R", ["2024-03-04"], 240),
            revoke("A", "2024-03-05"),  # takes 0, shortfall 240
            cancel("R", "2024-03-06"),  # the 240 come back to L1, whose credit is void
        ]
    )
    assert rows(bank)[-2:] == [
        ("use_cancel", "2024-03-06", 240, "L1", "R"),
        ("reverse", "2024-03-06", -240, "L1", "A"),
    ]
    # the shortfall is corrected (240 - 240 = 0 owed) and the month is not lowered twice
    assert [e.shortfall_minutes for e in bank.ledger if e.type == "reverse"] == [240, -240]
    assert bank.balance == 0 and bank.month_credited == {"2024-03": 0}


# --------------------------------------------------------------------------- C12 separation
def test_c12_separation_forfeits_remaining_lots_in_fifo_order():
    bank = bank_with(
        [
            ot("A", "2024-03-01", 300),
            ot("B", "2024-03-02", 300),
            req("R", ["2024-03-04"], 480),  # L1 300 -> 0, L2 300 -> 120
            separation("2024-04-30"),
        ],
        opening=[{"lot": "OB", "earned_date": "2024-03-10", "minutes": 50}],
    )
    # L1 is empty: no entry; L2 (valid until 2025-03-01) before OB (2025-03-09)
    assert rows(bank, "forfeit") == [
        ("forfeit", "2024-04-30", -120, "L2", "B"),
        ("forfeit", "2024-04-30", -50, "OB", "opening"),
    ]
    assert bank.balance == 0 and all(lot.remaining == 0 for lot in bank.lots)


def test_c12_payout_policy_is_only_an_export_line():
    bank = bank_with([ot("A", "2024-03-01", 300)], policy={"separation": "payout"})
    outcome = bank.apply(separation("2024-04-30"))
    assert [e.type for e in outcome.entries] == ["forfeit"]
    assert [(p.source, p.lot, p.minutes) for p in outcome.payroll] == [("separation", "L1", 300)]


def test_c12_cancel_after_separation_forfeits_the_returned_minutes():
    bank = bank_with(
        [
            ot("A", "2024-03-01", 480),
            req("R", ["2024-05-06"], 240),
            separation("2024-04-30"),
            cancel("R", "2024-04-30"),
        ]
    )
    assert rows(bank)[-3:] == [
        ("forfeit", "2024-04-30", -240, "L1", "A"),
        ("use_cancel", "2024-04-30", 240, "L1", "R"),
        ("forfeit", "2024-04-30", -240, "L1", "A"),
    ]
    assert bank.balance == 0


# --------------------------------------------------------------------------- C13 opening
def test_c13_opening_lots_are_written_first_never_capped_and_count_toward_caps():
    opening = [
        {"lot": "OB1", "earned_date": "2024-03-01", "minutes": 2000},
        {"lot": "OB2", "earned_date": "2024-02-01", "minutes": 6000},
    ]
    bank = bank_with([ot("A", "2024-03-20", 600), ot("B", "2024-04-02", 60)], opening=opening)
    # opening total 8000 > balance cap 7200, written as given
    assert rows(bank)[:2] == [
        ("opening", "2024-03-01", 2000, "OB1", "opening"),
        ("opening", "2024-02-01", 6000, "OB2", "opening"),
    ]
    # A: raw 600, March room 2400 - 2000 = 400 -> 400 (200 cut); balance 8000 >= 7200 -> 0
    assert rows(bank)[2:4] == [
        ("cap_monthly", "2024-03-20", 0, None, "A"),
        ("cap_balance", "2024-03-20", 0, None, "A"),
    ]
    assert [e.uncredited_minutes for e in bank.ledger[2:4]] == [200, 400]
    assert bank.month_credited == {"2024-02": 6000, "2024-03": 2000}
    assert bank.balance == 8000


def test_c13_opening_lots_only_before_any_event():
    bank = bank_with([ot("A", "2024-03-01", 60)])
    with pytest.raises(CtoInputError, match=r"^opening_lots: .*before any event"):
        bank.add_opening_lots([{"lot": "OB", "earned_date": "2024-01-01", "minutes": 1}])


def test_c13_opening_lot_ref_is_opening():
    """The lot and every entry naming it by its ref (opening, expire, forfeit) carry
    ``opening``; entries that name it by another ref (a request's use) keep that ref."""
    policy = {"expiry": {"mode": "rolling_months", "months": 1}}
    opening = [
        {"lot": "OB-old", "earned_date": "2024-01-10", "minutes": 240},  # valid to 2024-02-09
        {"lot": "OB-new", "earned_date": "2024-03-01", "minutes": 300},  # valid to 2024-03-31
    ]
    bank = bank_with(
        [
            req("R", ["2024-02-05"], 240),  # paid by OB-old
            cancel("R", "2024-02-20"),  # OB-old expired on 2024-02-10: re-expired at once
            separation("2024-03-15"),  # OB-new written off
        ],
        policy=policy,
        opening=opening,
    )
    assert [(lot.lot, lot.ref) for lot in bank.lots] == [
        ("OB-old", "opening"),
        ("OB-new", "opening"),
    ]
    assert rows(bank) == [
        ("opening", "2024-01-10", 240, "OB-old", "opening"),
        ("opening", "2024-03-01", 300, "OB-new", "opening"),
        ("use", "2024-02-05", -240, "OB-old", "R"),
        ("use_cancel", "2024-02-20", 240, "OB-old", "R"),
        ("expire", "2024-02-20", -240, "OB-old", "opening"),
        ("forfeit", "2024-03-15", -300, "OB-new", "opening"),
    ]
    # The swept expiry (C8) names it the same way, and so does the G2 lots[] output.
    swept = bank_with([], policy=policy, opening=opening[:1])
    assert [(e.type, e.ref) for e in swept.expire_through(date(2024, 2, 10)).entries] == [
        ("expire", "opening")
    ]
    assert [lot["ref"] for lot in bank.to_document()["lots"]] == ["opening", "opening"]


@pytest.mark.parametrize(
    ("lots", "field"),
    [
        ([{"lot": "L1", "earned_date": "2024-01-01", "minutes": 5}], "opening_lots[0].lot"),
        ([{"lot": "X", "earned_date": "2024-01-01", "minutes": 0}], "opening_lots[0].minutes"),
        ([{"lot": "X", "earned_date": "01/02/2024", "minutes": 5}], "opening_lots[0].earned_date"),
        (
            [
                {"lot": "X", "earned_date": "2024-01-01", "minutes": 5},
                {"lot": "X", "earned_date": "2024-01-02", "minutes": 5},
            ],
            "opening_lots[1].lot",
        ),
    ],
)
def test_c13_bad_opening_lots_name_the_field(lots, field):
    with pytest.raises(CtoInputError) as info:
        CtoBank().add_opening_lots(lots)
    assert info.value.field == field
