"""Layout details: encoding, separators, quoting, rounding, approval, kinds, input errors."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from payroll_helpers import PERIOD, day, employee

from zk_rules.engine import DayRecord
from zk_rules.payroll import (
    LayoutConfig,
    PayrollInputError,
    build_batch,
    build_rows,
    columns,
    hours_text,
)


def one_row(days, config=None, **bundle):
    """The single data row of one employee's export, as a dict column -> cell."""
    config = LayoutConfig.from_mapping(config)
    rows = build_rows(PERIOD, [employee("E1", "Ana", days, **bundle)], config)
    assert len(rows) == 1
    return dict(zip(columns(config), rows[0], strict=True))


# --------------------------------------------------------------------------- encoding


def test_utf8_without_bom_and_cjk_and_accents_round_trip():
    people = [
        employee("E1", "Zoë Ångström", [day("2025-03-03")]),
        employee("E2", "王小明", [day("2025-03-03")]),
        employee("E3", "Nguyễn Thị Ánh", [day("2025-03-03")]),
    ]
    content = build_batch(PERIOD, people).content
    assert not content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8")  # strict: valid UTF-8
    assert "王小明".encode() in content
    assert "Zoë Ångström" in text and "Nguyễn Thị Ánh" in text
    names = [row[2] for row in csv.reader(io.StringIO(text, newline=""), delimiter=";")][1:]
    assert names == ["Zoë Ångström", "王小明", "Nguyễn Thị Ánh"]


def test_line_ends_are_crlf_after_every_row_and_no_bare_lf():
    content = build_batch(PERIOD, [employee("E1", "Ana", [day("2025-03-03")])]).content
    assert content.endswith(b"\r\n")
    assert content.count(b"\r\n") == 2  # header + one row
    assert content.count(b"\n") == 2


def test_header_only_when_there_is_nothing_to_export():
    content = build_batch(PERIOD, []).content
    assert content == (";".join(columns(LayoutConfig())) + "\r\n").encode()


# --------------------------------------------------------------------------- separators, quoting


@pytest.mark.parametrize("separator", [";", ","])
def test_the_separator_is_the_configured_one(separator):
    content = build_batch(
        PERIOD, [employee("E1", "Ana", [day("2025-03-03")])], {"separator": separator}
    ).content
    header, row = content.decode().split("\r\n")[:2]
    other = "," if separator == ";" else ";"
    assert header.count(separator) == len(columns({"separator": separator})) - 1
    assert other not in header and other not in row
    assert "8.00" in row.split(separator)


@pytest.mark.parametrize(
    ("name", "separator", "written"),
    [
        ("Reyes; Ana", ";", '"Reyes; Ana"'),
        ("Reyes; Ana", ",", "Reyes; Ana"),  # not the separator: as is
        ("Reyes, Ana", ",", '"Reyes, Ana"'),
        ("Reyes, Ana", ";", "Reyes, Ana"),
        ('Ana "Bing" Reyes', ";", '"Ana ""Bing"" Reyes"'),
        ("Ana\nReyes", ",", '"Ana\nReyes"'),
        ("Ana\r\nReyes", ";", '"Ana\r\nReyes"'),
        ("  Ana  ", ";", "  Ana  "),  # spaces are data, never trimmed or quoted
    ],
)
def test_rfc4180_quoting(name, separator, written):
    content = build_batch(
        PERIOD, [employee("E1", name, [day("2025-03-03")])], {"separator": separator}
    ).content.decode()
    row = content.split("\r\n", 1)[1]
    assert row.startswith(f"ACME PH{separator}E1{separator}{written}{separator}2025-03-03")
    parsed = list(csv.reader(io.StringIO(content, newline=""), delimiter=separator))
    assert parsed[1][2] == name


def test_company_and_code_are_quoted_too():
    content = build_batch(
        PERIOD, [employee("E;1", "Ana", [day("2025-03-03")], company='ACME "PH"; Inc')]
    ).content.decode()
    assert content.split("\r\n")[1].startswith('"ACME ""PH""; Inc";"E;1";Ana;')


