"""Rows to people: every cell checked by the models' own validators, every problem collected.

`PeopleReader` checks the header, then the rows column by column through
`CellValidator` (each distinct value once), and collects every problem in
row and column order. A person is built with ``model_construct`` only from
values that passed the model's validators; apart from ``min_partners <=
max_partners`` (checked on each row's own record) every check of a person
is about one field, so checking fields separately is checking the person.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Hashable, Iterator
from difflib import get_close_matches
from typing import Any

from ..datasets import default_taxonomy, london
from ..geography import Geography
from ..models import Mentee, Mentor, Person
from ..preferences import Ranking
from ..taxonomy import Taxonomy
from ..text import excerpt, quoted
from .cells import blank, cell_text
from .issues import InputIssue, IssueLog
from .readers import COLUMNS, REQUIRED_COLUMNS, Side, Table, read_table
from .validation import CellValidator, hashable, model_message

__all__ = ["PeopleReader", "SideData", "bulk", "read_mentees", "read_mentors", "read_people", "read_side"]

# The fields a person read from a file always sets (``name`` when given), as
# ``model_validate`` of the whole row would record them.
_FIELDS = frozenset(
    {"id", "focus_areas", "boroughs", "availability", "min_partners", "max_partners", "attributes", "ranking"}
)
_FIELDS_NAMED = _FIELDS | {"name"}
_ORDER = {c: k for k, c in enumerate(COLUMNS)}


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's rows become objects.

    Reading creates hundreds of thousands of small acyclic objects; each
    allocation burst would otherwise start collections that scan all of them
    again (measured: a third of the time to read 65,800 people).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class SideData:
    """What was read from one side: the people, the table and where each id was found."""

    def __init__(self, people: tuple[Person, ...], table: Table | None, rows: dict[str, int | str]) -> None:
        self.people, self.table, self.rows = people, table, rows

    @property
    def file(self) -> str:
        """The file the side was read from (empty when there was no table)."""
        return self.table.file if self.table is not None else ""

    def where(self, person_id: str) -> str:
        """``file, row N`` of a person, for messages that point to another file."""
        if self.table is None or person_id not in self.rows:
            return self.file
        return f"{self.table.file}, {self.table.row_kind} {self.rows[person_id]}"


class PeopleReader:
    """Validates the rows of one table as mentors or mentees, collecting every issue."""

    def __init__(self, table: Table, side: Side, taxonomy: Taxonomy, geography: Geography, log: IssueLog) -> None:
        self.table, self.side, self.taxonomy, self.geography, self.log = table, side, taxonomy, geography, log
        self.cells = CellValidator(side, taxonomy, geography)

    # ------------------------------------------------------------------ issues

    def issue(
        self, row: int | str | None, column: str | None, value: Any, message: str, suggestion: str | None = None
    ) -> InputIssue:
        """An `InputIssue` at ``row`` and ``column`` of this table, showing an excerpt of ``value``."""
        shown = None if value is None else excerpt(value if isinstance(value, str) else cell_text(value))
        return InputIssue(
            self.table.file, row, self.table.column(column), shown, message, suggestion, self.table.row_kind
        )

    # ------------------------------------------------------------------ header

    def header(self) -> bool:
        """Report missing required columns; False when rows cannot be told apart (no ``id``)."""
        table = self.table
        if not table.tabular:
            return True
        missing = [c for c in REQUIRED_COLUMNS if c not in table.headers]
        for column in missing:
            close = get_close_matches(column, list(table.headers), n=1, cutoff=0.6)
            found = ", ".join(excerpt(h, 40) for h in table.headers.values()) or "none"
            self.log.add(
                InputIssue(
                    table.file,
                    table.header_row,
                    column,
                    None,
                    f"required column {column!r} is missing (columns found: {found})",
                    table.headers[close[0]] if close else None,
                    table.row_kind,
                )
            )
        if not table.rows and not missing and not self.log.per_file[table.file]:  # not when rows were dropped
            after = table.header_row + 1 if table.header_row is not None else None
            self.log.add(
                InputIssue(table.file, after, None, None, "no people listed below the header", None, table.row_kind)
            )
        return "id" not in missing

    def attribute_columns(self) -> set[str]:
        """Attribute columns whose names are valid (checked once, not on every row)."""
        good = set()
        for key, written in self.table.headers.items():
            if key in COLUMNS:
                continue
            problem = self.cells.validate_once(("attribute name", key), {"attributes": {key: ""}})[1]
            if problem:
                self.log.add(
                    InputIssue(
                        self.table.file,
                        self.table.header_row,
                        excerpt(written),
                        None,
                        f"column name: {problem[0][1]}",
                        None,
                        self.table.row_kind,
                    )
                )
            else:
                good.add(key)
        return good

    # ------------------------------------------------------------------ rows

    def read(self) -> SideData:
        """Check every row, column by column (each distinct value once); build the people
        of the rows without a problem."""
        table = self.table
        if not self.header():
            return SideData((), table, {})
        rows = _Rows(self, [row for row, _ in table.rows], [record for _, record in table.rows])
        bases = rows.scalars()
        ids = rows.ids()
        columns = {column: rows.list_column(column) for column in ("focus_areas", "boroughs", "availability")}
        rankings = rows.rankings()
        attrs = rows.attributes(self.attribute_keys())
        first_row = rows.first_rows(ids)
        bad = rows.report()
        construct = self.cells.cls.model_construct
        focus, places, windows = columns["focus_areas"], columns["boroughs"], columns["availability"]
        people = [
            construct(
                set(_FIELDS_NAMED if "name" in rows.scalar[k] else _FIELDS),
                id=base.id,
                name=base.name,
                focus_areas=focus[k],
                boroughs=places[k],
                places_as_written=self.cells.place_spellings(rows.records[k].get("boroughs")) if places[k] else (),
                availability=windows[k],
                min_partners=base.min_partners,
                max_partners=base.max_partners,
                attributes=attrs[k],
                ranking=rankings[k],
            )
            for k, base in enumerate(bases)
            if base is not None and k not in bad
        ]
        return SideData(tuple(people), table, first_row)

    def attribute_keys(self) -> list[str]:
        """The attribute columns (spreadsheets) or keys (JSON) whose names are valid, in file order."""
        table = self.table
        if table.tabular:
            good = self.attribute_columns()
            return [k for k in table.headers if k in good]
        names = dict.fromkeys(k for _, r in table.rows for k in r if k not in COLUMNS)
        return [k for k in names if not self.attribute_name_problem(k)]

    def attribute_name_problem(self, key: str) -> bool:
        """Report a JSON attribute key the model rejects (once); True if it is bad."""
        problem = self.cells.validate_once(("attribute name", key), {"attributes": {key: ""}})[1]
        if problem:
            self.log.add(
                InputIssue(
                    self.table.file, None, excerpt(key), None, f"key: {problem[0][1]}", None, self.table.row_kind
                )
            )
        return bool(problem)


class _Rows:
    """The rows of one table being checked, and the problems found so far (in row, then column order)."""

    def __init__(self, reader: PeopleReader, rows: list[int | str], records: list[dict[str, Any]]) -> None:
        self.reader, self.rows, self.records = reader, rows, records
        self.cells = reader.cells
        self.found: list[tuple[int, int, InputIssue]] = []  # (position, column order, issue)
        self.scalar: list[dict[str, Any]] = []

    def add(
        self, k: int, column: str, value: Any, message: str, suggestion: str | None = None, order: int | None = None
    ) -> None:
        rank = order if order is not None else _ORDER.get(column, len(_ORDER))
        self.found.append((k, rank, self.reader.issue(self.rows[k], column, value, message, suggestion)))

    def scalars(self) -> list[Any]:
        """Each row's id, name and capacity through the model (one batch), problems added."""
        self.scalar = [self.cells.scalars(record) for record in self.records]
        bases, errors = self.cells.validate_scalars(self.scalar)
        for k, row_errors in errors.items():
            for e in row_errors:
                column = str(e["loc"][0]) if e["loc"] else "min_partners"  # the capacity check is model-wide
                self.add(k, column, self.records[k].get(column), model_message(e, self.reader.side))
        return bases

    def ids(self) -> list[str | None]:
        ids: list[str | None] = []
        for k, record in enumerate(self.records):
            if blank(record.get("id")):
                ids.append(None)
                self.add(k, "id", None, "the id is empty; every person needs a unique id")
            else:
                ids.append(self.scalar[k]["id"])
        return ids

    def list_column(self, column: str) -> list[Any]:
        """The checked values of a ``;``-separated column, each distinct cell checked once."""
        distinct: dict[Hashable, Any] = {}
        for record in self.records:
            value = record.get(column)
            if not blank(value):
                distinct.setdefault(value if type(value) is str else hashable(value), value)
        self.cells.prevalidate(column, list(distinct.values()))
        out: list[Any] = []
        for k, record in enumerate(self.records):
            value = record.get(column)
            if blank(value):
                out.append(())
                continue
            checked, problems = self.cells.check_cell(column, value)
            out.append(checked)
            for item, message, suggestion in problems:
                self.add(k, column, item, message, suggestion)
        return out

    def rankings(self) -> list[Ranking]:
        """Each row's ``ranking`` cell (``M3 > M1 = M2``), checked by the model; the ids it names
        are checked against the other side once both sides are read."""
        out: list[Ranking] = []
        for k, record in enumerate(self.records):
            value = record.get("ranking")
            if blank(value):
                out.append(())
                continue
            text = value if isinstance(value, (list, tuple)) else cell_text(value)
            key = ("ranking", text if isinstance(text, str) else hashable(text))
            person, errors = self.cells.validate_once(key, {"ranking": text})
            for _, message in errors:
                self.add(k, "ranking", value, message)
            out.append(person.ranking if person is not None else ())
        return out

    def attributes(self, keys: list[str]) -> list[dict[str, Any]]:
        attrs: list[dict[str, Any]] = [{} for _ in self.records]
        tabular = self.reader.table.tabular
        for order, column in enumerate(keys, start=len(_ORDER)):
            for k, record in enumerate(self.records):
                value = record.get(column)
                if blank(value):
                    continue
                if not tabular and isinstance(value, (list, dict)):
                    message = "attribute values must be text, numbers or true/false"
                    self.add(k, column, json.dumps(value), message, order=order)
                    continue
                typed, problem = self.cells.attribute(column, value)
                if problem:
                    self.add(k, column, value, problem, order=order)
                else:
                    attrs[k][column] = typed
        return attrs

    def first_rows(self, ids: list[str | None]) -> dict[str, int | str]:
        """Where each id is first found; a second use is a problem."""
        first_row: dict[str, int | str] = {}
        kind = self.reader.table.row_kind
        for k, pid in enumerate(ids):
            if pid is None:
                continue
            if pid in first_row:
                self.add(k, "id", pid, f"id {quoted(pid)} is already used on {kind} {first_row[pid]}", order=10**6)
            else:
                first_row[pid] = self.rows[k]
        return first_row

    def report(self) -> set[int]:
        """Add every problem to the log in row and column order; the positions of the rows with one."""
        self.found.sort(key=lambda item: (item[0], item[1]))
        for _, _, issue in self.found:
            self.reader.log.add(issue)
        return {k for k, _, _ in self.found}


