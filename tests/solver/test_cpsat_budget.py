"""A CP-SAT solve whose time limit is spent pricing candidates stops with a clear error instead of
building the full model with no time left to solve it."""

from __future__ import annotations

import pytest

import pairmatch as pm


def test_a_spent_time_limit_stops_before_the_full_model_is_built():
    problem = pm.synthetic_problem(60, 90, seed=1, mentor_capacity=2)
    problem = problem.model_copy(
        update={"rules": pm.Rules(quotas=(pm.Quota(side="mentee", key="rank", max_share=0.4),))}
    )
    params = pm.SolveParams(time_limit_s=1e-6, cpsat_reduce_above=10)
    with pytest.raises(pm.SolverError, match="used the whole time limit"):
        pm.solve(problem, params)
    # With time to spare, the same problem is solved (and proved) as usual.
    assert pm.solve(problem, pm.SolveParams(cpsat_reduce_above=10)).status == "optimal"
