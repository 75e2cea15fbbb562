"""Batches: hashes, reproducibility, correction by differences or full replacement."""

from __future__ import annotations

import hashlib
import json

import pytest
from payroll_helpers import (
    PERIOD,
    corrected_employees,
    day,
    employee,
    golden,
    golden_employees,
    golden_employees_with_newcomer,
)

from zk_rules.payroll import (
    PayrollInputError,
    apply_correction,
    build_batch,
    correction_batch,
    inputs_document,
    parse_employees,
    read_rows,
)
from zk_rules.payroll.layout import LayoutConfig
from zk_rules.payroll.periods import Period

MINUTES = {"separator": ",", "unit": "minutes"}


def test_hashes_are_sha256_of_the_file_and_of_the_canonical_inputs():
    batch = build_batch(PERIOD, golden_employees(), MINUTES)
    assert batch.kind == "full" and batch.supersedes_sha256 is None
    assert batch.sha256 == hashlib.sha256(golden("day_comma_minutes.csv")).hexdigest()
    document = inputs_document(
        Period.from_value(PERIOD),
        parse_employees(golden_employees()),
        LayoutConfig.from_mapping(MINUTES),
    )
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert batch.inputs_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert document["layout"] == "zk-payroll-csv/1"
    assert [e["code"] for e in document["employees"]] == ["E001", "E002"]
    assert batch.row_count == 4
    assert batch.filename() == f"payroll_2025-03-01_2025-03-15_full_{batch.sha256[:8]}.csv"


def test_regenerating_gives_the_same_bytes_and_hashes():
    first = build_batch(PERIOD, golden_employees(), MINUTES)
    second = build_batch(PERIOD, golden_employees(), MINUTES)
    assert (first.content, first.sha256, first.inputs_sha256) == (
        second.content,
        second.sha256,
        second.inputs_sha256,
    )


def test_any_paid_change_changes_the_inputs_hash_and_unused_fields_do_not():
    base = build_batch(PERIOD, golden_employees(), MINUTES)
    approved = golden_employees()
    approved[1]["days"][0]["overtime_lines"][0]["status"] = "to_approve"
    changed = build_batch(PERIOD, approved, MINUTES)
    assert changed.inputs_sha256 != base.inputs_sha256 and changed.sha256 != base.sha256
    other_config = build_batch(PERIOD, golden_employees(), {**MINUTES, "decimals": 3})
    assert other_config.inputs_sha256 != base.inputs_sha256  # config is an input...
    assert other_config.content == base.content  # ...even where it does not show
    extra = golden_employees()
    extra[0]["days"][0]["punch_ids"] = [1, 2, 3]  # B4 fields the layout does not read
    assert build_batch(PERIOD, extra, MINUTES).inputs_sha256 == base.inputs_sha256


def test_full_replacement_is_the_new_file_referencing_the_issued_one():
    issued = build_batch(PERIOD, golden_employees_with_newcomer(), MINUTES)
    new = build_batch(PERIOD, corrected_employees(), MINUTES)
    full = correction_batch(issued.content, new, mode="full")
    assert full.kind == "correction_full"
    assert full.content == new.content and full.sha256 == new.sha256
    assert full.supersedes_sha256 == issued.sha256
    assert full.inputs_sha256 not in (new.inputs_sha256, issued.inputs_sha256)
    again = correction_batch(issued, new, mode="full")  # a Batch works as well as its bytes
    assert again == full


def test_diff_correction_applied_to_the_issued_file_gives_the_new_file():
    issued = build_batch(PERIOD, golden_employees_with_newcomer(), MINUTES)
    new = build_batch(PERIOD, corrected_employees(), MINUTES)
    diff = correction_batch(issued.content, new)
    assert diff.kind == "correction_diff" and diff.supersedes_sha256 == issued.sha256
    assert [row[0] for row in diff.rows] == ["changed", "removed", "added"]
    assert apply_correction(issued.content, diff.content, MINUTES) == new.content
    assert read_rows(diff.content, MINUTES, correction=True) == diff.rows


