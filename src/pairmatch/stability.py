"""Stability of any matching: who would rather be paired with each other.

Preferences come from the people's own rankings on a side where someone
ranks (`pairmatch.models.Person.ranking`: a partner ranked better is
preferred, a partner not ranked is unacceptable, and ties never block), and
otherwise from the pair scores the solver used: a mentor prefers a mentee
with a higher score (ties: the one listed first), and so does a mentee (or
by ``mentee_weights``, its own weighting of the components). The scores are
the pairs' own: a re-match's continuity bonus for keeping a working pair is
the coordinator's wish, not anyone's preference. A *blocking pair* is an
allowed pair, not matched, where each side has a free place or prefers the
other to its worst current partner; when quotas cap groups (a
student-project allocation) the allocation's definition applies. Pinned
pairs are fixed: they hold a place on both sides, are never given up and
never block. A max-score matching usually has some;
``SolveParams(objective="stable")`` finds a matching with none and reports
what that costs in score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import display
from .exceptions import PairmatchError, require
from .result import MatchResult
from .solver.lists import Lists, stable_blocking_pairs
from .unmatched import own_scores

__all__ = ["BlockingPair", "BlockingPairs", "blocking_pairs", "is_stable"]


@dataclass(frozen=True)
class BlockingPair:
    """A mentor and a mentee who would both rather be paired with each other.

    ``mentor_partners`` / ``mentee_partners`` are their current partners (empty
    when they have a free place).
    """

    mentor_id: str
    mentee_id: str
    score: float
    mentor_partners: tuple[str, ...]
    mentee_partners: tuple[str, ...]

    def text(self) -> str:
        """One line: the two people, their partners or free places, and the pair's score."""

        def now(partners: tuple[str, ...]) -> str:
            return f"paired with {', '.join(partners)}" if partners else "has a free place"

        return (
            f"{self.mentor_id} ({now(self.mentor_partners)}) and {self.mentee_id} "
            f"({now(self.mentee_partners)}) would both rather be paired: score {self.score:.3f}"
        )

    def __repr__(self) -> str:
        return display.short_repr(
            "BlockingPair", f"{self.mentor_id!r} - {self.mentee_id!r}", f"score {display.number(self.score)}"
        )


class BlockingPairs(display.DisplayList):
    """The blocking pairs of a matching (a list of `BlockingPair`) that shows itself as a table;
    `to_frame` gives `columns` (partners ``"; "``-separated)."""

    title = "Blocking pairs"
    what = "blocking pair"
    columns = ("mentor_id", "mentor_name", "mentee_id", "mentee_name", "score", "mentor_partners", "mentee_partners")

    def __init__(self, items: Any = (), names: dict[str, str] | None = None) -> None:
        super().__init__(items)
        self.names = dict(names or {})

    def row(self, item: BlockingPair) -> tuple[Any, ...]:
        """One value per entry of `columns` (partners ``"; "``-separated)."""
        name = self.names.get
        return (
            item.mentor_id,
            name(item.mentor_id, ""),
            item.mentee_id,
            name(item.mentee_id, ""),
            item.score,
            "; ".join(item.mentor_partners),
            "; ".join(item.mentee_partners),
        )

    def to_frame(self) -> Any:
        """The blocking pairs as a pandas DataFrame (needs the ``io`` extra)."""
        pandas = require("pandas", "io", "BlockingPairs.to_frame()")
        return display.frame(pandas, self.columns, self.to_rows())


def blocking_pairs(
    result: MatchResult, *, mentee_weights: Mapping[str, float] | None = None, preferences: str = "auto"
) -> BlockingPairs:
    """Every blocking pair of ``result``, mentors in input order.

    ``preferences`` is as `pairmatch.SolveParams.stable_preferences`: ``auto``
    takes the people's rankings on a side where someone ranks.

    Scores every pair of the problem (dense: about 9 bytes per pair).

    Examples
    --------
    >>> import pairmatch as pm
    >>> problem = pm.synthetic_problem(30, seed=2)
    >>> best, stable = pm.solve(problem), pm.solve(problem, pm.SolveParams(objective="stable"))
    >>> blocking_pairs(stable)
    []
    >>> len(blocking_pairs(best)) > 0
    True
    """
    ctx = result.solved_context("stability needs")
    problem = ctx.problem
    m, n = problem.shape
    everyone = np.arange(m)
    total = own_scores(ctx, everyone, "mentor")  # a re-match's continuity bonus is no one's preference
    allowed = ctx.candidates.blocked_rows(everyone) == 0
    mentee_scores = None
    if mentee_weights is not None:
        mentee_scores = np.zeros((m, n))
        for start in range(0, m, 1024):
            rows = everyone[start : start + 1024]
            block = ctx.scores.pair_values(np.repeat(rows, n), np.tile(np.arange(n), len(rows)))
            for name, weight in mentee_weights.items():
                if name not in block:
                    raise PairmatchError(f"unknown component {name!r} in mentee_weights")
                mentee_scores[rows] += weight * block[name].reshape(len(rows), n)
    mentor_ix, mentee_ix = problem.mentor_index(), problem.mentee_index()
    # Pinned pairs are fixed: each holds a place on both sides, is never given up for a blocking
    # partner and never blocks (the definition the stable objective solves to).
    pinned = set(ctx.candidates.required)
    free = [(mentor_ix[p.mentor_id], mentee_ix[p.mentee_id]) for p in result.pairs]
    free = [pair for pair in free if pair not in pinned]
    rows = np.array([i for i, _ in free], dtype=np.int64)
    cols = np.array([j for _, j in free], dtype=np.int64)
    allowed[rows, cols] = True
    for i, j in pinned:
        allowed[i, j] = False
    _, mentor_hi, _, mentee_hi = (np.maximum(b, 0) for b in ctx.candidates.free_bounds())
    lists = Lists.of(problem, total, mentee_scores, preferences)
    # The matched pairs count as acceptable here: a pair nobody ranked still holds its places.
    lists = replace(lists, acceptable=lists.acceptable | _matched(allowed.shape, rows, cols))
    b_rows, b_cols = stable_blocking_pairs(problem, lists, allowed, (mentor_hi, mentee_hi), rows, cols)
    found = list(zip(b_rows.tolist(), b_cols.tolist(), strict=True))
    names = {p.id: p.name for i, j in found for p in (problem.mentors[i], problem.mentees[j]) if p.name}
    return BlockingPairs(
        (
            BlockingPair(
                problem.mentors[i].id,
                problem.mentees[j].id,
                float(total[i, j]),
                result.partners_of(problem.mentors[i].id),
                result.partners_of(problem.mentees[j].id),
            )
            for i, j in found
        ),
        names,
    )


def _matched(shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out[rows, cols] = True
    return out


def is_stable(result: MatchResult, *, mentee_weights: Mapping[str, float] | None = None) -> bool:
    """True when ``result`` has no blocking pair."""
    return not blocking_pairs(result, mentee_weights=mentee_weights)
