"""``solve()``: the public entry point, from a `Problem` to an explained `MatchResult`."""

from __future__ import annotations

import time
from concurrent.futures import Executor

from .models import Problem
from .params import SolveParams
from .result import MatchResult
from .scoring import ChunkRunner
from .solver import run

__all__ = ["solve"]


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    *,
    seed: int | None = None,
    executor: Executor | ChunkRunner | None = None,
) -> MatchResult:
    """Propose the best matching of ``problem`` under ``params``.

    Parameters
    ----------
    problem : Problem
        People, weights, custom scores and hard rules.
    params : SolveParams, optional
        Objective and backend; defaults to maximum total score, automatic backend.
    seed : int, optional
        Overrides ``params.seed`` (recorded in the result; exact backends are deterministic).
    executor : concurrent.futures.Executor or ChunkRunner, optional
        Runs the scoring chunks (threads, processes, or a Dask cluster through
        ``ChunkRunner.dask(client)``); the result is identical either way.

    Returns
    -------
    MatchResult

    Raises
    ------
    InfeasibleProblemError
        When the hard rules (pins, minimum partners, quotas) cannot all hold;
        its ``reasons`` name the people and rules involved.

    Examples
    --------
    >>> from pairmatch.examples import pilot_problem
    >>> result = solve(pilot_problem())
    >>> [(p.mentor_id, p.mentee_id) for p in result.pairs]
    [('M1', 'O1'), ('M2', 'O2'), ('M3', 'O3')]
    >>> result.status, result.certificate["method"]
    ('optimal', 'dense')
    """
    params = params or SolveParams()
    if seed is not None:
        params = params.model_copy(update={"seed": seed})
    started = time.perf_counter()
    outcome = run(problem, params, executor)
    return MatchResult.from_outcome(outcome, runtime_s=time.perf_counter() - started)
