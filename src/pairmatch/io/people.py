"""Rows to people: every cell checked by the models' own validators, every problem collected.

Each row's id, name and capacity go through ``Mentor.model_validate`` /
``Mentee.model_validate``; the list columns (focus areas, boroughs,
availability) and attribute values repeat a lot, so the same model
validation runs once per distinct cell value and its result is reused.
The model's errors keep pydantic's structure, so each maps to a cell by its
``loc``; focus areas and boroughs are then checked against the problem's own
taxonomy and geography. A person is built with ``model_construct`` only
from values that passed those validators; apart from ``min_partners <=
max_partners`` (checked on each row's own record) every check of a person
is about one field, so checking fields separately is checking the person.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Hashable
from functools import cache
from difflib import get_close_matches
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..datasets import default_taxonomy, london
from ..geography import Geography
from ..models import Mentee, Mentor, Person
from ..taxonomy import Taxonomy
from ..text import control_characters, excerpt, quoted
from .cells import attribute_value, blank, cell_text, items, whole_number
from .hints import place_problem, topic_problem, window_problem
from .issues import InputIssue, IssueLog
from .readers import COLUMNS, REQUIRED_COLUMNS, Side, Table, read_table

__all__ = ["PeopleReader", "SideData", "read_mentees", "read_mentors", "read_people", "read_side"]

# The fields a person read from a file always sets (``name`` when given), as
# ``model_validate`` of the whole row would record them.
_FIELDS = frozenset({"id", "focus_areas", "boroughs", "availability", "min_partners", "max_partners", "attributes"})
_FIELDS_NAMED = _FIELDS | {"name"}
_BATCH = 4096  # rows validated per call
_ORDER = {c: k for k, c in enumerate(COLUMNS)}
_PROBE_ID = "probe"


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


def model_message(error: Any, side: str) -> str:
    """A model error in the coordinator's words (the error's ``type`` decides; the
    validator's own message is used as written)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    field = error["loc"][0] if error["loc"] else None
    if kind == "value_error" and field in ("id", "name") and isinstance(value, str) and control_characters(value):
        # The model escapes the value; say it once more without repr's doubled backslashes.
        codes = ", ".join(dict.fromkeys(control_characters(value)))
        return f"'{excerpt(value)}' contains control characters ({codes}); use printable text only"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if field in ("min_partners", "max_partners"):
        if kind.startswith("int") or kind in ("bool_type",):
            return f"{quoted(cell_text(value))} is not a whole number"
        if kind == "greater_than_equal":
            return f"{excerpt(value)} is negative; capacities are 0 or more"
    if field == "id" and kind == "string_too_short":
        return "the id is empty; every person needs a unique id"
    prefix = f"{side} '{ctx.get('person_id', '')}': "
    return str(error["msg"]).removeprefix(prefix).removeprefix("Value error, ")


