"""The place a person wrote stays beside its borough: "Stratford (Newham)" in explanations and reports."""

from __future__ import annotations

import json

import pairmatch as pm
from pairmatch import Mentee, Mentor, Problem
from pairmatch.contract import MatchRequest
from pairmatch.io import load_problem
from pairmatch.report import report_bytes

HEADER = "id,focus_areas,boroughs,availability"


def stratford_problem() -> Problem:
    return Problem(
        mentors=[
            Mentor(id="M1", focus_areas=["knife crime"], boroughs=["Stratford"]),
            Mentor(id="M2", focus_areas=["knife crime"], boroughs=["Vauxhall"]),
        ],
        mentees=[
            Mentee(id="E1", focus_areas=["knife crime"], boroughs=["Newham"]),
            Mentee(id="E2", focus_areas=["knife crime"], boroughs=["Pimlico"]),
        ],
    )


def test_the_written_place_is_kept_beside_the_borough():
    problem = stratford_problem()
    m1 = problem.person("M1")
    assert m1.boroughs == ("Newham",)
    assert m1.places_as_written == ("Stratford",)
    assert m1.place_label("Newham") == "Stratford (Newham)"
    # A canonical spelling keeps nothing extra: the common case costs nothing.
    assert problem.person("E1").places_as_written == ()


def test_explanations_say_where_the_input_put_them():
    problem = stratford_problem()
    result = pm.solve(problem)
    facts = {(p.mentor_id, p.mentee_id): pm.explain_pair(result, p.mentor_id, p.mentee_id).facts for p in result.pairs}
    assert facts["M1", "E1"]["borough"] == "same borough: Stratford (Newham) - Newham"
    assert facts["M2", "E2"]["borough"] == (
        "across the river (Westminster Bridge, Lambeth Bridge, Vauxhall Bridge, Waterloo Bridge and "
        "Hungerford Bridge): Vauxhall (Lambeth) - Pimlico (Westminster)"
    )


def test_the_report_says_stratford_newham():
    result = pm.solve(stratford_problem())
    for fmt in ("html", "md"):
        assert "Stratford (Newham)" in report_bytes(result, fmt).decode()


def test_a_file_keeps_the_spelling_through_to_the_explanation(tmp_path):
    mentors = tmp_path / "m.csv"
    mentors.write_text(f"{HEADER}\nM1,knife crime,Stratford; Forest Gate,Mon 18-20\n", encoding="utf-8")
    mentees = tmp_path / "e.csv"
    mentees.write_text(f"{HEADER}\nE1,knife crime,Newham,Mon 18-20\n", encoding="utf-8")
    problem, _ = load_problem(mentors, mentees)
    assert problem.mentors[0].boroughs == ("Newham",)
    assert problem.mentors[0].places_as_written == ("Stratford",)
    result = pm.solve(problem)
    assert pm.explain_pair(result, "M1", "E1").facts["borough"] == "same borough: Stratford (Newham) - Newham"


def test_the_json_contract_round_trips_the_spelling():
    problem = stratford_problem()
    request = MatchRequest.from_problem(problem, vocabularies=False)
    again = MatchRequest.model_validate(json.loads(request.model_dump_json())).to_problem()
    assert again.person("M1").boroughs == ("Newham",)
    assert again.person("M1").places_as_written == ("Stratford",)
