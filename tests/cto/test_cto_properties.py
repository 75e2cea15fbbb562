"""Property tests (hypothesis): C11 invariants under random event streams, determinism (C3),
no credit without approval (C1), tamper evidence (C11), rebuild-and-continue equivalence."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zk_rules.cto import CtoBank, verify_chain
from zk_rules.cto.ledger import entry_hash

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = date(2024, 1, 1)

policies = st.fixed_dictionaries(
    {
        "rates": st.fixed_dictionaries(
            {
                "workday": st.sampled_from(["1.0", "1.25", "1.5"]),
                "rest_day": st.sampled_from(["1.5", "2", "1.3"]),
                "holiday": st.sampled_from(["1.5", "0.7"]),
            }
        ),
        "monthly_cap_minutes": st.sampled_from([None, 300, 2400]),
        "balance_cap_minutes": st.sampled_from([None, 600, 7200]),
        "expiry": st.one_of(
            st.builds(lambda m: {"mode": "rolling_months", "months": m}, st.integers(1, 12)),
            st.just({"mode": "end_of_following_year"}),
            st.just({"mode": "none"}),
        ),
    }
)

steps = st.lists(
    st.tuples(
        st.integers(0, 45),  # days since the previous event
        st.sampled_from(["ot", "ot", "ot", "req", "req", "revoke", "cancel", "separation"]),
        st.integers(0, 900),  # minutes / selector
        st.integers(0, 10),  # small selector
    ),
    max_size=25,
)
openings = st.lists(
    st.tuples(st.integers(1, 400), st.integers(1, 900)), max_size=2
)  # (days before START, minutes)


def build_stream(raw_steps):
    """Events in chronological order of effective dates (C3), refs unique per kind."""
    events, overtime_refs, request_refs = [], [], []
    day = START
    for gap, action, number, small in raw_steps:
        day += timedelta(days=gap)
        text = day.isoformat()
        if action == "ot":
            ref = f"OT{len(overtime_refs) + 1}"
            overtime_refs.append(ref)
            status = ["approved", "approved", "approved", "to_approve", "refused"][small % 5]
            kind = ["workday", "rest_day", "holiday"][number % 3]
            events.append(
                {"type": "overtime", "ref": ref, "work_date": text, "kind": kind,
                 "approved_minutes": number, "status": status}
            )  # fmt: skip
        elif action == "req":
            ref = f"CR{len(request_refs) + 1}"
            request_refs.append(ref)
            days = [(day + timedelta(days=i)).isoformat() for i in range(1 + small % 6)]
            events.append(
                {"type": "cto_request", "ref": ref, "dates": days,
                 "minutes_per_day": [240, 480, 240, 300][number % 4],
                 "state": "approved" if small != 7 else "draft"}
            )  # fmt: skip
        elif action == "revoke" and overtime_refs:
            ref = overtime_refs[number % len(overtime_refs)]
            events.append({"type": "overtime_revoked", "ref": ref, "date": text})
        elif action == "cancel" and request_refs:
            ref = request_refs[number % len(request_refs)]
            events.append({"type": "cto_cancelled", "ref": ref, "date": text})
        elif action == "separation" and small < 3:
            events.append({"type": "separation", "date": text})
    return events


def opening_lots(raw):
    return [
        {"lot": f"OB{i}", "earned_date": (START - timedelta(days=d)).isoformat(), "minutes": m}
        for i, (d, m) in enumerate(raw)
    ]


def run(policy, opening, events):
    bank = CtoBank(policy)
    bank.add_opening_lots(opening)
    for event in events:
        bank.apply(event)
    bank.expire_through(START + timedelta(days=800))
    return bank


def check_invariants(bank):
    lots = bank.lots
    assert all(0 <= lot.remaining <= lot.credited for lot in lots)
    assert bank.balance == sum(lot.remaining for lot in lots) >= 0
    running = 0
    for seq, entry in enumerate(bank.ledger, start=1):
        running += entry.minutes
        assert entry.seq == seq and entry.balance_after == running >= 0
    assert running == bank.balance
    per_lot = {}
    for entry in bank.ledger:
        if entry.lot is not None:
            per_lot[entry.lot] = per_lot.get(entry.lot, 0) + entry.minutes
    assert per_lot == {lot.lot: lot.remaining for lot in lots}


@SETTINGS
@given(policies, openings, steps)
def test_c11_balance_is_the_sum_of_lots_and_never_negative_at_every_step(policy, raw_open, raw):
    bank = CtoBank(policy)
    bank.add_opening_lots(opening_lots(raw_open))
    check_invariants(bank)
    for index, event in enumerate(build_stream(raw)):
        # every other event the addon's way: the expiry sweep capped at an earlier "today"
        today = START + timedelta(days=7 * index) if index % 2 else None
        outcome = bank.apply(event, expire_through=today)
        check_invariants(bank)
        if outcome.rejection is not None:  # C9: a rejected request writes no use entry
            assert all(e.type == "expire" for e in outcome.entries)
    bank.expire_through(START + timedelta(days=800))
    check_invariants(bank)
    assert verify_chain(bank.ledger) is None
    assert all(v >= 0 for v in bank.month_credited.values())


@SETTINGS
@given(policies, openings, steps)
def test_c3_replaying_the_same_stream_gives_the_same_ledger_and_chain(policy, raw_open, raw):
    events, opening = build_stream(raw), opening_lots(raw_open)
    first, second = run(policy, opening, events), run(policy, opening, events)
    assert first.ledger == second.ledger  # every field, hashes included
    assert first.to_document() == second.to_document()


@SETTINGS
@given(policies, steps)
def test_c1_no_credit_from_non_approved_lines(policy, raw):
    events = build_stream(raw)
    approved = {e["ref"] for e in events if e["type"] == "overtime" and e["status"] == "approved"}
    bank = run(policy, [], events)
    assert {e.ref for e in bank.ledger if e.type in ("earn", "cap_monthly", "cap_balance")} <= (
        approved
    )
    only_approved = [e for e in events if e["type"] != "overtime" or e["status"] == "approved"]
    assert run(policy, [], only_approved).ledger == bank.ledger


@SETTINGS
@given(policies, openings, steps)
def test_c4_c5_caps_hold_for_every_credit(policy, raw_open, raw):
    bank = run(policy, opening_lots(raw_open), build_stream(raw))
    monthly, cap = policy["monthly_cap_minutes"], policy["balance_cap_minutes"]
    earned: dict[str, int] = {}
    before = 0
    for entry in bank.ledger:
        if entry.type == "earn":
            key = entry.date.isoformat()[:7]
            earned[key] = earned.get(key, 0) + entry.minutes
            if monthly is not None:
                assert earned[key] <= monthly
            if cap is not None:
                assert entry.balance_after <= max(cap, before)
        before = entry.balance_after


@SETTINGS
@given(policies, openings, steps, st.data())
def test_c11_a_tampered_entry_breaks_the_chain(policy, raw_open, raw, data):
    bank = run(policy, opening_lots(raw_open), build_stream(raw))
    stored = [entry.to_dict() for entry in bank.ledger]
    if not stored:
        return
    index = data.draw(st.integers(0, len(stored) - 1))
    field = data.draw(st.sampled_from(["minutes", "balance_after", "date", "lot", "ref", "type"]))
    original = stored[index][field]
    stored[index][field] = {
        "minutes": lambda v: v + 1,
        "balance_after": lambda v: v + 1,
        "date": lambda v: "1999-01-01" if v != "1999-01-01" else "1999-01-02",
        "lot": lambda v: f"{v}x",
        "ref": lambda v: f"{v}x",
        "type": lambda v: "earn" if v != "earn" else "opening",
    }[field](original)
    assert verify_chain(stored) == index + 1
    # Re-hashing the edited entry only moves the break to the next link.
    entries = list(bank.ledger)
    edited = replace(entries[index], reason="edited")
    entries[index] = replace(edited, hash=entry_hash(edited.prev_hash, edited.payload()))
    expected = index + 2 if index + 1 < len(entries) else None
    assert verify_chain(entries) == expected


@SETTINGS
@given(policies, openings, steps, st.data())
def test_c11_rebuild_from_storage_then_continue_equals_one_replay(policy, raw_open, raw, data):
    events, opening = build_stream(raw), opening_lots(raw_open)
    cut = data.draw(st.integers(0, len(events)))
    whole = run(policy, opening, events)
    head = CtoBank(policy)
    head.add_opening_lots(opening)
    for event in events[:cut]:
        head.apply(event)
    rebuilt = CtoBank.from_records(
        policy, [lot.to_dict() for lot in head.lots], [e.to_dict() for e in head.ledger]
    )
    assert rebuilt.month_credited == head.month_credited
    for event in events[cut:]:
        rebuilt.apply(event)
    rebuilt.expire_through(START + timedelta(days=800))
    assert rebuilt.ledger == whole.ledger
    assert [lot.to_dict() for lot in rebuilt.lots] == [lot.to_dict() for lot in whole.lots]
