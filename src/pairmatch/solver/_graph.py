"""The solver-facing graph: integer arcs and capacity bounds, after pins are fixed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["ArcGraph", "GroupBound", "Solution", "top_per_group", "with_pinned"]


def top_per_group(groups: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``values`` within each group (ties: earlier index first)."""
    order = _by_group_then_value(groups, values)
    sorted_groups = groups[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_groups, sorted_groups)
    kept: np.ndarray = order[rank < k]
    return kept


def _by_group_then_value(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The stable order by group, then by value from the largest: one sort of a combined
    integer key when it fits in int64 (three times faster than a two-key lexsort)."""
    if len(values) and np.issubdtype(values.dtype, np.integer) and np.issubdtype(groups.dtype, np.integer):
        low, high = int(values.min()), int(values.max())
        span = high - low + 1
        if int(groups.min()) >= 0 and (int(groups.max()) + 1) * span < 1 << 62:
            key = groups.astype(np.int64) * span + (high - values.astype(np.int64))
            order: np.ndarray = np.argsort(key, kind="stable")
            return order
    two_keys: np.ndarray = np.lexsort((-values, groups))
    return two_keys


@dataclass(frozen=True)
class ArcGraph:
    """A bipartite b-matching instance.

    Arcs ``(rows[k], cols[k])`` have integer gain ``gain[k]`` (scaled score)
    and capacity 1. Mentor ``i`` needs between ``mentor_lo[i]`` and
    ``mentor_hi[i]`` arcs, mentee ``j`` between ``mentee_lo[j]`` and ``mentee_hi[j]``.
    """

    rows: np.ndarray
    cols: np.ndarray
    gain: np.ndarray
    mentor_lo: np.ndarray
    mentor_hi: np.ndarray
    mentee_lo: np.ndarray
    mentee_hi: np.ndarray

    @property
    def n_mentors(self) -> int:
        return len(self.mentor_hi)

    @property
    def n_mentees(self) -> int:
        return len(self.mentee_hi)

    @property
    def has_lower_bounds(self) -> bool:
        return bool(self.mentor_lo.any() or self.mentee_lo.any())

    @property
    def is_one_to_one(self) -> bool:
        return bool((self.mentor_hi <= 1).all() and (self.mentee_hi <= 1).all()) and not self.has_lower_bounds

    def subgraph(self, keep: np.ndarray) -> ArcGraph:
        """The same people with only the arcs where ``keep`` is true."""
        return ArcGraph(
            self.rows[keep],
            self.cols[keep],
            self.gain[keep],
            self.mentor_lo,
            self.mentor_hi,
            self.mentee_lo,
            self.mentee_hi,
        )

    def person_arcs(self) -> Iterator[tuple[np.ndarray, int, int]]:
        """Yield ``(arc indices, lo, hi)`` for every mentor, then every mentee."""
        for ends, lo, hi in ((self.rows, self.mentor_lo, self.mentor_hi), (self.cols, self.mentee_lo, self.mentee_hi)):
            order = np.argsort(ends, kind="stable")
            bounds = np.searchsorted(ends[order], np.arange(len(hi) + 1))
            for person in range(len(hi)):
                yield order[bounds[person] : bounds[person + 1]], int(lo[person]), int(hi[person])

    def max_pairs(self) -> int:
        return int(min(self.mentor_hi.sum(), self.mentee_hi.sum(), len(self.gain)))


@dataclass(frozen=True)
class GroupBound:
    """A quota on one group: ``pinned + sum(x[arcs]) in [min, max]`` and
    ``pinned + sum(x[arcs]) <= share * (all pinned + sum(x))``."""

    label: str
    arcs: np.ndarray
    pinned: int
    min_pairs: int
    max_pairs: int | None
    share: Fraction | None
    family: int = 0  # index of the quota this group comes from
    side: int = 0  # 0: groups of mentors, 1: groups of mentees


@dataclass(frozen=True)
class Solution:
    """Chosen arcs (indices into the graph's arrays) and how sure we are."""

    chosen: np.ndarray
    optimal: bool
    solver: str
    certificate: dict[str, Any] = field(default_factory=dict)


def with_pinned(certificate: dict[str, Any], pinned_gains: list[int]) -> dict[str, Any]:
    """A backend's certificate counts only the pairs it chose; pinned pairs are placed before it
    runs. Add theirs, so that ``integer_objective`` (and ``integer_bound``, ``pairs``) cover the
    whole matching on every path."""
    out = dict(certificate)
    for key in ("integer_objective", "integer_bound"):
        if out.get(key) is not None:
            out[key] = type(out[key])(out[key] + sum(pinned_gains))
    if "pairs" in out:
        out["pairs"] = int(out["pairs"]) + len(pinned_gains)
    return out
