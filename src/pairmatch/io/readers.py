"""Raw tables from CSV, XLSX, JSON and DataFrames: rows of cells keyed by the column layout.

Nothing here knows what a valid person is; it finds the header, maps
columns to layout names and keeps every row's number as the spreadsheet
shows it, so that later messages point at the right cell.
"""

from __future__ import annotations

import csv
import io as stdio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..exceptions import require
from ..text import excerpt, quoted
from .cells import blank, column_key, unescape_formula
from .issues import InputIssue, IssueLog

__all__ = [
    "COLUMNS",
    "HEADER_SCAN_ROWS",
    "MAX_CELL_CHARACTERS",
    "REQUIRED_COLUMNS",
    "Side",
    "Table",
    "decode",
    "read_table",
]

Side = Literal["mentor", "mentee"]
COLUMNS = ("id", "name", "focus_areas", "boroughs", "availability", "min_partners", "max_partners", "ranking")
REQUIRED_COLUMNS = ("id", "focus_areas", "boroughs", "availability")
# Title rows above the header ("Mentors - spring cohort") are skipped when the
# header is among this many first non-blank rows.
HEADER_SCAN_ROWS = 10
# The longest CSV cell read: the csv module's own default limit, now a problem of
# that cell rather than the end of reading the file.
MAX_CELL_CHARACTERS = 131_072
_CSV_FIELD_LIMIT = 2**31 - 1  # fits a C long everywhere; only ever raised, never lowered


@dataclass
class Table:
    """Rows of one source as ``(row label, {column key: raw value})``.

    ``headers`` maps each column key to the header as written; ``header_row``
    is the spreadsheet row of the header (None for JSON and DataFrames).
    """

    file: str
    row_kind: str
    rows: list[tuple[int | str, dict[str, Any]]]
    headers: dict[str, str] = field(default_factory=dict)
    tabular: bool = True
    header_row: int | None = 1

    def column(self, key: str | None) -> str | None:
        """The column as the file spells it."""
        return None if key is None else self.headers.get(key, key)


def expected_columns() -> str:
    return ", ".join(REQUIRED_COLUMNS)


def _required_in(cells: Sequence[Any]) -> int:
    keys = {column_key(c) for c in cells if not blank(c) and len(str(c)) < 200}
    return len(keys & set(REQUIRED_COLUMNS))


def _header_index(file: str, rows: list[tuple[int, list[Any]]], log: IssueLog) -> int | None:
    """Position in ``rows`` of the header row, or None (with an issue) when there is none."""
    number, first = rows[0]
    filled = [c for c in first if not blank(c)]
    if len(filled) == 1 and any(sep in str(filled[0]) for sep in (";", "\t")):
        log.add(
            InputIssue(
                file,
                number,
                None,
                excerpt(filled[0]),
                "the header is one column; save the file as comma-separated CSV (CSV UTF-8)",
            )
        )
        return None
    found = [_required_in(cells) for _, cells in rows[:HEADER_SCAN_ROWS]]
    if found[0] == len(REQUIRED_COLUMNS):
        return 0
    best = max(range(len(found)), key=lambda k: (found[k], -k))
    if found[best] > found[0]:
        return best  # rows above it are titles or notes
    if found[0] == 0:
        shown = ", ".join(repr(excerpt(c, 40)) for c in filled[:4]) + (", ..." if len(filled) > 4 else "")
        log.add(
            InputIssue(
                file,
                number,
                None,
                None,
                f"row {number} is not a header: expected columns {expected_columns()} (found {shown or 'nothing'})",
            )
        )
        return None
    return 0


