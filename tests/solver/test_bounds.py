"""LP bounds (`_lpbound`) and flow potentials (`_certify`) checked directly against brute force.

Each GLOP status is forced (optimal, infeasible, not solved in time) and every bound is compared
with the best of all feasible arc subsets of small instances: the Lagrangian bound holds for any
duals (wrong-signed ones on an unbounded side included), every arc of a better solution is kept,
and potentials certify exactly the optimal flows.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pairmatch as pm
from pairmatch.scoring import Scorer
from pairmatch.solver._certify import TypeScan, potentials
from pairmatch.solver._flow import solve_flow
from pairmatch.solver._graph import ArcGraph, GroupBound
from pairmatch.solver._lpbound import (
    INF,
    NoBound,
    Row,
    dual_bound,
    lp_dual_bound,
    priced_bound,
    rows_for,
    share_intervals,
    solve_lp,
    split_bound,
)
from pairmatch.solver._space import PairSpace
from pairmatch.solver.scaling import scaling_for

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def graphs(draw, max_people: int = 3, lower_bounds: bool = True) -> ArcGraph:
    m = draw(st.integers(1, max_people))
    n = draw(st.integers(1, max_people))
    pairs = [(i, j) for i in range(m) for j in range(n)]
    keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    chosen = [p for p, k in zip(pairs, keep, strict=True) if k] or pairs[:1]
    rows = np.array([p[0] for p in chosen], dtype=np.int64)
    cols = np.array([p[1] for p in chosen], dtype=np.int64)
    gain = np.array(draw(st.lists(st.integers(0, 30), min_size=len(chosen), max_size=len(chosen))), dtype=np.int64)
    mhi = np.array(draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)), dtype=np.int64)
    ehi = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int64)
    lo = st.integers(0, 1) if lower_bounds else st.just(0)
    mlo = np.minimum(np.array(draw(st.lists(lo, min_size=m, max_size=m)), dtype=np.int64), mhi)
    elo = np.minimum(np.array(draw(st.lists(lo, min_size=n, max_size=n)), dtype=np.int64), ehi)
    return ArcGraph(rows, cols, gain, mlo, mhi, elo, ehi)


@st.composite
def quota_groups(draw, graph: ArcGraph, shares: bool = True) -> list[GroupBound]:
    """Groups of mentors (family 0) with minimums, maximums and shares."""
    colour = draw(st.lists(st.integers(0, 1), min_size=graph.n_mentors, max_size=graph.n_mentors))
    groups = []
    for value in (0, 1):
        members = np.array([c == value for c in colour])
        share = draw(st.sampled_from([None, Fraction(1, 2), Fraction(2, 3)])) if shares else None
        groups.append(
            GroupBound(
                label=f"group {value}",
                arcs=np.flatnonzero(members[graph.rows]),
                pinned=0,
                min_pairs=draw(st.integers(0, 1)),
                max_pairs=draw(st.sampled_from([None, 1, 2])),
                share=share,
                family=0,
                side=0,
            )
        )
    return groups


def feasible_subsets(graph: ArcGraph, groups: list[GroupBound] = ()) -> list[tuple[int, ...]]:
    """Every subset of arcs meeting the capacity bounds and quotas (no pins)."""
    out = []
    k = len(graph.gain)
    for size in range(k + 1):
        for chosen in itertools.combinations(range(k), size):
            x = np.zeros(k, dtype=bool)
            x[list(chosen)] = True
            load_m = np.bincount(graph.rows[x], minlength=graph.n_mentors)
            load_e = np.bincount(graph.cols[x], minlength=graph.n_mentees)
            if not ((graph.mentor_lo <= load_m) & (load_m <= graph.mentor_hi)).all():
                continue
            if not ((graph.mentee_lo <= load_e) & (load_e <= graph.mentee_hi)).all():
                continue
            if all(_group_holds(g, x) for g in groups):
                out.append(chosen)
    return out


def _group_holds(g: GroupBound, x: np.ndarray) -> bool:
    inside = g.pinned + int(x[g.arcs].sum())
    if inside < g.min_pairs or (g.max_pairs is not None and inside > g.max_pairs):
        return False
    return g.share is None or g.share.denominator * inside <= g.share.numerator * int(x.sum())


def value(graph: ArcGraph, chosen: tuple[int, ...]) -> int:
    return int(graph.gain[list(chosen)].sum())


# --- the Lagrangian bound, for any duals ---------------------------------------------------------


@PROPS
@given(data=st.data(), graph=graphs())
def test_the_bound_holds_for_any_duals(data, graph):
    groups = data.draw(quota_groups(graph))
    rows = rows_for(graph, groups, 0)
    duals = np.array(data.draw(st.lists(st.floats(-50, 50), min_size=len(rows), max_size=len(rows))))
    dual = dual_bound(graph, rows, duals, np.zeros(0), 0.0)
    for chosen in feasible_subsets(graph, groups):
        negative = float(np.minimum(dual.reduced[list(chosen)], 0).sum())
        assert value(graph, chosen) <= dual.bound + negative + dual.slack


@PROPS
@given(data=st.data(), graph=graphs())
def test_every_arc_of_a_better_solution_is_kept(data, graph):
    groups = data.draw(quota_groups(graph))
    rows = rows_for(graph, groups, 0)
    duals = np.array(data.draw(st.lists(st.floats(-50, 50), min_size=len(rows), max_size=len(rows))))
    dual = dual_bound(graph, rows, duals, np.zeros(0), 0.0)
    solutions = feasible_subsets(graph, groups)
    incumbent = data.draw(st.integers(-1, max((value(graph, c) for c in solutions), default=0)))
    kept = dual.improving(incumbent)
    for chosen in solutions:
        if value(graph, chosen) >= incumbent + 1:
            assert kept[list(chosen)].all()
            assert dual.beats(incumbent)


def test_a_wrong_signed_dual_on_an_unbounded_side_counts_as_zero():
    # One mentor with two arcs; row 0 caps the mentor at 1 (no lower side), row 1 has no upper side.
    graph = ArcGraph(
        np.array([0, 0]),
        np.array([0, 1]),
        np.array([5, 3]),
        np.array([0]),
        np.array([1]),
        np.zeros(2, int),
        np.ones(2, int),
    )
    rows = [Row(np.array([0, 1]), 1.0, 0.0, -INF, 1.0), Row(np.array([0, 1]), 1.0, 0.0, 0.0, INF)]
    wrong = dual_bound(graph, rows, np.array([-4.0, 7.0]), np.zeros(0), 0.0)  # both on their unbounded side
    zero = dual_bound(graph, rows, np.array([0.0, 0.0]), np.zeros(0), 0.0)
    assert (wrong.bound, wrong.reduced.tolist()) == (zero.bound, zero.reduced.tolist()) == (8.0, [5.0, 3.0])
    right = dual_bound(graph, rows, np.array([5.0, 0.0]), np.zeros(0), 0.0)  # the cap's true dual
    assert (right.bound, right.reduced.tolist()) == (5.0, [0.0, -2.0])
    assert max(value(graph, c) for c in feasible_subsets(graph)) == 5


def test_the_slack_grows_with_the_size_of_the_terms():
    graph = ArcGraph(
        np.array([0]), np.array([0]), np.array([10**12]), np.array([0]), np.array([1]), np.array([0]), np.array([1])
    )
    dual = dual_bound(graph, rows_for(graph, [], 0), np.zeros(0), np.zeros(0), 0.0)
    # Float sums near 1e12 round by more than 1e-3: the comparisons give way (only ever keeping
    # more arcs), by about 1e-9 of the terms, and no further.
    assert 1e3 < dual.slack < 1e4
    assert dual.beats(10**12 + 1000)
    assert not dual.beats(10**12 + 10**4)


# --- GLOP's statuses -------------------------------------------------------------------------------


@PROPS
@given(data=st.data(), graph=graphs())
def test_an_optimal_lp_bounds_the_integer_optimum(data, graph):
    groups = data.draw(quota_groups(graph))
    rows = rows_for(graph, groups, 0)
    solutions = feasible_subsets(graph, groups)
    lp = solve_lp(graph, rows, np.arange(len(graph.gain)))
    dual = lp_dual_bound(graph, rows, np.arange(len(graph.gain)))
    if dual is None:  # an infeasible LP: then no integer solution exists either
        assert lp.status.name == "INFEASIBLE"
        assert solutions == []
        return
    assert lp.status.name == "OPTIMAL"
    best = max((value(graph, c) for c in solutions), default=None)
    if best is not None:
        assert dual.lp_objective >= best - 1e-6
        assert dual.bound >= best - dual.slack
    # With the LP's own duals the bound is the LP optimum (strong duality), up to GLOP's tolerances.
    assert dual.bound == pytest.approx(dual.lp_objective, abs=1e-6 * max(1.0, abs(dual.lp_objective)))


def test_an_infeasible_lp_rules_the_case_out():
    # The mentor must take two partners but has only one arc.
    graph = ArcGraph(
        np.array([0]), np.array([0]), np.array([4]), np.array([2]), np.array([2]), np.array([0]), np.array([1])
    )
    rows = rows_for(graph, [], 0)
    assert lp_dual_bound(graph, rows, np.arange(1)) is None
    assert feasible_subsets(graph) == []


def test_a_restricted_infeasible_lp_says_nothing_about_the_full_one():
    # On arc 0 alone the mentee's minimum fails; with arc 1 it holds.
    graph = ArcGraph(
        np.array([0, 1]),
        np.array([0, 1]),
        np.array([3, 2]),
        np.zeros(2, int),
        np.ones(2, int),
        np.array([0, 1]),
        np.ones(2, int),
    )
    rows = rows_for(graph, [], 0)
    assert lp_dual_bound(graph, rows, np.array([0])) is None
    dual, grown = priced_bound(graph, rows, np.array([0]))
    assert dual is None
    assert grown.tolist() == [0]
    full = lp_dual_bound(graph, rows, np.arange(2))
    assert full is not None
    assert full.bound >= 5 - full.slack


def test_an_lp_out_of_time_gives_no_bound_rather_than_infeasible():
    graph = ArcGraph(
        np.array([0, 0, 1]),
        np.array([0, 1, 1]),
        np.array([5, 3, 4]),
        np.zeros(2, int),
        np.ones(2, int),
        np.zeros(2, int),
        np.ones(2, int),
    )
    rows = rows_for(graph, [], 0)
    assert solve_lp(graph, rows, np.arange(3), time_limit_s=0.0).status.name == "NOT_SOLVED"
    with pytest.raises(NoBound, match="NOT_SOLVED"):
        lp_dual_bound(graph, rows, np.arange(3), time_limit_s=0.0)
    with pytest.raises(NoBound):
        priced_bound(graph, rows, np.arange(1), deadline=time.monotonic() - 1)
    assert lp_dual_bound(graph, rows, np.arange(3)) is not None


# --- bounds split by the number of pairs ----------------------------------------------------------


def test_share_intervals_cut_where_a_rounded_cap_changes():
    half = GroupBound("g", np.array([0]), 0, 0, None, Fraction(1, 2), 0, 0)
    assert [(i.lo, i.hi, i.caps) for i in share_intervals([half], 0, 5)] == [
        (0, 1, (0,)),
        (2, 3, (1,)),
        (4, 5, (2,)),
    ]
    pinned = GroupBound("g", np.array([0]), 1, 0, None, Fraction(1, 2), 0, 0)
    assert [(i.lo, i.hi, i.caps) for i in share_intervals([pinned], 2, 2)] == [(0, 1, (0,)), (2, 2, (1,))]


@PROPS
@given(data=st.data(), graph=graphs(max_people=3, lower_bounds=False))
def test_the_split_bound_keeps_every_arc_of_a_better_solution(data, graph):
    groups = data.draw(quota_groups(graph))
    solutions = feasible_subsets(graph, groups)
    best = max((value(graph, c) for c in solutions), default=0)
    incumbent = data.draw(st.integers(-1, best))
    # The arcs the caller's LP started from: any of them (the bound must not depend on it).
    start = data.draw(st.lists(st.sampled_from(range(len(graph.gain))), min_size=1, unique=True))
    split = split_bound(graph, groups, 0, incumbent, np.array(sorted(start)))
    if split is None:  # the caller keeps the unsplit bound, which is sound
        return
    improving, largest, solved = split
    assert solved >= 0
    for chosen in solutions:
        if value(graph, chosen) >= incumbent + 1:
            assert improving[list(chosen)].all()
            assert largest >= value(graph, chosen) - 1e-6


def test_split_bound_needs_a_share_and_gives_way_when_time_runs_out():
    graph = ArcGraph(
        np.array([0, 1, 2]),
        np.array([0, 1, 2]),
        np.array([5, 4, 3]),
        np.zeros(3, int),
        np.ones(3, int),
        np.zeros(3, int),
        np.ones(3, int),
    )
    plain = [GroupBound("g", np.array([0, 1]), 0, 0, 1, None, 0, 0)]
    assert split_bound(graph, plain, 0, 0, np.arange(3)) is None
    # At most a third of the pairs from mentors 0 and 1: the best is mentor 2 alone (3), or all
    # three... which would hold two of the group. So 3 is the optimum.
    share = [GroupBound("g", np.array([0, 1]), 0, 0, None, Fraction(1, 3), 0, 0)]
    assert max(value(graph, c) for c in feasible_subsets(graph, share)) == 3
    split = split_bound(graph, share, 0, 2, np.arange(3))
    assert split is not None
    improving, largest, solved = split
    assert improving[2]
    assert largest >= 3 - 1e-6
    assert solved >= 1
    nothing_better = split_bound(graph, share, 0, 3, np.arange(3))
    assert nothing_better is not None
    assert not nothing_better[0].any()
    assert split_bound(graph, share, 0, 2, np.arange(3), deadline=time.monotonic() - 1) is None


# --- flow potentials ------------------------------------------------------------------------------


@PROPS
@given(graph=graphs())
def test_potentials_certify_an_optimal_flow_and_refuse_a_worse_one(graph):
    solutions = feasible_subsets(graph)
    solution = solve_flow(graph)
    if solution is None:
        assert solutions == []
        return
    best = max(value(graph, c) for c in solutions)
    assert int(graph.gain[solution.chosen].sum()) == best
    d_m, d_e = potentials(graph, solution.chosen)
    reduced = graph.gain + d_e[graph.cols] - d_m[graph.rows]
    used = np.zeros(len(graph.gain), dtype=bool)
    used[solution.chosen] = True
    # Shortest-path potentials of the residual graph: no unused arc gains, no used arc loses.
    assert (reduced[~used] <= 0).all()
    assert (reduced[used] >= 0).all()
    worse = [c for c in solutions if value(graph, c) < best]
    if worse:
        with pytest.raises(pm.SolverError, match="not optimal"):
            potentials(graph, np.array(worse[0], dtype=np.int64))


@PROPS
@given(graph=graphs(max_people=3), extra=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 40)))
def test_a_pair_left_out_with_a_non_positive_reduced_cost_cannot_improve_the_optimum(graph, extra):
    i, j, gain = extra
    if i >= graph.n_mentors or j >= graph.n_mentees:
        return
    solution = solve_flow(graph)
    if solution is None:
        return
    d_m, d_e = potentials(graph, solution.chosen)
    wider = ArcGraph(
        np.r_[graph.rows, i],
        np.r_[graph.cols, j],
        np.r_[graph.gain, gain],
        graph.mentor_lo,
        graph.mentor_hi,
        graph.mentee_lo,
        graph.mentee_hi,
    )
    before = int(graph.gain[solution.chosen].sum())
    after = max(value(wider, c) for c in feasible_subsets(wider))
    if gain + d_e[j] - d_m[i] <= 0:
        assert after == before
    if after > before:
        assert gain + d_e[j] - d_m[i] > 0


@pytest.mark.parametrize("seed", range(4))
def test_the_type_scan_finds_exactly_the_violating_pairs(seed):
    problem = pm.synthetic_problem(60, 50, seed=seed)
    scorer = Scorer(problem)
    space = PairSpace(problem, scorer, scaling_for(scorer, pm.SolveParams()))
    assert space.parts is not None
    scan = TypeScan(space.builtin, space.parts, space.lift)
    rng = np.random.default_rng(seed)
    top = int(space.max_gain)
    d_m = rng.integers(0, 2 * top, size=space.m)
    d_e = rng.integers(-top, top, size=space.n)
    rows, cols, red, exact = scan.scan(space, d_m, d_e, 0, scan.n_types, None)
    every_r, every_c = np.divmod(np.arange(space.m * space.n), space.n)
    brute = space.pair_gains(every_r, every_c) + d_e[every_c] - d_m[every_r]
    expected = {(int(r), int(c)) for r, c in zip(every_r[brute > 0], every_c[brute > 0], strict=True)}
    assert {(int(r), int(c)) for r, c in zip(rows, cols, strict=True)} == expected
    assert (red > 0).all()
    assert exact <= space.m * space.n


@PROPS
@given(data=st.data(), graph=graphs(lower_bounds=False))
def test_column_generation_ends_with_a_bound_over_every_arc(data, graph):
    groups = data.draw(quota_groups(graph, shares=False))
    rows = rows_for(graph, groups, 0)
    start = np.array([int(np.argmin(graph.gain))])  # the weakest arc: the others price in
    dual, grown = priced_bound(graph, rows, start)
    solutions = feasible_subsets(graph, groups)
    if dual is None:  # the LP on the weakest arc alone is infeasible: nothing is concluded
        assert grown.tolist() == start.tolist()
        return
    assert set(start.tolist()) <= set(grown.tolist())
    for chosen in solutions:
        negative = float(np.minimum(dual.reduced[list(chosen)], 0).sum())
        assert value(graph, chosen) <= dual.bound + negative + dual.slack


def test_column_generation_adds_the_arcs_that_price_in():
    graph = ArcGraph(
        np.array([0, 1]),
        np.array([0, 1]),
        np.array([2, 9]),
        np.zeros(2, int),
        np.ones(2, int),
        np.zeros(2, int),
        np.ones(2, int),
    )
    dual, grown = priced_bound(graph, rows_for(graph, [], 0), np.array([0]))
    assert grown.tolist() == [0, 1]
    assert dual is not None
    assert dual.bound >= 11 - dual.slack


@pytest.mark.parametrize("limit", [1, 3])
def test_a_limited_type_scan_still_finds_every_mentor_with_a_violation(limit):
    problem = pm.synthetic_problem(60, 50, seed=9)
    scorer = Scorer(problem)
    space = PairSpace(problem, scorer, scaling_for(scorer, pm.SolveParams()))
    assert space.parts is not None
    scan = TypeScan(space.builtin, space.parts, space.lift)
    rng = np.random.default_rng(limit)
    top = int(space.max_gain)
    d_m = rng.integers(0, 2 * top, size=space.m)
    d_m[::4] = 0  # people without a partner: their bound clears little, so their rows are scanned whole
    d_e = rng.integers(-top, top, size=space.n)
    rows, cols, red, exact = scan.scan(space, d_m, d_e, 0, scan.n_types, limit)
    every_r, every_c = np.divmod(np.arange(space.m * space.n), space.n)
    brute = space.pair_gains(every_r, every_c) + d_e[every_c] - d_m[every_r]
    assert (space.pair_gains(rows, cols) + d_e[cols] - d_m[rows] == red).all()
    assert (red > 0).all()
    assert set(rows.tolist()) == set(every_r[brute > 0].tolist())
    assert exact <= space.m * space.n


@pytest.mark.parametrize("limit", [1, 3])
def test_rows_whose_capped_prefix_shows_no_violation_are_scanned_whole(limit, monkeypatch):
    """A mentor whose bound clears little tries its capped prefix first; when that shows no
    violation its whole row is scored as one block, and every violation it holds is found."""
    problem = pm.synthetic_problem(60, 50, seed=9)
    scorer = Scorer(problem)
    space = PairSpace(problem, scorer, scaling_for(scorer, pm.SolveParams()))
    assert space.parts is not None
    scan = TypeScan(space.builtin, space.parts, space.lift)
    whole_rows = []
    scan_rows = PairSpace.violations_in_rows

    def counted(self, rows, *args, **kwargs):
        whole_rows.extend(rows.tolist())
        return scan_rows(self, rows, *args, **kwargs)

    monkeypatch.setattr(PairSpace, "violations_in_rows", counted)
    # Every mentor's bound (availability at its best) beats this dual, few real scores do.
    d_m = np.full(space.m, int(space.max_gain * 0.7))
    d_e = np.zeros(space.n, dtype=np.int64)
    rows, cols, red, exact = scan.scan(space, d_m, d_e, 0, scan.n_types, limit)
    assert whole_rows  # the case this test is for
    every_r, every_c = np.divmod(np.arange(space.m * space.n), space.n)
    brute = space.pair_gains(every_r, every_c) + d_e[every_c] - d_m[every_r]
    assert set(rows.tolist()) == set(every_r[brute > 0].tolist())
    assert (space.pair_gains(rows, cols) + d_e[cols] - d_m[rows] == red).all()
    assert exact <= space.m * space.n


def test_each_mentor_picks_its_best_mentees_when_it_sees_them_all():
    problem = pm.synthetic_problem(40, 30, seed=4)
    scorer = Scorer(problem)
    space = PairSpace(problem, scorer, scaling_for(scorer, pm.SolveParams()))
    assert space.parts is not None
    scan = TypeScan(space.builtin, space.parts, space.lift)
    k = 3
    rng = np.random.default_rng(0)
    tie_types = rng.integers(0, 1 << 16, size=scan.n_types)
    tie_cols = rng.integers(0, 1 << 16, size=space.n)
    rows, cols = scan.best(space, 0, scan.n_types, k, 4 * space.n, tie_types, tie_cols)
    for i in range(space.m):
        mine = cols[rows == i]
        assert len(mine) == len(set(mine.tolist())) == k
        gains = space.pair_gains(np.full(space.n, i), np.arange(space.n))
        assert sorted(gains[mine].tolist()) == sorted(gains.tolist())[-k:]


@pytest.mark.parametrize("limit", [1, 3])
def test_whole_rows_scanned_with_a_limit_keep_each_rows_best_violations(limit):
    """Rows scanned whole (people whose bound clears little) return at most ``limit`` pairs
    each, the row's largest reduced costs, and every row with a violation still appears."""
    problem = pm.synthetic_problem(40, 30, seed=limit)
    scorer = Scorer(problem)
    space = PairSpace(problem, scorer, scaling_for(scorer, pm.SolveParams()))
    rng = np.random.default_rng(limit)
    top = int(space.max_gain)
    d_m = rng.integers(0, top, size=space.m)
    d_e = rng.integers(-top // 2, top, size=space.n)
    rows = np.arange(space.m)
    every_r, _, every_v, _ = space.violations_in_rows(rows, d_m, d_e)
    some_r, some_c, some_v, _ = space.violations_in_rows(rows, d_m, d_e, limit)
    assert len(every_r) > space.m * limit  # the limit has something to cut
    assert set(some_r.tolist()) == set(every_r.tolist())
    assert (space.pair_gains(some_r, some_c) + d_e[some_c] - d_m[some_r] == some_v).all()
    for row in set(every_r.tolist()):
        kept = np.sort(some_v[some_r == row])[::-1]
        best = np.sort(every_v[every_r == row])[::-1][:limit]
        assert len(kept) <= limit
        assert (kept == best).all()
