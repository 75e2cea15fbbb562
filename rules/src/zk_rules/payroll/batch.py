"""Export batches: rows → bytes, hashes, and correction batches (issue 9).

* The file is UTF-8 without a byte-order mark, a header row, CRLF after every row (the last one
  included), RFC 4180 quoting (see :func:`zk_rules.payroll.layout.csv_cell`).
* ``sha256`` is the SHA-256 (hex) of the file's bytes. ``inputs_sha256`` is the SHA-256 of the
  canonical JSON of what the file was built from: layout version, configuration, period and the
  validated inputs (every field the layout reads, employees by code, days by date, CTO uses by
  date and lot), encoded by :func:`zk_rules.hashchain.canonical_json` (sorted keys,
  ``(",", ":")`` separators, ASCII escapes). The same data given in another order gives the same
  bytes and both hashes unchanged.
* A correction compares the issued file's rows with the new rows, key (employee_code, work date
  or period start), cell by cell as written: ``mode="diff"`` writes only the rows added, changed
  (new values) or removed (issued values) with a leading ``change`` column; ``mode="full"``
  writes the whole new file. Both reference the issued file's SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zk_rules.hashchain import canonical_json
from zk_rules.payroll.inputs import EmployeeDays, PayrollInputError, parse_employees
from zk_rules.payroll.layout import (
    LAYOUT_VERSION,
    LayoutConfig,
    columns,
    csv_cell,
    row_key,
    rows_from_bundles,
)
from zk_rules.payroll.periods import Period

LINE_END = "\r\n"
ENCODING = "utf-8"
CHANGE_COLUMN = "change"
CHANGES = ("added", "changed", "removed")
CORRECTION_MODES = ("diff", "full")
BATCH_KINDS = ("full", "correction_diff", "correction_full")

Row = tuple[str, ...]


def render(header: Sequence[str], rows: Iterable[Sequence[str]], separator: str) -> bytes:
    """Header and rows → file bytes (UTF-8, no BOM, CRLF line ends, RFC 4180 quoting)."""
    return render_lines((header, *rows), separator)


def render_lines(rows: Iterable[Sequence[str]], separator: str) -> bytes:
    """Lines of the file (a header is a line like any other) → their bytes."""
    out = io.StringIO()
    write = out.write
    for row in rows:
        line = separator.join(row)
        # Fast path, exact: no cell holds the separator, a quote, CR or LF exactly when the
        # joined line has one separator per gap and none of the other three.
        if line.count(separator) != len(row) - 1 or '"' in line or "\r" in line or "\n" in line:
            line = separator.join([csv_cell(cell, separator) for cell in row])
        write(line)
        write(LINE_END)
    return out.getvalue().encode(ENCODING)


def header_line(config: LayoutConfig | Mapping[str, Any] | None = None) -> bytes:
    """The first line of a full file in this layout: a full file is this line followed by
    its chunks' lines (BatchStream), so a check may compare an issued file chunk by chunk."""
    config = LayoutConfig.from_mapping(config)
    return render_lines([columns(config)], config.separator)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs_document(
    period: Period, bundles: Sequence[EmployeeDays], config: LayoutConfig
) -> dict[str, Any]:
    """The canonical description of a batch's inputs (what ``inputs_sha256`` hashes)."""
    return {
        "layout": LAYOUT_VERSION,
        "config": config.to_dict(),
        "period": period.to_dict(),
        "employees": [bundle.to_canonical() for bundle in bundles],
    }


@dataclass(frozen=True)
class Batch:
    """One export file with what the Odoo batch record stores."""

    kind: str
    period: Period
    config: LayoutConfig
    header: Row
    rows: tuple[Row, ...]
    content: bytes
    sha256: str
    inputs_sha256: str
    supersedes_sha256: str | None = None

    # A streamed batch (BatchStream) keeps no rows in memory, only their number.
    streamed_rows: int | None = None

    @property
    def row_count(self) -> int:
        return len(self.rows) if self.streamed_rows is None else self.streamed_rows

    def change_counts(self) -> dict[str, int]:
        """For a diff correction: rows per change kind (zeros otherwise)."""
        counts = dict.fromkeys(CHANGES, 0)
        if self.kind == "correction_diff":
            for row in self.rows:
                counts[row[0]] += 1
        return counts

    def filename(self, prefix: str = "payroll") -> str:
        """``payroll_2025-03-01_2025-03-15_full_1a2b3c4d.csv`` (stable, from the content)."""
        return (
            f"{prefix}_{self.period.start.isoformat()}_{self.period.end.isoformat()}"
            f"_{self.kind}_{self.sha256[:8]}.csv"
        )


