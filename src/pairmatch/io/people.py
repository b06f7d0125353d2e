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
from ..taxonomy import Taxonomy
from ..text import excerpt, quoted
from .cells import blank, cell_text
from .issues import InputIssue, IssueLog
from .readers import COLUMNS, REQUIRED_COLUMNS, Side, Table, read_table
from .validation import CellValidator, hashable, model_message

__all__ = ["PeopleReader", "SideData", "bulk", "read_mentees", "read_mentors", "read_people", "read_side"]

# The fields a person read from a file always sets (``name`` when given), as
# ``model_validate`` of the whole row would record them.
_FIELDS = frozenset({"id", "focus_areas", "boroughs", "availability", "min_partners", "max_partners", "attributes"})
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

    def read(self) -> SideData:  # noqa: C901
        """Check every row, column by column (each distinct value once); build the people
        of the rows without a problem."""
        table = self.table
        if not self.header():
            return SideData((), table, {})
        if table.tabular:
            good = self.attribute_columns()
            attributes = [k for k in table.headers if k in good]
        else:
            names = dict.fromkeys(k for _, r in table.rows for k in r if k not in COLUMNS)
            attributes = [k for k in names if not self.attribute_name_problem(k)]
        rows = [row for row, _ in table.rows]
        records = [record for _, record in table.rows]
        found: list[tuple[int, int, InputIssue]] = []  # (position, column order, issue)

        def add(
            k: int, column: str, value: Any, message: str, suggestion: str | None = None, order: int | None = None
        ) -> None:
            rank = order if order is not None else _ORDER.get(column, len(_ORDER))
            found.append((k, rank, self.issue(rows[k], column, value, message, suggestion)))

        scalars = [self.cells.scalars(record) for record in records]
        bases, errors = self.cells.validate_scalars(scalars)
        for k, row_errors in errors.items():
            for e in row_errors:
                column = str(e["loc"][0]) if e["loc"] else "min_partners"  # the capacity check is model-wide
                add(k, column, records[k].get(column), model_message(e, self.side))
        ids: list[str | None] = []
        for k, record in enumerate(records):
            if blank(record.get("id")):
                ids.append(None)
                add(k, "id", None, "the id is empty; every person needs a unique id")
            else:
                ids.append(scalars[k]["id"])

        columns: dict[str, list[Any]] = {}
        for column in ("focus_areas", "boroughs", "availability"):
            distinct: dict[Hashable, Any] = {}
            for record in records:
                value = record.get(column)
                if not blank(value):
                    distinct.setdefault(value if type(value) is str else hashable(value), value)
            self.cells.prevalidate(column, list(distinct.values()))
            out = columns[column] = []
            for k, record in enumerate(records):
                value = record.get(column)
                if blank(value):
                    out.append(())
                    continue
                checked, problems = self.cells.check_cell(column, value)
                out.append(checked)
                for item, message, suggestion in problems:
                    add(k, column, item, message, suggestion)

        attrs: list[dict[str, Any]] = [{} for _ in records]
        for order, column in enumerate(attributes, start=len(_ORDER)):
            for k, record in enumerate(records):
                value = record.get(column)
                if blank(value):
                    continue
                if not table.tabular and isinstance(value, (list, dict)):
                    add(
                        k,
                        column,
                        json.dumps(value),
                        "attribute values must be text, numbers or true/false",
                        order=order,
                    )
                    continue
                typed, problem = self.cells.attribute(column, value)
                if problem:
                    add(k, column, value, problem, order=order)
                else:
                    attrs[k][column] = typed

        first_row: dict[str, int | str] = {}
        for k, pid in enumerate(ids):
            if pid is None:
                continue
            if pid in first_row:
                add(k, "id", pid, f"id {quoted(pid)} is already used on {table.row_kind} {first_row[pid]}", order=10**6)
            else:
                first_row[pid] = rows[k]
        found.sort(key=lambda item: (item[0], item[1]))
        for _, _, issue in found:
            self.log.add(issue)

        bad = {k for k, _, _ in found}
        construct = self.cells.cls.model_construct
        focus, places, windows = columns["focus_areas"], columns["boroughs"], columns["availability"]
        people = [
            construct(
                set(_FIELDS_NAMED if "name" in scalars[k] else _FIELDS),
                id=base.id,
                name=base.name,
                focus_areas=focus[k],
                boroughs=places[k],
                availability=windows[k],
                min_partners=base.min_partners,
                max_partners=base.max_partners,
                attributes=attrs[k],
            )
            for k, base in enumerate(bases)
            if base is not None and k not in bad
        ]
        return SideData(tuple(people), table, first_row)

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
