"""Hypothesis properties: rendering is a pure function of the data, day rows add up to the
period row, hours follow Decimal ROUND_HALF_UP, corrections reproduce the new file."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from payroll_helpers import PERIOD

from zk_rules.payroll import (
    apply_correction,
    build_batch,
    build_rows,
    columns,
    correction_batch,
    hours_text,
    read_rows,
)

START = date(2025, 3, 1)
minutes = st.integers(0, 900)
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
).filter(lambda s: s.strip())


@st.composite
def a_day(draw, offset):
    work_date = (START + timedelta(days=offset)).isoformat()
    day_type = draw(st.sampled_from(["workday", "rest_day", "holiday"]))
    status = draw(st.sampled_from(["compliant", "absent", "incomplete", "off", "holiday_work"]))
    lines = []
    if draw(st.booleans()):
        amount = draw(minutes)
        lines.append(
            {
                "kind": day_type,
                "minutes": amount,
                "status": draw(st.sampled_from(["approved", "to_approve", "refused"])),
                "approved_minutes": draw(st.integers(0, amount)),
            }
        )
    leave = draw(st.dictionaries(st.sampled_from(["cto", "sick", "paid"]), minutes, max_size=2))
    return {
        "work_date": work_date,
        "day_type": day_type,
        "holiday_kind": draw(st.sampled_from(["regular", "special"]))
        if day_type == "holiday"
        else None,
        "status": status,
        "provisional": draw(st.booleans()),
        "regular_minutes": draw(minutes),
        "overtime_lines": lines,
        "night_minutes": draw(minutes),
        "late_in_minutes": draw(st.none() | minutes),
        "early_out_minutes": draw(st.none() | minutes),
        "undertime_minutes": draw(minutes),
        "leave_minutes": sum(leave.values()),
        "leaves": leave,
    }


@st.composite
def an_employee(draw, code):
    offsets = draw(st.sets(st.integers(0, 14), max_size=4))
    days = [draw(a_day(offset)) for offset in sorted(offsets)]
    uses = []
    for record in days:
        for _ in range(draw(st.integers(0, 2))):
            uses.append(
                {
                    "date": record["work_date"],
                    "lot": draw(st.sampled_from(["L1", "L2", "L10", "OPEN-1"])),
                    "minutes": draw(st.integers(1, 480)),
                    "ref": "R",
                }
            )
    return {
        "code": code,
        "name": draw(names),
        "company": draw(names),
        "days": days,
        "cto_uses": uses,
    }


employees = st.lists(
    st.sampled_from([f"E{i:02d}" for i in range(12)]), unique=True, max_size=5
).flatmap(lambda codes: st.tuples(*[an_employee(c) for c in codes]))
configs = st.fixed_dictionaries(
    {
        "separator": st.sampled_from([";", ","]),
        "unit": st.sampled_from(["hours", "minutes"]),
        "decimals": st.integers(0, 4),
        "leave_kinds": st.sampled_from([[], ["cto"], ["sick", "cto"]]),
    }
)


@settings(max_examples=60, deadline=None)
@given(
    people=employees, config=configs, granularity=st.sampled_from(["day", "period"]), data=st.data()
)
def test_rendering_is_a_pure_function_of_the_data(people, config, granularity, data):
    config = {**config, "granularity": granularity}
    first = build_batch(PERIOD, list(people), config)
    shuffled = data.draw(st.permutations(people))
    shuffled = [
        {
            **p,
            "days": data.draw(st.permutations(p["days"])),
            "cto_uses": data.draw(st.permutations(p["cto_uses"])),
        }
        for p in shuffled
    ]
    again = build_batch(PERIOD, shuffled, config)
    assert (again.content, again.sha256, again.inputs_sha256) == (
        first.content,
        first.sha256,
        first.inputs_sha256,
    )
    # The bytes parse back, with the configured separator, into the rows and the header.
    assert read_rows(first.content, config) == first.rows
    text = first.content.decode("utf-8")
    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=config["separator"]))
    assert tuple(parsed[0]) == columns(config)
    assert [tuple(r) for r in parsed[1:]] == list(first.rows)


@settings(max_examples=60, deadline=None)
@given(people=employees, leave_kinds=st.sampled_from([[], ["cto"], ["sick", "cto"]]))
def test_day_rows_add_up_to_the_period_row(people, leave_kinds):
    base = {"unit": "minutes", "leave_kinds": leave_kinds}
    header = columns({**base, "granularity": "period"})
    day_header = columns(base)
    day_rows = build_rows(PERIOD, list(people), base)
    period_rows = build_rows(PERIOD, list(people), {**base, "granularity": "period"})
    assert len(period_rows) == len(people)
    summed = [
        name
        for name in header
        if name in day_header
        and name.endswith(("_minutes", "_days"))
        and name != "cto_lots_minutes"
    ]
    for row in period_rows:
        period = dict(zip(header, row, strict=True))
        mine = [
            dict(zip(day_header, r, strict=True))
            for r in day_rows
            if r[1] == period["employee_code"]
        ]
        assert int(period["days"]) == len(mine)
        for name in summed:
            assert int(period[name]) == sum(int(r[name] or 0) for r in mine), name
        lots: dict[str, int] = {}
        for r in mine:
            for item in filter(None, r["cto_lots_minutes"].split("|")):
                lot, amount = item.split(":")
                lots[lot] = lots.get(lot, 0) + int(amount)
        printed = dict(i.split(":") for i in filter(None, period["cto_lots_minutes"].split("|")))
        assert {k: int(v) for k, v in printed.items()} == lots
        assert sum(lots.values()) == int(period["cto_used_minutes"])


@given(m=st.integers(0, 10**7), decimals=st.integers(0, 4))
def test_hours_are_decimal_round_half_up(m, decimals):
    quantum = Decimal(1).scaleb(-decimals)
    expected = (Decimal(m) / Decimal(60)).quantize(quantum, rounding=ROUND_HALF_UP)
    assert hours_text(m, decimals) == str(expected)


@settings(max_examples=60, deadline=None)
@given(old=employees, new=employees, config=configs)
def test_a_diff_correction_turns_the_issued_file_into_the_new_one(old, new, config):
    issued = build_batch(PERIOD, list(old), config)
    fresh = build_batch(PERIOD, list(new), config)
    diff = correction_batch(issued.content, fresh, mode="diff")
    assert apply_correction(issued.content, diff.content, config) == fresh.content
    changed_keys = {(row[2], row[4]) for row in diff.rows}
    unchanged = set(issued.rows) & set(fresh.rows)
    assert not changed_keys & {(row[1], row[3]) for row in unchanged}
