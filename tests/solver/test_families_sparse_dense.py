"""Every benchmark family, small: the sparse and the dense method find the same optimum, and both verify.

The families (`benchmarks/registry.py`) are the programmes the benchmarks time at 10,000 a
side: rules that leave people unmatched, unbalanced sides, lower bounds, pins, ties and hot
spots, re-matches (their solved problem, continuity bonus or pins included), quotas, the
stable objective. Here each is built at about a hundred people a side and solved both ways;
a family the sparse method cannot take must say why in its certificate.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pytest
from ortools.graph.python import min_cost_flow

import pairmatch as pm
from pairmatch.checks import violations

from support.benchmarks import registry
from support.scaling import solver_scaling

REGISTRY = registry()
FAMILIES = REGISTRY.FAMILIES
N = 150
# The quotas family at 300 mentees has 30,000 arcs: above `cpsat_reduce_above`, so its
# default path is the LP-reduced CP-SAT model, not the full one.
SIZES = {"quotas": 300}
# Families whose rules leave some people without a partner.
UNMATCHED = ("rules", "rules_mixed", "eligibility")


@functools.cache
def case(name: str):
    return FAMILIES[name].build(SIZES.get(name, N), REGISTRY.SEED)


def solved(problem: pm.Problem, **params) -> pm.MatchResult:
    """``solve`` under ``params``, checked by the public verifier and proved optimal."""
    result = pm.solve(problem, pm.SolveParams(**params))
    assert violations(result, problem) == []
    assert result.status == "optimal"
    return result


def test_the_registry_holds_the_families_this_file_names():
    assert set(UNMATCHED) | set(SIZES) <= set(FAMILIES)
    assert any(case(name).problem.rules.quotas for name in FAMILIES)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_sparse_and_dense_find_the_same_optimum_on_every_family(name):
    problem = case(name).problem
    dense = solved(problem, method="dense")
    sparse = solved(problem, method="sparse")
    assert dense.certificate["method"] == "dense"
    assert sparse.certificate["integer_objective"] == dense.certificate["integer_objective"]
    assert sparse.objective == pytest.approx(dense.objective, rel=1e-9)
    if problem.rules.quotas:
        # Quotas need CP-SAT: the sparse request and auto both run the dense path and say why.
        for result in (sparse, solved(problem)):
            assert result.certificate["method"] == "dense"
            assert result.certificate["method_reason"] == "quotas needs the dense path"
            assert result.certificate["backend"] == "cpsat"
    else:
        assert sparse.certificate["method"] == "sparse"
        assert "switched_from" not in sparse.certificate
    if name in UNMATCHED:
        assert dense.n_pairs < min(problem.shape)
        assert sparse.n_pairs < min(problem.shape)
        assert sparse.unmatched


def test_the_stable_family_gives_the_same_stable_matching_whatever_method_is_asked():
    """The stable objective runs deferred acceptance, whatever ``method`` says; the
    certificate names that path. One score matrix for both sides: one stable matching."""
    problem = case("stable_store").problem
    params = case("stable_store").params.model_dump()
    results = [solved(problem, **{**params, "method": method}) for method in ("sparse", "dense", "auto")]
    assert {r.certificate["method"] for r in results} == {"stable"}
    assert all(r.certificate["blocking_pairs"] == 0 for r in results)
    assert len({tuple((p.mentor_id, p.mentee_id) for p in r.pairs) for r in results}) == 1
    assert len({r.certificate["integer_objective"] for r in results}) == 1


def _quota_optimum_by_flows(problem: pm.Problem) -> int:
    """The quotas family's optimum without CP-SAT: one share quota on the mentees' groups makes
    every group's cap ``floor(share * K)`` once the number of pairs ``K`` is fixed, and then the
    best matching of exactly ``K`` pairs is a min-cost flow. The optimum is the best over ``K``."""
    (quota,) = problem.rules.quotas
    assert (quota.side, quota.value, quota.min_pairs, quota.max_pairs) == ("mentee", None, 0, None)
    assert quota.share is not None
    share: Fraction = quota.share
    gain = solver_scaling(problem).to_integer(pm.score(problem).total).astype(np.int64)
    m, n = gain.shape
    groups = sorted({str(p.attributes[quota.key]) for p in problem.mentees})
    group_of = np.array([groups.index(str(p.attributes[quota.key])) for p in problem.mentees])
    source, mentor0, mentee0, group0 = 0, 1, 1 + m, 1 + m + n
    sink = group0 + len(groups)
    rows, cols = np.divmod(np.arange(m * n), n)
    tails = np.concatenate(
        [np.full(m, source), mentor0 + rows, mentee0 + np.arange(n), group0 + np.arange(len(groups))]
    )
    heads = np.concatenate([mentor0 + np.arange(m), mentee0 + cols, group0 + group_of, np.full(len(groups), sink)])
    places = np.array([p.max_partners for p in problem.mentors])
    best = 0
    for k in range(1, int(min(places.sum(), n)) + 1):
        cap = int(share * k)  # floor: a group may hold at most share x K of the K pairs
        flow = min_cost_flow.SimpleMinCostFlow()
        caps = np.concatenate([places, np.ones(m * n + n, dtype=np.int64), np.full(len(groups), cap)])
        costs = np.concatenate([np.zeros(m, dtype=np.int64), -gain.ravel(), np.zeros(n + len(groups), dtype=np.int64)])
        flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
        flow.set_nodes_supplies(np.array([source, sink]), np.array([k, -k]))
        if flow.solve() == flow.OPTIMAL:
            best = max(best, -flow.optimal_cost())
    return best


def test_the_quotas_family_optimum_equals_the_best_flow_over_the_number_of_pairs():
    problem = case("quotas").problem
    result = solved(problem)
    assert result.n_pairs < len(problem.mentees)  # the share binds: some mentees stay unmatched
    assert result.certificate["integer_objective"] == _quota_optimum_by_flows(problem)
