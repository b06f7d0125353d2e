"""The solver layer: exact OR-Tools backends, certified sparse solving, infeasibility diagnosis.

`run` turns a `Problem` into an `Outcome` (index pairs, proof, the
`SolveContext` it solved in); the public `pairmatch.solve` dresses that as a
`MatchResult`. Nothing here imports the result, explanation or file layers.
"""

from __future__ import annotations

from .contracts import Outcome, SolveContext
from .diagnosis import diagnose, hall_violator
from .engine import run
from .scaling import Scaling, scaling_for, with_exact_scores

__all__ = ["Outcome", "Scaling", "SolveContext", "diagnose", "hall_violator", "run", "scaling_for", "with_exact_scores"]
