"""Files in and out: people from CSV, XLSX, JSON or DataFrames, settings from TOML, matches out.

Column layout (one row per person; the header names are matched ignoring
case, spaces and dashes, so ``Focus areas`` is ``focus_areas``):

=================  ========  ==============================================================
column             required  content
=================  ========  ==============================================================
``id``             yes       unique across both files
``name``           no        display name
``focus_areas``    yes       ``;``-separated topics, most important first (cell may be empty)
``boroughs``       yes       ``;``-separated borough names (case, ``&`` / ``and`` ignored)
``availability``   yes       ``;``-separated weekly windows, ``Mon 18:00-20:00; Sat 10:00-12:00``
``min_partners``   no        whole number >= 0 (default 0)
``max_partners``   no        whole number >= 0 (default 1)
anything else      no        a free attribute (rank, BCU, age band, ...) for rules and quotas
=================  ========  ==============================================================

Every reader checks every row and raises one `InputFileError` listing every
problem found (file, row as numbered in the spreadsheet, column, value, what
is wrong, a suggestion). Every writer writes to a temporary file in the target
directory and renames it into place, so a failed run never leaves a
half-written or clobbered output. pandas and openpyxl are optional: they are
imported only when an XLSX file or a DataFrame is used.
"""

from __future__ import annotations

import csv
import difflib
import io as _stdio
import json
import math
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from .availability import parse_window
from .datasets import default_taxonomy, london
from .exceptions import PairmatchError
from .geography import Geography
from .models import Mentee, Mentor, Person, Problem, Rules
from .params import SolveParams, Weights
from .result import MatchResult, rounded
from .taxonomy import Taxonomy, normalize_topic

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "Config",
    "InputFileError",
    "InputIssue",
    "MissingExtraError",
    "load_problem",
    "matches_bytes",
    "people_bytes",
    "read_config",
    "read_mentees",
    "read_mentors",
    "read_people",
    "sample_path",
    "write_atomically",
    "write_matches",
    "write_people",
]

Side = Literal["mentor", "mentee"]
COLUMNS = ("id", "name", "focus_areas", "boroughs", "availability", "min_partners", "max_partners")
REQUIRED_COLUMNS = ("id", "focus_areas", "boroughs", "availability")
_ALIASES = {"focus_area": "focus_areas", "focus": "focus_areas", "borough": "boroughs",
            "min_partner": "min_partners", "max_partner": "max_partners"}