def test_diff_in_hours_ignores_changes_that_round_away():
    people = [employee("E1", "Ana", [day("2025-03-03", regular_minutes=480)])]
    issued = build_batch(PERIOD, people)
    people[0]["days"][0]["regular_minutes"] = 480  # same
    assert correction_batch(issued.content, build_batch(PERIOD, people)).rows == ()
    people[0]["days"][0]["night_minutes"] = 0
    people[0]["days"][0]["early_arrival_minutes"] = 9  # not in the layout
    empty = correction_batch(issued.content, build_batch(PERIOD, people))
    assert empty.content.count(b"\r\n") == 1  # header only
    assert empty.change_counts() == {"added": 0, "changed": 0, "removed": 0}


def test_period_granularity_corrections():
    config = {"granularity": "period", "leave_kinds": ["cto"]}
    issued = build_batch(PERIOD, golden_employees_with_newcomer(), config)
    assert issued.content == golden("period_semicolon_hours.csv")
    new = build_batch(PERIOD, corrected_employees(), config)
    diff = correction_batch(issued, new)
    assert [(row[0], row[2]) for row in diff.rows] == [
        ("changed", "E001"),
        ("changed", "E002"),
        ("changed", "E003"),
    ]
    assert apply_correction(issued.content, diff.content, config) == new.content


def test_a_second_correction_diffs_against_the_effective_file():
    issued = build_batch(PERIOD, golden_employees_with_newcomer(), MINUTES)
    first = correction_batch(issued.content, build_batch(PERIOD, corrected_employees(), MINUTES))
    effective = apply_correction(issued.content, first.content, MINUTES)
    later = corrected_employees()
    later[1]["days"][0]["regular_minutes"] = 420
    second = correction_batch(effective, build_batch(PERIOD, later, MINUTES))
    assert [(row[0], row[2], row[4]) for row in second.rows] == [("changed", "E001", "2025-03-03")]
    with pytest.raises(PayrollInputError, match="^issued: is a diff correction"):
        correction_batch(first.content, build_batch(PERIOD, later, MINUTES))
    with pytest.raises(PayrollInputError, match="^issued: is a diff correction"):
        correction_batch(first, build_batch(PERIOD, later, MINUTES))


def test_corrections_refuse_files_of_another_layout():
    issued = build_batch(PERIOD, golden_employees(), MINUTES)
    new_hours = build_batch(PERIOD, golden_employees(), {"separator": ","})
    with pytest.raises(PayrollInputError, match="^issued: header does not match"):
        correction_batch(issued.content, new_hours)
    with pytest.raises(PayrollInputError, match="^issued: starts with a byte-order mark"):
        correction_batch(b"\xef\xbb\xbf" + issued.content, issued)
    with pytest.raises(PayrollInputError, match="^issued: is not UTF-8"):
        correction_batch(issued.content.replace("é".encode(), b"\xe9"), issued)
    truncated = issued.content.rsplit(b",", 1)[0] + b"\r\n"
    with pytest.raises(PayrollInputError, match=r"^issued:line 5: has 20 cells"):
        correction_batch(truncated, issued)
    with pytest.raises(PayrollInputError, match="^mode: "):
        correction_batch(issued.content, issued, mode="patch")
    diff = correction_batch(issued.content, issued)
    with pytest.raises(PayrollInputError, match="^new: must be a full batch"):
        correction_batch(issued.content, diff)


def test_apply_correction_refuses_a_diff_that_does_not_fit():
    issued = build_batch(PERIOD, golden_employees_with_newcomer(), MINUTES)
    diff = correction_batch(issued.content, build_batch(PERIOD, corrected_employees(), MINUTES))
    once = apply_correction(issued.content, diff.content, MINUTES)
    # Applied twice: the change re-applies, the removal no longer finds its row.
    with pytest.raises(PayrollInputError, match=r"^correction:line 3: removed \('E002'"):
        apply_correction(once, diff.content, MINUTES)
    tampered = diff.content.replace(b"removed,ACME PH,E002", b"removed,ACME PH,E009")
    with pytest.raises(PayrollInputError, match="which the issued file does not have"):
        apply_correction(issued.content, tampered, MINUTES)