def build_batch(
    period: Period | Any,
    employees: Iterable[Any],
    config: LayoutConfig | Mapping[str, Any] | None = None,
) -> Batch:
    """The export of ``period`` for ``employees`` (see ``inputs`` for their shape).

    Raises :class:`~zk_rules.payroll.inputs.PayrollInputError` (a ``ValueError``) naming the
    field of any bad input. It does not check readiness: call :func:`blocking_days` first.
    """
    config = LayoutConfig.from_mapping(config)
    period = Period.from_value(period)
    bundles = parse_employees(employees, within=period)
    header = columns(config)
    rows = tuple(rows_from_bundles(period, bundles, config))
    content = render(header, rows, config.separator)
    return Batch(
        kind="full",
        period=period,
        config=config,
        header=header,
        rows=rows,
        content=content,
        sha256=sha256_hex(content),
        inputs_sha256=sha256_hex(
            canonical_json(inputs_document(period, bundles, config)).encode("ascii")),
    )


@dataclass(frozen=True)
class BatchChunk:
    """One chunk of employees of a streamed batch, rendered: what a long issue keeps between
    its transactions so that a resumed run does not redo the chunks already written."""

    lines: bytes  # the chunk's rows as file bytes
    inputs: str  # its bundles' canonical JSON, comma-joined (ASCII)
    row_count: int
    first_code: str | None  # None: no employee in the chunk
    last_code: str | None


def batch_chunk(
    period: Period | Any,
    config: LayoutConfig | Mapping[str, Any] | None,
    employees: Iterable[Any],
) -> BatchChunk:
    """Validate and render one chunk of employees (see :class:`BatchStream`)."""
    config = LayoutConfig.from_mapping(config)
    period = Period.from_value(period)
    bundles = parse_employees(employees, within=period)
    if not bundles:
        return BatchChunk(b"", "", 0, None, None)
    rows = rows_from_bundles(period, bundles, config)
    return BatchChunk(
        lines=render_lines(rows, config.separator),
        inputs=",".join(canonical_json(bundle.to_canonical()) for bundle in bundles),
        row_count=len(rows),
        first_code=bundles[0].employee.code,
        last_code=bundles[-1].employee.code,
    )


class BatchStream:
    """A full batch written chunk by chunk (issue 22: memory flat in the company's size).

    ``add`` takes the employees of one chunk; the chunks must come in employee code order
    (code-point order, as ``parse_employees`` sorts them). The file bytes go to ``out`` (a
    binary file object; an in-memory buffer by default) and into the file's hash as they are
    written, each bundle's canonical JSON into the inputs hash: ``finish`` returns the same
    bytes, ``sha256`` and ``inputs_sha256`` as :func:`build_batch` over all the employees at
    once, with one chunk's bundles and rows in memory at a time.
    """

    def __init__(
        self,
        period: Period | Any,
        config: LayoutConfig | Mapping[str, Any] | None = None,
        out: Any = None,
    ) -> None:
        self.config = LayoutConfig.from_mapping(config)
        self.period = Period.from_value(period)
        self.header = columns(self.config)
        self.out = out if out is not None else io.BytesIO()
        self.row_count = 0
        self._file_hash = hashlib.sha256()
        self._inputs_hash = hashlib.sha256()
        self._last_code: str | None = None
        self._write(header_line(self.config))
        # inputs_document's canonical JSON, its keys in sorted order, written piecewise.
        self._inputs(f'{{"config":{canonical_json(self.config.to_dict())},"employees":[')

    def _write(self, data: bytes) -> None:
        self._file_hash.update(data)
        self.out.write(data)

    def _inputs(self, text: str) -> None:
        self._inputs_hash.update(text.encode("ascii"))

    def add(self, employees: Iterable[Any]) -> int:
        """Validate and write one chunk of employees; returns its number of rows."""
        return self.add_chunk(batch_chunk(self.period, self.config, employees))

    def add_chunk(self, chunk: BatchChunk) -> int:
        """Write a chunk rendered by :func:`batch_chunk` (perhaps in another transaction,
        stored in between); returns its number of rows."""
        if chunk.first_code is None:
            return 0
        if self._last_code is not None and chunk.first_code <= self._last_code:
            raise PayrollInputError(
                "employees", f"{chunk.first_code!r} comes after {self._last_code!r}: chunks "
                "must follow the employee code order")
        self._write(chunk.lines)
        self._inputs(("," if self._last_code is not None else "") + chunk.inputs)
        self._last_code = chunk.last_code
        self.row_count += chunk.row_count
        return chunk.row_count

    def finish(self) -> Batch:
        """The batch written so far; ``content`` is the buffer's bytes when ``out`` is the
        default in-memory buffer, else empty (the caller has the file)."""
        self._inputs(f'],"layout":{canonical_json(LAYOUT_VERSION)},'
                     f'"period":{canonical_json(self.period.to_dict())}}}')
        content = self.out.getvalue() if isinstance(self.out, io.BytesIO) else b""
        return Batch(
            kind="full",
            period=self.period,
            config=self.config,
            header=self.header,
            rows=(),
            content=content,
            sha256=self._file_hash.hexdigest(),
            inputs_sha256=self._inputs_hash.hexdigest(),
            streamed_rows=self.row_count,
        )


