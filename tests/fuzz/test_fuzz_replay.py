"""The replay documents (engine-rules.md Part G): ``zk_rules.engine.replay.replay_document``
(G1, a day) and ``zk_rules.cto.replay.replay_document`` (G2, a CTO bank).

A valid document is mutated in 1-3 places (a value replaced by any JSON value or a tricky
one, a key deleted or added, an item appended). Property: the replay either returns a JSON
document or raises a ``ValueError`` subclass that names a field (``exc.field``, and the
message starts with it) — never another exception, which ``zk-replay`` would turn into a
traceback instead of "exit 2 with the field".
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, fields
from typing import Any

import pytest
from fuzz_settings import fuzz
from hypothesis import example, given
from hypothesis import strategies as st

from zk_rules.cto.replay import replay_document as replay_bank
from zk_rules.engine.policy import DEFAULT_POLICY, Policy
from zk_rules.engine.replay import replay_document as replay_day

POLICY = {f.name: getattr(DEFAULT_POLICY, f.name) for f in fields(Policy) if f.init}
POLICY = json.loads(json.dumps({k: asdict(v) if hasattr(v, "__dataclass_fields__") else v
                                for k, v in POLICY.items()}))

DAY = {
    "timezone": "Asia/Manila",
    "evaluate_dates": ["2025-03-03", "2025-03-04"],
    "punches": [
        {"id": 1, "local_time": "2025-03-03 07:58:12", "status": 0},
        {"id": 2, "local_time": "2025-03-03 12:01:05", "status": 2},
        {"id": 3, "local_time": "2025-03-03 12:59:40", "status": 3},
        {"id": 4, "local_time": "2025-03-03 17:02:30", "status": 1},
        {"id": 5, "local_time": "2025-03-04 22:00:00", "status": 0},
    ],
    "schedule": {
        "2025-03-03": {"segments": [["08:00", "17:00"]], "unpaid_break_minutes": 60},
        "2025-03-04": {"segments": [["22:00", "06:00"]], "unpaid_break_minutes": 30},
    },
    "holidays": [{"date": "2025-03-10", "name": "Holiday", "kind": "regular"}],
    "leaves": [{"date": "2025-03-04", "minutes": 60, "kind": "paid"}],
    "policy": POLICY,
}

BANK = {
    "policy": {
        "rates": {"workday": 1.0, "rest_day": 1.5, "holiday": 1.5},
        "monthly_cap_minutes": 600,
        "balance_cap_minutes": 900,
        "expiry": {"mode": "end_of_following_year"},
    },
    "opening_lots": [{"lot": "OB-2023", "earned_date": "2023-11-20", "minutes": 120}],
    "events": [
        {"type": "overtime", "ref": "OT1", "work_date": "2024-01-08", "kind": "rest_day",
         "approved_minutes": 80, "status": "approved"},
        {"type": "overtime", "ref": "OT2", "work_date": "2024-01-09", "kind": "workday",
         "approved_minutes": 600, "status": "approved"},
        {"type": "cto_request", "ref": "CR1", "dates": ["2024-01-15", "2024-01-16"],
         "minutes_per_day": 240, "state": "approved"},
        {"type": "cto_cancelled", "ref": "CR1", "date": "2024-01-22"},
        {"type": "overtime_revoked", "ref": "OT2", "date": "2024-02-10"},
        {"type": "separation", "date": "2025-03-01"},
    ],
    "as_of": "2025-06-30",
}

TRICKY = [None, True, False, 0, -1, 1, 59, 60, 1440, 2**31, 2**63, 10**30, -(10**30), 0.5,
          -0.0, 1e308, "", " ", "0", "x", "08:00", "24:00", "23:60", "25:00", "8:00",
          "08:00:00", "2025-03-03", "2025-02-29", "2024-02-29", "2025-02-30", "0001-01-01",
          "9999-12-31", "2025-03-03 08:00:00", "2025-03-03T08:00:00", "2025-03-03 24:00:00",
          "Asia/Manila", "UTC", "Mars/Base", "../../etc", "approved", "to_approve", "workday",
          "holiday", "rest_day", "overtime", "cto_request", "paid", "regular", [], {}, [[]],
          ["08:00", "17:00"], [["17:00", "08:00"]], [["08:00", "08:00"]], {"mode": "days"},
          "\x00", "٣", "1e3"]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
              st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(TRICKY)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=10), inner, max_size=3)),
    max_leaves=6)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, prefix + (index,))
    return out


def _at(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            continue
        parent, key = _at(doc, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        # values are deep-copied: TRICKY's lists and dicts must never be mutated in place
        if action == "replace":
            parent[key] = copy.deepcopy(draw(json_values))
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from([*TRICKY[16:40], "extra"]))] = copy.deepcopy(
                draw(json_values))
        else:
            parent.append(copy.deepcopy(draw(json_values) if draw(st.booleans()) else (
                parent[0] if parent else None)))
    return doc


def _has_empty_key(node: Any) -> bool:
    if isinstance(node, dict):
        return "" in node or any(_has_empty_key(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_empty_key(v) for v in node)
    return False


def check(replay: Any, doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(doc)
    try:
        result = replay(doc)
    except ValueError as exc:
        field = getattr(exc, "field", None)
        assert isinstance(field, str), f"ValueError without a field: {exc!r}"
        # an empty field name only for a key that is itself empty ({"": ...})
        assert field or _has_empty_key(doc), f"ValueError without a field: {exc!r}"
        assert str(exc).startswith(field), (field, str(exc))
        return
    json.dumps(result)  # the output document is JSON


def test_the_base_documents_replay():
    assert set(replay_day(DAY)["days"]) == {"2025-03-03", "2025-03-04"}
    assert replay_bank(BANK)["ledger"]


@fuzz(250)
@given(mutated(DAY))
def test_day_replay_only_raises_field_errors(doc):
    check(replay_day, doc)


@fuzz(250)
@given(mutated(BANK))
@example({**BANK, "events": [*BANK["events"][:2], {**BANK["events"][2], "dates": []}]})
def test_bank_replay_only_raises_field_errors(doc):
    check(replay_bank, doc)


@pytest.mark.parametrize("replay, base", [(replay_day, DAY), (replay_bank, BANK)])
@fuzz(60)
@given(data=st.data())
def test_replay_whole_documents_of_any_json(replay, base, data):
    doc = copy.deepcopy(data.draw(st.dictionaries(
        st.sampled_from(sorted(base)) | st.text(max_size=8), json_values, max_size=6)))
    check(replay, doc)
