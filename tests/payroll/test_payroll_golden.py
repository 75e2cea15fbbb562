"""The export against golden files written by hand (golden/README.md), byte for byte."""

from __future__ import annotations

import copy
import random
import unicodedata

import pytest
from payroll_helpers import (
    PERIOD,
    corrected_employees,
    golden,
    golden_employees,
    golden_employees_with_newcomer,
)

from zk_rules.payroll import build_batch, correction_batch

CASES = [
    ("day_semicolon_hours.csv", {"leave_kinds": ["cto"]}, golden_employees),
    ("day_comma_minutes.csv", {"separator": ",", "unit": "minutes"}, golden_employees),
    (
        "period_semicolon_hours.csv",
        {"granularity": "period", "leave_kinds": ["cto"]},
        golden_employees_with_newcomer,
    ),
    (
        "period_comma_minutes.csv",
        {"granularity": "period", "separator": ",", "unit": "minutes"},
        golden_employees_with_newcomer,
    ),
]


@pytest.mark.parametrize(("name", "config", "make"), CASES, ids=[c[0] for c in CASES])
def test_export_matches_the_hand_written_golden_file(name, config, make):
    assert build_batch(PERIOD, make(), config).content == golden(name)


def test_day_granularity_leaves_out_an_employee_without_days():
    batch = build_batch(PERIOD, golden_employees_with_newcomer(), {"leave_kinds": ["cto"]})
    assert batch.content == golden("day_semicolon_hours.csv")


def test_diff_correction_matches_the_hand_written_golden_file():
    config = {"separator": ",", "unit": "minutes"}
    issued = build_batch(PERIOD, golden_employees_with_newcomer(), config)
    new = build_batch(PERIOD, corrected_employees(), config)
    correction = correction_batch(issued.content, new, mode="diff")
    assert correction.content == golden("correction_diff_comma_minutes.csv")
    assert correction.change_counts() == {"added": 1, "changed": 1, "removed": 1}


def _shuffled(employees, seed):
    rng = random.Random(seed)
    employees = copy.deepcopy(employees)
    rng.shuffle(employees)
    for bundle in employees:
        rng.shuffle(bundle["days"])
        rng.shuffle(bundle.get("cto_uses", []))
        for day in bundle["days"]:
            day["exceptions"] = list(reversed(day["exceptions"]))
        for key in list(bundle):  # dict order does not matter either
            bundle[key] = bundle.pop(key)
    return employees


@pytest.mark.parametrize(("name", "config", "make"), CASES, ids=[c[0] for c in CASES])
def test_same_inputs_in_another_order_give_the_same_bytes_and_hashes(name, config, make):
    reference = build_batch(PERIOD, make(), config)
    for seed in range(5):
        again = build_batch(PERIOD, _shuffled(make(), seed), config)
        assert again.content == reference.content == golden(name)
        assert again.sha256 == reference.sha256
        assert again.inputs_sha256 == reference.inputs_sha256


def test_decomposed_unicode_names_give_the_same_bytes():
    employees = golden_employees()
    employees[0]["name"] = unicodedata.normalize("NFD", employees[0]["name"])
    assert len(employees[0]["name"]) > len("José Müller-Núñez")
    batch = build_batch(PERIOD, employees, {"leave_kinds": ["cto"]})
    assert batch.content == golden("day_semicolon_hours.csv")
