"""Score table and rule bits that are computed on demand, for results of the sparse method.

Explanations and unmatched-person reasons read single pairs, rows and
columns of the score table and the rule bits. Holding those densely costs
``n_mentors x n_mentees`` memory, so the sparse method keeps these stand-ins
instead: they score rows and columns on demand through the same `Scorer`
and `RuleChecker` code, never a second scoring route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..constraints import RuleChecker
from ..scoring import COMPONENTS, Scorer

__all__ = ["LazyCandidates", "LazyMatrix", "LazyTable"]

Fetch = Callable[[np.ndarray], np.ndarray]


class LazyMatrix:
    """A read-only ``(rows, cols)`` matrix computed a row or a column at a time.

    Supports ``m[i]``, ``m[i, j]``, ``m[i, index]``, ``m[:, j]``, ``m.T``,
    ``m == value`` (row-wise), and ``numpy.asarray(m)`` (computes everything).
    """

    def __init__(self, shape: tuple[int, int], rows: Fetch, cols: Fetch, cache: int = 256) -> None:
        self.shape = shape
        self._rows, self._cols = rows, cols
        self._cache: dict[int, np.ndarray] = {}
        self._limit = cache

    @property
    def T(self) -> LazyMatrix:  # noqa: N802 - numpy's name
        return LazyMatrix(self.shape[::-1], self._cols, self._rows, self._limit)

    def prefetch(self, index) -> None:
        """Compute many rows in one go (columns of the other orientation are batched)."""
        index = np.asarray([k for k in index if k not in self._cache], dtype=np.int64)
        if len(index):
            if len(self._cache) + len(index) > self._limit:
                self._limit = len(self._cache) + len(index)
            for k, row in zip(index.tolist(), self._rows(index)):
                self._cache[k] = row

    def row(self, k: int) -> np.ndarray:
        k = int(k)
        if k not in self._cache:
            if len(self._cache) >= self._limit:
                self._cache.pop(next(iter(self._cache)))
            self._cache[k] = self._rows(np.array([k]))[0]
        return self._cache[k]

    def __getitem__(self, key):
        if isinstance(key, tuple):
            a, b = key
            if isinstance(a, slice) and a == slice(None):
                return self.T.row(b) if np.ndim(b) == 0 else self.T[b].T
            return self.row(a)[b]
        if np.ndim(key) == 0:
            return self.row(key)
        return self._rows(np.asarray(key))

    def __array__(self, dtype=None, copy=None):
        out = self._rows(np.arange(self.shape[0]))
        return out if dtype is None else out.astype(dtype)

    def __len__(self) -> int:
        return self.shape[0]


def _chunked_columns(scorer: Scorer, fetch: Callable[[int, int], np.ndarray], dtype) -> Fetch:
    """Columns that need whole rows to compute: one pass over row chunks for a batch."""

    def cols(index: np.ndarray) -> np.ndarray:
        out = np.empty((len(index), scorer.shape[0]), dtype=dtype)
        for start, stop in scorer.chunks():
            out[:, start:stop] = fetch(start, stop)[:, index].T
        return out

    return cols


def _score_rows(scorer: Scorer, name: str) -> Fetch:
    return lambda index: np.stack([scorer.block(int(k), int(k) + 1)[name][0] for k in index]) if len(index) \
        else np.empty((0, scorer.shape[1]))


def _score_cols(scorer: Scorer, name: str) -> Fetch:
    return lambda index: scorer.block(0, scorer.shape[0], cols=np.asarray(index, dtype=np.int64))[name].T


def _score_matrix(scorer: Scorer, name: str) -> LazyMatrix:
    return LazyMatrix(scorer.shape, _score_rows(scorer, name), _score_cols(scorer, name))


@dataclass(frozen=True)
class LazyTable:
    """Stands in for `ScoreTable`: ``components``, ``total``, ``overlap_minutes`` on demand."""

    scorer: Scorer

    @property
    def weights(self) -> dict[str, float]:
        return self.scorer.weights

    @property
    def shape(self) -> tuple[int, int]:
        return self.scorer.shape

    @property
    def components(self) -> dict[str, LazyMatrix]:
        return {name: _score_matrix(self.scorer, name) for name in COMPONENTS}

    @property
    def total(self) -> LazyMatrix:
        return self._total

    @property
    def overlap_minutes(self) -> LazyMatrix:
        return _score_matrix(self.scorer, "overlap_minutes")

    def __post_init__(self) -> None:
        object.__setattr__(self, "_total", _score_matrix(self.scorer, "total"))

    def breakdown(self, i: int, j: int) -> dict[str, float]:
        """Raw component values of pair (mentor i, mentee j)."""
        block = self.scorer.block(int(i), int(i) + 1, cols=np.array([int(j)]))
        return {name: float(block[name][0, 0]) for name in COMPONENTS}


@dataclass(frozen=True)
class LazyCandidates:
    """Stands in for `Candidates`: rule bits on demand, the same pins and capacities."""

    scorer: Scorer
    checker: RuleChecker
    required: tuple[tuple[int, int], ...]
    mentor_min: np.ndarray
    mentor_max: np.ndarray
    mentee_min: np.ndarray
    mentee_max: np.ndarray

    def __post_init__(self) -> None:
        def rows(index: np.ndarray) -> np.ndarray:
            out = np.empty((len(index), self.scorer.shape[1]), dtype=np.uint8)
            for r, k in enumerate(index.tolist()):
                out[r] = self._bits(k, k + 1)[0]
            return out

        blocked = LazyMatrix(self.scorer.shape, rows, _chunked_columns(self.scorer, self._bits, np.uint8))
        object.__setattr__(self, "_blocked", blocked)

    def _bits(self, start: int, stop: int) -> np.ndarray:
        return self.checker.block(start, stop, self.scorer.block(start, stop))

    @property
    def blocked(self) -> LazyMatrix:
        """Rule bits of every pair (``Candidates.blocked``), computed on demand."""
        return self._blocked

    @property
    def allowed(self) -> np.ndarray:
        """Dense mask of candidate pairs (computes every pair)."""
        return np.asarray(self.blocked) == 0
