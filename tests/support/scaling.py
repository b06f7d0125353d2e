"""The integer scaling the dense solver uses, for oracles that compare in the solver's integer units."""

from __future__ import annotations

import pairmatch as pm
from pairmatch.scoring import Scorer
from pairmatch.solver import Scaling, scaling_for, with_exact_scores


def solver_scaling(problem: pm.Problem, params: pm.SolveParams | None = None) -> Scaling:
    """Exact when the scores allow it, else by resolution (`pairmatch.solver.scaling`)."""
    params = params or pm.SolveParams()
    return with_exact_scores(scaling_for(Scorer(problem), params), pm.score(problem).total, params)
