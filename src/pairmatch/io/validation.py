"""Cell values checked by the models' own validators, each distinct value once.

`CellValidator` runs ``Mentor.model_validate`` / ``Mentee.model_validate``
on each row's id, name and capacity (in batches, one call per batch), and
once per distinct value of the list columns (focus areas, boroughs,
availability) and of each attribute, caching the outcome: files repeat the
same few values thousands of times. The model's errors keep pydantic's
structure, so `model_message` words them by their ``type`` and ``loc``,
never by parsing their text. Focus areas and boroughs are then checked
against the problem's own taxonomy and geography.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..geography import Geography
from ..models import Mentee, Mentor, Person
from ..taxonomy import Taxonomy
from ..text import excerpt, quoted
from .cells import attribute_value, blank, cell_text, items, whole_number
from .hints import place_problem, topic_problem, window_problem

__all__ = ["BATCH", "PROBE_ID", "CellValidator", "hashable", "model_message"]

BATCH = 4096  # records validated per call
PROBE_ID = "probe"  # the id that stands in while one field of a person is validated
Problems = list[tuple[str, str, str | None]]  # (value as written, message, suggestion)


def model_message(error: Any, side: str) -> str:
    """A model error in the coordinator's words (the error's ``type`` decides; the
    validator's own message is used as written)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    field = error["loc"][0] if error["loc"] else None
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


