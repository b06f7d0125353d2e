"""Conditions on pairs evaluated on blocks of pairs, from per-person codes prepared once.

A `PairTest` is a compiled `~pairmatch.conditions.When` / `~pairmatch.conditions.Then`:
each side's conditions become one boolean per person, attribute comparisons
become integer codes from one table shared by both sides (equal values, equal
codes; a missing value gets a code of its own, so it equals nothing), and
focus or place comparisons become small code-by-code tables. A block of pairs
then costs a few gathers and comparisons; nothing here is ever quadratic in
the number of people outside the block asked for.

Every array a test reads is a per-person code (`PairTest.codes`), so whether a
pair passes is a function of the two people's codes: people with the same
codes on every test are interchangeable for the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..conditions import PLACE_KEYS, Condition, Then, When, value_key
from ..models import Person, Problem
from .levels import BuiltinLevels, Index, profile_matrix

__all__ = ["CodeTable", "PairTest", "attribute_codes", "condition_mask", "place_table"]


def attribute_codes(
    mentors: Sequence[Person], mentees: Sequence[Person], mentor_name: str, mentee_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the mentors' ``mentor_name`` and the mentees' ``mentee_name`` from one
    shared table (values compare as `pairmatch.conditions.value_key` says). A missing value
    is -1 on the mentor side and -2 on the mentee side, so it equals nothing across the pair
    while everyone missing it on one side keeps one code."""
    values: dict[Any, int] = {}
    out = []
    for missing, people, name in ((-1, mentors, mentor_name), (-2, mentees, mentee_name)):
        codes = np.empty(len(people), dtype=np.int64)
        for row, person in enumerate(people):
            key = value_key(person.attributes.get(name))
            codes[row] = missing if key is None else values.setdefault(key, len(values))
        out.append(codes)
    return out[0], out[1]


def condition_mask(conditions: Sequence[Condition], people: Sequence[Person]) -> np.ndarray:
    """Whether each person meets every condition (each distinct value is tested once)."""
    mask = np.ones(len(people), dtype=bool)
    for condition in conditions:
        seen: dict[Any, bool] = {}
        name = condition.attribute
        for row, person in enumerate(people):
            value = person.attributes.get(name)
            key = (type(value), value)
            verdict = seen.get(key)
            if verdict is None:
                verdict = seen[key] = condition.holds(value)
            if not verdict:
                mask[row] = False
    return mask


@dataclass(frozen=True)
class CodeTable:
    """A boolean table over (mentor code, mentee code): ``table[left[i], right[j]]`` per pair."""

    left: np.ndarray
    right: np.ndarray
    table: np.ndarray

    def block(self, rows: Index, cols: Index) -> np.ndarray:
        """The ``(len(rows), len(cols))`` table of the block's pairs."""
        found: np.ndarray = self.table[np.ix_(self.left[rows], self.right[cols])]
        return found

    def pairs(self, rows: Index, cols: Index) -> np.ndarray:
        """The values of the pairs ``(rows[k], cols[k])``."""
        found: np.ndarray = self.table[self.left[rows], self.right[cols]]
        return found


def place_table(problem: Problem, builtin: BuiltinLevels, name: str) -> CodeTable:
    """Whether two people share a borough (``name="borough"``) or a policing unit (``"bcu"``),
    over their borough profiles."""
    geo = problem.geography
    if name == "borough":
        same = np.eye(len(geo.places))
    else:
        units = [geo.unit_of.get(p) for p in geo.places]
        same = np.array([[u is not None and u == v for v in units] for u in units], dtype=float)
    left, right = builtin.left.place_incidence, builtin.right.place_incidence
    return CodeTable(builtin.left.place, builtin.right.place, profile_matrix(left, same, right) > 0)


def _focus_table(when: When, mentors: Sequence[Person], mentees: Sequence[Person]) -> CodeTable:
    """Whether the rule's topics appear in the pair's focus as ``when.focus_of`` says, over
    each person's subset of those topics."""
    topics = {t: k for k, t in enumerate(when.focus)}
    subsets: dict[int, int] = {}
    sides = []
    for people in (mentors, mentees):
        codes = np.empty(len(people), dtype=np.int64)
        for row, person in enumerate(people):
            bits = 0
            for topic in person.focus_areas:
                if topic in topics:
                    bits |= 1 << topics[topic]
            codes[row] = subsets.setdefault(bits, len(subsets))
        sides.append(codes)
    masks = np.array(list(subsets), dtype=object)
    a, b = masks[:, None], masks[None, :]
    if when.focus_of == "shared":
        table = (a & b) != 0
    elif when.focus_of == "either":
        table = (a | b) != 0
    elif when.focus_of == "mentor":
        table = np.broadcast_to(a != 0, (len(masks), len(masks)))
    else:
        table = np.broadcast_to(b != 0, (len(masks), len(masks)))
    return CodeTable(sides[0], sides[1], np.asarray(table, dtype=bool))


