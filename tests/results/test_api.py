"""The public surface: exports and docstrings, a clean import, immutable results,
JSON output and the explanations of the pilot example."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import subprocess
import sys

import pytest

import pairmatch
from pairmatch import MatchResult, PairmatchError, Rules


@pytest.fixture(scope="module")
def pilot():
    problem = pairmatch.pilot_problem()
    return problem, pairmatch.solve(problem)


# --- exports -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", pairmatch.__all__)
def test_every_exported_name_imports_and_is_documented(name):
    namespace: dict = {}
    exec(f"from pairmatch import {name}", namespace)  # the spelling users write
    obj = namespace[name]
    assert obj is getattr(pairmatch, name)
    if inspect.isclass(obj) or callable(obj):
        doc = inspect.getdoc(obj)
        assert doc, f"{name} has no docstring"
        assert doc.strip(), f"{name} has no docstring"
        if inspect.isclass(obj):
            # A class's own docstring, not one inherited from a base class.
            assert vars(obj).get("__doc__"), f"{name} does not document itself"


def test_all_is_sorted_unique_and_complete():
    assert len(pairmatch.__all__) == len(set(pairmatch.__all__))
    public = {
        n
        for n, v in vars(pairmatch).items()
        if not n.startswith("_") and not inspect.ismodule(v) and n != "annotations"
    }
    assert public - {"PackageNotFoundError", "version"} <= set(pairmatch.__all__)


def test_version_is_a_string():
    assert isinstance(pairmatch.__version__, str)
    assert pairmatch.__version__


def test_import_is_clean_with_warnings_as_errors():
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import pairmatch"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout == ""


def test_importing_does_not_import_optional_dependencies():
    code = "import sys, pairmatch; print(sorted(m for m in ('scipy', 'matplotlib') if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


# --- immutable results -------------------------------------------------------------------------


def test_result_fields_cannot_be_assigned(pilot):
    _, result = pilot
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.objective = 99.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.pairs = ()
    pair = result.pairs[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.score = 1.0
    with pytest.raises(TypeError):
        pair.components["focus"] = 0.0
    with pytest.raises(TypeError):
        pair.contributions["focus"] = 0.0
    with pytest.raises(TypeError):
        result.certificate["proof"] = "trust me"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.unmatched = ()
    assert isinstance(result.pairs, tuple)
    assert isinstance(result.unmatched, tuple)
    assert result.objective == pytest.approx(2.51)


NATIVE = (dict, list, str, int, float, bool, type(None))


def assert_native(value, path="result"):
    # Exact types: numpy scalars subclass float and int but must not leak out.
    assert type(value) in NATIVE, f"{path} is {type(value).__name__}"
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str, f"{path} has key {k!r}"
            assert_native(v, f"{path}.{k}")
    elif isinstance(value, list):
        for k, v in enumerate(value):
            assert_native(v, f"{path}[{k}]")


@pytest.mark.parametrize("objective", ["max_score", "max_participation", "maxmin"])
def test_to_json_round_trips_with_native_types(objective):
    problem = pairmatch.synthetic_problem(9, 7, seed=3, mentor_capacity=2)
    result = pairmatch.solve(problem, pairmatch.SolveParams(objective=objective))
    data = result.to_dict()
    assert_native(data)
    assert json.loads(result.to_json()) == data
    assert json.loads(result.to_json(indent=None, include_runtime=False)) == result.to_dict(include_runtime=False)
    assert "runtime_s" not in result.to_dict(include_runtime=False)
    assert "timings" not in result.to_dict(include_runtime=False)
    assert [(p["mentor_id"], p["mentee_id"]) for p in data["pairs"]] == [
        (p.mentor_id, p.mentee_id) for p in result.pairs
    ]
    # Files and JSON carry scores at a fixed precision, free of float noise.
    assert data["objective"] == round(result.objective, pairmatch.result.SCORE_DECIMALS)
    records = result.to_records()
    assert_native(records)
    assert [r["score"] for r in records] == [round(p.score, 6) for p in result.pairs]
    assert all(len(repr(r["score"])) <= 8 for r in records)
    for attr in ("objective", "runtime_s"):
        assert type(getattr(result, attr)) is float
    for pair in result.pairs:
        assert type(pair.score) is float
        assert all(type(v) is float for v in (*pair.components.values(), *pair.contributions.values()))


def test_summary_lists_every_pair_and_unmatched_person():
    problem = pairmatch.synthetic_problem(8, 11, seed=2)
    result = pairmatch.solve(problem)
    text = result.summary()
    lines = text.splitlines()
    assert lines[0].startswith(f"{result.n_pairs} pairs, objective {result.objective:.4f}, status optimal")
    for pair in result.pairs:
        assert any(line.split()[:3] == [pair.mentor_id, pair.mentee_id, f"{pair.score:.3f}"] for line in lines)
    assert result.unmatched  # 11 mentees for 8 one-partner mentors
    for u in result.unmatched:
        assert f"{u.side} {u.person_id}: {u.reason}" in text
    assert str(result) == text


# --- explanations of the pilot example ---------------------------------------------------------


def test_explain_pair_facts(pilot):
    _, result = pilot
    e = pairmatch.explain_pair(result, "M1", "O1")
    assert e.matched
    assert e.blocked_by == ()
    assert e.score == pytest.approx(0.88)
    assert e.components == {"focus": 1.0, "borough": 0.6, "availability": 1.0}
    assert e.contributions == pytest.approx({"focus": 0.5, "borough": 0.18, "availability": 0.2})
    assert e.facts == {
        "focus": "shared focus: knife crime",
        "borough": "adjacent: Tower Hamlets - Hackney",
        "availability": "common time Tue 19:00-20:00 (60 min a week; a meeting needs 60)",
    }
    e2 = pairmatch.explain_pair(result, "M2", "O2")
    assert e2.facts["focus"].startswith("related focus: domestic abuse ~ violence against women and girls (1 step")
    assert e2.facts["borough"] == "adjacent: Newham - Redbridge"
    assert "90 min a week" in e2.facts["availability"]
    assert pairmatch.explain_pair(result, "M3", "O3").facts["borough"] == "same borough: Brent"


def test_explain_pair_of_an_unmatched_pair(pilot):
    _, result = pilot
    e = pairmatch.explain_pair(result, "M1", "O2")
    assert not e.matched
    assert e.score == pytest.approx(0.185)
    assert e.facts["borough"] == "two boroughs apart: Tower Hamlets - Redbridge"
    assert e.facts["availability"] == "no common weekly time"
    assert e.facts["focus"].startswith("related focus: knife crime ~ violence against women and girls (2 step")
    assert "not matched" in e.text()
    assert (
        pairmatch.explain_pair(result, "M3", "O1")
        .facts["focus"]
        .startswith("related focus: social inequality ~ knife crime (1 step")
    )
    far = pairmatch.Problem(
        mentors=[pairmatch.Mentor(id="A", focus_areas=["online safety"])],
        mentees=[pairmatch.Mentee(id="X", focus_areas=["robbery"])],
    )
    facts = pairmatch.explain_pair(pairmatch.solve(far), "A", "X").facts
    assert facts["focus"].startswith("no related focus areas")


def test_explain_pair_same_bcu_fact():
    problem = pairmatch.Problem(
        mentors=[pairmatch.Mentor(id="A", boroughs=["Bromley"])],
        mentees=[pairmatch.Mentee(id="X", boroughs=["Sutton"])],
    )
    result = pairmatch.solve(problem)
    assert pairmatch.explain_pair(result, "A", "X").facts["borough"] == "same BCU (South Area): Bromley - Sutton"


def test_explain_pair_rejects_unknown_or_swapped_ids(pilot):
    _, result = pilot
    with pytest.raises(KeyError):
        pairmatch.explain_pair(result, "M1", "nobody")
    with pytest.raises(KeyError):
        pairmatch.explain_pair(result, "O1", "M1")


def test_alternatives(pilot):
    _, result = pilot
    alts = pairmatch.alternatives(result, "M1")
    assert [(a.partner_id, a.partner_matched_with) for a in alts] == [("O3", ("M3",)), ("O2", ("M2",))]
    assert [a.score for a in alts] == pytest.approx([0.45, 0.185])
    assert [a.partner_id for a in pairmatch.alternatives(result, "M1", k=1)] == ["O3"]
    # From the mentee side: O1's next best after M1 is M3 (0.45), then M2 (0.2425).
    alts_o1 = pairmatch.alternatives(result, "O1")
    assert [a.partner_id for a in alts_o1] == ["M3", "M2"]
    assert [a.score for a in alts_o1] == pytest.approx([0.45, 0.2425])


def test_why_not(pilot):
    _, result = pilot
    assert pairmatch.why_not(result, "M1", "O1") == "M1 and O1 are paired."
    text = pairmatch.why_not(result, "M1", "O2")
    # Forcing M1-O2 (0.185) leaves M2-O1 (0.2425) + M3-O3 (1.0): 1.4275, a loss of 1.0825.
    for fact in ("would score 0.185", "M1 is paired with O1", "O2 is paired with M2", "1.4275", "1.0825", "2.5100"):
        assert fact in text


def test_why_unmatched():
    problem = pairmatch.pilot_problem()
    problem = problem.model_copy(update={"mentees": problem.mentees[:2]})
    result = pairmatch.solve(problem)
    assert {(p.mentor_id, p.mentee_id) for p in result.pairs} == {("M1", "O1"), ("M2", "O2")}
    assert pairmatch.why_unmatched(result, "M3") == (
        "mentor M3 is unmatched: all 2 candidate mentee(s) are at capacity (best candidate: O1, score 0.450)"
    )
    assert pairmatch.why_unmatched(result, "M1") == "M1 is matched with O1."
    with pytest.raises(KeyError):
        pairmatch.why_unmatched(result, "nobody")


def test_why_unmatched_names_the_rules():
    problem = pairmatch.pilot_problem()
    problem = problem.model_copy(update={"rules": Rules(forbidden_pairs=[("M2", "O1"), ("M2", "O2"), ("M2", "O3")])})
    result = pairmatch.solve(problem)
    text = pairmatch.why_unmatched(result, "M2")
    assert text.startswith("mentor M2 is unmatched: no candidate mentee")
    assert "forbidden pair (3 mentees)" in text


def test_explain_text(pilot):
    _, result = pilot
    text = pairmatch.explain(result)
    assert text.startswith(result.summary())
    for fact in (
        "shared focus: knife crime",
        "adjacent: Tower Hamlets - Hackney",
        "adjacent: Newham - Redbridge",
        "shared focus: social inequality",
        "same borough: Brent",
        "next best for M1: O3 (0.450, paired with M3), O2 (0.185, paired with M2)",
    ):
        assert fact in text
    for label in (
        "Mentor A (Tower Hamlets) (M1)  <->  Officer 1 (Deputy Assistant Commissioner) (O1)",
        "Mentor B (Newham) (M2)  <->  Officer 2 (Commander) (O2)",
        "Mentor C (Brent) (M3)  <->  Officer 3 (Assistant Commissioner) (O3)",
    ):
        assert label in text


def test_explanations_need_a_solved_result():
    bare = MatchResult(
        pairs=(),
        unmatched=(),
        objective=0.0,
        status="optimal",
        objective_name="max_score",
        solver="none",
        runtime_s=0.0,
        certificate={"proof": "empty"},
    )
    with pytest.raises(PairmatchError):
        pairmatch.explain(bare)


def test_explanations_read_the_solver_arrays(pilot):
    problem, result = pilot
    table = pairmatch.score(problem)
    for pair in result.pairs:
        e = pairmatch.explain_pair(result, pair.mentor_id, pair.mentee_id)
        assert e.score == pair.score
        assert e.components == dict(pair.components)
    assert pairmatch.explain_pair(result, "M2", "O1").score == table.total[1, 0]


def test_module_docstrings_present():
    for module in (
        "models",
        "params",
        "availability",
        "taxonomy",
        "geography",
        "scoring",
        "constraints",
        "analysis",
        "result",
        "explanations",
        "checks",
        "generators",
        "solver",
    ):
        mod = importlib.import_module(f"pairmatch.{module}")
        assert mod.__doc__, module
        assert mod.__doc__.strip(), module
