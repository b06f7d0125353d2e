"""What the solver layer hands upwards: the context it solved in and the outcome.

Both are plain frozen dataclasses over declared interfaces (`ScoreView`,
`CandidateView`), so the dense and the certified sparse paths return the
same shapes and nothing above this layer depends on how a result was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..certificates import Certificate
from ..constraints import CandidateView
from ..models import Problem
from ..params import SolveParams
from ..scoring import ScoreView
from .scaling import Scaling

__all__ = ["Outcome", "SolveContext"]


@dataclass(frozen=True)
class SolveContext:
    """What the solver saw, kept with the result so explanations and reports
    read the very numbers the solver used.

    Attributes
    ----------
    problem : Problem
    scores : ScoreView
        Every pair's scores (in memory on the dense path, on demand on the sparse one).
    candidates : CandidateView
        Rule bits of every pair, the pinned pairs and the capacities.
    params : SolveParams
    scaling : Scaling
        How float scores became the solver's integers.
    """

    problem: Problem
    scores: ScoreView
    candidates: CandidateView
    params: SolveParams
    scaling: Scaling


@dataclass(frozen=True)
class Outcome:
    """A solved problem before it is dressed as a `MatchResult`.

    Attributes
    ----------
    pairs : tuple of (int, int, bool)
        ``(mentor row, mentee column, pinned)``, sorted.
    optimal : bool
        True only when the solver proved optimality.
    solver : str
    certificate : Certificate
        The proof (a typed model that also reads as a mapping): solver
        status, integer objective, scaling and rounding bound, bounds and
        gap where relevant. Never wall-clock times.
    timings : mapping of str to float
        Seconds per stage (kept apart so certificates are reproducible).
    context : SolveContext
    """

    pairs: tuple[tuple[int, int, bool], ...]
    optimal: bool
    solver: str
    certificate: Certificate
    context: SolveContext
    timings: Mapping[str, float] = field(default_factory=dict)
