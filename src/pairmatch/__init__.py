"""pairmatch: optimal, explained mentor-mentee matching.

Describe mentors and mentees (`Mentor`, `Mentee`, `Problem`), `solve` the
assignment problem with OR-Tools, and read the `MatchResult`: every pair with
its score breakdown, every unmatched person with the reason, and proof of
optimality. `explain` turns a result into plain words; `violations` checks it.
`problem_from_frames` builds a problem from two pandas DataFrames (see
`pairmatch.io` for files).
"""

from __future__ import annotations

from .analysis import compatibility_graph, diagnose
from .checks import Violation, is_feasible, violations
from .custom_scores import CustomScore, PeopleTable
from .datasets import default_taxonomy, london
from .diffs import ResultDiff, Snapshot, diff
from .examples import pilot_problem
from .exceptions import InfeasibleProblemError, MissingExtraError, PairmatchError, SolverError
from .explanations import alternatives, explain, explain_pair, why_not, why_unmatched
from .generators import synthetic_problem
from .geography import Geography
from .io import problem_from_frames
from .matching import solve
from .models import Mentee, Mentor, Person, Problem, Quota, Rules
from .params import SolveParams, Weights
from .rematching import Changes, PairChange, RematchResult, rematch
from .report.plots import ResultPlots  # importing it installs MatchResult.plot
from .result import MatchResult, Pair, Unmatched
from .scoring import ChunkRunner, ScoreTable, ScoreView, score
from .solver import SolveContext
from .stability import BlockingPair, blocking_pairs, is_stable
from .taxonomy import Taxonomy
from .version import __version__

__all__ = [
    "BlockingPair",
    "Changes",
    "ChunkRunner",
    "CustomScore",
    "Geography",
    "InfeasibleProblemError",
    "MatchResult",
    "Mentee",
    "Mentor",
    "MissingExtraError",
    "Pair",
    "PairChange",
    "PairmatchError",
    "PeopleTable",
    "Person",
    "Problem",
    "Quota",
    "RematchResult",
    "ResultDiff",
    "ResultPlots",
    "Rules",
    "ScoreTable",
    "ScoreView",
    "Snapshot",
    "SolveContext",
    "SolveParams",
    "SolverError",
    "Taxonomy",
    "Unmatched",
    "Violation",
    "Weights",
    "__version__",
    "alternatives",
    "blocking_pairs",
    "compatibility_graph",
    "default_taxonomy",
    "diagnose",
    "diff",
    "explain",
    "explain_pair",
    "is_feasible",
    "is_stable",
    "london",
    "pilot_problem",
    "problem_from_frames",
    "rematch",
    "score",
    "solve",
    "synthetic_problem",
    "violations",
    "why_not",
    "why_unmatched",
]