_LIST_COLUMNS = ("focus_areas", "boroughs", "availability")
_CONFIG_KEYS = ("name", "description", "meeting_minutes", "weights", "rules", "solve")
_MATCH_FORMATS = ("csv", "xlsx", "json")


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class InputIssue:
    """One problem in an input file.

    Attributes
    ----------
    file : str
        File name as given (``<DataFrame>`` for a DataFrame).
    row : int or None
        Row as numbered in the spreadsheet (header = row 1), the 1-based item of
        a JSON list, the index label of a DataFrame, or the line of a TOML file.
    column : str or None
        Column, JSON key or config key.
    value : str or None
        The offending value as written.
    message : str
        What is wrong.
    suggestion : str or None
        The closest valid value, if any.
    row_kind : str
        How ``row`` is counted: ``"row"``, ``"item"``, ``"index"`` or ``"line"``.
    column_kind : str
        What ``column`` names: ``"column"`` or (in a config file) ``"setting"``.
    """

    file: str
    row: int | str | None
    column: str | None
    value: str | None
    message: str
    suggestion: str | None = None
    row_kind: str = "row"
    column_kind: str = "column"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", {self.row_kind} {self.row}"
        if self.column is not None:
            where += f", {self.column_kind} {self.column!r}"
        hint = f" - did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"{where}: {self.message}{hint}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class InputFileError(PairmatchError):
    """Input files with problems; ``issues`` lists every one found, in file order.

    >>> issue = InputIssue("mentors.csv", 3, "boroughs", "Newhm", "'Newhm' is not a known borough", "Newham")
    >>> print(InputFileError([issue]))
    1 problem in the input:
      - mentors.csv, row 3, column 'boroughs': 'Newhm' is not a known borough - did you mean 'Newham'?
    """

    def __init__(self, issues: Iterable[InputIssue]) -> None:
        self.issues = tuple(issues)
        n = len(self.issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the input:\n{lines}")

    def to_dict(self) -> dict[str, Any]:
        return {"error": "input", "issues": [i.to_dict() for i in self.issues]}


class MissingExtraError(PairmatchError, ImportError):
    """An optional dependency is needed for this file type or feature."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(f"{purpose} needs the optional package {package!r}; "
                         f"install it with: pip install 'pairmatch[{extra}]'")


def _require(module: str, extra: str, purpose: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(module, extra, purpose) from err


# --------------------------------------------------------------------------- raw tables


@dataclass
class _Table:
    """Rows of one source as ``(row label, {column: raw value})`` plus where columns came from."""

    file: str
    row_kind: str
    rows: list[tuple[int | str, dict[str, Any]]]
    headers: dict[str, str] = field(default_factory=dict)  # normalised key -> header as written
    tabular: bool = True  # JSON records have keys, not a shared header row
    readable: bool = True  # False when the header cannot be split into columns


def _key(header: Any) -> str:
    key = "_".join(str(header).strip().lower().replace("-", " ").split())
    return _ALIASES.get(key, key)


def _blank(value: Any) -> bool:
    if value is None or type(value).__name__ in ("NAType", "NaTType"):  # pandas missing markers
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _header_table(file: str, header: Sequence[Any], body: Iterable[tuple[int, Sequence[Any]]],
                  issues: list[InputIssue]) -> _Table:
    """Map a header row and data rows to records, noting duplicate and blank headers."""
    keys: list[str | None] = []
    headers: dict[str, str] = {}
    for col, raw in enumerate(header):
        if _blank(raw):
            keys.append(None)
            continue
        key = _key(raw)
        if key in headers:
            issues.append(InputIssue(file, 1, str(raw).strip(), str(raw),
                                     f"column {str(raw).strip()!r} appears twice (also as {headers[key]!r})"))
            keys.append(None)
            continue
        headers[key] = str(raw).strip()
        keys.append(key)
    readable = True
    if len(headers) == 1 and any(sep in next(iter(headers.values())) for sep in (";", "\t")):
        issues.append(InputIssue(file, 1, None, next(iter(headers.values())),
                                 "the header is one column; save the file as comma-separated CSV (CSV UTF-8)"))
        readable = False
    rows = []
    for number, cells in body:
        if all(_blank(c) for c in cells):
            continue  # spreadsheets often end with blank rows
        record = {}
        for col, value in enumerate(cells):
            if col < len(keys) and keys[col] is not None:
                record[keys[col]] = value
            elif not _blank(value):
                issues.append(InputIssue(file, number, None, str(value),
                                         f"value {str(value)!r} in column {col + 1}, which has no header"))
        rows.append((number, record))
    return _Table(file, "row", rows, headers, readable=readable)


def _decode(file: str, data: bytes, issues: list[InputIssue]) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        issues.append(InputIssue(file, 1, None, None,
                                 "the file is UTF-16 encoded; save it as 'CSV UTF-8 (comma delimited)'"))
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
            first = next(csv.reader([data[: before.find(b"\n") if b"\n" in before else len(data)]
                                     .decode("utf-8-sig", errors="replace")]))
            cells_before = next(csv.reader([text_before])) if text_before else [""]
            position = len(cells_before) - 1
            if position < len(first):
                column = first[position].strip()
        except (StopIteration, csv.Error):
            pass
        bad = data[err.start: err.start + 1]
        issues.append(InputIssue(file, line, column, repr(bad),
                                 f"byte 0x{bad.hex()} is not valid UTF-8 (the file looks like latin-1 or "
                                 "Windows-1252); save it as 'CSV UTF-8 (comma delimited)'"))
        return None


def _read_csv(path: Path, file: str, issues: list[InputIssue]) -> _Table | None:
    data = path.read_bytes()
    if not data.strip():
        issues.append(InputIssue(file, 1, None, None, "the file is empty; expected a header row with the columns "
                                 + ", ".join(REQUIRED_COLUMNS)))
        return None
    text = _decode(file, data, issues)
    if text is None:
        return None
    try:
        rows = list(csv.reader(_stdio.StringIO(text, newline="")))
    except csv.Error as err:
        issues.append(InputIssue(file, None, None, None, f"not readable as CSV: {err}"))
        return None
    # One CSV record is one spreadsheet row (even with line breaks inside a
    # quoted cell), so record numbers are the row numbers a coordinator sees.
    return _header_table(file, rows[0], enumerate(rows[1:], start=2), issues)


def _read_xlsx(path: Path, file: str, side: Side, sheet: str | None, issues: list[InputIssue]) -> _Table | None:
    openpyxl = _require("openpyxl", "io", "reading .xlsx files")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises several unrelated types for a bad workbook
        issues.append(InputIssue(file, None, None, None, f"not a readable .xlsx workbook ({err})"))
        return None
    try:
        names = {n.lower(): n for n in book.sheetnames}
        if sheet is not None:
            if sheet.lower() not in names:
                issues.append(InputIssue(file, None, None, sheet, f"no sheet named {sheet!r} (sheets: "
                                         f"{', '.join(book.sheetnames)})"))
                return None
            ws = book[names[sheet.lower()]]
        else:
            # One workbook may hold both sides as sheets named "mentors" and "mentees".
            ws = book[names[f"{side}s"]] if f"{side}s" in names else book.worksheets[0]
        rows = [(r, list(values)) for r, values in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        book.close()
    label = f"{file} [{ws.title}]"
    rows = [(r, v) for r, v in rows if not all(_blank(c) for c in v)]
    if not rows:
        issues.append(InputIssue(label, 1, None, None, "the sheet is empty; expected a header row with the columns "
                                 + ", ".join(REQUIRED_COLUMNS)))
        return None
    # Row numbers stay those the sheet shows, even below blank rows.
    return _header_table(label, rows[0][1], rows[1:], issues)


def _read_json(path: Path, file: str, side: Side, issues: list[InputIssue]) -> _Table | None:
    text = _decode(file, path.read_bytes(), issues)
    if text is None:
        return None
    if not text.strip():
        issues.append(InputIssue(file, 1, None, None, "the file is empty; expected a JSON list of people"))
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        issues.append(InputIssue(file, err.lineno, None, None, f"not valid JSON: {err.msg} (column {err.colno})",
                                 row_kind="line"))
        return None
    if isinstance(data, Mapping):
        key = f"{side}s"
        if key not in data:
            issues.append(InputIssue(file, None, key, None, f"a JSON object must have a {key!r} list"))
            return None
        data = data[key]
    if not isinstance(data, list) or not all(isinstance(r, Mapping) for r in data):
        issues.append(InputIssue(file, None, None, None, "expected a list of objects, one per person"))
        return None
    rows = []
    for item, record in enumerate(data, start=1):
        flat = {}
        for k, v in record.items():
            if k == "attributes" and isinstance(v, Mapping):
                flat.update({_key(a): x for a, x in v.items()})
            else:
                flat[_key(k)] = v
        rows.append((item, flat))
    return _Table(file, "item", rows, tabular=False)


def _frame_table(frame: Any, issues: list[InputIssue]) -> _Table:
    header = list(frame.columns)
    labels = [label.item() if hasattr(label, "item") else label for label in frame.index]  # numpy -> Python
    body = [(label, list(values)) for label, values in zip(labels, frame.itertuples(index=False, name=None))]
    table = _header_table("<DataFrame>", header, [], issues)
    keys = [_key(h) if not _blank(h) else None for h in header]
    table.rows = [(label, {k: v for k, v in zip(keys, values) if k is not None}) for label, values in body]
    table.row_kind = "index"
    # Re-label header issues: a DataFrame has no "row 1".
    return table


def _read_table(source: Any, side: Side, sheet: str | None, issues: list[InputIssue]) -> _Table | None:
    if hasattr(source, "columns") and hasattr(source, "itertuples"):
        return _frame_table(source, issues)
    path = Path(source)
    file = str(source)
    if not path.is_file():
        issues.append(InputIssue(file, None, None, None, "no such file" if not path.exists() else "not a file"))
        return None
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path, file, issues)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, file, side, sheet, issues)
    if suffix == ".json":
        return _read_json(path, file, side, issues)
    issues.append(InputIssue(file, None, None, suffix or None,
                             "unsupported file type; use .csv, .xlsx or .json"))
    return None


# --------------------------------------------------------------------------- cell parsing


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store 101 as 101.0
    return str(value).strip()


def _items(value: Any) -> list[str]:
    if _blank(value):
        return []
    parts = value if isinstance(value, (list, tuple)) else [value]
    return [p.strip() for part in parts for p in _text(part).split(";") if p.strip()]


_INT = re.compile(r"[+-]?(0|[1-9]\d*)")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def _attribute(value: Any) -> bool | int | float | str:
    """Typed attribute value: spreadsheets give text, rules compare values."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT.fullmatch(text):
        return int(text)
    # "007" stays text: leading zeros mark codes, not numbers.
    if _FLOAT.fullmatch(text) and not re.match(r"[+-]?0\d", text):
        return float(text)
    return text


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+(\.0*)?", text):
        return int(float(text))
    return None


class _RowChecker:
    """Checks the cells of one source against the column layout, collecting issues."""

    def __init__(self, table: _Table, side: Side, taxonomy: Taxonomy, geography: Geography,
                 issues: list[InputIssue]) -> None:
        self.table, self.side, self.taxonomy, self.geography, self.issues = table, side, taxonomy, geography, issues

    def issue(self, row: int | str | None, column: str | None, value: Any, message: str,
              suggestion: str | None = None) -> None:
        col = self.table.headers.get(column, column) if column else None
        shown = None if value is None else (value if isinstance(value, str) else _text(value))
        self.issues.append(InputIssue(self.table.file, row, col, shown, message, suggestion, self.table.row_kind))

    def header(self) -> bool:
        """Report missing required columns; False when rows cannot be read at all."""
        if not self.table.tabular:
            return True
        if not self.table.readable:
            return False
        missing = [c for c in REQUIRED_COLUMNS if c not in self.table.headers]
        header_row = 1 if self.table.row_kind == "row" else None
        for column in missing:
            close = difflib.get_close_matches(column, list(self.table.headers), n=1, cutoff=0.6)
            self.issues.append(InputIssue(
                self.table.file, header_row, column, None,
                f"required column {column!r} is missing (columns found: "
                f"{', '.join(self.table.headers.values()) or 'none'})",
                self.table.headers[close[0]] if close else None, self.table.row_kind))
        if not self.table.rows and not missing:
            self.issues.append(InputIssue(self.table.file, 2 if header_row else None, None, None,
                                          "no people listed below the header", None, self.table.row_kind))
        return "id" not in missing

    def person(self, row: int | str, record: dict[str, Any]) -> dict[str, Any] | None:
        before = len(self.issues)
        data: dict[str, Any] = {}
        raw_id = record.get("id")
        if _blank(raw_id):
            self.issue(row, "id", None, "the id is empty; every person needs a unique id")
        else:
            data["id"] = _text(raw_id)
        if not _blank(record.get("name")):
            data["name"] = _text(record["name"])
        data["focus_areas"] = self._topics(row, record.get("focus_areas"))
        data["boroughs"] = self._places(row, record.get("boroughs"))
        data["availability"] = self._windows(row, record.get("availability"))
        capacity = {}
        for column, default in (("min_partners", 0), ("max_partners", 1)):
            value = record.get(column)
            if _blank(value):
                capacity[column] = default
                continue
            number = _whole(value)
            if number is None:
                self.issue(row, column, value, f"{_text(value)!r} is not a whole number")
            elif number < 0:
                self.issue(row, column, value, f"{number} is negative; capacities are 0 or more")
            else:
                capacity[column] = number
        if len(capacity) == 2 and capacity["min_partners"] > capacity["max_partners"]:
            self.issue(row, "min_partners", capacity["min_partners"],
                       f"min_partners ({capacity['min_partners']}) is greater than max_partners "
                       f"({capacity['max_partners']})")
        data.update(capacity)
        attributes = {}
        for column, value in record.items():
            if column in COLUMNS or _blank(value):
                continue
            if self.table.tabular or not isinstance(value, (list, dict)):
                attributes[column] = _attribute(value)
            else:
                self.issue(row, column, json.dumps(value), "attribute values must be text, numbers or true/false")
        data["attributes"] = attributes
        return data if len(self.issues) == before else None

    def _topics(self, row: int | str, value: Any) -> list[str]:
        out = []
        for item in _items(value):
            topic = normalize_topic(item)
            if topic in self.taxonomy:
                out.append(topic)
            else:
                self.issue(row, "focus_areas", item, f"{item!r} is not a known focus area",
                           self.taxonomy.suggest(item))
        return out

    def _places(self, row: int | str, value: Any) -> list[str]:
        out = []
        for item in _items(value):
            place = self.geography.canonical(item)
            if place is not None:
                out.append(place)
            else:
                self.issue(row, "boroughs", item, f"{item!r} is not a known borough", self.geography.suggest(item))
        return out

    def _windows(self, row: int | str, value: Any) -> list[str]:
        out = []
        for item in _items(value):
            try:
                parse_window(item)
            except ValueError as err:
                self.issue(row, "availability", item, str(err))
            else:
                out.append(item)
        return out


def _check_people(table: _Table, side: Side, taxonomy: Taxonomy, geography: Geography,
                  issues: list[InputIssue]) -> list[tuple[int | str, dict[str, Any]]]:
    checker = _RowChecker(table, side, taxonomy, geography, issues)
    if not checker.header():
        return []
    people = []
    first_row: dict[str, int | str] = {}
    for row, record in table.rows:
        data = checker.person(row, record)
        pid = data["id"] if data else (_text(record["id"]) if not _blank(record.get("id")) else None)
        if pid is not None:
            if pid in first_row:
                checker.issue(row, "id", pid, f"id {pid!r} is already used on {table.row_kind} {first_row[pid]}")
                continue
            first_row[pid] = row
        if data is not None:
            people.append((row, data))
    return people


def _build(cls: type[Person], table: _Table, rows: list[tuple[int | str, dict[str, Any]]],
           issues: list[InputIssue]) -> list[Person]:
    out = []
    for row, data in rows:
        try:
            out.append(cls(**data))
        except ValidationError as err:  # rows were checked already; this is a safety net
            for e in err.errors():
                column = str(e["loc"][0]) if e["loc"] else None
                issues.append(InputIssue(table.file, row, column, None, e["msg"], row_kind=table.row_kind))
    return out


def read_people(
    source: str | os.PathLike[str] | Any,
    side: Side,
    *,
    taxonomy: Taxonomy | None = None,
    geography: Geography | None = None,
    sheet: str | None = None,
) -> tuple[Person, ...]:
    """Read mentors or mentees from a CSV, XLSX or JSON file or a pandas DataFrame.

    Parameters
    ----------
    source : path or DataFrame
        ``.csv`` (UTF-8), ``.xlsx`` (first sheet, or the sheet named ``mentors`` /
        ``mentees``), ``.json`` (a list of people, or an object with a
        ``mentors`` / ``mentees`` list), or a DataFrame with the column layout.
    side : {"mentor", "mentee"}
    taxonomy, geography : optional
        Vocabularies to check focus areas and boroughs against (default: the
        built-in policing taxonomy and the 32 London boroughs).
    sheet : str, optional
        Worksheet name for ``.xlsx`` files.

    Raises
    ------
    InputFileError
        Listing every problem in the source.
    MissingExtraError
        For ``.xlsx`` without openpyxl installed.

    Examples
    --------
    >>> mentors = read_people(sample_path("pilot", "mentors.csv"), "mentor")
    >>> mentors[0].id, mentors[0].boroughs
    ('M1', ('Tower Hamlets',))
    """
    issues: list[InputIssue] = []
    people = _read_side(source, side, taxonomy or default_taxonomy(), geography or london(), sheet, issues)[0]
    if issues:
        raise InputFileError(issues)
    return people


def _read_side(source: Any, side: Side, taxonomy: Taxonomy, geography: Geography, sheet: str | None,
               issues: list[InputIssue]) -> tuple[tuple[Person, ...], _Table | None, dict[str, int | str]]:
    if side not in ("mentor", "mentee"):
        raise ValueError(f"side must be 'mentor' or 'mentee', got {side!r}")
    table = _read_table(source, side, sheet, issues)
    if table is None:
        return (), None, {}
    rows = _check_people(table, side, taxonomy, geography, issues)
    cls = Mentor if side == "mentor" else Mentee
    people = tuple(_build(cls, table, rows, issues))
    return people, table, {data["id"]: row for row, data in rows}


def read_mentors(source: Any, **kwargs: Any) -> tuple[Mentor, ...]:
    """`read_people` for mentors."""
    return read_people(source, "mentor", **kwargs)  # type: ignore[return-value]


def read_mentees(source: Any, **kwargs: Any) -> tuple[Mentee, ...]:
    """`read_people` for mentees."""
    return read_people(source, "mentee", **kwargs)  # type: ignore[return-value]


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Config:
    """Settings from a TOML file: weights, rules, solve parameters and programme details.

    ``seed`` is the ``[solve]`` table's seed (0 when absent).
    """

    weights: Weights = Weights()
    rules: Rules = Rules()
    params: SolveParams = SolveParams()
    meeting_minutes: int = 60
    name: str = ""
    description: str = ""
    source: str | None = None

    @property
    def seed(self) -> int:
        return self.params.seed


def _line_of(text: str, table: str | None, key: str | None) -> int | None:
    """Line of ``key`` inside ``[table]`` (or of the table header), for messages."""
    lines = text.splitlines()
    start = 0
    if table:
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?")
        found = [n for n, line in enumerate(lines) if header.match(line)]
        if not found:
            return None
        start = found[0]
        if key is None:
            return start + 1
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key or '')}[\"']?\s*=")
    for n in range(start + (1 if table else 0), len(lines)):
        if table and n > start and re.match(r"^\s*\[", lines[n]):
            break
        if not table and re.match(r"^\s*\[", lines[n]):
            break
        if pattern.match(lines[n]):
            return n + 1
    return None