def read_side(
    source: Any, side: Side, taxonomy: Taxonomy, geography: Geography, sheet: str | None, log: IssueLog
) -> SideData:
    """Read and validate one side, adding every problem to ``log``."""
    if side not in ("mentor", "mentee"):
        raise ValueError(f"side must be 'mentor' or 'mentee', got {side!r}")
    table = read_table(source, side, sheet, log)
    if table is None:
        return SideData((), None, {})
    return PeopleReader(table, side, taxonomy, geography, log).read()


def read_people(
    source: str | os.PathLike[str] | Any,
    side: Side,
    *,
    taxonomy: Taxonomy | None = None,
    geography: Geography | None = None,
    sheet: str | None = None,
    warnings: list[InputIssue] | None = None,
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
        Worksheet name for ``.xlsx`` files (an unknown name is an error listing the sheets).
    warnings : list, optional
        Receives hidden rows, merged cells and formulas without a saved value
        (``.xlsx``), as `InputIssue` with ``severity="warning"``.

    Returns
    -------
    tuple of Mentor or Mentee

    Raises
    ------
    InputFileError
        Listing every problem in the source.
    MissingExtraError
        For ``.xlsx`` without openpyxl installed.

    Examples
    --------
    >>> from pairmatch.io import sample_path
    >>> mentors = read_people(sample_path("pilot", "mentors.csv"), "mentor")
    >>> mentors[0].id, mentors[0].boroughs
    ('M1', ('Tower Hamlets',))
    """
    log = IssueLog()
    with bulk():
        data = read_side(source, side, taxonomy or default_taxonomy(), geography or london(), sheet, log)
    if warnings is not None:
        warnings.extend(log.warnings)
    log.raise_if_any()
    return data.people


def read_mentors(source: Any, **kwargs: Any) -> tuple[Mentor, ...]:
    """`read_people` for mentors.

    >>> from pairmatch.io import sample_path
    >>> len(read_mentors(sample_path("pilot", "mentors.csv")))
    3
    """
    return read_people(source, "mentor", **kwargs)  # type: ignore[return-value]


def read_mentees(source: Any, **kwargs: Any) -> tuple[Mentee, ...]:
    """`read_people` for mentees.

    >>> from pairmatch.io import sample_path
    >>> read_mentees(sample_path("pilot", "mentees.csv"))[0].attributes["rank"]
    'Deputy Assistant Commissioner'
    """
    return read_people(source, "mentee", **kwargs)  # type: ignore[return-value]