def test_batches_do_not_share_mutable_state_with_inputs():
    people = golden_employees()
    batch = build_batch(PERIOD, people, MINUTES)
    people[0]["days"][0]["night_minutes"] = 999
    people[1]["name"] = "Someone Else"
    assert batch.content == golden("day_comma_minutes.csv")
    assert batch.rows[0][2] == 'Dela Cruz, "Jun"'


@pytest.mark.parametrize("config", [MINUTES, {"granularity": "period"}, None])
@pytest.mark.parametrize("chunk", [1, 2, 100])
def test_streamed_batch_is_byte_identical_to_the_batch_built_at_once(config, chunk):
    """Issue 22: the batch written chunk by chunk (memory of one chunk) has the same bytes,
    file hash and inputs hash as the one built from every employee at once."""
    from zk_rules.payroll import BatchStream

    employees = sorted(golden_employees_with_newcomer(), key=lambda e: e["code"])
    whole = build_batch(PERIOD, employees, config)
    stream = BatchStream(PERIOD, config)
    for start in range(0, len(employees), chunk):
        stream.add(employees[start:start + chunk])
    streamed = stream.finish()
    assert streamed.content == whole.content
    assert streamed.sha256 == whole.sha256
    assert streamed.inputs_sha256 == whole.inputs_sha256
    assert streamed.row_count == whole.row_count > 0
    assert streamed.filename() == whole.filename()


@pytest.mark.parametrize("chunk", [1, 2, 100])
def test_batch_from_stored_chunks_is_byte_identical_to_the_batch_built_at_once(chunk):
    """Issue 22: chunks rendered one at a time (each kept between transactions by a long
    issue), then written in order, give the same bytes and hashes as the whole batch."""
    from zk_rules.payroll import BatchChunk, BatchStream, batch_chunk

    employees = sorted(golden_employees_with_newcomer(), key=lambda e: e["code"])
    whole = build_batch(PERIOD, employees, MINUTES)
    stored = [batch_chunk(PERIOD, MINUTES, employees[start:start + chunk]).__dict__
              for start in range(0, len(employees), chunk)]
    stream = BatchStream(PERIOD, MINUTES)
    for fields in [*stored, batch_chunk(PERIOD, MINUTES, []).__dict__]:
        stream.add_chunk(BatchChunk(**fields))
    streamed = stream.finish()
    assert (streamed.content, streamed.sha256, streamed.inputs_sha256, streamed.row_count) \
        == (whole.content, whole.sha256, whole.inputs_sha256, whole.row_count)


def test_streamed_batch_refuses_chunks_out_of_code_order():
    from zk_rules.payroll import BatchStream

    employees = sorted(golden_employees(), key=lambda e: e["code"])
    stream = BatchStream(PERIOD, MINUTES)
    stream.add(employees[1:2])
    with pytest.raises(PayrollInputError, match="code order"):
        stream.add(employees[:1])


@pytest.mark.parametrize("config", [MINUTES, {"granularity": "period"}, None])
def test_full_file_is_its_header_line_then_its_chunks_lines(config):
    """Issue 22: a check of an issued file may walk it chunk by chunk (a request at a time):
    the file is exactly header_line() followed by each chunk's lines, in code order."""
    from zk_rules.payroll import batch_chunk, header_line

    employees = sorted(golden_employees_with_newcomer(), key=lambda e: e["code"])
    whole = build_batch(PERIOD, employees, config)
    pieces = [header_line(config)] + [batch_chunk(PERIOD, config, employees[i:i + 2]).lines
                                      for i in range(0, len(employees), 2)]
    assert b"".join(pieces) == whole.content
    assert whole.content.startswith(header_line(config)) and len(pieces) > 2
