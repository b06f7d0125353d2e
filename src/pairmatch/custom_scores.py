"""Scores brought by the caller: named components next to focus, borough and availability.

Other programme systems often have their own affinities (a survey, an
interview rating, a model). A `CustomScore` adds one as a named, weighted
component of the combined score, in one of three forms:

``matrix``
    A complete ``(n_mentors, n_mentees)`` array, in the problem's order or
    labelled by ``mentor_ids`` / ``mentee_ids`` (any order).
``entries``
    ``(mentor_id, mentee_id, value)`` triples; every other pair gets
    ``default``. Suits sparse data such as past feedback ratings.
``arcs``
    ``(rows, cols, values)`` arrays: pairs by their positions in the
    problem's order, for callers who already hold a sparse candidate list
    (`Problem.from_arcs`). Stays in arrays end to end.
``function``
    A vectorised function of two `PeopleTable` views (a block of mentors
    and a block of mentees) returning their ``(rows, cols)`` block of values.
    The solver calls it on row chunks, so it never needs the whole matrix.

Values must be finite and between 0 and ``max_value`` (default: the largest
value given, or 1 for a function), and no value or weight may exceed
`MAX_VALUE`. With ``only_listed`` (``entries`` and ``arcs`` forms), the
listed pairs are the only candidates: every other pair is ruled out by the
hard rule "not a listed pair", never merely scored ``default``. The names in `RESERVED_COMPONENTS` belong to components
pairmatch adds itself (`CustomScore.added_by_pairmatch`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .text import CleanStr

__all__ = [
    "BUILT_IN_COMPONENTS",
    "CONTINUITY",
    "MAX_VALUE",
    "RESERVED_COMPONENTS",
    "CustomScore",
    "PeopleTable",
    "check_component_name",
]

BUILT_IN_COMPONENTS = ("focus", "borough", "availability")
# Components pairmatch adds itself: the re-match bonus for keeping a working pair, and the
# programme history's earlier-partner and feedback scores. Results and diffs recognise them by
# name, so a caller's component may not take one.
RESERVED_COMPONENTS = ("continuity", "earlier_partner", "feedback")
CONTINUITY = RESERVED_COMPONENTS[0]
"""The re-match component that rewards keeping a working pair: part of a re-match's objective,
never of a pair's own score (tables, diffs and stability show it beside the score)."""
_RESERVED_OK = "pairmatch_component"  # validation-context key set only by `added_by_pairmatch`
# Largest value or weight: sums over millions of pairs stay finite and exact enough in float64.
MAX_VALUE = 1e12
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class PeopleTable:
    """A block of people on one side, as columns: what a score function receives.

    Attributes
    ----------
    index : ndarray of int64
        Positions of these people in the problem's mentor (or mentee) list.
    ids : ndarray of str (object)
    people : tuple of Person
        The people themselves (focus areas, boroughs, availability, attributes).

    Examples
    --------
    >>> from pairmatch import Mentor
    >>> t = PeopleTable.of([Mentor(id="A", attributes={"age": 19}), Mentor(id="B")])
    >>> t.attribute("age").tolist(), len(t)
    ([19, None], 2)
    """

    index: np.ndarray
    ids: np.ndarray
    people: tuple[Any, ...]

    @classmethod
    def of(cls, people: Sequence[Any], index: np.ndarray | None = None) -> PeopleTable:
        """The table of ``people``; ``index`` gives their positions in the problem (default
        ``0 .. len(people) - 1``)."""
        ids = np.empty(len(people), dtype=object)
        ids[:] = [p.id for p in people]
        positions = np.arange(len(people), dtype=np.int64) if index is None else np.asarray(index, dtype=np.int64)
        return cls(positions, ids, tuple(people))

    def __len__(self) -> int:
        return len(self.people)

    def take(self, rows: np.ndarray | slice) -> PeopleTable:
        """The sub-table of rows ``rows`` (positions within this table)."""
        positions = np.arange(len(self))[rows]
        return PeopleTable(self.index[positions], self.ids[positions], tuple(self.people[k] for k in positions))

    def attribute(self, name: str, default: Any = None) -> np.ndarray:
        """Values of attribute ``name`` (``default`` where missing): a float array when
        every value is a number, else an object array."""
        values = [p.attributes.get(name, default) for p in self.people]
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return np.asarray(values, dtype=float)
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out


ScoreFunction = Callable[[PeopleTable, PeopleTable], Any]