@dataclass
class PairTest:
    """A compiled when / then: `applies` and `satisfied` for any block of pairs."""

    when_left: np.ndarray
    when_right: np.ndarray
    then_left: np.ndarray
    then_right: np.ndarray
    when_tables: list[CodeTable] = field(default_factory=list)
    then_tables: list[CodeTable] = field(default_factory=list)  # must hold
    avoid_tables: list[CodeTable] = field(default_factory=list)  # must not hold
    equal: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    differ: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    @classmethod
    def compile(cls, problem: Problem, builtin: BuiltinLevels, when: When, then: Then) -> PairTest:
        """The test of ``when`` / ``then`` over ``problem``'s people: per-person condition
        masks and a table per focus, place or attribute part, so a block of pairs is tested
        with array look-ups."""
        mentors, mentees = problem.mentors, problem.mentees
        test = cls(
            when_left=condition_mask(when.mentor, mentors),
            when_right=condition_mask(when.mentee, mentees),
            then_left=condition_mask(then.mentor, mentors),
            then_right=condition_mask(then.mentee, mentees),
        )
        if when.focus:
            test.when_tables.append(_focus_table(when, mentors, mentees))
        for name in then.same:
            if name in PLACE_KEYS:
                test.then_tables.append(place_table(problem, builtin, name))
        for link in then.links():
            test.equal.append(attribute_codes(mentors, mentees, link.mentor, link.mentee))
        for name in then.different:
            if name in PLACE_KEYS:
                test.avoid_tables.append(place_table(problem, builtin, name))
            else:
                test.differ.append(attribute_codes(mentors, mentees, name, name))
        return test

    @staticmethod
    def _both(
        left: np.ndarray, right: np.ndarray, rows: Index, cols: Index, outer: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """``left[i] op right[j]`` inputs for every pair of the block (``outer``) or for the pairs
        ``(rows[k], cols[k])``."""
        return (left[rows][:, None], right[cols][None, :]) if outer else (left[rows], right[cols])

    def _applies(self, rows: Index, cols: Index, outer: bool) -> np.ndarray:
        a, b = self._both(self.when_left, self.when_right, rows, cols, outer)
        out: np.ndarray = a & b
        for table in self.when_tables:
            out &= table.block(rows, cols) if outer else table.pairs(rows, cols)
        return out

    def _satisfied(self, rows: Index, cols: Index, outer: bool) -> np.ndarray:
        a, b = self._both(self.then_left, self.then_right, rows, cols, outer)
        out: np.ndarray = a & b
        for table in self.then_tables:
            out &= table.block(rows, cols) if outer else table.pairs(rows, cols)
        for table in self.avoid_tables:
            out &= ~(table.block(rows, cols) if outer else table.pairs(rows, cols))
        for left, right in self.equal:
            a, b = self._both(left, right, rows, cols, outer)
            out &= a == b
        for left, right in self.differ:
            a, b = self._both(left, right, rows, cols, outer)
            out &= a != b
        return out

    def applies(self, rows: Index, cols: Index) -> np.ndarray:
        """Whether ``when`` holds, for mentors ``rows`` x mentees ``cols``."""
        return self._applies(rows, cols, True)

    def satisfied(self, rows: Index, cols: Index) -> np.ndarray:
        """Whether ``then`` holds, for mentors ``rows`` x mentees ``cols``."""
        return self._satisfied(rows, cols, True)

    def broken(self, rows: Index, cols: Index) -> np.ndarray:
        """Pairs of the block the rule applies to and that fail it."""
        found: np.ndarray = self._applies(rows, cols, True) & ~self._satisfied(rows, cols, True)
        return found

    def met(self, rows: Index, cols: Index) -> np.ndarray:
        """Pairs of the block the preference applies to and that meet it."""
        found: np.ndarray = self._applies(rows, cols, True) & self._satisfied(rows, cols, True)
        return found

    def met_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """`met` for the pairs ``(rows[k], cols[k])``."""
        found: np.ndarray = self._applies(rows, cols, False) & self._satisfied(rows, cols, False)
        return found

    def codes(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every per-person code the test reads: (mentors' arrays, mentees' arrays)."""
        left = [self.when_left.astype(np.int64), self.then_left.astype(np.int64)]
        right = [self.when_right.astype(np.int64), self.then_right.astype(np.int64)]
        for table in (*self.when_tables, *self.then_tables, *self.avoid_tables):
            left.append(table.left)
            right.append(table.right)
        for a, b in (*self.equal, *self.differ):
            left.append(a)
            right.append(b)
        return left, right
