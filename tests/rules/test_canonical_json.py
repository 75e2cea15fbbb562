"""One canonical JSON (zk_rules.hashchain.canonical_json) for hash chains, signatures, payroll
input hashes and stored day results: the same bytes as each copy it replaced.

The former copies are frozen here, verbatim, as the reference: a hash chain, a signature or a
stored ``result_json`` written before the change must verify the same after it.
"""

from __future__ import annotations

import hashlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zk_rules import payroll, signing
from zk_rules.cto import ledger
from zk_rules.hashchain import canonical_json


def old_hashchain(payload):  # zk_rules/hashchain.py (kept)
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def old_payroll(document):  # zk_rules/payroll/batch.py (removed)
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def old_daily_record(result):  # addons/hr_zk_attendance/models/zk_daily_record.py (removed)
    return json.dumps(result, sort_keys=True, separators=(",", ":"))


TRICKY = [
    {},
    [],
    {"b": 1, "a": "é"},
    {"z": {"y": [3, {"b": None, "a": True}], "x": False}, "a": [[], {}]},
    {"ascii": "plain", "nfc": "Ñúñez", "nfd": "N\u0303u\u0301n\u0303ez", "emoji": "👩🏽‍💻",
     "cjk": "勤怠", "rtl": "مرحبا", "ls": "a\u2028b\u2029c", "ctl": "\x00\x1f\x7f\t\n\r",
     "quote": "\"'\\/", "bom": "\ufeff", "lone": "\ud800"},
    {"é": 1, "e": 2, "E": 3, "ê": 4, "\U0001f600": 5, "": 6, " ": 7, "10": 8, "9": 9},
    {"floats": [0.1, 0.5, 1.0, -0.0, 1e16, 1.5e-7, 123456789.123456789, 2.0**53 + 1,
                1.7976931348623157e308, 5e-324, -2.5]},
    {"ints": [0, -1, 2**63, -(2**64) - 1, 10**30, True, False]},
    {"deep": [[[[[{"k": [1, [2, [3, {"m": "ü"}]]]}]]]]]},
    {"work_date": "2025-03-03", "intervals": [{"start": "2025-03-03T08:00+08:00", "end": None}],
     "overtime_minutes": {"workday": 95, "rest_day": 0, "holiday": 0}, "exceptions": []},
    "just a string ✓",
    12.75,
    None,
]


@pytest.mark.parametrize("document", TRICKY, ids=range(len(TRICKY)))
def test_canonical_json_is_byte_identical_to_every_former_copy(document) -> None:
    text = canonical_json(document)
    assert text == old_hashchain(document)
    assert text.encode("ascii") == old_payroll(document)
    assert text == old_daily_record(document)


def test_key_order_of_the_input_does_not_matter() -> None:
    forward = {"a": 1, "b": {"c": 2, "d": [3, {"e": 4, "f": 5}]}}
    backward = {"b": {"d": [3, {"f": 5, "e": 4}], "c": 2}, "a": 1}
    assert canonical_json(forward) == canonical_json(backward) == (
        '{"a":1,"b":{"c":2,"d":[3,{"e":4,"f":5}]}}')


def test_known_bytes_and_hash_are_pinned() -> None:
    """A change of the encoding would break every stored chain and signature: pinned."""
    document = {"ü": [1.5, -0.0, 1e16], "a": {"n": None, "t": True}, "😀": "N\u0303"}
    text = canonical_json(document)
    assert text == ('{"a":{"n":null,"t":true},"\\u00fc":[1.5,-0.0,1e+16],'
                    '"\\ud83d\\ude00":"N\\u0303"}')
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == hashlib.sha256(
        old_payroll(document)).hexdigest()


def test_every_caller_uses_the_one_function() -> None:
    assert ledger.canonical_json is canonical_json
    assert payroll.canonical_json is canonical_json
    assert signing.canonical_json is canonical_json


def test_non_finite_floats_keep_the_former_hash_chain_output() -> None:
    """Not JSON, and never produced by a caller (payroll inputs are validated integers); the
    hash chain's former output is kept so no stored chain could change its verdict."""
    assert canonical_json({"x": math.nan}) == old_hashchain({"x": math.nan}) == '{"x":NaN}'


json_leaf = (st.none() | st.booleans() | st.integers()
             | st.floats(allow_nan=False, allow_infinity=False) | st.text())
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_value)
def test_canonical_json_matches_the_former_copies_on_any_json_value(document) -> None:
    text = canonical_json(document)
    assert text == old_hashchain(document) == old_daily_record(document)
    assert text.encode("ascii") == old_payroll(document)
    assert json.loads(text) == document
