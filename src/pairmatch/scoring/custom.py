"""Blocks of the caller's own score components (`CustomScore`), evaluated on demand.

Each component is evaluated for any block of mentor rows x mentee columns,
so the dense path gathers whole rows and the sparse path scores chunks and
single pairs without ever holding a full matrix it was not given.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np

from ..custom_scores import CustomScore, PeopleTable, check_block
from ..models import Problem
from .levels import Index

__all__ = ["CustomBlocks", "SparseValues", "keys_in_block", "pair_positions"]


def pair_positions(
    sorted_keys: np.ndarray, n: int, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(found, position)`` of the pairs ``(rows[k], cols[k])`` among ``sorted_keys``
    (sorted ``row * n + col``): whether each is there, and where (meaningful where found).

    >>> found, pos = pair_positions(np.array([1, 5]), 2, np.array([2, 0]), np.array([1, 0]))
    >>> found.tolist(), pos.tolist()
    ([True, False], [1, 0])
    """
    keys = np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64)
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool), np.zeros(len(keys), dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    found: np.ndarray = sorted_keys[pos] == keys
    return found, pos


def keys_in_block(
    sorted_keys: np.ndarray, n: int, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(r, c, index)``: the positions ``(r, c)`` in a block of mentors ``rows`` x mentees
    ``cols`` (distinct people) that hold one of the pairs ``sorted_keys`` (sorted keys
    ``i * n + j``), and each such pair's index in ``sorted_keys``.

    >>> [part.tolist() for part in keys_in_block(np.array([1, 5]), 2, np.array([2, 0]), np.array([1]))]
    [[1, 0], [0, 0], [0, 1]]
    """
    if not len(sorted_keys) or not len(rows) or not len(cols):
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    low = int(rows.min())
    lo, hi = np.searchsorted(sorted_keys, [low * n, (int(rows.max()) + 1) * n])
    keys = sorted_keys[lo:hi]
    row_pos = np.full(int(rows.max()) + 1 - low, -1, dtype=np.int64)
    row_pos[rows - low] = np.arange(len(rows))
    col_pos = np.full(n, -1, dtype=np.int64)
    col_pos[cols] = np.arange(len(cols))
    r = row_pos[keys // n - low]
    c = col_pos[keys % n]
    hit = np.flatnonzero((r >= 0) & (c >= 0))
    return r[hit], c[hit], lo + hit


class SparseValues:
    """Values of some pairs, as sorted arrays, with a default for every other pair.

    ``keys`` are ``row * n + col`` for an ``(m, n)`` problem. Examples:

    >>> values = SparseValues.of([(0, 1, 0.5)], n=2, default=0.1)
    >>> values.block(np.array([0, 1]), np.array([0, 1])).tolist()
    [[0.1, 0.5], [0.1, 0.1]]
    """

    def __init__(self, keys: dict[int, float], n: int, default: float) -> None:
        order = np.array(sorted(keys), dtype=np.int64)
        self.n = n
        self.keys = order
        self.values = np.array([keys[k] for k in order.tolist()], dtype=np.float64)
        self.default = float(default)

    @classmethod
    def of(cls, triples: Iterable[tuple[int, int, float]], n: int, default: float) -> SparseValues:
        """From ``(row, col, value)`` triples (a later triple for the same pair wins)."""
        return cls({row * n + col: value for row, col, value in triples}, n, default)

    @classmethod
    def of_arrays(cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int, default: float) -> SparseValues:
        """From arrays of distinct pairs, without a Python loop.

        >>> SparseValues.of_arrays(np.array([1, 0]), np.array([0, 1]), np.array([0.2, 0.5]), 2, 0.0).keys.tolist()
        [1, 2]
        """
        out = cls({}, n, default)
        keys = np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        out.keys, out.values = keys[order], np.asarray(values, dtype=np.float64)[order]
        return out

    def _lookup(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, position in keys)`` of the pairs ``(rows[k], cols[k])``."""
        return pair_positions(self.keys, self.n, rows, cols)

    def listed_pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Which pairs ``(rows[k], cols[k])`` have a value given."""
        return self._lookup(rows, cols)[0]

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The ``(len(rows), len(cols))`` table of values, ``default`` where no value is given."""
        out = np.full((len(rows), len(cols)), self.default)
        r, c, k = keys_in_block(self.keys, self.n, np.asarray(rows), np.asarray(cols))
        out[r, c] = self.values[k]
        return out

    def listed_block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Boolean ``(len(rows), len(cols))`` table: which pairs have a value given."""
        out = np.zeros((len(rows), len(cols)), dtype=bool)
        r, c, _ = keys_in_block(self.keys, self.n, np.asarray(rows), np.asarray(cols))
        out[r, c] = True
        return out

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The values of the pairs ``(rows[k], cols[k])``, ``default`` where none is given."""
        found, pos = self._lookup(rows, cols)
        return np.where(found, self.values[pos] if len(self.keys) else 0.0, self.default)


def _entries(component: CustomScore, problem: Problem) -> SparseValues:
    if component.arcs is not None:
        return SparseValues.of_arrays(*component.arcs, problem.shape[1], component.default)
    assert component.entries is not None
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    triples = ((mentor_ix[m], mentee_ix[e], v) for m, e, v in component.entries)  # the last value wins
    return SparseValues.of(triples, problem.shape[1], component.default)


class CustomBlocks:
    """Every custom component of a problem, evaluable on blocks and on lists of pairs."""

    def __init__(self, problem: Problem) -> None:
        self.components = problem.scores
        self.shape = problem.shape
        self.entries = {
            c.name: _entries(c, problem) for c in self.components if c.entries is not None or c.arcs is not None
        }
        # Components whose listed pairs are the only candidates (the rule "not a listed pair").
        self.listed = {c.name: self.entries[c.name] for c in self.components if c.only_listed}
        needs_tables = any(c.function is not None for c in self.components)
        self.tables = (problem.mentor_table, problem.mentee_table) if needs_tables else None

    def __bool__(self) -> bool:
        return bool(self.components)

    @property
    def upper_bound(self) -> float:
        """Largest possible weighted sum of the custom components."""
        return float(sum(c.weight * c.upper_bound for c in self.components))

    def block(self, component: CustomScore, rows: Index, cols: Index) -> np.ndarray:
        """Values of one component for mentors ``rows`` x mentees ``cols`` (float64)."""
        rows_ix, cols_ix = self._positions(rows, cols)
        if component.matrix is not None:
            block = (
                component.matrix[rows][:, cols]
                if isinstance(rows, slice) and isinstance(cols, slice)
                else component.matrix[np.ix_(rows_ix, cols_ix)]
            )
            return np.asarray(block, dtype=np.float64)
        if component.name in self.entries:
            return self.entries[component.name].block(rows_ix, cols_ix)
        return self._call(component, rows_ix, cols_ix)

    def _positions(self, rows: Index, cols: Index) -> tuple[np.ndarray, np.ndarray]:
        """Row and column selections (slices or index arrays) as index arrays."""
        m, n = self.shape
        rows_ix = np.arange(m)[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=np.int64)
        cols_ix = np.arange(n)[cols] if isinstance(cols, slice) else np.asarray(cols, dtype=np.int64)
        return rows_ix, cols_ix

    def unlisted(self, rows: Index, cols: Index) -> np.ndarray:
        """Which pairs of mentors ``rows`` x mentees ``cols`` some ``only_listed`` component
        does not list (the pairs its rule rules out)."""
        rows_ix, cols_ix = self._positions(rows, cols)
        out = np.zeros((len(rows_ix), len(cols_ix)), dtype=bool)
        for values in self.listed.values():
            out |= ~values.listed_block(rows_ix, cols_ix)
        return out

    def listed_keys(self) -> np.ndarray | None:
        """Sorted keys ``row * n + col`` of the pairs every ``only_listed`` component lists
        (None when no component limits the candidates)."""
        keys = None
        for values in self.listed.values():
            keys = values.keys if keys is None else np.intersect1d(keys, values.keys, assume_unique=True)
        return keys

    def pairs(self, component: CustomScore, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Values of one component for the pairs ``(rows[k], cols[k])``."""
        if component.matrix is not None:
            return np.asarray(component.matrix[rows, cols], dtype=np.float64)
        if component.name in self.entries:
            return self.entries[component.name].pairs(rows, cols)
        out = np.empty(len(rows))
        if not len(rows):
            return out
        # A function scores blocks; group the pairs by mentor so each call is one row.
        order = np.argsort(rows, kind="stable")
        bounds = np.flatnonzero(np.r_[True, rows[order][1:] != rows[order][:-1], True])
        for a, b in itertools.pairwise(bounds):
            picked = order[a:b]
            out[picked] = self._call(component, rows[picked[:1]], cols[picked])[0]
        return out

    def _call(self, component: CustomScore, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        assert self.tables is not None
        assert component.function is not None
        left: PeopleTable = self.tables[0].take(rows)
        right: PeopleTable = self.tables[1].take(cols)
        return check_block(
            component.name, component.function(left, right), (len(rows), len(cols)), component.upper_bound
        )