class PeopleReader:
    """Validates the rows of one table as mentors or mentees, collecting every issue."""

    def __init__(self, table: Table, side: Side, taxonomy: Taxonomy, geography: Geography, log: IssueLog) -> None:
        self.table, self.side, self.taxonomy, self.geography, self.log = table, side, taxonomy, geography, log
        self.cls: type[Person] = Mentor if side == "mentor" else Mentee
        self.cache: dict[Hashable, Any] = {}

    # ------------------------------------------------------------------ issues

    def issue(self, row: int | str | None, column: str | None, value: Any, message: str,
              suggestion: str | None = None) -> InputIssue:
        shown = None if value is None else excerpt(value if isinstance(value, str) else cell_text(value))
        return InputIssue(self.table.file, row, self.table.column(column), shown, message, suggestion,
                          self.table.row_kind)

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
            self.log.add(InputIssue(table.file, table.header_row, column, None,
                                    f"required column {column!r} is missing (columns found: {found})",
                                    table.headers[close[0]] if close else None, table.row_kind))
        if not table.rows and not missing:
            after = table.header_row + 1 if table.header_row is not None else None
            self.log.add(InputIssue(table.file, after, None, None, "no people listed below the header", None,
                                    table.row_kind))
        return "id" not in missing

    def attribute_columns(self) -> set[str]:
        """Attribute columns whose names are valid (checked once, not on every row)."""
        good = set()
        for key, written in self.table.headers.items():
            if key in COLUMNS:
                continue
            problem = self.validate_once(("attribute name", key), {"attributes": {key: ""}})[1]
            if problem:
                self.log.add(InputIssue(self.table.file, self.table.header_row, excerpt(written), None,
                                        f"column name: {problem[0][1]}", None, self.table.row_kind))
            else:
                good.add(key)
        return good

    # ------------------------------------------------------------------ cached validation

    def validate_once(self, key: Hashable, fields: dict[str, Any]) -> tuple[Person | None, list[tuple[Any, str]]]:
        """Validate ``fields`` (with a stand-in id) through the model, once per ``key``:
        the model, or ``(loc, message)`` of each error."""
        hit = self.cache.get(key)
        if hit is None:
            try:
                hit = (self.cls.model_validate({"id": _PROBE_ID, **fields}), [])
            except ValidationError as err:
                hit = (None, [(e["loc"], model_message(e, self.side)) for e in err.errors()])
            self.cache[key] = hit
        return hit

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = compute()
        return hit

    def check_cell(self, column: str, value: Any) -> tuple[tuple[str, ...], list[tuple[str, str, str | None]]]:
        """A list column's cell checked once per distinct value (most cells repeat)."""
        key = ("cell", column, value if type(value) is str else _hashable(value))
        hit = self.cache.get(key)
        if hit is None:
            compute = self.topics if column == "focus_areas" else self.places if column == "boroughs" else self.windows
            hit = self.cache[key] = compute(value)
        return hit

    def prevalidate(self, column: str, values: list[Any]) -> None:
        """Validate the distinct ``values`` of a list column through the model in batches
        (one call per batch rather than one per value), filling `validate_once`'s cache."""
        keys, records = [], []
        for value in values:
            written = items(value)
            key = (column, tuple(written))
            if key not in self.cache:
                keys.append(key)
                records.append({"id": _PROBE_ID, column: written})
        adapter = _adapter(self.cls)
        for start in range(0, len(records), _BATCH):
            batch = records[start:start + _BATCH]
            try:
                models = adapter.validate_python(batch)
            except ValidationError:
                continue  # the values of a failing batch are validated one by one when met
            for key, model in zip(keys[start:start + _BATCH], models):
                self.cache[key] = (model, [])

    def topics(self, value: Any) -> tuple[tuple[str, ...], list[tuple[str, str, str | None]]]:
        written = items(value)
        person, errors = self.validate_once(("focus_areas", tuple(written)), {"focus_areas": written})
        problems = [(str(item), *found) for item in written if (found := topic_problem(self.taxonomy, item))]
        problems += [(cell_text(value), message, None) for _, message in errors]
        return (person.focus_areas if person is not None else ()), problems

    def places(self, value: Any) -> tuple[tuple[str, ...], list[tuple[str, str, str | None]]]:
        written = items(value)
        person, errors = self.validate_once(("boroughs", tuple(written)), {"boroughs": written})
        problems: list[tuple[str, str, str | None]] = [(cell_text(value), m, None) for _, m in errors]
        canonical = []
        for place in (person.boroughs if person is not None else ()):
            found = place_problem(self.geography, place)
            if found:
                problems.append((place, *found))
            else:
                canonical.append(self.geography.canonical(place))
        return tuple(dict.fromkeys(canonical)), problems

    def windows(self, value: Any) -> tuple[tuple[str, ...], list[tuple[str, str, str | None]]]:
        written = items(value)
        person, errors = self.validate_once(("availability", tuple(written)), {"availability": written})
        if person is not None:
            return person.availability, []
        # Say which window is wrong and what was meant; fall back on the model's words.
        problems = [(w, message, None) for w in written if (message := window_problem(w))]
        return (), problems or [(cell_text(value), m, None) for _, m in errors]

    def attribute(self, key: str, value: Any) -> tuple[Any, str | None]:
        def compute() -> tuple[Any, str | None]:
            typed = attribute_value(value)
            errors = self.validate_once(("attribute", key, type(typed), typed), {"attributes": {key: typed}})[1]
            return typed, (errors[0][1] if errors else None)
        return self.cached(("attribute cell", key, value if type(value) is str else _hashable(value)), compute)

    def number(self, value: Any) -> Any:
        key = ("number", value if type(value) is str else _hashable(value))
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = (whole_number(value),)
        return hit[0]

    # ------------------------------------------------------------------ rows

    def scalars(self, record: dict[str, Any]) -> dict[str, Any]:
        """The row's id, name and capacity as the model's input (a stand-in for an empty id)."""
        raw_id = record.get("id")
        out: dict[str, Any] = {"id": _PROBE_ID if blank(raw_id) else cell_text(raw_id)}
        name = record.get("name")
        if not blank(name):
            out["name"] = cell_text(name)
        for column in ("min_partners", "max_partners"):
            value = record.get(column)
            if not blank(value):
                out[column] = self.number(value)
        return out

    def validate_scalars(self, records: list[dict[str, Any]]) -> tuple[list[Person | None], dict[int, list[Any]]]:
        """Every row's scalar fields through the model, in batches (one call per batch
        instead of one per row); ``(models, {row position: [model errors]})``."""
        adapter = _adapter(self.cls)
        models: list[Person | None] = [None] * len(records)
        errors: dict[int, list[Any]] = {}
        for start in range(0, len(records), _BATCH):
            batch = records[start:start + _BATCH]
            try:
                models[start:start + len(batch)] = adapter.validate_python(batch)
            except ValidationError as err:
                for e in err.errors():
                    errors.setdefault(start + int(e["loc"][0]), []).append({**e, "loc": tuple(e["loc"][1:])})
        return models, errors

    def read(self) -> SideData:
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

        def add(k: int, column: str, value: Any, message: str, suggestion: str | None = None,
                order: int | None = None) -> None:
            rank = order if order is not None else _ORDER.get(column, len(_ORDER))
            found.append((k, rank, self.issue(rows[k], column, value, message, suggestion)))

        scalars = [self.scalars(record) for record in records]
        bases, errors = self.validate_scalars(scalars)
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
                    distinct.setdefault(value if type(value) is str else _hashable(value), value)
            self.prevalidate(column, list(distinct.values()))
            out = columns[column] = []
            for k, record in enumerate(records):
                value = record.get(column)
                if blank(value):
                    out.append(())
                    continue
                checked, problems = self.check_cell(column, value)
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
                    add(k, column, json.dumps(value), "attribute values must be text, numbers or true/false",
                        order=order)
                    continue
                typed, problem = self.attribute(column, value)
                if problem:
                    add(k, column, value, problem, order=order)
                else:
                    attrs[k][column] = typed

        first_row: dict[str, int | str] = {}
        for k, pid in enumerate(ids):
            if pid is None:
                continue
            if pid in first_row:
                add(k, "id", pid, f"id {quoted(pid)} is already used on {table.row_kind} {first_row[pid]}",
                    order=10**6)
            else:
                first_row[pid] = rows[k]
        found.sort(key=lambda item: (item[0], item[1]))
        for _, _, issue in found:
            self.log.add(issue)

        bad = {k for k, _, _ in found}
        construct = self.cls.model_construct
        focus, places, windows = columns["focus_areas"], columns["boroughs"], columns["availability"]
        people = [
            construct(_FIELDS_NAMED if "name" in scalars[k] else _FIELDS, id=base.id, name=base.name,
                      focus_areas=focus[k], boroughs=places[k], availability=windows[k],
                      min_partners=base.min_partners, max_partners=base.max_partners, attributes=attrs[k])
            for k, base in enumerate(bases) if base is not None and k not in bad]
        return SideData(tuple(people), table, first_row)

    def attribute_name_problem(self, key: str) -> bool:
        """Report a JSON attribute key the model rejects (once); True if it is bad."""
        problem = self.validate_once(("attribute name", key), {"attributes": {key: ""}})[1]
        if problem:
            self.log.add(InputIssue(self.table.file, None, excerpt(key), None, f"key: {problem[0][1]}", None,
                                    self.table.row_kind))
        return bool(problem)


@cache
def _adapter(cls: type[Person]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[cls])  # type: ignore[valid-type]


def _hashable(value: Any) -> Hashable:
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return ("dict", json.dumps(value, sort_keys=True, default=str))
    return (type(value).__name__, value)


def read_side(source: Any, side: Side, taxonomy: Taxonomy, geography: Geography, sheet: str | None,
              log: IssueLog) -> SideData:
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
