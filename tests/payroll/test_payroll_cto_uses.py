"""CTO debits in force for the export (C9 use, C10 use_cancel): a cancellation is dated the
day it happens, not the leave date, so uses are matched per request in ledger order."""

from __future__ import annotations

import re

import pytest

from zk_rules.payroll import PayrollInputError, active_cto_uses


def use(seq, day, lot, minutes, ref="leave:1"):
    return {"seq": seq, "type": "use", "date": day, "lot": lot, "minutes": -minutes, "ref": ref}


def cancel(seq, day, lot, minutes, ref="leave:1"):
    return {"seq": seq, "type": "use_cancel", "date": day, "lot": lot, "minutes": minutes,
            "ref": ref}


def test_c9_approved_leave_uses_are_in_force_on_the_leave_date():
    entries = [{"seq": 1, "type": "earn", "date": "2025-02-03", "lot": "L1", "minutes": 300,
                "ref": "ot:1"},
               use(2, "2025-03-13", "L1", 300), use(3, "2025-03-13", "L2", 180)]
    assert active_cto_uses(entries) == [
        {"date": "2025-03-13", "lot": "L1", "minutes": 300, "ref": "leave:1"},
        {"date": "2025-03-13", "lot": "L2", "minutes": 180, "ref": "leave:1"}]


def test_c10_cancelled_on_another_day_leaves_nothing_on_the_leave_date():
    entries = [use(2, "2025-03-13", "L1", 300), use(3, "2025-03-13", "L2", 180),
               cancel(4, "2025-03-20", "L1", 300), cancel(5, "2025-03-20", "L2", 180)]
    assert active_cto_uses(entries) == []


def test_c10_approved_again_after_a_cancellation_counts_once():
    entries = [use(2, "2025-03-13", "L1", 480), cancel(3, "2025-03-20", "L1", 480),
               use(4, "2025-03-13", "L2", 480)]
    assert active_cto_uses(entries) == [
        {"date": "2025-03-13", "lot": "L2", "minutes": 480, "ref": "leave:1"}]


def test_c10_a_cancellation_touches_only_its_own_request_and_order_is_the_ledgers():
    entries = [cancel(5, "2025-03-20", "L1", 240, ref="leave:2"),
               use(2, "2025-03-12", "L1", 240, ref="leave:2"),
               use(3, "2025-03-14", "L1", 240, ref="leave:3")]
    assert active_cto_uses(entries) == [
        {"date": "2025-03-14", "lot": "L1", "minutes": 240, "ref": "leave:3"}]


def test_c9_a_request_over_several_days_is_kept_per_date_and_merged_per_lot():
    entries = [use(2, "2025-03-12", "L1", 240), use(3, "2025-03-13", "L1", 100),
               use(4, "2025-03-13", "L2", 140), use(5, "2025-03-13", "L1", 20)]
    assert active_cto_uses(entries) == [
        {"date": "2025-03-12", "lot": "L1", "minutes": 240, "ref": "leave:1"},
        {"date": "2025-03-13", "lot": "L1", "minutes": 120, "ref": "leave:1"},
        {"date": "2025-03-13", "lot": "L2", "minutes": 140, "ref": "leave:1"}]


@pytest.mark.parametrize(("entry", "field"), [
    ({"seq": "1", "type": "use", "date": "2025-03-13", "lot": "L1", "minutes": -1, "ref": "r"},
     "entries[0].seq"),
    ({"seq": 1, "type": "use", "date": "13/03/2025", "lot": "L1", "minutes": -1, "ref": "r"},
     "entries[0].date"),
    ({"seq": 1, "type": "use", "date": "2025-03-13", "lot": "", "minutes": -1, "ref": "r"},
     "entries[0].lot"),
    ({"seq": 1, "type": "use", "date": "2025-03-13", "lot": "L1", "minutes": 5, "ref": "r"},
     "entries[0].minutes"),
    ({"seq": 1, "type": "use", "date": "2025-03-13", "lot": "L1", "minutes": -5, "ref": None},
     "entries[0].ref"),
    ("use", "entries[0]"),
])
def test_bad_entries_name_their_field(entry, field):
    with pytest.raises(PayrollInputError, match=f"^{re.escape(field)}"):
        active_cto_uses([entry])
