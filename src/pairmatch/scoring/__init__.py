"""Scoring: every candidate pair's component scores and combined score, vectorised.

``Scorer`` evaluates any block of pairs on demand (built-in components by
level codes, the caller's own by `CustomScore`); ``score`` fills a dense
`ScoreTable`; `LazyScores` is the on-demand `ScoreView` used when the full
table would not fit. Rows are processed in chunks so memory stays bounded;
chunks may run on any ``concurrent.futures.Executor`` (`ChunkRunner`).
"""

from __future__ import annotations

from concurrent.futures import Executor

from ..custom_scores import BUILT_IN_COMPONENTS
from ..models import Problem
from .levels import BuiltinLevels, SideCodes, profile_matrix
from .parallel import ChunkRunner, as_runner
from .scorer import DEFAULT_CHUNK_CELLS, Scorer
from .views import LazyScores, ScoreTable, ScoreView, score_table

__all__ = [
    "BUILT_IN_COMPONENTS",
    "DEFAULT_CHUNK_CELLS",
    "BuiltinLevels",
    "ChunkRunner",
    "LazyScores",
    "ScoreTable",
    "ScoreView",
    "Scorer",
    "SideCodes",
    "as_runner",
    "profile_matrix",
    "score",
    "score_table",
]


def score(problem: Problem, *, executor: Executor | ChunkRunner | None = None) -> ScoreTable:
    """Score every (mentor, mentee) pair of ``problem``.

    ``executor`` (optional) runs the row chunks: a process pool, a thread
    pool, or a Dask cluster through ``ChunkRunner.dask(client)``; the table
    is identical either way.

    Examples
    --------
    >>> from pairmatch.examples import pilot_problem
    >>> table = score(pilot_problem())
    >>> table.shape
    (3, 3)
    >>> {k: round(v, 3) for k, v in table.breakdown(0, 0).items()}
    {'focus': 1.0, 'borough': 0.6, 'availability': 1.0}
    """
    return score_table(Scorer(problem), executor=executor)