class CellValidator:
    """Validates cells of one side through its model, caching each distinct value's outcome."""

    def __init__(self, side: str, taxonomy: Taxonomy, geography: Geography) -> None:
        self.side, self.taxonomy, self.geography = side, taxonomy, geography
        self.cls: type[Person] = Mentor if side == "mentor" else Mentee
        self.cache: dict[Hashable, Any] = {}
        # Per list column: cell value -> (checked tuple, problems); plain dicts keyed by the
        # cell itself, since this look-up runs three times per row.
        self.cells: dict[str, dict[Hashable, Any]] = {"focus_areas": {}, "boroughs": {}, "availability": {}}
        self.split: dict[Hashable, list[str]] = {}
        # Boroughs cell -> the names as written, one per place, when any differs from the place's own.
        self.spellings: dict[Hashable, tuple[str, ...]] = {}

    def validate_once(self, key: Hashable, fields: dict[str, Any]) -> tuple[Person | None, list[tuple[Any, str]]]:
        """Validate ``fields`` (with a stand-in id) through the model, once per ``key``:
        the model, or ``(loc, message)`` of each error."""
        hit = self.cache.get(key)
        if hit is None:
            try:
                hit = (self.cls.model_validate({"id": PROBE_ID, **fields}), [])
            except ValidationError as err:
                hit = (None, [(e["loc"], model_message(e, self.side)) for e in err.errors()])
            self.cache[key] = hit
        return hit

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The value cached under ``key``, computed by ``compute()`` the first time it is asked for."""
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = compute()
        return hit

    def check_cell(self, column: str, value: Any) -> tuple[tuple[str, ...], Problems]:
        """A list column's cell checked once per distinct value (most cells repeat)."""
        cells = self.cells[column]
        key = value if type(value) is str else hashable(value)
        hit = cells.get(key)
        if hit is None:
            compute = self.topics if column == "focus_areas" else self.places if column == "boroughs" else self.windows
            hit = cells[key] = compute(value)
        return hit

    def items(self, value: Any) -> list[str]:
        """The ``;``-separated items of a cell, split once per distinct value."""
        key = value if type(value) is str else hashable(value)
        written = self.split.get(key)
        if written is None:
            written = self.split[key] = items(value)
        return written

    def prevalidate(self, column: str, values: list[Any]) -> None:
        """Validate the distinct ``values`` of a list column through the model in batches
        (one call per batch rather than one per value), filling `validate_once`'s cache."""
        keys, records = [], []
        for value in values:
            written = self.items(value)
            key = (column, tuple(written))
            if key not in self.cache:
                keys.append(key)
                records.append({"id": PROBE_ID, column: written})
        adapter = _adapter(self.cls)
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            try:
                models = adapter.validate_python(batch)
            except ValidationError:
                continue  # the values of a failing batch are validated one by one when met
            for key, model in zip(keys[start : start + BATCH], models, strict=True):
                self.cache[key] = (model, [])

    def topics(self, value: Any) -> tuple[tuple[str, ...], Problems]:
        """A focus areas cell: the topics kept, and a ``(value, message, suggestion)``
        problem for each that is not known."""
        written = self.items(value)
        person, errors = self.validate_once(("focus_areas", tuple(written)), {"focus_areas": written})
        problems = [(str(item), *found) for item in written if (found := topic_problem(self.taxonomy, item))]
        said = {message for _, message, _ in problems}
        problems += [(cell_text(value), message, None) for _, message in errors if message not in said]
        return (person.focus_areas if person is not None else ()), problems

    def places(self, value: Any) -> tuple[tuple[str, ...], Problems]:
        """A boroughs cell: the places kept, and a problem for each name that is not a known
        place; names written other than the place's own are kept in ``spellings``."""
        written = self.items(value)
        person, errors = self.validate_once(("boroughs", tuple(written)), {"boroughs": written})
        problems: Problems = [(cell_text(value), m, None) for _, m in errors]
        kept: dict[str, str] = {}
        for place in person.boroughs if person is not None else ():
            found = place_problem(self.geography, place)
            if found:
                problems.append((place, *found))
            else:
                kept.setdefault(self.geography.canonical(place) or place, place)
        # The names as written stay beside their places, so explanations can say "Stratford (Newham)".
        if any(written != place for place, written in kept.items()):
            self.spellings[value if type(value) is str else hashable(value)] = tuple(kept.values())
        return tuple(kept), problems

    def place_spellings(self, value: Any) -> tuple[str, ...]:
        """The names a boroughs cell wrote, one per place, if any differs from its place's name (after `places`)."""
        return self.spellings.get(value if type(value) is str else hashable(value), ())

    def windows(self, value: Any) -> tuple[tuple[str, ...], Problems]:
        """An availability cell: its time windows, or a problem for each window that cannot be read."""
        written = self.items(value)
        person, errors = self.validate_once(("availability", tuple(written)), {"availability": written})
        if person is not None:
            return person.availability, []
        # Say which window is wrong and what was meant; fall back on the model's words.
        problems: Problems = [(w, message, None) for w in written if (message := window_problem(w))]
        return (), problems or [(cell_text(value), m, None) for _, m in errors]

    def attribute(self, key: str, value: Any) -> tuple[Any, str | None]:
        """An attribute cell: its typed value and the model's message when it is not allowed
        (else None), once per distinct value."""

        def compute() -> tuple[Any, str | None]:
            typed = attribute_value(value)
            errors = self.validate_once(("attribute", key, type(typed), typed), {"attributes": {key: typed}})[1]
            return typed, (errors[0][1] if errors else None)

        return self.cached(("attribute cell", key, value if type(value) is str else hashable(value)), compute)

    def number(self, value: Any) -> Any:
        """A whole number written any spreadsheet way, as an int (otherwise unchanged, for
        the model to reject), once per distinct value."""
        key = ("number", value if type(value) is str else hashable(value))
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = (whole_number(value),)
        return hit[0]

    def scalars(self, record: dict[str, Any]) -> dict[str, Any]:
        """The row's id, name and capacity as the model's input (a stand-in for an empty id)."""
        raw_id = record.get("id")
        out: dict[str, Any] = {"id": PROBE_ID if blank(raw_id) else cell_text(raw_id)}
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
        for start in range(0, len(records), BATCH):
            batch = records[start : start + BATCH]
            try:
                models[start : start + len(batch)] = adapter.validate_python(batch)
            except ValidationError as err:
                for e in err.errors():
                    errors.setdefault(start + int(e["loc"][0]), []).append({**e, "loc": tuple(e["loc"][1:])})
        for k, row_errors in errors.items():
            if all(e["loc"] for e in row_errors):  # no model-wide error: the capacity check may have been skipped
                row_errors += self.capacity_errors(records[k])
        return models, errors

    def capacity_errors(self, record: dict[str, Any]) -> list[Any]:
        """The model's own min/max capacity check on a row's numbers alone: pydantic
        skips model-wide checks when any field fails, and the row should list both."""
        fields = self.cls.model_fields
        low = record.get("min_partners", fields["min_partners"].default)
        high = record.get("max_partners", fields["max_partners"].default)
        if type(low) is not int or type(high) is not int or low <= high:
            return []
        try:
            self.cls.model_validate({"id": PROBE_ID, "min_partners": low, "max_partners": high})
        except ValidationError as err:
            return [e for e in err.errors() if not e["loc"]]
        return []


@cache
def _adapter(cls: type[Person]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[cls])  # type: ignore[valid-type]


def hashable(value: Any) -> Hashable:
    """A hashable key for a cell value: lists become tuples, dicts their sorted JSON, and
    the type is kept so that ``1`` and ``True`` differ."""
    if isinstance(value, (list, tuple)):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return ("dict", json.dumps(value, sort_keys=True, default=str))
    return (type(value).__name__, value)