# --------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0.00"),
        (1, "0.02"),
        (3, "0.05"),
        (29, "0.48"),
        (30, "0.50"),
        (50, "0.83"),
        (61, "1.02"),
        (89, "1.48"),
        (480, "8.00"),
        (525, "8.75"),
        (100_000, "1666.67"),
    ],
)
def test_minutes_to_hours_round_half_up_two_places(minutes, text):
    assert hours_text(minutes, 2) == text
    exact = (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert text == str(exact)


@pytest.mark.parametrize(
    ("minutes", "decimals", "text"),
    [
        (3, 1, "0.1"),
        (2, 1, "0.0"),
        (30, 0, "1"),
        (29, 0, "0"),
        (90, 0, "2"),
        (61, 4, "1.0167"),
        (1, 3, "0.017"),
        (0, 0, "0"),
    ],
)
def test_other_decimal_places(minutes, decimals, text):
    assert hours_text(minutes, decimals) == text


def test_rounding_in_a_row_and_minutes_unit_is_exact():
    record = day("2025-03-03", regular_minutes=421, late_in_minutes=50, undertime_minutes=59)
    hours = one_row([record])
    assert (hours["regular_hours"], hours["late_in_hours"], hours["undertime_hours"]) == (
        "7.02",
        "0.83",
        "0.98",
    )
    minutes = one_row([record], {"unit": "minutes"})
    assert (minutes["regular_minutes"], minutes["late_in_minutes"]) == ("421", "50")
    one_place = one_row([record], {"decimals": 1})
    assert one_place["regular_hours"] == "7.0" and one_place["late_in_hours"] == "0.8"


def test_period_row_rounds_the_total_once():
    # 3 days of 61 min: per day 1.02 each (3.06 in total), period 183 min = 3.05 h.
    days = [day(f"2025-03-0{d}", regular_minutes=61) for d in (3, 4, 5)]
    per_day = build_rows(PERIOD, [employee("E1", "Ana", days)])
    assert [row[9] for row in per_day] == ["1.02", "1.02", "1.02"]
    assert one_row(days, {"granularity": "period"})["regular_hours"] == "3.05"


# --------------------------------------------------------------------------- overtime approval


def ot(kind, minutes, status, approved=None):
    line = {"kind": kind, "minutes": minutes, "status": status}
    if approved is not None:
        line["approved_minutes"] = approved
    return line


@pytest.mark.parametrize(
    ("line", "paid"),
    [
        (ot("workday", 95, "to_approve"), "0"),
        (ot("workday", 95, "refused"), "0"),
        (ot("workday", 95, "refused", 95), "0"),  # a stale amount on a refused line pays 0
        (ot("workday", 95, "to_approve", 60), "0"),
        (ot("workday", 95, "approved"), "95"),  # approved without an amount: in full
        (ot("workday", 95, "approved", 95), "95"),
        (ot("workday", 95, "approved", 60), "60"),  # approve-less
        (ot("workday", 95, "approved", 0), "0"),
    ],
)
def test_only_approved_minutes_are_paid(line, paid):
    row = one_row([day("2025-03-03", overtime_lines=[line])], {"unit": "minutes"})
    assert row["ot_workday_minutes"] == paid
    assert row["ot_rest_day_minutes"] == row["ot_holiday_regular_minutes"] == "0"


def test_overtime_goes_to_the_column_of_its_kind_and_holiday_kind():
    days = [
        day(
            "2025-03-08",
            day_type="rest_day",
            status="rest_day_work",
            regular_minutes=0,
            overtime_lines=[ot("rest_day", 300, "approved", 240)],
        ),
        day(
            "2025-03-09",
            day_type="holiday",
            holiday_kind="regular",
            status="holiday_work",
            regular_minutes=0,
            overtime_lines=[ot("holiday", 120, "approved")],
        ),
        day(
            "2025-03-10",
            day_type="holiday",
            holiday_kind="special",
            status="holiday_work",
            regular_minutes=0,
            overtime_lines=[ot("holiday", 90, "approved")],
        ),
        day("2025-03-11", overtime_lines=[ot("workday", 45, "approved")]),
    ]
    row = one_row(days, {"unit": "minutes", "granularity": "period"})
    assert [
        row[f"ot_{k}_minutes"]
        for k in ("workday", "rest_day", "holiday_regular", "holiday_special")
    ] == ["45", "240", "120", "90"]
    assert [
        row[k] for k in ("days", "workdays", "rest_days", "holidays_regular", "holidays_special")
    ] == ["4", "1", "1", "1", "1"]


# --------------------------------------------------------------------------- leave, CTO, absence


def test_leave_by_configured_kind_and_other():
    leave_day = day(
        "2025-03-03",
        status="on_leave",
        regular_minutes=0,
        leave_minutes=480,
        leaves={"sick": 240, "cto": 120, "maternity": 120},
    )
    row = one_row([leave_day], {"unit": "minutes", "leave_kinds": ["cto", "sick"]})
    header = columns({"unit": "minutes", "leave_kinds": ["cto", "sick"]})
    assert header[18:21] == ("leave_cto_minutes", "leave_sick_minutes", "leave_other_minutes")
    assert (row["leave_cto_minutes"], row["leave_sick_minutes"], row["leave_other_minutes"]) == (
        "120",
        "240",
        "120",
    )


def test_cto_used_and_its_lots_in_natural_order_summed_per_lot():
    days = [
        day(
            "2025-03-03",
            status="on_leave",
            regular_minutes=0,
            leave_minutes=480,
            leaves=[{"kind": "cto", "minutes": 480}],
        ),
        day(
            "2025-03-04",
            status="on_leave",
            regular_minutes=0,
            leave_minutes=240,
            leaves=[{"kind": "cto", "minutes": 240}],
        ),
    ]
    uses = [
        {"date": "2025-03-03", "lot": "L10", "minutes": 200, "ref": "R1"},
        {"date": "2025-03-03", "lot": "L2", "minutes": 280, "ref": "R1"},
        {"date": "2025-03-04", "lot": "L10", "minutes": 240, "ref": 7},
    ]
    rows = build_rows(PERIOD, [employee("E1", "Ana", days, uses)], {"unit": "minutes"})
    assert [(r[3], r[19], r[20]) for r in rows] == [
        ("2025-03-03", "480", "L2:280|L10:200"),
        ("2025-03-04", "240", "L10:240"),
    ]
    period = one_row(days, {"unit": "minutes", "granularity": "period"}, cto_uses=uses)
    assert period["cto_used_minutes"] == "720"
    assert period["cto_lots_minutes"] == "L2:280|L10:440"


def test_cto_ledger_use_entries_are_accepted():
    from zk_rules.cto import CtoBank

    bank = CtoBank()
    bank.apply(
        {
            "type": "overtime",
            "ref": "OT1",
            "work_date": "2025-02-03",
            "kind": "workday",
            "approved_minutes": 480,
            "status": "approved",
        }
    )
    outcome = bank.apply(
        {
            "type": "cto_request",
            "ref": "CTO1",
            "dates": ["2025-03-03"],
            "minutes_per_day": 240,
            "state": "approved",
        }
    )
    uses = [e for e in outcome.entries if e.type == "use"]
    leave_day = day(
        "2025-03-03",
        status="non_compliant",
        regular_minutes=240,
        leave_minutes=240,
        leaves=[{"kind": "cto", "minutes": 240}],
    )
    for given in (uses, [e.to_dict() for e in uses]):
        row = one_row([leave_day], {"unit": "minutes"}, cto_uses=given)
        assert (row["cto_used_minutes"], row["cto_lots_minutes"]) == ("240", "L1:240")


def test_absence_and_unknown_late_early():
    absent = day(
        "2025-03-03",
        status="absent",
        regular_minutes=0,
        late_in_minutes=None,
        early_out_minutes=None,
        undertime_minutes=480,
    )
    row = one_row([absent], {"unit": "minutes"})
    assert (
        row["absent_days"],
        row["late_in_minutes"],
        row["early_out_minutes"],
        row["undertime_minutes"],
    ) == ("1", "", "", "480")
    incomplete = day(
        "2025-03-04",
        status="incomplete",
        provisional=True,
        early_out_minutes=None,
        late_in_minutes=7,
    )
    period = one_row([absent, incomplete], {"unit": "minutes", "granularity": "period"})
    assert (
        period["absent_days"],
        period["provisional_days"],
        period["late_in_minutes"],
        period["early_out_minutes"],
    ) == ("1", "1", "7", "0")


def test_engine_day_records_are_accepted_as_they_are():
    from zk_rules.engine import compute_days, parse_policy

    records = compute_days(
        timezone="Asia/Manila",
        evaluate_dates=["2025-03-03", "2025-03-04"],
        punches=[
            {"id": 1, "local_time": "2025-03-03 07:58:00", "status": 0},
            {"id": 2, "local_time": "2025-03-03 19:00:00", "status": 1},
            {"id": 3, "local_time": "2025-03-04 07:59:00", "status": 0},
            {"id": 4, "local_time": "2025-03-04 19:00:00", "status": 1},
        ],
        schedule={
            d: {"segments": [["08:00", "17:00"]], "unpaid_break_minutes": 60}
            for d in ("2025-03-03", "2025-03-04")
        },
        holidays=[],
        policy=parse_policy({"overtime_approval": "manager"}),
    )
    assert isinstance(records["2025-03-03"], DayRecord)
    assert records["2025-03-03"].overtime_lines[0].status == "to_approve"
    rows = build_rows(PERIOD, [employee("E1", "Ana", list(records.values()))], {"unit": "minutes"})
    assert [(r[3], r[9], r[10]) for r in rows] == [
        ("2025-03-03", "480", "0"),
        ("2025-03-04", "480", "0"),
    ]  # 120 min waiting: paid 0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"separator": "\t"}, "config.separator"),
        ({"unit": "seconds"}, "config.unit"),
        ({"granularity": "week"}, "config.granularity"),
        ({"decimals": 5}, "config.decimals"),
        ({"decimals": 1.5}, "config.decimals"),
        ({"leave_kinds": ["Sick Leave"]}, "config.leave_kinds[0]"),
        ({"leave_kinds": ["sick", "sick"]}, "config.leave_kinds[1]"),
        ({"leave_kinds": ["other"]}, "config.leave_kinds[0]"),
        ({"leave_kinds": "sick"}, "config.leave_kinds"),
        ({"seperator": ","}, "config.seperator"),
    ],
)
def test_bad_config_names_the_field(config, field):
    with pytest.raises(PayrollInputError) as caught:
        LayoutConfig.from_mapping(config)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def _error(days=None, **bundle):
    with pytest.raises(PayrollInputError) as caught:
        build_rows(PERIOD, [employee("E1", "Ana", days or [day("2025-03-03")], **bundle)])
    return caught.value


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"regular_minutes": 61.5}, "regular_minutes"),
        ({"regular_minutes": -1}, "regular_minutes"),
        ({"regular_minutes": True}, "regular_minutes"),
        ({"night_minutes": None}, "night_minutes"),
        ({"undertime_minutes": "5"}, "undertime_minutes"),
        ({"work_date": "2025-3-3"}, "work_date"),
        ({"work_date": "2025-04-01"}, "work_date"),  # outside the period
        ({"day_type": "weekend"}, "day_type"),
        ({"status": "late"}, "status"),
        ({"provisional": "no"}, "provisional"),
        ({"day_type": "holiday"}, "holiday_kind"),  # a holiday needs its kind (Part E3)
        ({"holiday_kind": "regular"}, "holiday_kind"),  # a workday has none
        ({"leave_minutes": 60}, "leaves"),  # minutes by kind do not add up
        ({"leave_minutes": 60, "leaves": [{"kind": "Sick", "minutes": 60}]}, "leaves[0].kind"),
        (
            {"overtime_lines": [ot("workday", 30, "approved", 31)]},
            "overtime_lines[0].approved_minutes",
        ),
        ({"overtime_lines": [ot("workday", 30, "pending")]}, "overtime_lines[0].status"),
        ({"overtime_lines": [ot("rest_day", 30, "approved")]}, "overtime_lines[0].kind"),
        (
            {"overtime_lines": [ot("workday", 30, "approved"), ot("workday", 5, "approved")]},
            "overtime_lines[1].kind",
        ),
    ],
)
def test_bad_day_names_the_field(over, field):
    error = _error([day(**{"work_date": "2025-03-03", **over})])
    assert error.field == f"employees[0].days[0].{field}"
    assert str(error).startswith(f"employees[0].days[0].{field}: ")