def read_rows(
    content: bytes,
    config: LayoutConfig | Mapping[str, Any] | None = None,
    *,
    field: str = "content",
    correction: bool = False,
) -> tuple[Row, ...]:
    """Parse a file written with ``config`` back into its rows; the header must match.

    ``correction=True`` expects a diff correction file (leading ``change`` column).
    """
    config = LayoutConfig.from_mapping(config)
    if content.startswith(b"\xef\xbb\xbf"):
        raise PayrollInputError(field, "starts with a byte-order mark; not a file of this layout")
    try:
        text = content.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise PayrollInputError(field, f"is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        parsed = list(
            csv.reader(io.StringIO(text, newline=""), delimiter=config.separator, strict=True)
        )
    except csv.Error as exc:
        raise PayrollInputError(field, f"is not valid CSV: {exc}") from None
    expected = columns(config)
    if correction:
        expected = (CHANGE_COLUMN, *expected)
    if not parsed or tuple(parsed[0]) != expected:
        got = tuple(parsed[0]) if parsed else ()
        if not correction and got and got[0] == CHANGE_COLUMN:
            raise PayrollInputError(
                field, "is a diff correction; pass the effective full file (apply_correction)"
            )
        raise PayrollInputError(field, f"header does not match the layout: {got!r}")
    rows = []
    for number, row in enumerate(parsed[1:], start=2):
        if len(row) != len(expected):
            raise PayrollInputError(
                f"{field}:line {number}", f"has {len(row)} cells, the layout {len(expected)}"
            )
        if correction and row[0] not in CHANGES:
            raise PayrollInputError(f"{field}:line {number}", f"unknown change {row[0]!r}")
        rows.append(tuple(row))
    return tuple(rows)


def diff_rows(issued: Iterable[Row], new: Iterable[Row]) -> list[Row]:
    """Rows with a leading change cell: ``added``/``changed`` (new values), ``removed``
    (issued values); unchanged rows are left out. Sorted by key (employee_code, date)."""
    old_by_key = {row_key(row): row for row in issued}
    new_by_key = {row_key(row): row for row in new}
    out: list[Row] = []
    for key in sorted(old_by_key.keys() | new_by_key.keys()):
        before, after = old_by_key.get(key), new_by_key.get(key)
        if before is None:
            out.append(("added", *after))
        elif after is None:
            out.append(("removed", *before))
        elif before != after:
            out.append(("changed", *after))
    return out


def correction_batch(issued: bytes | Batch, new: Batch, mode: str = "diff") -> Batch:
    """A correction of the issued file by the batch ``new`` (built from today's data).

    ``issued`` is the effective content issued so far for the period (for a period already
    corrected by diffs: :func:`apply_correction` of them, or the last full replacement). It must
    have the layout of ``new.config``.
    """
    if mode not in CORRECTION_MODES:
        raise PayrollInputError("mode", f"must be 'diff' or 'full', got {mode!r}")
    if new.kind != "full":
        raise PayrollInputError("new", f"must be a full batch, got {new.kind!r}")
    if isinstance(issued, Batch):
        if issued.kind == "correction_diff":
            raise PayrollInputError(
                "issued", "is a diff correction; pass the effective full file (apply_correction)"
            )
        issued = issued.content
    if not isinstance(issued, bytes):
        raise PayrollInputError("issued", f"must be the issued file's bytes, got {issued!r}")
    issued_rows = read_rows(issued, new.config, field="issued")
    issued_sha = sha256_hex(issued)
    inputs = sha256_hex(
        canonical_json({"inputs_sha256": new.inputs_sha256, "mode": mode, "supersedes": issued_sha})
        .encode("ascii")
    )
    if mode == "full":
        header, rows, content = new.header, new.rows, new.content
    else:
        header = (CHANGE_COLUMN, *new.header)
        rows = tuple(diff_rows(issued_rows, new.rows))
        content = render(header, rows, new.config.separator)
    return Batch(
        kind=f"correction_{mode}",
        period=new.period,
        config=new.config,
        header=header,
        rows=rows,
        content=content,
        sha256=sha256_hex(content),
        inputs_sha256=inputs,
        supersedes_sha256=issued_sha,
    )


def apply_correction(
    issued: bytes, correction: bytes, config: LayoutConfig | Mapping[str, Any] | None = None
) -> bytes:
    """The effective full file after a diff correction (a full replacement is its own result).

    Refuses a correction that does not fit the issued file (adding a row that exists, changing
    or removing one that does not, removing a row whose cells differ).
    """
    config = LayoutConfig.from_mapping(config)
    by_key = {row_key(row): row for row in read_rows(issued, config, field="issued")}
    for number, (change, *cells) in enumerate(
        read_rows(correction, config, field="correction", correction=True), start=2
    ):
        row = tuple(cells)
        key = row_key(row)
        where = f"correction:line {number}"
        if change == "added":
            if key in by_key:
                raise PayrollInputError(where, f"adds {key} which the issued file has")
            by_key[key] = row
        elif key not in by_key:
            raise PayrollInputError(where, f"{change} {key} which the issued file does not have")
        elif change == "changed":
            by_key[key] = row
        else:
            if by_key[key] != row:
                raise PayrollInputError(where, f"removes {key} with cells the issued file lacks")
            del by_key[key]
    header = columns(config)
    return render(header, (by_key[key] for key in sorted(by_key)), config.separator)