def _issue_config(issues: list[InputIssue], file: str, text: str, table: str | None, key: str | None,
                  value: Any, message: str, suggestion: str | None = None) -> None:
    name = ".".join(p for p in (table, key) if p)
    shown = None if value is None or isinstance(value, (dict, list)) else str(value)
    if shown is not None:
        message = f"{shown!r}: {message}"
    issues.append(InputIssue(file, _line_of(text, table, key), name or None, shown, message, suggestion,
                             "line", "setting"))


def _model_issues(file: str, text: str, table: str, model: type, err: ValidationError,
                  issues: list[InputIssue]) -> None:
    for e in err.errors():
        key = str(e["loc"][0]) if e["loc"] else None
        label = key and key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"][1:])
        message = e["msg"].removeprefix("Value error, ")
        suggestion = None
        if e["type"] == "extra_forbidden" and key:
            message = "unknown setting"
            close = difflib.get_close_matches(key, list(model.model_fields), n=1)
            suggestion = close[0] if close else None
        value = e.get("input") if e["type"] != "extra_forbidden" else None
        _issue_config(issues, file, text, table, key, value, message, suggestion)
        if label != key and issues[-1].column is not None:
            issues[-1] = InputIssue(**{**issues[-1].to_dict(), "column": f"{table}.{label}"})