@pytest.mark.parametrize(
    ("use", "field"),
    [
        ({"date": "2025-03-05", "lot": "L1", "minutes": 240}, "cto_uses[0].date"),  # no record
        ({"date": "2025-03-03", "lot": "L|1", "minutes": 240}, "cto_uses[0].lot"),
        ({"date": "2025-03-03", "lot": "", "minutes": 240}, "cto_uses[0].lot"),
        ({"date": "2025-03-03", "lot": "L1", "minutes": 0}, "cto_uses[0].minutes"),
        (
            {"date": "2025-03-03", "lot": "L1", "minutes": 240, "type": "use_cancel"},
            "cto_uses[0].type",
        ),
        ({"date": "2025-03-03", "lot": "L1", "minutes": 240, "ref": ""}, "cto_uses[0].ref"),
    ],
)
def test_bad_cto_use_names_the_field(use, field):
    assert _error(cto_uses=[use]).field == f"employees[0].{field}"


def test_bad_employees_name_the_field():
    with pytest.raises(PayrollInputError, match=r"^employees\[1\]\.code: 'E1' already used"):
        build_rows(PERIOD, [employee("E1", "Ana", []), employee("E1", "Ben", [])])
    with pytest.raises(PayrollInputError, match=r"^employees\[0\]\.name: must not be empty"):
        build_rows(PERIOD, [employee("E1", " ", [])])
    with pytest.raises(PayrollInputError, match=r"^employees\[0\]\.days\[1\]\.work_date: "):
        build_rows(PERIOD, [employee("E1", "Ana", [day("2025-03-03"), day("2025-03-03")])])
    with pytest.raises(PayrollInputError, match=r"^employees\[0\]: must be an object"):
        build_rows(PERIOD, ["E1"])
    with pytest.raises(PayrollInputError, match=r"^period\.end: "):
        build_rows({"start": "2025-03-15", "end": "2025-03-01"}, [])
