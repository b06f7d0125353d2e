"""pairmatch: optimal, explained mentor-mentee matching.

Describe mentors and mentees (`Mentor`, `Mentee`, `Problem`), `solve` the
assignment problem with OR-Tools, and read the `MatchResult`: every pair with
its score breakdown, every unmatched person with the reason, and proof of
optimality. `explain` turns a result into plain words; `violations` checks it.
`problem_from_frames` builds a problem from two pandas DataFrames (see
`pairmatch.io` for files).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .analysis import compatibility_graph, diagnose
from .checks import Violation, is_feasible, violations
from .custom_scores import CustomScore, PeopleTable
from .datasets import default_taxonomy, london
from .examples import pilot_problem
from .exceptions import InfeasibleProblemError, MissingExtraError, PairmatchError, SolverError
from .explain import alternatives, explain, explain_pair, why_not, why_unmatched
from .generators import synthetic_problem
from .geography import Geography
from .io import problem_from_frames
from .matching import solve
from .models import Mentee, Mentor, Person, Problem, Quota, Rules
from .params import SolveParams, Weights
from .result import MatchResult, Pair, Unmatched
from .scoring import ChunkRunner, ScoreTable, ScoreView, score
from .solve import SolveContext
from .taxonomy import Taxonomy

try:
    __version__ = version("pairmatch-mentoring")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "ChunkRunner",
    "CustomScore",
    "Geography",
    "InfeasibleProblemError",
    "MatchResult",
    "Mentee",
    "Mentor",
    "MissingExtraError",
    "Pair",
    "PairmatchError",
    "PeopleTable",
    "Person",
    "Problem",
    "Quota",
    "Rules",
    "ScoreTable",
    "ScoreView",
    "SolveContext",
    "SolveParams",
    "SolverError",
    "Taxonomy",
    "Unmatched",
    "Violation",
    "Weights",
    "__version__",
    "alternatives",
    "compatibility_graph",
    "default_taxonomy",
    "diagnose",
    "explain",
    "explain_pair",
    "is_feasible",
    "london",
    "pilot_problem",
    "problem_from_frames",
    "score",
    "solve",
    "synthetic_problem",
    "violations",
    "why_not",
    "why_unmatched",
]