def _check_config(data: Mapping[str, Any], file: str, text: str, issues: list[InputIssue]) -> Config:
    for key in data:
        if key not in _CONFIG_KEYS:
            close = difflib.get_close_matches(key, _CONFIG_KEYS, n=1)
            table = key if isinstance(data[key], Mapping) else None
            _issue_config(issues, file, text, table, None if table else key, None, "unknown setting",
                          close[0] if close else None)
    parts: dict[str, Any] = {}
    for key, model in (("weights", Weights), ("rules", Rules), ("solve", SolveParams)):
        table = data.get(key, {})
        if not isinstance(table, Mapping):
            _issue_config(issues, file, text, None, key, table, f"must be a table ([{key}])")
            continue
        try:
            parts[key] = model(**table)
        except ValidationError as err:
            _model_issues(file, text, key, model, err, issues)
    meeting = data.get("meeting_minutes", 60)
    if isinstance(meeting, bool) or not isinstance(meeting, int) or not 0 < meeting <= 1440 or meeting % 30:
        _issue_config(issues, file, text, None, "meeting_minutes", meeting,
                      "must be a whole number of half hours (30, 60, 90, ...) up to 1440")
        meeting = 60
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            _issue_config(issues, file, text, None, key, data[key], "must be text")
    return Config(weights=parts.get("weights", Weights()), rules=parts.get("rules", Rules()),
                  params=parts.get("solve", SolveParams()), meeting_minutes=meeting,
                  name=str(data.get("name", "")), description=str(data.get("description", "")), source=file)