def header_table(
    file: str,
    header_row: int | None,
    header: Sequence[Any],
    body: Sequence[tuple[Any, Sequence[Any]]],
    log: IssueLog,
    row_kind: str = "row",
) -> Table:
    """Map a header and data rows to records; duplicate headers are reported once,
    values under no header once per column."""
    keys: list[str | None] = []
    headers: dict[str, str] = {}
    for raw in header:
        if blank(raw):
            keys.append(None)
            continue
        written = str(raw).strip()
        key = column_key(written)
        if key in headers:
            log.add(
                InputIssue(
                    file,
                    header_row,
                    excerpt(written),
                    None,
                    f"column {quoted(written)} appears twice (also as {quoted(headers[key])}); keep one",
                    row_kind=row_kind,
                )
            )
            keys.append(None)
            continue
        headers[key] = written
        keys.append(key)
    duplicates = {n for n, raw in enumerate(header) if keys[n] is None and not blank(raw)}
    unnamed: dict[int, tuple[Any, Any, int]] = {}  # column -> (first row, first value, count)
    rows: list[tuple[int | str, dict[str, Any]]] = []
    width = len(keys)
    plain = None not in keys  # every column named: a row is one zip
    named = [k for k in keys if k is not None]
    for number, cells in body:
        if all(blank(c) for c in cells):
            continue  # spreadsheets often end with blank rows
        if plain and len(cells) <= width:
            rows.append((number, dict(zip(named, cells, strict=False))))
            continue
        record: dict[str, Any] = {}
        for col, value in enumerate(cells):
            column = keys[col] if col < width else None
            if column is not None:
                record[column] = value
            elif col not in duplicates and not blank(value):
                first = unnamed.get(col)
                unnamed[col] = (number, value, 1) if first is None else (first[0], first[1], first[2] + 1)
        rows.append((number, record))
    for col, (number, value, count) in sorted(unnamed.items()):
        log.add(
            InputIssue(
                file,
                number,
                None,
                excerpt(value),
                f"column {col + 1} has values but no header ({count} row{'s' if count != 1 else ''}); "
                "add a header or delete the column",
                row_kind=row_kind,
            )
        )
    return Table(file, row_kind, rows, headers, header_row=header_row)


