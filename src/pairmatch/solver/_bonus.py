"""Listed pairs worth a bonus: caller components given as entries with default 0.

A re-match's continuity (worth ``move_penalty`` on each working pair) and the
programme history's scores add to a few listed pairs only; every other pair
scores its built-in level. The sparse path keeps those pairs in its
candidate graph from the first round to the last, so the per-type bounds
(which know only the levels) never need to clear them, and looks up their
exact gains whenever it builds the graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import Problem
from ..scoring import Scorer
from ..scoring.custom import pair_positions
from .scaling import Scaling

__all__ = ["BonusPairs", "bonus_pairs"]


@dataclass(frozen=True)
class BonusPairs:
    """The listed pairs (sorted keys ``i * n + j``) and their integer gains (the whole
    score, built-in levels included, before any division by a common unit)."""

    keys: np.ndarray
    gains: np.ndarray
    n: int

    def lookup(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, position)``: which pairs are listed, and where in ``gains``."""
        return pair_positions(self.keys, self.n, rows, cols)


def bonus_pairs(problem: Problem, scorer: Scorer, scaling: Scaling) -> BonusPairs | None:
    """The listed pairs when every caller component is entries with default 0 (so any other
    pair scores its built-in level exactly); None otherwise (preferences score every pair)."""
    components = problem.scores
    if scorer.preferences or not components or any(c.entries is None or c.default != 0 for c in components):
        return None
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    n = problem.shape[1]
    keys = np.unique(
        np.array(
            [mentor_ix[m] * n + mentee_ix[e] for c in components if c.weight for m, e, _ in c.entries or ()],
            dtype=np.int64,
        )
    )
    totals = scorer.pair_totals(keys // n, keys % n)
    return BonusPairs(keys, scaling.to_integer(totals).astype(np.int64), n)