def _read_config(path: str | os.PathLike[str] | None, issues: list[InputIssue]) -> Config:
    if path is None:
        return Config()
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        issues.append(InputIssue(file, None, None, None, f"cannot read the file ({err.strerror})"))
        return Config()
    text = _decode(file, raw, issues)
    if text is None:
        return Config()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
        line = int(match[1]) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        issues.append(InputIssue(file, line, None, None, f"not valid TOML: {message}"
                                 + (f" (column {match[2]})" if match else ""), row_kind="line"))
        return Config()
    return _check_config(data, file, text, issues)


def read_config(path: str | os.PathLike[str]) -> Config:
    """Read weights, rules, solve parameters and programme details from a TOML file.

    Top-level keys: ``name``, ``description``, ``meeting_minutes``; tables
    ``[weights]`` (`Weights`), ``[rules]`` (`Rules`) and ``[solve]``
    (`SolveParams`, including ``seed``).

    Raises
    ------
    InputFileError
        Listing every bad key or value.

    Examples
    --------
    >>> config = read_config(sample_path("pilot", "config.toml"))
    >>> config.weights.focus, config.meeting_minutes
    (0.5, 60)
    """
    issues: list[InputIssue] = []
    config = _read_config(path, issues)
    if issues:
        raise InputFileError(issues)
    return config


