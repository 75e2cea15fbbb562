"""Payroll export as plain Python (issue 9): pay periods, the CSV layout, batches and
readiness. No Odoo import; the ``hr_payroll_export`` addon calls it. Layout: ``LAYOUT.md``.

Public API::

    PeriodPolicy.from_mapping({...}).period_containing(day) / .closes_at(period)
        / .closed_between(after, until)
    LayoutConfig.from_mapping({...}); columns(config)
    build_batch(period, employees, config) -> Batch     # bytes + sha256 + inputs_sha256
    BatchStream(period, config).add(chunk)... .finish() -> Batch  # the same, chunk by chunk
    batch_chunk(period, config, chunk) -> BatchChunk; BatchStream.add_chunk(...)  # stored
    correction_batch(issued_bytes, new_batch, mode="diff" | "full") -> Batch
    apply_correction(issued_bytes, diff_bytes, config) -> bytes
    blocking_days(employees) -> [BlockingDay]
    split_leave_minutes(leave_minutes, {kind: weight}) -> {kind: minutes}   # leave columns
    active_cto_uses(ledger entries of one employee) -> [{date, lot, minutes, ref}]  # C9/C10
"""

from zk_rules.hashchain import canonical_json
from zk_rules.payroll.batch import (
    Batch,
    BatchChunk,
    BatchStream,
    apply_correction,
    batch_chunk,
    build_batch,
    correction_batch,
    diff_rows,
    header_line,
    inputs_document,
    read_rows,
    render,
)
from zk_rules.payroll.cto_uses import active_cto_uses
from zk_rules.payroll.inputs import (
    CtoUse,
    Employee,
    EmployeeDays,
    PayDay,
    PayLine,
    PayrollInputError,
    parse_employees,
)
from zk_rules.payroll.layout import (
    LAYOUT_VERSION,
    LayoutConfig,
    build_rows,
    columns,
    hours_text,
)
from zk_rules.payroll.leaves import split_leave_minutes
from zk_rules.payroll.periods import (
    Period,
    PeriodPolicy,
    closes_at,
    period_containing,
    periods_closed_between,
)
from zk_rules.payroll.readiness import BlockingDay, blocking_days

__all__ = [
    "LAYOUT_VERSION",
    "Batch",
    "BatchChunk",
    "BatchStream",
    "BlockingDay",
    "CtoUse",
    "Employee",
    "EmployeeDays",
    "LayoutConfig",
    "PayDay",
    "PayLine",
    "PayrollInputError",
    "Period",
    "PeriodPolicy",
    "active_cto_uses",
    "apply_correction",
    "batch_chunk",
    "blocking_days",
    "build_batch",
    "build_rows",
    "canonical_json",
    "closes_at",
    "columns",
    "correction_batch",
    "diff_rows",
    "header_line",
    "hours_text",
    "inputs_document",
    "parse_employees",
    "period_containing",
    "periods_closed_between",
    "read_rows",
    "render",
    "split_leave_minutes",
]