def decode(file: str, data: bytes, log: IssueLog) -> str | None:
    """UTF-8 text of a file, or None with an issue naming the encoding found."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        log.add(InputIssue(file, 1, None, None, "the file is UTF-16 encoded; save it as 'CSV UTF-8 (comma delimited)'"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        # Point at the first bad byte the way a spreadsheet user would find it.
        before = data[: err.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        text_before = before[line_start:].decode("utf-8", errors="replace")
        column = None
        try:
            first_line = data[: data.find(b"\n")] if b"\n" in data else data
            first = next(csv.reader([first_line.decode("utf-8-sig", errors="replace")]))
            cells_before = next(csv.reader([text_before])) if text_before else [""]
            position = len(cells_before) - 1
            if position < len(first):
                column = excerpt(first[position].strip())
        except (StopIteration, csv.Error):
            pass
        bad = data[err.start : err.start + 1]
        log.add(
            InputIssue(
                file,
                line,
                column,
                repr(bad),
                f"byte 0x{bad.hex()} is not valid UTF-8 (the file looks like latin-1 or "
                "Windows-1252); save it as 'CSV UTF-8 (comma delimited)'",
            )
        )
        return None


def _empty(file: str, what: str, log: IssueLog) -> None:
    log.add(
        InputIssue(
            file, 1, None, None, f"the {what} is empty; expected a header row with the columns " + expected_columns()
        )
    )


def _tabular(file: str, rows: list[tuple[int, list[Any]]], log: IssueLog) -> Table | None:
    rows = [(n, cells) for n, cells in rows if not all(blank(c) for c in cells)]
    if not rows:
        return None
    at = _header_index(file, rows, log)
    if at is None:
        return None
    number, header = rows[at]
    return header_table(file, number, header, rows[at + 1 :], log)


def _read_csv(path: Path, file: str, log: IssueLog) -> Table | None:
    data = path.read_bytes()
    if not data.strip():
        _empty(file, "file", log)
        return None
    text = decode(file, data, log)
    if text is None:
        return None
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(stdio.StringIO(text, newline=""))
    rows: list[tuple[int, list[Any]]] = []
    try:
        # One CSV record is one spreadsheet row (even with line breaks inside a
        # quoted cell), so record numbers are the row numbers a coordinator sees.
        quoted = "'" in text  # only then can a cell carry a formula-escaping quote
        for number, cells in enumerate(reader, start=1):
            rows.append((number, [unescape_formula(c) for c in cells] if quoted else cells))
    except csv.Error as err:
        log.add(InputIssue(file, len(rows) + 1, None, None, f"not readable as CSV: {err}"))
        return None
    table = _tabular(file, rows, log)
    if table is None and not log.per_file[file]:
        _empty(file, "file", log)
    if table is not None and len(text) > MAX_CELL_CHARACTERS:  # a shorter file has no over-long cell
        _drop_cells(file, rows, table, log, _long_cell)
    if table is not None and '"' in text:  # only a quoted cell can hold a line break
        _drop_cells(file, rows, table, log, _unclosed_quote)
    return table


def _long_cell(cell: str) -> tuple[str, str] | None:
    if len(cell) <= MAX_CELL_CHARACTERS:
        return None
    return excerpt(cell), f"the cell holds {len(cell):,} characters; at most {MAX_CELL_CHARACTERS:,} are read"


def _unclosed_quote(cell: str) -> tuple[str, str] | None:
    """A cell that swallowed the lines after it: a quote opened and never closed. A line break
    is legal CSV only between quotes; a later line of the cell holding commas is a row of the
    file, not text of the cell."""
    lines = cell.splitlines()
    if len(lines) < 2 or not any("," in line for line in lines[1:]):
        return None
    return excerpt(lines[0]), (
        f'a quote (") opens this cell and is not closed, so the {len(lines) - 1} line(s) after '
        "it were read into the cell; close the quote, or remove it"
    )


def _drop_cells(
    file: str,
    rows: list[tuple[int, list[Any]]],
    table: Table,
    log: IssueLog,
    problem: Callable[[str], tuple[str, str] | None],
) -> None:
    """Report each data cell ``problem`` finds wrong (``(value shown, message)``) by row and
    column; its row is not checked further."""
    header_row = table.header_row or 0
    header = next((cells for number, cells in rows if number == header_row), [])
    dropped = set()
    for number, cells in rows:
        if number <= header_row:
            continue
        for col, cell in enumerate(cells):
            found = problem(cell)
            if found is not None:
                column = str(header[col]).strip() if col < len(header) and not blank(header[col]) else None
                log.add(InputIssue(file, number, excerpt(column) if column else f"column {col + 1}", *found))
                dropped.add(number)
    if dropped:
        table.rows = [(number, record) for number, record in table.rows if number not in dropped]


def _pick_sheet(book: Any, file: str, side: Side, sheet: str | None, log: IssueLog) -> Any:
    """The worksheet to read: ``sheet`` by name (any case), else ``mentors``/``mentees``, else the first."""
    names = {n.lower(): n for n in book.sheetnames}
    listed = ", ".join(quoted(excerpt(s, 60)) for s in book.sheetnames)
    if sheet is not None:
        if sheet.lower() not in names:
            log.add(InputIssue(file, None, None, excerpt(sheet), f"no sheet named {quoted(sheet)} (sheets: {listed})"))
            return None
        return book[names[sheet.lower()]]
    # One workbook may hold both sides as sheets named "mentors" and "mentees".
    return book[names[f"{side}s"]] if f"{side}s" in names else book.worksheets[0]


def _rows_text(rows: Sequence[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:8])
    return shown + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")


def _sheet_warnings(ws: Any, label: str, table: Table, formulas: Sequence[tuple[int, int]], log: IssueLog) -> None:
    """Hidden rows, merged cells and formulas without a saved value in the data rows, as warnings."""
    first = (table.header_row or 0) + 1
    hidden = sorted(r for r, dim in ws.row_dimensions.items() if dim.hidden and r >= first)
    if hidden:
        log.warn(
            InputIssue(
                label,
                hidden[0],
                None,
                None,
                f"row{'s' if len(hidden) > 1 else ''} {_rows_text(hidden)} "
                f"{'are' if len(hidden) > 1 else 'is'} hidden in the sheet and read like any other; "
                "delete a row that should not count",
                severity="warning",
            )
        )
    for merged in sorted(ws.merged_cells.ranges, key=lambda m: (m.min_row, m.min_col)):
        if merged.max_row < first or merged.max_row == merged.min_row:
            continue
        column = table.column(_key_at(ws, table, merged.min_col))
        below = max(merged.min_row + 1, first)
        empty = f"row {below} reads" if below == merged.max_row else f"rows {below}-{merged.max_row} read"
        log.warn(
            InputIssue(
                label,
                merged.min_row,
                column,
                None,
                f"cells {merged.coord} are merged: row {merged.min_row} holds the value, {empty} as empty; "
                "unmerge and fill each row",
                severity="warning",
            )
        )
    for row, col in (f for f in formulas if f[0] >= first):
        log.warn(
            InputIssue(
                label,
                row,
                table.column(_key_at(ws, table, col)),
                None,
                "a formula with no saved value reads as empty (the file was saved by a program that does not "
                "calculate); open and save it in a spreadsheet program, or type the value",
                severity="warning",
            )
        )


def _key_at(ws: Any, table: Table, col: int) -> str | None:
    """The layout key of the 1-based column ``col`` (None when it has no header)."""
    if table.header_row is None:
        return None
    written = ws.cell(row=table.header_row, column=col).value
    return None if blank(written) else column_key(str(written).strip())


def _unsaved_formulas(path: Path, title: str, values: list[tuple[int, list[Any]]]) -> list[tuple[int, int]]:
    """``(row, column)`` of formula cells whose saved value is missing (they read as empty)."""
    openpyxl = require("openpyxl", "io", "reading .xlsx files")
    empty = {(r, c + 1) for r, cells in values for c, v in enumerate(cells) if v is None}
    if not empty:
        return []
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found = []
        for r, cells in enumerate(book[title].iter_rows(values_only=True), start=1):
            for c, v in enumerate(cells, start=1):
                if isinstance(v, str) and v.startswith("=") and (r, c) in empty:
                    found.append((r, c))
        return found
    finally:
        book.close()


def _read_xlsx(path: Path, file: str, side: Side, sheet: str | None, log: IssueLog) -> Table | None:
    openpyxl = require("openpyxl", "io", "reading .xlsx files")
    try:
        # Not read-only: hidden rows and merged cells are only known to a fully loaded sheet.
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as err:  # openpyxl raises several unrelated types for a bad workbook
        log.add(InputIssue(file, None, None, None, f"not a readable .xlsx workbook ({excerpt(err, 200)})"))
        return None
    try:
        ws = _pick_sheet(book, file, side, sheet, log)
        if ws is None:
            return None
        # Row numbers stay those the sheet shows, even below blank rows.
        rows = [(r, list(values)) for r, values in enumerate(ws.iter_rows(values_only=True), start=1)]
        label = f"{file} [{ws.title}]"
        table = _tabular(label, rows, log)
        if table is None:
            if not log.per_file[label]:
                _empty(label, "sheet", log)
            if len(book.sheetnames) > 1:
                listed = ", ".join(quoted(excerpt(s, 60)) for s in book.sheetnames)
                log.add(InputIssue(label, None, None, None, f"choose the sheet with --sheet NAME (sheets: {listed})"))
            return None
        _sheet_warnings(ws, label, table, _unsaved_formulas(path, ws.title, rows), log)
        return table
    finally:
        book.close()


def _read_json(path: Path, file: str, side: Side, log: IssueLog) -> Table | None:
    text = decode(file, path.read_bytes(), log)
    if text is None:
        return None
    if not text.strip():
        log.add(InputIssue(file, 1, None, None, "the file is empty; expected a JSON list of people"))
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        log.add(
            InputIssue(file, err.lineno, None, None, f"not valid JSON: {err.msg} (column {err.colno})", row_kind="line")
        )
        return None
    if isinstance(data, Mapping):
        key = f"{side}s"
        if key not in data:
            log.add(InputIssue(file, None, key, None, f"a JSON object must have a {key!r} list"))
            return None
        data = data[key]
    if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
        log.add(InputIssue(file, None, None, None, "expected a list of objects, one per person"))
        return None
    rows: list[tuple[int | str, dict[str, Any]]] = []
    for item, record in enumerate(data, start=1):
        flat = {}
        for k, v in record.items():
            if k == "attributes" and isinstance(v, Mapping):
                flat.update({column_key(a): x for a, x in v.items()})
            else:
                flat[column_key(k)] = v
        rows.append((item, flat))
    return Table(file, "item", rows, tabular=False, header_row=None)


def _frame_table(frame: Any, log: IssueLog) -> Table:
    header = list(frame.columns)
    labels = [label.item() if hasattr(label, "item") else label for label in frame.index]  # numpy -> Python
    body = list(zip(labels, (list(v) for v in frame.itertuples(index=False, name=None)), strict=True))
    return header_table("<DataFrame>", None, header, body, log, row_kind="index")


def read_table(source: Any, side: Side, sheet: str | None, log: IssueLog) -> Table | None:
    """The raw rows of ``source`` (path or DataFrame), or None when it cannot be read."""
    if hasattr(source, "columns") and hasattr(source, "itertuples"):
        return _frame_table(source, log)
    path = Path(source)
    file = str(source)
    if not path.is_file():
        log.add(InputIssue(file, None, None, None, "no such file" if not path.exists() else "not a file"))
        return None
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            return _read_csv(path, file, log)
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path, file, side, sheet, log)
        if suffix == ".json":
            return _read_json(path, file, side, log)
    except OSError as err:
        log.add(InputIssue(file, None, None, None, f"cannot read the file ({err.strerror or err})"))
        return None
    log.add(InputIssue(file, None, None, excerpt(suffix) or None, "unsupported file type; use .csv, .xlsx or .json"))
    return None
