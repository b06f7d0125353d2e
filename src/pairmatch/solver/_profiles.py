"""Matching over profiles: people with identical score rows solved as one group.

Two mentors with the same focus profile, borough profile, weekly
availability, capacities and rule-relevant attributes score identically
against every mentee, and every hard rule treats them alike (likewise for
mentees). Grouping them turns the matching into a transportation problem
between *profiles*: supply = summed capacities, one arc per profile pair
with that pair's gain. OR-Tools min-cost flow solves it exactly; because
every person pair has exactly its profile pair's gain and rule bits, the
transportation optimum *is* the person-level optimum (any matching maps to
a flow of the same value and back), so the certificate covers all pairs.

Person-level detail is restored afterwards: the side where everyone takes at
most one partner is dealt out unit by unit, so no pair repeats.

Used when profiles repeat a lot (massive ties); rosters with mostly unique
people take the sparse or dense path. Forbidden and pinned pairs and custom
score components are person-specific, so they rule this path out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from ..constraints import RuleChecker, lazy_candidates, minimum_partners
from ..exceptions import SolverError
from ..models import Person, Problem
from ..objectives import BACKENDS, OBJECTIVES
from ..params import SolveParams
from ..scoring import LazyScores, Scorer
from .contracts import Outcome, SolveContext
from .proofs import build_certificate
from .scaling import Scaling, check_range

__all__ = ["Profiles", "profiles_of", "solve_profiles", "why_not_profiles"]


class Profiles:
    """People grouped by everything that decides their scores and rules.

    Attributes
    ----------
    row_kind, col_kind : ndarray
        Profile of each mentor / mentee.
    row_first, col_first : ndarray
        One representative person per profile.
    """

    def __init__(self, row_kind: np.ndarray, col_kind: np.ndarray) -> None:
        self.row_kind, self.col_kind = row_kind, col_kind
        self.n_rows = int(row_kind.max(initial=-1)) + 1
        self.n_cols = int(col_kind.max(initial=-1)) + 1
        self.row_first = _first(row_kind, self.n_rows)
        self.col_first = _first(col_kind, self.n_cols)

    @property
    def pairs(self) -> int:
        return self.n_rows * self.n_cols


def _first(kind: np.ndarray, count: int) -> np.ndarray:
    first = np.full(count, -1, dtype=np.int64)
    first[kind[::-1]] = np.arange(len(kind))[::-1]
    return first


def why_not_profiles(problem: Problem, params: SolveParams, scorer: Scorer) -> str | None:
    """Why the profile path cannot solve ``problem`` (None when it can)."""
    rules = problem.rules
    if not OBJECTIVES[params.objective].profiles:
        return f"objective {params.objective!r}"
    if not BACKENDS[params.backend].flow_paths:
        return f"backend {params.backend!r}"
    if rules.quotas:
        return "quotas"
    if not scorer.level_coded:
        return "custom score components are person-specific"
    if rules.forbidden_pairs or rules.required_pairs:
        return "forbidden or pinned pairs are person-specific"
    if any(p.max_partners > 1 for p in problem.mentors) and any(p.max_partners > 1 for p in problem.mentees):
        return "both sides take several partners"
    if not problem.mentors or not problem.mentees:
        return "one side is empty"
    return None


def profiles_of(problem: Problem, scorer: Scorer) -> Profiles:
    """Group both sides by (focus profile, borough profile, availability, capacities,
    values of the attributes that ``forbid_same`` compares)."""
    builtin = scorer.builtin
    attrs = [a for a in problem.rules.forbid_same if a not in ("borough", "bcu")]
    codes: dict[object, int] = {}

    def side(people: Sequence[Person], focus: np.ndarray, place: np.ndarray, slots: np.ndarray) -> np.ndarray:
        lo = minimum_partners(problem, "mentor" if people is problem.mentors else "mentee")
        hi = np.array([p.max_partners for p in people], dtype=np.int64)
        extra = np.array(
            [[codes.setdefault(p.attributes.get(a), len(codes)) for a in attrs] for p in people], dtype=np.int64
        ).reshape(len(people), len(attrs))
        table = np.column_stack([focus, place, lo, hi, extra, slots.view(np.int64).reshape(len(people), -1)])
        _, kind = np.unique(table, axis=0, return_inverse=True)
        kinds: np.ndarray = kind.reshape(-1)
        return kinds

    row_kind = side(problem.mentors, builtin.left.focus, builtin.left.place, builtin.left.slots)
    col_kind = side(problem.mentees, builtin.right.focus, builtin.right.place, builtin.right.slots)
    return Profiles(row_kind, col_kind)


def solve_profiles(
    problem: Problem, params: SolveParams, scorer: Scorer, scaling: Scaling, profiles: Profiles, started: float
) -> Outcome | None:
    """The transportation problem over ``profiles``; None when its capacities cannot be
    met (the dense path then diagnoses why)."""
    m, n = problem.shape
    checker = RuleChecker(problem, scorer)
    reps_r, reps_c = profiles.row_first, profiles.col_first
    block = scorer.block(reps_r, reps_c)
    allowed = checker.block(reps_r, reps_c, block) == 0
    gain = scaling.to_integer(block["total"])
    lo_m, lo_e = minimum_partners(problem, "mentor"), minimum_partners(problem, "mentee")
    hi_m = np.array([p.max_partners for p in problem.mentors], dtype=np.int64)
    hi_e = np.array([p.max_partners for p in problem.mentees], dtype=np.int64)
    count_r = np.bincount(profiles.row_kind, minlength=profiles.n_rows)
    count_c = np.bincount(profiles.col_kind, minlength=profiles.n_cols)
    sup_lo, sup_hi = lo_m[reps_r] * count_r, hi_m[reps_r] * count_r
    dem_lo, dem_hi = lo_e[reps_c] * count_c, hi_e[reps_c] * count_c
    live = allowed & (sup_hi[:, None] > 0) & (dem_hi[None, :] > 0)
    ps, qs = np.nonzero(live)
    g = gain[ps, qs]
    spec = OBJECTIVES[params.objective]
    lift = 0
    if spec.pairs_first:
        lift = int(gain.max(initial=0)) * min(int(hi_m.sum()), int(hi_e.sum())) + 1
    cost = -(g + lift)
    n_p, n_q = profiles.n_rows, profiles.n_cols
    source, sink = 0, n_p + n_q + 1
    if not check_range(int(np.abs(cost).max(initial=0)) * int(max(sup_hi.sum(), 1)), n_p + n_q + 2):
        raise SolverError("scores too large for the profile flow; lower SolveParams.resolution")
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(1 + ps, 1 + n_p + qs, np.minimum(sup_hi[ps], dem_hi[qs]), cost)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.full(n_p, source), 1 + np.arange(n_p), sup_hi - sup_lo, np.zeros(n_p, dtype=np.int64)
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        1 + n_p + np.arange(n_q), np.full(n_q, sink), dem_hi - dem_lo, np.zeros(n_q, dtype=np.int64)
    )
    total = int(min(sup_hi.sum(), dem_hi.sum()))
    flow.add_arc_with_capacity_and_unit_cost(sink, source, total, 0)
    supply = np.zeros(n_p + n_q + 2, dtype=np.int64)
    supply[source] -= sup_lo.sum()
    supply[1 : 1 + n_p] += sup_lo
    supply[1 + n_p : 1 + n_p + n_q] -= dem_lo
    supply[sink] += dem_lo.sum()
    flow.set_nodes_supplies(np.arange(n_p + n_q + 2), supply)
    t0 = time.perf_counter()
    status = flow.solve()
    if status == flow.INFEASIBLE:
        return None
    if status != flow.OPTIMAL:
        raise SolverError(f"OR-Tools min-cost flow returned status {status}")
    solved = time.perf_counter()
    x = np.asarray(flow.flows(arcs))
    used = np.flatnonzero(x > 0)
    pairs = _deal(profiles, ps[used], qs[used], x[used], lo_m, hi_m, lo_e, hi_e)
    units = int(x.sum())
    objective = int((g[used] * x[used]).sum())
    max_pairs = int(min(hi_m.sum(), hi_e.sum(), m * n))
    certificate: dict[str, Any] = {
        "method": "profiles",
        "backend": "flow",
        "end": "certified",
        "proof": (
            "OR-Tools SimpleMinCostFlow status OPTIMAL on the transportation problem between "
            f"{n_p} mentor and {n_q} mentee profiles; every pair's gain and rule bits equal its "
            "profile pair's, so that optimum is the optimum over all pairs"
        ),
        "certified_over_all_pairs": True,
        "mentor_profiles": n_p,
        "mentee_profiles": n_q,
        "profile_pairs": n_p * n_q,
        "pairs_total": m * n,
        "pairs_cleared_by_bound": 0,
        "pairs_scored_exactly": n_p * n_q,
        "integer_objective": objective,
        **scaling.describe(),
        "max_pairs": max_pairs,
        "rounding_bound": scaling.rounding_bound(max_pairs),
        "pinned_pairs": 0,
    }
    if spec.pairs_first:
        certificate["pairs"] = units
    context = SolveContext(problem, LazyScores(scorer), lazy_candidates(problem, scorer, checker), params, scaling)
    finished = time.perf_counter()
    return Outcome(
        pairs=tuple(sorted(pairs)),
        optimal=True,
        solver="ortools.min_cost_flow[profiles]",
        certificate=build_certificate(spec, "profiles", certificate),
        context=context,
        timings={
            "score": t0 - started,
            "solve": solved - t0,
            "restore": finished - solved,
            "total": finished - started,
        },
    )


def _members(kind: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(kind, kind="stable")
    return order, np.r_[0, np.cumsum(np.bincount(kind, minlength=count))]


def _deal(
    profiles: Profiles,
    ps: np.ndarray,
    qs: np.ndarray,
    x: np.ndarray,
    lo_m: np.ndarray,
    hi_m: np.ndarray,
    lo_e: np.ndarray,
    hi_e: np.ndarray,
) -> list[tuple[int, int, bool]]:
    """Person pairs from profile flows: each profile's units go to its members, lower
    bounds first, then up to capacity; on the side where everyone takes one partner
    each unit is a different person, so no pair repeats."""
    row_members, row_off = _members(profiles.row_kind, profiles.n_rows)
    col_members, col_off = _members(profiles.col_kind, profiles.n_cols)

    def slots(
        members: np.ndarray, off: np.ndarray, lo: np.ndarray, hi: np.ndarray, flows_by_kind: dict[int, int]
    ) -> dict[int, list[int]]:
        """For each profile, a list of person indices, one per unit of flow (lower bounds first)."""
        out: dict[int, list[int]] = {}
        for p, units in flows_by_kind.items():
            people = members[off[p] : off[p + 1]]
            need = lo[people]
            rest = hi[people] - need
            seq = np.r_[np.repeat(people, need), _round_robin(people, rest)][:units]
            if len(seq) < units:
                raise SolverError("profile flow exceeds its members' capacities")
            out[p] = seq.tolist()
        return out

    by_p: dict[int, int] = {}
    by_q: dict[int, int] = {}
    for p, q, u in zip(ps.tolist(), qs.tolist(), x.tolist(), strict=True):
        by_p[p] = by_p.get(p, 0) + u
        by_q[q] = by_q.get(q, 0) + u
    rows = slots(row_members, row_off, lo_m, hi_m, by_p)
    cols = slots(col_members, col_off, lo_e, hi_e, by_q)
    pairs = []
    for p, q, u in zip(ps.tolist(), qs.tolist(), x.tolist(), strict=True):
        take_r, take_c = rows[p][:u], cols[q][:u]
        del rows[p][:u], cols[q][:u]
        pairs += [(int(i), int(j), False) for i, j in zip(take_r, take_c, strict=True)]
    return pairs


def _round_robin(people: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Each person repeated ``rest`` times, interleaved (one each, then a second each, ...),
    so the units of one profile pair go to different people where they can."""
    if not len(people) or int(rest.max(initial=0)) <= 0:
        return np.zeros(0, dtype=np.int64)
    rounds = np.arange(int(rest.max()))
    take = rest[None, :] > rounds[:, None]
    return np.broadcast_to(people, take.shape)[take]
