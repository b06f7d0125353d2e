"""Certificates carry the fields docs/certificates.md lists, for every objective and path.

The two field tables of that page are read here: every model `certificate_model` builds
requires exactly the fields the tables list for its objective and family, and a solve
through every path of every objective returns a certificate holding them.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import pairmatch as pm
from pairmatch.certificates import FAMILIES, Certificate, certificate_model
from pairmatch.objectives import OBJECTIVES

DOC = Path(__file__).resolve().parents[2] / "docs" / "certificates.md"


def tables() -> list[list[list[str]]]:
    """The markdown tables of the page after the heading on certificate fields (rows of cells, header dropped)."""
    text = DOC.read_text(encoding="utf-8").split("## What each certificate field means", 1)[1]
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif current:
            found.append([row for row in current[1:] if not set("".join(row)) <= set("-: ")])
            current = []
    return found


def names(cell: str) -> set[str]:
    return set(re.findall(r"`([a-z0-9_]+)`", cell))


ALWAYS, BY_KIND, WHEN = tables()[:3]
ALWAYS_FIELDS = set().union(*(names(row[0]) for row in ALWAYS))
OPTIONAL_FIELDS = set().union(*(names(row[0]) for row in WHEN))


def expected(objective: str, family: str) -> set[str]:
    """The fields the page promises for ``objective`` solved by ``family``."""
    out = set(ALWAYS_FIELDS)
    for row in BY_KIND:
        if names(row[1]) & {objective, family}:
            out |= names(row[0])
    return out


COMBINATIONS = [(spec.name, family) for spec in OBJECTIVES.values() for family in spec.families]


def test_the_page_has_its_three_tables():
    assert {"proof", "integer_objective", "rounding_bound"} <= ALWAYS_FIELDS
    assert {"method_requested", "lp_dual_bound"} <= OPTIONAL_FIELDS
    kinds = set().union(*(names(row[1]) for row in BY_KIND))
    assert kinds <= set(OBJECTIVES) | set(FAMILIES), "a 'present for' cell names an unknown objective or family"


@pytest.mark.parametrize(("objective", "family"), COMBINATIONS)
def test_each_model_requires_exactly_the_documented_fields(objective, family):
    model = certificate_model(OBJECTIVES[objective].certificate, family)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    optional = set(model.model_fields) - required
    assert required == expected(objective, family)
    assert optional <= OPTIONAL_FIELDS, f"undocumented optional fields {sorted(optional - OPTIONAL_FIELDS)}"


def test_every_documented_field_is_declared_by_some_model():
    declared = set().union(
        *(certificate_model(OBJECTIVES[o].certificate, f).model_fields for o, f in COMBINATIONS)  # type: ignore[arg-type]
    )
    documented = ALWAYS_FIELDS | OPTIONAL_FIELDS | set().union(*(names(row[0]) for row in BY_KIND))
    assert documented == declared


def test_a_certificate_missing_a_field_cannot_be_built():
    model = certificate_model(OBJECTIVES["maxmin"].certificate, "cpsat")
    with pytest.raises(ValidationError, match="next_level_fails"):
        model.model_validate({field: 0 for field in expected("maxmin", "cpsat") - {"next_level_fails"}})


def quota_problem(n: int = 24, seed: int = 2) -> pm.Problem:
    problem = pm.synthetic_problem(n, seed=seed)
    return problem.model_copy(update={"rules": pm.Rules(quotas=[pm.Quota(side="mentor", key="bcu", max_share=0.25)])})


def solve_through(objective: str, family: str) -> pm.MatchResult:
    """Solve a small problem so that ``family`` produces the answer."""
    problem = pm.synthetic_problem(30, 26, seed=4)
    settings = {
        "dense": {"method": "dense"},
        "cpsat": {"backend": "cpsat"},
        "sparse": {"method": "sparse"},
        "profiles": {"method": "profiles"},
        "stable": {},
    }[family]
    result = pm.solve(problem, pm.SolveParams(objective=objective, **settings))
    assert isinstance(result.certificate, Certificate)
    assert result.certificate["method"] == {"cpsat": "dense"}.get(family, family)
    return result


@pytest.mark.parametrize(("objective", "family"), COMBINATIONS)
def test_every_path_returns_the_documented_fields(objective, family):
    result = solve_through(objective, family)
    cert = result.certificate
    assert expected(objective, family) <= set(cert)
    assert set(cert) <= expected(objective, family) | OPTIONAL_FIELDS
    assert pm.is_feasible(result, result.context.problem)
    assert result.to_dict()["certificate"] == cert.to_dict()


@pytest.mark.parametrize("objective", ["max_score", "max_participation", "maxmin"])
def test_cpsat_with_quotas_and_a_reduced_model_returns_the_documented_fields(objective):
    problem = quota_problem()
    result = pm.solve(problem, pm.SolveParams(objective=objective, cpsat_reduce_above=0))
    assert expected(objective, "cpsat") <= set(result.certificate)
    assert pm.is_feasible(result, problem)


@pytest.mark.parametrize("seed", range(6))
def test_cpsat_maxmin_proves_the_same_levels_as_the_flow_bisection(seed):
    problem = pm.synthetic_problem(12, 10, seed=seed, rules=pm.Rules(min_overlap_minutes=60))
    flow = pm.solve(problem, pm.SolveParams(objective="maxmin"))
    cpsat = pm.solve(problem, pm.SolveParams(objective="maxmin", backend="cpsat"))
    keys = ("pairs", "bottleneck_integer", "next_level_fails", "integer_objective")
    assert {k: cpsat.certificate[k] for k in keys} == {k: flow.certificate[k] for k in keys}
    gains = cpsat.context.scaling.to_integer(np.array([p.score for p in cpsat.pairs]))
    assert len(gains)
    assert int(gains.min()) == cpsat.certificate["bottleneck_integer"]


def test_maxmin_with_nobody_to_match_has_no_bottleneck():
    problem = pm.Problem.from_matrix([[0.5]], ["M1"], ["O1"], rules=pm.Rules(forbidden_pairs=[("M1", "O1")]))
    for backend in ("flow", "cpsat"):
        cert = pm.solve(problem, pm.SolveParams(objective="maxmin", backend=backend)).certificate
        assert (cert["pairs"], cert["bottleneck_integer"], cert["next_level_fails"]) == (0, None, None)


def test_notes_keep_the_certificate_typed():
    result = pm.solve(pm.pilot_problem())
    assert type(result.certificate).__name__ == "ScoreDenseCertificate"
    assert result.certificate["method_requested"] == "auto"
    assert "method_reason" in result.certificate
    assert "switched_from" not in result.certificate
    assert result.certificate.get("switched_from") is None


@pytest.mark.parametrize("method", ["auto", "sparse", "profiles"])
def test_the_stable_objective_says_it_takes_the_dense_path(method):
    """The stable objective scores every pair; asking for another method is answered, not ignored."""
    result = pm.solve(pm.pilot_problem(), pm.SolveParams(objective="stable", method=method))
    assert result.certificate["method"] == "stable"
    assert result.certificate["method_requested"] == method
    assert "scores every pair" in result.certificate["method_reason"]
    dense = pm.solve(pm.pilot_problem(), pm.SolveParams(objective="stable", method="dense")).certificate
    assert dense.get("method_requested") is None


@pytest.mark.parametrize(("objective", "family"), [("max_score", "sparse"), ("maxmin", "cpsat"), ("stable", "stable")])
def test_a_certificate_survives_pickling(objective, family):
    cert = solve_through(objective, family).certificate
    copy = pickle.loads(pickle.dumps(cert))
    assert type(copy) is type(cert)
    assert copy == cert
