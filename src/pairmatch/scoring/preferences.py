"""Blocks of the preference components: soft preferences and scores from ranked lists.

A `~pairmatch.preferences.Preference` is a compiled `PairTest`: 1 where its
``when`` and ``then`` hold. A `~pairmatch.preferences.RankScore` holds one
value per ranked pair (as many as the people ranked, never ``m x n``) and
``unranked`` for every other pair.
"""

from __future__ import annotations

import numpy as np

from ..models import Problem
from ..preferences import Preference, RankScore, rank_positions
from .custom import SparseValues
from .levels import BuiltinLevels, Index
from .pairtests import PairTest

__all__ = ["PreferenceBlocks", "rank_values"]


def rank_values(problem: Problem, component: RankScore) -> SparseValues:
    """The component's value of every ranked pair, in ``(mentor row, mentee column)`` keys."""
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    triples = []
    if component.side == "mentor":
        for i, mentor in enumerate(problem.mentors):
            for pid, rank in rank_positions(mentor.ranking).items():
                triples.append((i, mentee_ix[pid], component.score(rank)))
    else:
        for j, mentee in enumerate(problem.mentees):
            for pid, rank in rank_positions(mentee.ranking).items():
                triples.append((mentor_ix[pid], j, component.score(rank)))
    return SparseValues.of(triples, problem.shape[1], component.unranked)


class PreferenceBlocks:
    """Every preference and rank-score component of a problem, on blocks and lists of pairs."""

    def __init__(self, problem: Problem, builtin: BuiltinLevels) -> None:
        self.shape = problem.shape
        self.components: tuple[Preference | RankScore, ...] = (*problem.preferences, *problem.rank_scores)
        self.tests = {p.name: PairTest.compile(problem, builtin, p.when, p.then) for p in problem.preferences}
        self.ranks = {r.name: rank_values(problem, r) for r in problem.rank_scores}

    def __bool__(self) -> bool:
        return bool(self.components)

    @property
    def upper_bound(self) -> float:
        """Largest possible weighted sum of these components."""
        return float(sum(c.weight * c.upper_bound for c in self.components))

    def part_values(self) -> list[np.ndarray]:
        """Every value each component can take, weight applied: 0 and 1 for a preference, every
        ranked pair's value and ``unranked`` for a rank score."""
        out = []
        for component in self.components:
            if component.name in self.tests:
                values = np.array([0.0, 1.0])
            else:
                ranked = self.ranks[component.name]
                values = np.r_[ranked.values, ranked.default]
            out.append(float(component.weight) * values)
        return out

    def block(self, name: str, rows: Index, cols: Index) -> np.ndarray:
        """Values of component ``name`` for mentors ``rows`` x mentees ``cols`` (float64)."""
        if name in self.tests:
            return self.tests[name].met(rows, cols).astype(np.float64)
        m, n = self.shape
        rows_ix = np.arange(m)[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=np.int64)
        cols_ix = np.arange(n)[cols] if isinstance(cols, slice) else np.asarray(cols, dtype=np.int64)
        return self.ranks[name].block(rows_ix, cols_ix)

    def pairs(self, name: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Values of component ``name`` for the pairs ``(rows[k], cols[k])``."""
        if name in self.tests:
            return self.tests[name].met_pairs(rows, cols).astype(np.float64)
        return self.ranks[name].pairs(rows, cols)
