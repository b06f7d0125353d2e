"""Exact OR-Tools backends: linear sum assignment and min-cost flow.

All maximise gains by minimising negated gains. ``None`` means the lower
bounds cannot be met (the caller diagnoses why).
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import linear_sum_assignment, min_cost_flow

from ..exceptions import SolverError
from ._graph import ArcGraph, Solution
from .scaling import check_range

__all__ = ["solve_assignment", "solve_flow", "solve_matching", "solve_maxmin", "solve_participation"]


def solve_assignment(graph: ArcGraph) -> Solution:
    """One-to-one maximum-gain matching (not necessarily perfect) by OR-Tools LSA.

    LSA needs a perfect matching, so the problem is padded to a complete
    square one: missing arcs (ruled-out pairs, people taking no partner,
    dummy people) get gain 0. Because every gain is >= 0, a maximum-gain
    perfect matching of the padded graph, with its gain-0 filler arcs dropped,
    is a maximum-gain matching of the real graph, and the two have the same value.
    """
    m, n = graph.n_mentors, graph.n_mentees
    if (graph.gain < 0).any():
        raise SolverError("the assignment backend needs non-negative scores")
    live = (graph.mentor_hi[graph.rows] > 0) & (graph.mentee_hi[graph.cols] > 0)
    size = max(m, n)
    if size == 0 or not live.any():
        return Solution(
            np.zeros(0, dtype=np.int64),
            True,
            "ortools.linear_sum_assignment",
            {"proof": "no candidate pairs", "integer_objective": 0},
        )
    if not check_range(int(graph.gain.max(initial=0)), 2 * size):
        raise SolverError("scores too large for the assignment solver; lower SolveParams.resolution")
    cost = np.zeros((size, size), dtype=np.int64)
    cost[graph.rows[live], graph.cols[live]] = -graph.gain[live]
    lsa = linear_sum_assignment.SimpleLinearSumAssignment()
    lsa.add_arcs_with_cost(np.repeat(np.arange(size), size), np.tile(np.arange(size), size), cost.ravel())
    status = lsa.solve()
    if status != lsa.OPTIMAL:
        raise SolverError(f"OR-Tools linear sum assignment returned status {status}")
    mates = np.array([lsa.right_mate(i) for i in range(size)], dtype=np.int64)
    chosen = np.flatnonzero(live & (mates[graph.rows] == graph.cols))
    return Solution(
        chosen,
        True,
        "ortools.linear_sum_assignment",
        {"proof": "OR-Tools SimpleLinearSumAssignment status OPTIMAL", "integer_objective": int(-lsa.optimal_cost())},
    )


def solve_matching(graph: ArcGraph) -> Solution | None:
    """Maximum-gain matching of a sparse graph where everyone takes at most one partner and
    lower bounds are 0 or 1, by OR-Tools LSA on the graph's arcs alone (never padded dense).

    LSA needs a perfect matching, so the graph is doubled: mentors and copies of the
    mentees on the left, mentees and copies of the mentors on the right. Mentor ``i`` may
    go to its own copy (unmatched) at cost 0 unless it must be matched, mentee ``j``'s copy
    to ``j`` likewise, and every real arc ``(i, j)`` has a mirror from ``j``'s copy to
    ``i``'s copy at cost 0. A perfect matching of the doubled graph is a matching of the
    real one that meets the lower bounds, at the same cost, and back. None: the lower
    bounds cannot be met.
    """
    m, n = graph.n_mentors, graph.n_mentees
    if m + n == 0:
        return Solution(
            np.zeros(0, np.int64),
            True,
            "ortools.linear_sum_assignment",
            {"proof": "nobody to match", "integer_objective": 0},
        )
    live = (graph.mentor_hi[graph.rows] > 0) & (graph.mentee_hi[graph.cols] > 0)
    rows, cols, gain = graph.rows[live], graph.cols[live], graph.gain[live]
    if not check_range(int(np.abs(gain).max(initial=0)), 2 * (m + n)):
        raise SolverError("scores too large for the assignment solver; lower SolveParams.resolution")
    free_m = np.flatnonzero(graph.mentor_lo <= 0)  # may stay unmatched
    free_e = np.flatnonzero(graph.mentee_lo <= 0)
    tails, heads, costs = [rows], [cols], [-gain]
    if len(free_m) or len(free_e):  # a perfect matching of the real graph needs no copies
        zeros = np.zeros(len(free_m) + len(free_e) + len(rows), dtype=np.int64)
        tails += [free_m, m + free_e, m + cols]
        heads += [n + free_m, free_e, n + rows]
        costs.append(zeros)
        size = m + n
    elif m != n:
        return None  # everyone must be matched, one to one, on sides of different sizes
    else:
        size = m
    tail, head = np.concatenate(tails), np.concatenate(heads)
    # Someone with no arc at all cannot be matched (and OR-Tools must not see a missing node).
    if (
        len(tail) == 0
        or (np.bincount(tail, minlength=size) == 0).any()
        or (np.bincount(head, minlength=size) == 0).any()
    ):
        return None
    lsa = linear_sum_assignment.SimpleLinearSumAssignment()
    lsa.add_arcs_with_cost(tail, head, np.concatenate(costs))
    status = lsa.solve()
    if status == lsa.INFEASIBLE:
        return None
    if status != lsa.OPTIMAL:
        raise SolverError(f"OR-Tools linear sum assignment returned status {status}")
    mates = np.fromiter((lsa.right_mate(i) for i in range(m)), dtype=np.int64, count=m)
    used = np.zeros(len(graph.rows), dtype=bool)
    used[np.flatnonzero(live)] = mates[rows] == cols
    return Solution(
        np.flatnonzero(used),
        True,
        "ortools.linear_sum_assignment",
        {"proof": "OR-Tools SimpleLinearSumAssignment status OPTIMAL", "integer_objective": int(-lsa.optimal_cost())},
    )


def _network(graph: ArcGraph, costs: np.ndarray) -> tuple[min_cost_flow.SimpleMinCostFlow, np.ndarray, int]:
    """Source 0, mentors 1..m, mentees m+1..m+n, sink m+n+1. Returns (flow, pair arc ids, total)."""
    m, n = graph.n_mentors, graph.n_mentees
    source, sink = 0, m + n + 1
    if not check_range(int(np.abs(costs).max(initial=0)), m + n + 2):
        raise SolverError("scores too large for the flow solver; lower SolveParams.resolution")
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs = flow.add_arcs_with_capacity_and_unit_cost(
        1 + graph.rows, 1 + m + graph.cols, np.ones(len(costs), dtype=np.int64), costs
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(m, source), 1 + np.arange(m), graph.mentor_hi - graph.mentor_lo, np.zeros(m, dtype=np.int64)
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        1 + m + np.arange(n), np.full(n, sink), graph.mentee_hi - graph.mentee_lo, np.zeros(n, dtype=np.int64)
    )
    return flow, np.asarray(pair_arcs), graph.max_pairs()


def _lower_bound_supplies(graph: ArcGraph) -> np.ndarray:
    """Node supplies that force the lower bounds (flow ``lo`` pre-pushed on each bounded arc)."""
    m, n = graph.n_mentors, graph.n_mentees
    supply = np.zeros(m + n + 2, dtype=np.int64)
    supply[0] -= graph.mentor_lo.sum()
    supply[1 : 1 + m] += graph.mentor_lo
    supply[1 + m : 1 + m + n] -= graph.mentee_lo
    supply[-1] += graph.mentee_lo.sum()
    return supply


def _circulation(graph: ArcGraph, costs: np.ndarray, name: str, proof: str) -> Solution | None:
    flow, pair_arcs, total = _network(graph, costs)
    m, n = graph.n_mentors, graph.n_mentees
    flow.add_arc_with_capacity_and_unit_cost(m + n + 1, 0, total, 0)  # sink -> source: flow amount is free
    flow.set_nodes_supplies(np.arange(m + n + 2), _lower_bound_supplies(graph))
    status = flow.solve()
    if status == flow.INFEASIBLE:
        return None
    if status != flow.OPTIMAL:
        raise SolverError(f"OR-Tools min-cost flow returned status {status}")
    chosen = np.flatnonzero(flow.flows(pair_arcs) > 0)
    return Solution(chosen, True, name, {"proof": proof, "integer_objective": int(-flow.optimal_cost())})


def solve_flow(graph: ArcGraph) -> Solution | None:
    """Maximum total gain with capacity bounds on both sides (min-cost circulation)."""
    return _circulation(graph, -graph.gain, "ortools.min_cost_flow", "OR-Tools SimpleMinCostFlow status OPTIMAL")


def solve_participation(graph: ArcGraph) -> Solution | None:
    """As many pairs as possible, then the maximum total gain among those matchings.

    Without lower bounds this is OR-Tools' ``solve_max_flow_with_min_cost``.
    With lower bounds, each pair's gain is lifted by a constant larger than
    any two matchings' totals can differ by (``sum(|gain|)``, or twice the
    largest matching size times the largest ``|gain|``), so one more pair
    always outweighs any change of total; every lifted gain is positive, so
    the circulation optimises the same lexicographic order for gains of any sign.
    """
    if graph.has_lower_bounds:
        magnitude = np.abs(graph.gain)
        lift = min(int(magnitude.sum()), 2 * graph.max_pairs() * int(magnitude.max(initial=0))) + 1
        solution = _circulation(
            graph,
            -(graph.gain + lift),
            "ortools.min_cost_flow[participation]",
            "OR-Tools SimpleMinCostFlow status OPTIMAL (lexicographic costs)",
        )
        if solution is not None:
            k = len(solution.chosen)
            solution.certificate["integer_objective"] -= k * lift
            solution.certificate["pairs"] = k
        return solution
    flow, pair_arcs, total = _network(graph, -graph.gain)
    m, n = graph.n_mentors, graph.n_mentees
    flow.set_node_supply(0, total)
    flow.set_node_supply(m + n + 1, -total)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverError(f"OR-Tools max-flow-with-min-cost returned status {status}")
    chosen = np.flatnonzero(flow.flows(pair_arcs) > 0)
    return Solution(
        chosen,
        True,
        "ortools.max_flow_with_min_cost",
        {
            "proof": "OR-Tools solve_max_flow_with_min_cost status OPTIMAL",
            "integer_objective": int(-flow.optimal_cost()),
            "pairs": int(flow.maximum_flow()),
        },
    )


def solve_maxmin(graph: ArcGraph, cap: int | None = None) -> Solution | None:
    """Max-min fairness: among the largest matchings, make the weakest pair as
    strong as possible, then maximise the total.

    Bisects over the distinct gains for the highest threshold ``t`` such that
    the arcs with gain >= t still admit a matching as large as the unrestricted
    one; the certificate names ``t`` and the next threshold that fails.
    ``cap`` is the gain of the weakest pinned pair: the weakest pair can never
    beat it, so thresholds above it would only cost total score.
    """
    best = solve_participation(graph)
    if best is None:
        return None
    size = len(best.chosen)
    levels = np.unique(graph.gain if cap is None else np.minimum(graph.gain, cap))
    lo, hi = 0, len(levels) - 1  # invariant: threshold levels[lo] attains `size`
    while lo < hi:
        mid = (lo + hi + 1) // 2
        trial = solve_participation(graph.subgraph(graph.gain >= levels[mid]))
        if trial is not None and len(trial.chosen) == size:
            lo = mid
        else:
            hi = mid - 1
    if size == 0:  # no free pair, so no weakest one
        certificate = {**best.certificate, "bottleneck_integer": None, "next_level_fails": None}
        return Solution(best.chosen, True, "ortools.max_flow_with_min_cost[maxmin]", certificate)
    keep = np.flatnonzero(graph.gain >= levels[lo])
    final = solve_participation(graph.subgraph(keep))
    assert final is not None
    certificate = {
        **final.certificate,
        "proof": "bisection over gains with exact max-flow-with-min-cost checks",
        "bottleneck_integer": int(levels[lo]),
        "next_level_fails": int(levels[lo + 1]) if lo + 1 < len(levels) else None,
    }
    return Solution(keep[final.chosen], True, "ortools.max_flow_with_min_cost[maxmin]", certificate)
