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

__all__ = ["CustomBlocks", "SparseValues"]


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

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The ``(len(rows), len(cols))`` table of values, ``default`` where no value is given."""
        out = np.full((len(rows), len(cols)), self.default)
        if not len(self.keys) or not len(rows) or not len(cols):
            return out
        row_pos = np.full(int(rows.max()) + 1, -1, dtype=np.int64)
        row_pos[rows] = np.arange(len(rows))
        col_pos = np.full(self.n, -1, dtype=np.int64)
        col_pos[cols] = np.arange(len(cols))
        lo, hi = np.searchsorted(self.keys, [int(rows.min()) * self.n, (int(rows.max()) + 1) * self.n])
        keys, values = self.keys[lo:hi], self.values[lo:hi]
        r = row_pos[keys // self.n]
        c = col_pos[keys % self.n]
        hit = (r >= 0) & (c >= 0)
        out[r[hit], c[hit]] = values[hit]
        return out

    def pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The values of the pairs ``(rows[k], cols[k])``, ``default`` where none is given."""
        keys = rows.astype(np.int64) * self.n + cols
        pos = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        found = (self.keys[pos] == keys) if len(self.keys) else np.zeros(len(keys), dtype=bool)
        return np.where(found, self.values[pos] if len(self.keys) else 0.0, self.default)


def _entries(component: CustomScore, problem: Problem) -> SparseValues:
    assert component.entries is not None
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    triples = ((mentor_ix[m], mentee_ix[e], v) for m, e, v in component.entries)  # the last value wins
    return SparseValues.of(triples, problem.shape[1], component.default)


class CustomBlocks:
    """Every custom component of a problem, evaluable on blocks and on lists of pairs."""

    def __init__(self, problem: Problem) -> None:
        self.components = problem.scores
        self.shape = problem.shape
        self.entries = {c.name: _entries(c, problem) for c in self.components if c.entries is not None}
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
        m, n = self.shape
        rows_ix = np.arange(m)[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=np.int64)
        cols_ix = np.arange(n)[cols] if isinstance(cols, slice) else np.asarray(cols, dtype=np.int64)
        if component.matrix is not None:
            block = (
                component.matrix[rows][:, cols]
                if isinstance(rows, slice) and isinstance(cols, slice)
                else component.matrix[np.ix_(rows_ix, cols_ix)]
            )
            return np.asarray(block, dtype=np.float64)
        if component.entries is not None:
            return self.entries[component.name].block(rows_ix, cols_ix)
        return self._call(component, rows_ix, cols_ix)

    def pairs(self, component: CustomScore, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Values of one component for the pairs ``(rows[k], cols[k])``."""
        if component.matrix is not None:
            return np.asarray(component.matrix[rows, cols], dtype=np.float64)
        if component.entries is not None:
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
