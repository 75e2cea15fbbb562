"""C11: append-only ledger, hash chain, tamper evidence, and rebuilding a bank from storage."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date

import pytest
from cto_helpers import bank_with, cancel, ot, req, revoke, separation

from zk_rules.cto import CtoBank, CtoInputError, LedgerEntry, entry_hash, verify_chain
from zk_rules.cto.ledger import canonical_json

EVENTS = [
    ot("A", "2024-03-01", 300, actor="manager", timestamp="2024-03-02T08:00:00"),
    ot("B", "2024-03-02", 300, kind="rest_day"),
    req("R", ["2024-03-04", "2024-03-05"], 240, reason="office order 12"),
    revoke("A", "2024-03-10"),
    cancel("R", "2024-03-11"),
    ot("C", "2024-04-01", 2500),
    req("S", ["2024-04-08"], 480),
]


def test_c11_entry_fields_and_types():
    bank = bank_with(EVENTS)
    first = bank.ledger[0].to_dict()
    assert set(first) == {
        "seq", "date", "type", "minutes", "lot", "ref", "balance_after", "raw_minutes",
        "uncredited_minutes", "shortfall_minutes", "actor", "timestamp", "reason",
        "prev_hash", "hash",
    }  # fmt: skip
    assert (first["actor"], first["timestamp"]) == ("manager", "2024-03-02T08:00:00")
    assert [e.reason for e in bank.ledger if e.ref == "R" and e.type == "use"] == [
        "office order 12"
    ] * 3  # 03-04: 240 from L1; 03-05: 60 from L1 + 180 from L2
    assert {e.reason for e in bank.ledger if e.type == "cap_monthly"} == {"C4 monthly cap"}


def test_c11_hash_is_versioned_sha256_over_previous_hash_and_canonical_json():
    bank = bank_with(EVENTS)
    first, second = bank.ledger[0], bank.ledger[1]
    payload = first.to_dict()
    del payload["hash"], payload["prev_hash"]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert canonical_json(payload) == text
    assert first.prev_hash == ""
    assert first.hash == "v1$" + hashlib.sha256(text.encode()).hexdigest()
    assert second.prev_hash == first.hash
    assert second.hash == entry_hash(first.hash, second.payload())


def test_c11_chain_verifies_and_a_tampered_entry_is_found():
    bank = bank_with(EVENTS)
    stored = [e.to_dict() for e in bank.ledger]
    assert verify_chain(stored) is None and verify_chain(bank.ledger) is None
    stored[3]["minutes"] -= 1  # an edit
    assert verify_chain(stored) == 4
    stored[3]["minutes"] += 1
    assert verify_chain(stored) is None
    stored[5]["type"] = "gift"  # not even an entry any more
    assert verify_chain(stored) == 6
    deleted = [e.to_dict() for e in bank.ledger]
    del deleted[2]  # a deletion breaks seq and the link
    assert verify_chain(deleted) == 4
    resealed = list(bank.ledger)
    resealed[1] = replace(resealed[1], minutes=1)
    resealed[1] = replace(
        resealed[1], hash=entry_hash(resealed[1].prev_hash, resealed[1].payload())
    )
    # re-hashing the edited entry does not help: the next entry's link no longer matches
    assert verify_chain(resealed) == 3


def test_c11_ledger_is_append_only_and_balance_follows():
    bank = CtoBank()
    seen: list[LedgerEntry] = []
    for event in EVENTS:
        bank.apply(event)
        assert bank.ledger[: len(seen)] == tuple(seen)  # nothing before is ever changed
        seen = list(bank.ledger)
    running = 0
    for seq, entry in enumerate(bank.ledger, start=1):
        running += entry.minutes
        assert entry.seq == seq and entry.balance_after == running >= 0
    assert bank.balance == running == sum(lot.remaining for lot in bank.lots)
    with pytest.raises(AttributeError):
        bank.ledger[0].minutes = 5  # frozen entries


def test_c11_rebuild_from_stored_records_then_continue_incrementally():
    whole = bank_with(EVENTS + [separation("2024-05-01")])
    part = bank_with(EVENTS)
    stored_lots = [lot.to_dict() for lot in part.lots]
    stored_ledger = [entry.to_dict() for entry in part.ledger]
    rebuilt = CtoBank.from_records({}, stored_lots, stored_ledger)
    assert rebuilt.month_credited == part.month_credited
    assert rebuilt.balance == part.balance
    # C1 and C9 memory comes back from the ledger: no double credit, no double debit
    assert rebuilt.apply(ot("B", "2024-03-02", 300, kind="rest_day")).status == "duplicate"
    assert rebuilt.apply(req("S", ["2024-04-08"], 480)).status == "duplicate"
    assert rebuilt.apply(revoke("A", "2024-04-20")).status == "ignored"
    rebuilt.apply(separation("2024-05-01"))
    assert rebuilt.ledger == whole.ledger  # same entries, same hash chain
    assert [lot.to_dict() for lot in rebuilt.lots] == [lot.to_dict() for lot in whole.lots]


def test_c11_rebuild_knows_active_requests_and_next_lot_number():
    part = bank_with(EVENTS)
    rebuilt = CtoBank.from_records(None, part.lots, part.ledger)
    outcome = rebuilt.apply(cancel("S", "2024-04-09"))
    assert outcome.lot_ids == ("L2", "L3") and rebuilt.lot("L2").remaining == 450
    # S took 450 from L2 (B: 300 × 1.5) and 30 from L3
    assert [(e.type, e.lot, e.minutes) for e in outcome.entries] == [
        ("use_cancel", "L2", 450),
        ("use_cancel", "L3", 30),
    ]
    assert rebuilt.apply(ot("D", "2024-05-02", 10)).entries[0].lot == "L4"


def test_c11_rebuild_from_a_g2_output_without_hashes():
    document = bank_with(EVENTS).to_document()
    rebuilt = CtoBank.from_records({}, document["lots"], document["ledger"], verify_hashes=False)
    assert rebuilt.to_document() == {**document, "rejections": []}
    assert verify_chain(rebuilt.ledger) is None
    with pytest.raises(CtoInputError, match=r"^ledger\[0\]\.hash: "):
        CtoBank.from_records({}, document["lots"], document["ledger"])


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda lots, led: led[2].update(minutes=led[2]["minutes"] + 1), "ledger[2].balance_after"),
        (lambda lots, led: led[2].update(seq=7), "ledger[2].seq"),
        (lambda lots, led: led[2].update(reason="edited"), "ledger[2].hash"),
        (lambda lots, led: lots[0].update(remaining=lots[0]["remaining"] + 5), "lots[0].remaining"),
        (lambda lots, led: led[0].update(lot="nope"), "ledger[0].hash"),
        (lambda lots, led: led[0].update(type="gift"), "ledger[0].type"),
        (lambda lots, led: lots.append(dict(lots[0])), "lots[3].lot"),
    ],
)
def test_c11_rebuild_refuses_inconsistent_records(mutate, field):
    bank = bank_with(EVENTS)
    lots = [lot.to_dict() for lot in bank.lots]
    ledger = [entry.to_dict() for entry in bank.ledger]
    mutate(lots, ledger)
    with pytest.raises(CtoInputError) as info:
        CtoBank.from_records({}, lots, ledger)
    assert info.value.field == field


def test_c11_rebuild_refuses_an_entry_on_an_unknown_lot():
    bank = bank_with(EVENTS)
    ledger = [entry.to_dict() for entry in bank.ledger]
    ledger[0]["lot"] = "nope"
    with pytest.raises(CtoInputError, match=r"^ledger\[0\]\.lot: unknown lot 'nope'"):
        CtoBank.from_records({}, bank.lots, ledger, verify_hashes=False)


def test_c11_records_cover_earned_used_and_expired_per_period():
    from zk_rules.cto import movements_by_month

    bank = bank_with(EVENTS)
    bank.expire_through(date(2025, 4, 1))
    table = movements_by_month(bank.ledger)
    # March: A 300 + B 450 earned; R used 480 and gave it back; A reversed (-60 taken back)
    assert table["2024-03"]["earn"] == 750
    assert table["2024-03"]["use"] == -480 and table["2024-03"]["use_cancel"] == 480
    assert table["2024-03"]["reverse"] == -300
    # April: C raw 2500 -> 2400 credited, 100 uncredited; S used 480
    assert (table["2024-04"]["earn"], table["2024-04"]["uncredited"]) == (2400, 100)
    assert table["2024-04"]["use"] == -480
    assert sum(row[t] for row in table.values() for t in row if t != "uncredited") == 0