class CustomScore(BaseModel):
    """A named score component supplied by the caller, with its weight.

    Exactly one of ``matrix``, ``entries``, ``arcs`` and ``function`` is given.

    Attributes
    ----------
    name : str
        Identifier shown in results and files (letters, digits, ``_``); must
        differ from ``focus``, ``borough`` and ``availability``.
    weight : float
        Non-negative weight in the combined score.
    description : str
        Words for explanations, e.g. ``"interview rating"``.
    matrix : array, optional
        ``(n_mentors, n_mentees)`` values; rows and columns follow the
        problem's order unless ``mentor_ids`` / ``mentee_ids`` label them.
    entries : tuple of (mentor_id, mentee_id, value), optional
        Values of some pairs; the others get ``default``.
    arcs : tuple of (rows, cols, values) arrays, optional
        Values of some pairs by position (mentor row, mentee column in the
        problem's order); the others get ``default``. Each pair at most once.
    only_listed : bool
        The pairs given in ``entries`` or ``arcs`` are the only candidates.
    function : callable, optional
        ``function(mentors: PeopleTable, mentees: PeopleTable)`` returning a
        ``(len(mentors), len(mentees))`` array; called on blocks of people.
    max_value : float, optional
        Largest value allowed (and the component's upper bound). Defaults to
        the largest value given, or 1.0 for a function.

    Examples
    --------
    >>> rating = CustomScore(name="interview", weight=0.2, description="interview rating",
    ...                      entries=[("M1", "O1", 0.8)], default=0.5)
    >>> rating.upper_bound
    0.8
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str
    weight: float = Field(1.0, ge=0, le=MAX_VALUE, allow_inf_nan=False)
    description: str = ""
    matrix: np.ndarray | None = Field(None, repr=False)
    mentor_ids: tuple[CleanStr, ...] | None = Field(None, repr=False)
    mentee_ids: tuple[CleanStr, ...] | None = Field(None, repr=False)
    entries: tuple[tuple[CleanStr, CleanStr, float], ...] | None = Field(None, repr=False)
    arcs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = Field(None, repr=False)
    only_listed: bool = False
    default: float = Field(0.0, ge=0, le=MAX_VALUE, allow_inf_nan=False)
    function: ScoreFunction | None = Field(None, repr=False)
    max_value: float | None = Field(None, gt=0, le=MAX_VALUE, allow_inf_nan=False)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        return check_component_name(value, reserved_ok=bool((info.context or {}).get(_RESERVED_OK)))

    @classmethod
    def added_by_pairmatch(cls, **fields: Any) -> CustomScore:
        """A component pairmatch adds itself, under one of the `RESERVED_COMPONENTS` names.

        >>> CustomScore.added_by_pairmatch(name="continuity", entries=[("M1", "O1", 1.0)]).name
        'continuity'
        """
        return cls.model_validate(fields, context={_RESERVED_OK: True})

    @field_validator("matrix", mode="before")
    @classmethod
    def _matrix(cls, value: Any) -> Any:
        if value is None:
            return None
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise ValueError(f"matrix must hold numbers, got dtype {array.dtype}")
        if array.ndim != 2:
            raise ValueError(f"matrix must be 2-dimensional, got shape {array.shape}")
        if array.dtype.kind != "f" or array.dtype.itemsize < 4:
            array = array.astype(np.float64)
        _check_values(array, "matrix")
        view = array.view()
        view.setflags(write=False)
        return view

    @field_validator("entries", mode="before")
    @classmethod
    def _entries(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            value = [(m, e, v) for (m, e), v in value.items()]
        out = []
        for k, item in enumerate(value):
            if isinstance(item, dict):
                item = (item.get("mentor_id"), item.get("mentee_id"), item.get("value"))
            if len(item) != 3:
                raise ValueError(f"entries[{k}] must be (mentor_id, mentee_id, value), got {item!r}")
            mentor_id, mentee_id, v = item
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= MAX_VALUE:  # NaN fails too
                raise ValueError(f"entries[{k}]: value {v!r} must be a finite number from 0 to {MAX_VALUE:g}")
            out.append((str(mentor_id), str(mentee_id), float(v)))
        return tuple(out)

    @field_validator("arcs", mode="before")
    @classmethod
    def _arcs(cls, value: Any) -> Any:
        if value is None:
            return None
        if len(value) != 3:
            raise ValueError("arcs must be (rows, cols, values)")
        rows, cols, values = (np.asarray(part) for part in value)
        for what, array in (("rows", rows), ("cols", cols), ("values", values)):
            if array.ndim != 1:
                raise ValueError(f"arcs {what} must be 1-dimensional, got shape {array.shape}")
            if len(array) != len(rows):
                raise ValueError(f"arcs: {len(rows)} rows, {len(cols)} cols and {len(values)} values differ in length")
        for what, array in (("rows", rows), ("cols", cols)):
            if array.dtype.kind not in "iu" and not (
                array.dtype.kind == "f" and np.array_equal(array, np.trunc(array))
            ):
                raise ValueError(f"arcs {what} must be integer positions, got dtype {array.dtype}")
            if len(array) and int(array.min()) < 0:
                k = int(np.argmin(array))
                raise ValueError(f"arcs {what}[{k}] is {array[k]}: positions are >= 0")
        if values.dtype.kind not in "biuf":
            raise ValueError(f"arcs values must hold numbers, got dtype {values.dtype}")
        values = values.astype(np.float64)
        _check_values(values, "arcs values")
        keys = rows.astype(np.int64), cols.astype(np.int64)
        if len(rows):
            pair = keys[0] * (int(keys[1].max()) + 1) + keys[1]
            order = np.argsort(pair, kind="stable")
            twice = np.flatnonzero(pair[order][1:] == pair[order][:-1])
            if len(twice):
                k = int(order[twice[0]])
                raise ValueError(f"arcs list the pair (row {keys[0][k]}, col {keys[1][k]}) more than once")
        out = []
        for array in (*keys, values):
            array.setflags(write=False)
            out.append(array)
        return tuple(out)

    @model_validator(mode="after")
    def _one_form(self) -> CustomScore:
        given = [form for form in ("matrix", "entries", "arcs", "function") if getattr(self, form) is not None]
        if len(given) != 1:
            raise ValueError(
                f"component {self.name!r}: give exactly one of matrix, entries, arcs or function "
                f"(got {', '.join(given) or 'none'})"
            )
        if self.only_listed and self.entries is None and self.arcs is None:
            raise ValueError(f"component {self.name!r}: only_listed needs pairs listed as entries or arcs")
        if (self.mentor_ids is not None or self.mentee_ids is not None) and self.matrix is None:
            raise ValueError(f"component {self.name!r}: mentor_ids / mentee_ids label a matrix")
        if self.matrix is not None:
            for ids, axis, side in ((self.mentor_ids, 0, "mentor"), (self.mentee_ids, 1, "mentee")):
                if ids is not None and len(ids) != self.matrix.shape[axis]:
                    raise ValueError(
                        f"component {self.name!r}: {len(ids)} {side}_ids for "
                        f"{self.matrix.shape[axis]} matrix {'rows' if axis == 0 else 'columns'}"
                    )
        found = self.largest_given
        if self.max_value is not None and found > self.max_value:
            raise ValueError(f"component {self.name!r}: value {found} is above max_value {self.max_value}")
        return self

    @property
    def form(self) -> str:
        """``"matrix"``, ``"entries"``, ``"arcs"`` or ``"function"``."""
        given = [form for form in ("matrix", "entries", "arcs") if getattr(self, form) is not None]
        return given[0] if given else "function"

    @property
    def largest_given(self) -> float:
        """Largest value present in the data (0 for a function, known only when called)."""
        if self.matrix is not None:
            return float(self.matrix.max(initial=0.0))
        if self.entries is not None:
            return max([self.default, *(v for _, _, v in self.entries)])
        if self.arcs is not None:
            return max(self.default, float(self.arcs[2].max(initial=0.0)))
        return 0.0

    @property
    def upper_bound(self) -> float:
        """No value of this component exceeds this (``max_value`` when given)."""
        if self.max_value is not None:
            return float(self.max_value)
        return 1.0 if self.function is not None else self.largest_given

    @property
    def label(self) -> str:
        """The description, or the name."""
        return self.description or self.name


def check_component_name(value: str, *, reserved_ok: bool = False) -> str:
    """``value`` if it may name a score component, else ``ValueError`` saying why: letters,
    digits and ``_`` starting with a letter, not a built-in component and (unless
    ``reserved_ok``) not one of `RESERVED_COMPONENTS`.

    >>> check_component_name("female_officer")
    'female_officer'
    """
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not a valid component name (letters, digits and '_', starting with a letter)")
    if value in BUILT_IN_COMPONENTS:
        raise ValueError(f"{value!r} is a built-in component; choose another name")
    if value in RESERVED_COMPONENTS and not reserved_ok:
        raise ValueError(
            f"{value!r} is the name of a component pairmatch adds itself (re-match continuity, "
            "programme history); choose another name"
        )
    return value


def _check_values(array: np.ndarray, what: str) -> None:
    if array.size and not np.isfinite(array).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    if array.size and float(array.min()) < 0:
        raise ValueError(f"{what} holds negative values (min {float(array.min())}); scores are >= 0")
    if array.size and float(array.max()) > MAX_VALUE:
        raise ValueError(f"{what} holds values above {MAX_VALUE:g} (max {float(array.max()):g})")


def check_block(name: str, block: Any, shape: tuple[int, int], upper: float) -> np.ndarray:
    """Validate what a score function returned for a block: shape, finite, within [0, upper]."""
    array = np.asarray(block, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"score function {name!r} returned shape {array.shape}, expected {shape}")
    _check_values(array, f"score function {name!r}'s result")
    if array.size and float(array.max()) > upper:
        raise ValueError(f"score function {name!r} returned {float(array.max())}, above its max_value {upper}")
    return array
