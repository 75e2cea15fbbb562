"""G2 replay: ``replay_document`` and the ``zk-replay bank`` command, with clear errors."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cto_helpers import cancel, ot, req, revoke, separation

from zk_rules.cto import CtoInputError, replay_document

ZK_REPLAY = Path(sys.prefix) / "bin" / "zk-replay"

# A worked example touching C1-C13, with every figure computed by hand below.
WORKED = {
    "policy": {
        "rates": {"workday": 1.0, "rest_day": 1.5, "holiday": 1.5},
        "monthly_cap_minutes": 600,
        "balance_cap_minutes": 900,
        "expiry": {"mode": "end_of_following_year"},
    },
    "opening_lots": [{"lot": "OB-2023", "earned_date": "2023-11-20", "minutes": 120}],
    "events": [
        ot("OT1", "2024-01-08", 80, kind="rest_day"),
        ot("OT2", "2024-01-09", 600),
        ot("OT3", "2024-01-10", 100, kind="holiday", status="to_approve"),
        req("CR1", ["2024-01-15", "2024-01-16"], 240),
        req("CR2", ["2024-01-17"], 300),
        cancel("CR1", "2024-01-22"),
        req("CR3", ["2024-02-05"], 240),
        req("CR4", ["2024-02-06"], 240),
        revoke("OT2", "2024-02-10"),
        ot("OT4", "2024-02-12", 500, kind="holiday"),
        cancel("CR3", "2025-01-05"),
        separation("2025-03-01"),
    ],
    "as_of": "2025-06-30",
}


def _e(seq, day, kind, minutes, lot, ref, balance, **extra):
    return {
        "seq": seq, "date": day, "type": kind, "minutes": minutes, "lot": lot, "ref": ref,
        "balance_after": balance, **extra,
    }  # fmt: skip


WORKED_LEDGER = [
    # C13: opening lot first; valid until 31 Dec 2024 (end_of_following_year)
    _e(1, "2023-11-20", "opening", 120, "OB-2023", "opening", 120),
    # OT1: 80 × 1.5 = 120; January room 600, balance room 900 - 120 = 780 -> 120
    _e(2, "2024-01-08", "earn", 120, "L1", "OT1", 240, raw_minutes=120),
    # OT2: 600 × 1.0 = 600; January room 600 - 120 = 480 -> 480, 120 cut (C4)
    _e(3, "2024-01-09", "earn", 480, "L2", "OT2", 720, raw_minutes=600),
    _e(4, "2024-01-09", "cap_monthly", 0, None, "OT2", 720, uncredited_minutes=120),
    # OT3 is to_approve: nothing (C1). CR1, FIFO by (valid_until, earned_date, id):
    # OB-2023 (2024-12-31), L1 (2025-12-31, 01-08), L2 (2025-12-31, 01-09)
    _e(5, "2024-01-15", "use", -120, "OB-2023", "CR1", 600),
    _e(6, "2024-01-15", "use", -120, "L1", "CR1", 480),
    _e(7, "2024-01-16", "use", -240, "L2", "CR1", 240),
    # CR2: 300 is not a 240/480 block -> rejected (C9.1). CR1 cancelled (C10):
    _e(8, "2024-01-22", "use_cancel", 120, "OB-2023", "CR1", 360),
    _e(9, "2024-01-22", "use_cancel", 120, "L1", "CR1", 480),
    _e(10, "2024-01-22", "use_cancel", 240, "L2", "CR1", 720),
    _e(11, "2024-02-05", "use", -120, "OB-2023", "CR3", 600),
    _e(12, "2024-02-05", "use", -120, "L1", "CR3", 480),
    _e(13, "2024-02-06", "use", -240, "L2", "CR4", 240),
    # OT2 revoked: L2 has 240 of its 480 left -> take 240, shortfall 240 (C10)
    _e(14, "2024-02-10", "reverse", -240, "L2", "OT2", 0, shortfall_minutes=240),
    # OT4: 500 × 1.5 = 750; February room 600 -> 600, 150 cut; balance room 900 -> 600
    _e(15, "2024-02-12", "earn", 600, "L3", "OT4", 600, raw_minutes=750),
    _e(16, "2024-02-12", "cap_monthly", 0, None, "OT4", 600, uncredited_minutes=150),
    # CR3 cancelled after OB-2023 expired (2025-01-01, nothing left then): re-expired at once
    _e(17, "2025-01-05", "use_cancel", 120, "OB-2023", "CR3", 720),
    _e(18, "2025-01-05", "expire", -120, "OB-2023", "opening", 600),
    _e(19, "2025-01-05", "use_cancel", 120, "L1", "CR3", 720),
    # separation: FIFO L1 (2025-12-31, 2024-01-08) then L3 (2025-12-31, 2024-02-12) (C12)
    _e(20, "2025-03-01", "forfeit", -120, "L1", "OT1", 600),
    _e(21, "2025-03-01", "forfeit", -600, "L3", "OT4", 0),
]


def _lot(lot, ref, earned, valid_until, credited, remaining):
    return {
        "lot": lot, "ref": ref, "earned_date": earned, "valid_until": valid_until,
        "credited": credited, "remaining": remaining,
    }  # fmt: skip


WORKED_OUTPUT = {
    "balance": 0,
    # 2024-01: 120 + 480 - 480 (OT2's whole credit reversed) = 120
    "month_credited": {"2023-11": 120, "2024-01": 120, "2024-02": 600},
    "lots": [
        _lot("OB-2023", "opening", "2023-11-20", "2024-12-31", 120, 0),
        _lot("L1", "OT1", "2024-01-08", "2025-12-31", 120, 0),
        _lot("L2", "OT2", "2024-01-09", "2025-12-31", 480, 0),
        _lot("L3", "OT4", "2024-02-12", "2025-12-31", 600, 0),
    ],
    "ledger": WORKED_LEDGER,
    "rejections": [{"ref": "CR2", "reason": "invalid_block"}],
}


def test_g2_worked_example():
    assert replay_document(copy.deepcopy(WORKED)) == WORKED_OUTPUT


def test_g2_output_is_plain_json_and_does_not_touch_the_input():
    document = copy.deepcopy(WORKED)
    output = replay_document(document)
    assert document == WORKED
    assert json.loads(json.dumps(output)) == output


def test_g2_defaults_and_as_of_expiry():
    output = replay_document(
        {
            "events": [ot("A", "2024-03-15", 41, kind="rest_day")],  # 61, valid to 2025-03-14
            "as_of": "2025-03-15",
        }
    )
    assert output["ledger"][-1] == _e(2, "2025-03-15", "expire", -61, "L1", "A", 0)
    assert output["balance"] == 0 and output["month_credited"] == {"2024-03": 61}
    assert replay_document({"events": [], "as_of": "2030-01-01"}) == {
        "balance": 0, "month_credited": {}, "lots": [], "ledger": [], "rejections": [],
    }  # fmt: skip


def test_g2_as_of_before_the_expiry_day_keeps_the_lot():
    output = replay_document(
        {"events": [ot("A", "2024-03-15", 60)], "as_of": "2025-03-14"}  # valid until 03-14
    )
    assert output["balance"] == 60 and [e["type"] for e in output["ledger"]] == ["earn"]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"events": [{"type": "bonus"}]}, "events[0].type"),
        ({"events": [ot("A", "2024-02-30", 60)]}, "events[0].work_date"),
        ({"events": [ot("A", "2024-02-01", 60, kind="night")]}, "events[0].kind"),
        ({"events": [ot("A", "2024-02-01", 60, status="ok")]}, "events[0].status"),
        ({"events": [ot("A", "2024-02-01", 60.5)]}, "events[0].approved_minutes"),
        ({"events": [ot("A", "2024-02-01", -5)]}, "events[0].approved_minutes"),
        ({"events": [ot("", "2024-02-01", 5)]}, "events[0].ref"),
        ({"events": [req("R", [])]}, "events[0].dates"),
        ({"events": [req("R", ["2024-02-01", "2024-02-01"])]}, "events[0].dates"),
        ({"events": [req("R", ["2024-02-01", "tomorrow"])]}, "events[0].dates[1]"),
        ({"events": [req("R", ["2024-02-01"], "4h")]}, "events[0].minutes_per_day"),
        ({"events": [req("R", ["2024-02-01"], state=None)]}, "events[0].state"),
        ({"events": [ot("A", "2024-02-01", 5), revoke("B", "2024-02-02")]}, "events[1].ref"),
        ({"events": [cancel("R", "2024-02-02")]}, "events[0].ref"),
        ({"events": [separation(None)]}, "events[0].date"),
        ({"events": {}}, "events"),
        ({"events": [], "as_of": "soon"}, "as_of"),
        (
            {"opening_lots": [{"lot": "L3", "earned_date": "2024-01-01", "minutes": 5}]},
            "opening_lots[0].lot",
        ),
        ({"policy": {"expiry": {"mode": "weekly"}}}, "policy.expiry.mode"),
        ({"polcy": {}}, "polcy"),
    ],
)
def test_g2_bad_documents_name_the_field(document, field):
    with pytest.raises(CtoInputError) as info:
        replay_document(document)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


# --------------------------------------------------------------------------- the command
def _run(*args, stdin=None):
    return subprocess.run(
        [str(ZK_REPLAY), *args], input=stdin, capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
def test_g2_cli_replays_a_file(tmp_path):
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(WORKED), encoding="utf-8")
    result = _run("bank", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == WORKED_OUTPUT
    from_stdin = _run("bank", "-", stdin=json.dumps(WORKED))
    assert from_stdin.returncode == 0 and json.loads(from_stdin.stdout) == WORKED_OUTPUT


@pytest.mark.slow
def test_g2_cli_reports_a_bad_document_and_exits_2(tmp_path):
    document = {"events": [ot("OT1", "2024-01-08", 60), revoke("OT9", "2024-01-09")]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = _run("bank", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert "events[1].ref" in result.stderr and "OT9" in result.stderr
    assert "Traceback" not in result.stderr