# --------------------------------------------------------------------------- whole problem


_PERSON_ERROR = re.compile(r"^(mentor|mentee) '((?:[^'\\]|\\.)*)': (\w+): (.*)$")


def load_problem(
    mentors: Any,
    mentees: Any,
    config: str | os.PathLike[str] | Config | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    geography: Geography | None = None,
) -> tuple[Problem, Config]:
    """Read both sides and the settings into a `Problem`, reporting every problem at once.

    Parameters
    ----------
    mentors, mentees : path or DataFrame
        See `read_people`. Both may be the same ``.xlsx`` workbook with sheets
        named ``mentors`` and ``mentees``.
    config : path, Config or None
        TOML settings (see `read_config`); defaults apply when None.
    taxonomy, geography : optional
        Custom vocabularies (default: built-in taxonomy, London boroughs).

    Returns
    -------
    (Problem, Config)

    Raises
    ------
    InputFileError
        With the issues of all three sources, and of ids used on both sides or
        named in rules but listed nowhere.

    Examples
    --------
    >>> problem, config = load_problem(sample_path("pilot", "mentors.csv"),
    ...                                sample_path("pilot", "mentees.csv"),
    ...                                sample_path("pilot", "config.toml"))
    >>> problem.shape, config.seed
    ((3, 3), 0)
    """
    taxonomy = taxonomy or default_taxonomy()
    geography = geography or london()
    issues: list[InputIssue] = []
    cfg = config if isinstance(config, Config) else _read_config(config, issues)
    left, left_table, left_rows = _read_side(mentors, "mentor", taxonomy, geography, None, issues)
    right, right_table, right_rows = _read_side(mentees, "mentee", taxonomy, geography, None, issues)
    if left_table and right_table:
        for pid, row in right_rows.items():
            if pid in left_rows:
                issues.append(InputIssue(right_table.file, row, right_table.headers.get("id", "id"), pid,
                                         f"id {pid!r} is also a mentor id ({left_table.file}, "
                                         f"{left_table.row_kind} {left_rows[pid]}); ids must be unique "
                                         "across both sides", row_kind=right_table.row_kind))
    if not issues:
        for rule in ("forbidden_pairs", "required_pairs"):
            for k, (mentor_id, mentee_id) in enumerate(getattr(cfg.rules, rule)):
                for pid, known, role in ((mentor_id, left_rows, "mentor"), (mentee_id, right_rows, "mentee")):
                    if pid not in known:
                        pool = list(known)
                        close = difflib.get_close_matches(pid, pool, n=1)
                        issues.append(InputIssue(cfg.source or "config", None, f"rules.{rule}[{k}]", pid,
                                                 f"{pid!r} is not a {role} id", close[0] if close else None,
                                                 "line", "setting"))
    if issues:
        raise InputFileError(issues)
    try:
        problem = Problem(mentors=left, mentees=right, weights=cfg.weights, rules=cfg.rules,
                          meeting_minutes=cfg.meeting_minutes, taxonomy=taxonomy, geography=geography,
                          name=cfg.name, description=cfg.description)
    except ValidationError as err:
        # Map the model's messages back to rows by person id.
        where = {"mentor": (left_table, left_rows), "mentee": (right_table, right_rows)}
        for e in err.errors():
            for part in str(e["msg"]).removeprefix("Value error, ").split("; "):
                match = _PERSON_ERROR.match(part)
                if match and where[match[1]][0] is not None:
                    table, rows = where[match[1]]
                    issues.append(InputIssue(table.file, rows.get(match[2]), table.headers.get(match[3], match[3]),
                                             None, match[4], row_kind=table.row_kind))
                else:
                    issues.append(InputIssue(cfg.source or "config", None, None, None, part, None, "line", "setting"))
        raise InputFileError(issues) from err
    return problem, cfg


# --------------------------------------------------------------------------- writing


def write_atomically(files: Mapping[str | os.PathLike[str], bytes]) -> list[Path]:
    """Write several files so that either all are replaced or none is touched.

    Each file is first written in full to a temporary file in its target
    directory; only when every one is written are they renamed into place
    (``os.replace``, atomic on one file system).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_atomically({d / "a.txt": b"hello"})]
    ['a.txt']
    """
    staged: list[tuple[str, Path]] = []
    try:
        for target, data in files.items():
            path = Path(target)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp creates owner-only files; give the output the mode a plain open() would.
            os.chmod(tmp, _mode_for(path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
    return [path for _, path in staged]


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _format(path: str | os.PathLike[str], fmt: str | None, allowed: Sequence[str]) -> str:
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt not in allowed:
        raise ValueError(f"cannot write {str(path)!r}: use one of the extensions {', '.join('.' + a for a in allowed)}")
    return fmt


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = _stdio.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # A BOM lets Excel open the file as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    openpyxl = _require("openpyxl", "io", "writing .xlsx files")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        ws = book.create_sheet(title)
        ws.append(list(header))
        for row in rows:
            ws.append(list(row))
            for cell in ws[ws.max_row]:
                # Text such as "=HYPERLINK(...)" from a spreadsheet cell stays text, never a formula.
                if cell.data_type == "f":
                    cell.data_type = "s"
        ws.freeze_panes = "A2"
    buffer = _stdio.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _match_rows(result: MatchResult) -> tuple[list[str], list[list[Any]]]:
    from .explain import explain_pair

    ctx = result.context
    names = ({p.id: p.name or "" for p in (*ctx.problem.mentors, *ctx.problem.mentees)} if ctx else {})
    components = list(result.pairs[0].components) if result.pairs else ["focus", "borough", "availability"]
    header = ["mentor_id", "mentor_name", "mentee_id", "mentee_name", "score",
              *(f"{c}_score" for c in components), "pinned", *(f"{c}_reason" for c in components)]
    rows = []
    for p in result.pairs:
        facts = explain_pair(result, p.mentor_id, p.mentee_id).facts if ctx else {}
        rows.append([p.mentor_id, names.get(p.mentor_id, ""), p.mentee_id, names.get(p.mentee_id, ""),
                     rounded(p.score), *(rounded(p.components[c]) for c in components), p.pinned,
                     *(facts.get(c, "") for c in components)])
    return header, rows


def matches_bytes(result: MatchResult, fmt: str) -> bytes:
    """The matches of ``result`` as a ``csv``, ``xlsx`` or ``json`` file's bytes.

    CSV has one row per pair (ids, names, score, each component, pinned flag
    and the reason behind each component). XLSX adds an ``unmatched`` sheet and
    a ``run`` sheet (status, objective, solver, seed). JSON is
    `MatchResult.to_dict` plus an ``explanations`` list aligned with ``pairs``.
    """
    fmt = _format(f"x.{fmt}", fmt, _MATCH_FORMATS)
    header, rows = _match_rows(result)
    if fmt == "csv":
        return _csv_bytes(header, rows)
    if fmt == "json":
        data = result.to_dict()
        reasons = [c for c in header if c.endswith("_reason")]
        data["explanations"] = [
            {"mentor_id": r[0], "mentee_id": r[2], **{c.removesuffix("_reason"): r[header.index(c)] for c in reasons}}
            for r in rows
        ]
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    unmatched = [[u.side, u.person_id, u.code, u.reason] for u in result.unmatched]
    run = [["status", result.status], ["objective", result.objective], ["objective_name", result.objective_name],
           ["solver", result.solver], ["seed", result.seed], ["runtime_s", result.runtime_s]]
    return _xlsx_bytes({"matches": (header, rows), "unmatched": (["side", "id", "code", "reason"], unmatched),
                        "run": (["field", "value"], run)})


def write_matches(result: MatchResult, path: str | os.PathLike[str], *, fmt: str | None = None) -> Path:
    """Write the matches atomically; the format follows the extension unless ``fmt`` is given."""
    fmt = _format(path, fmt, _MATCH_FORMATS)
    return write_atomically({path: matches_bytes(result, fmt)})[0]


def _person_row(person: Person, extra: Sequence[str]) -> list[Any]:
    return [person.id, person.name or "", "; ".join(person.focus_areas), "; ".join(person.boroughs),
            "; ".join(person.availability), person.min_partners, person.max_partners,
            *(person.attributes.get(a, "") for a in extra)]


def people_bytes(people: Sequence[Person], fmt: str, *, sheet: str = "people") -> bytes:
    """People in the column layout as a ``csv``, ``xlsx`` or ``json`` file's bytes (inverse of `read_people`)."""
    fmt = _format(f"x.{fmt}", fmt, _MATCH_FORMATS)
    extra = list(dict.fromkeys(a for p in people for a in p.attributes))
    if fmt == "json":
        data = [p.model_dump(exclude_defaults=True) for p in people]
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    header = [*COLUMNS, *extra]
    rows = [_person_row(p, extra) for p in people]
    return _csv_bytes(header, rows) if fmt == "csv" else _xlsx_bytes({sheet: (header, rows)})


def write_people(people: Sequence[Person], path: str | os.PathLike[str], *, fmt: str | None = None) -> Path:
    """Write people in the column layout atomically (``.csv``, ``.xlsx`` or ``.json``)."""
    fmt = _format(path, fmt, _MATCH_FORMATS)
    side = "mentors" if people and isinstance(people[0], Mentor) else "mentees"
    return write_atomically({path: people_bytes(people, fmt, sheet=side)})[0]


def sample_path(programme: str, name: str = "") -> Path:
    """Path of a shipped sample file: ``programme`` is ``"pilot"`` or ``"synthetic-200"``.

    >>> sample_path("pilot", "mentors.csv").name
    'mentors.csv'
    """
    from importlib import resources

    base = Path(str(resources.files("pairmatch.datasets").joinpath("samples", programme)))
    if not base.is_dir():
        raise FileNotFoundError(f"no sample programme {programme!r}")
    return base / name if name else base
