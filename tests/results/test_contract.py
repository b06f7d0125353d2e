"""The JSON contract: examples validate, plain JSON round-trips, and breaking changes are refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

import pairmatch as pm
from pairmatch.contract import (
    SCHEMA_VERSION,
    ErrorResponse,
    MatchRequest,
    MatchResponse,
    breaking_changes,
    error_response,
    match,
    schemas,
)

jsonschema = pytest.importorskip("jsonschema")
DOCS = Path(__file__).resolve().parents[2] / "docs"
MAJOR = SCHEMA_VERSION.split(".")[0]
EXAMPLES = sorted((DOCS / "examples").glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_committed_schemas_are_the_generated_ones():
    for name, schema in schemas().items():
        committed = load(DOCS / "schemas" / f"{name}.json")
        assert committed == json.loads(json.dumps(schema)), (
            f"docs/schemas/{name}.json is out of date: run python docs/scripts/write_schemas.py"
        )


@pytest.mark.parametrize("name", ["match-request", "match-response", "error"])
def test_schemas_stay_compatible_with_the_published_major_version(name):
    published = load(DOCS / "schemas" / f"v{MAJOR}" / f"{name}.json")
    assert breaking_changes(published, json.loads(json.dumps(schemas()[name]))) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_validates_against_its_schema(path):
    kind = "match-request" if path.name.startswith("request-") else "match-response"
    jsonschema.validate(load(path), schemas()[kind])


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.name.startswith("request-")], ids=lambda p: p.name)
def test_every_example_request_gives_its_example_response(path):
    response = match(path.read_text(encoding="utf-8"))
    expected = load(path.with_name(path.name.replace("request-", "response-")))
    assert response.model_dump(mode="json", exclude_none=True) == expected


def test_a_plain_json_request_built_without_pairmatch_round_trips():
    # What another system would send: built from dicts and json, no pairmatch types.
    request = {
        "schema_version": SCHEMA_VERSION,
        "mentors": [
            {"id": f"M{k}", "focus_areas": ["knife crime"], "boroughs": ["Newham"], "availability": ["Mon 18:00-20:00"]}
            for k in range(3)
        ],
        "mentees": [
            {
                "id": f"O{k}",
                "focus_areas": ["knife crime", "youth engagement"][k % 2 :],
                "boroughs": ["Hackney"],
                "availability": ["Mon 19:00-21:00"],
            }
            for k in range(2)
        ],
        "scores": [{"name": "survey", "weight": 0.5, "matrix": [[0.1, 0.9], [0.8, 0.2], [0.4, 0.4]]}],
        "rules": {"forbidden_pairs": [["M2", "O0"]]},
    }
    text = json.dumps(request)
    jsonschema.validate(json.loads(text), schemas()["match-request"])
    response = json.loads(match(text).model_dump_json())
    jsonschema.validate(response, schemas()["match-response"])
    assert [(p["mentor_id"], p["mentee_id"]) for p in response["pairs"]] == [("M0", "O1"), ("M1", "O0")]
    assert response["pairs"][0]["components"]["survey"] == 0.9
    assert response["pairs"][0]["facts"]["survey"] == "survey 0.9 (weight 0.5)"
    # The same request through the Python API gives the same matching.
    problem = MatchRequest.model_validate(request).to_problem()
    assert [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs] == [("M0", "O1"), ("M1", "O0")]


def test_a_problem_round_trips_through_a_request():
    problem = pm.pilot_problem()
    request = MatchRequest.from_problem(problem, pm.SolveParams(seed=3))
    again = MatchRequest.model_validate_json(request.model_dump_json())
    back = again.to_problem()
    assert back.mentors == problem.mentors
    assert back.mentees == problem.mentees
    assert back.rules == problem.rules
    assert back.geography.to_dict() == problem.geography.to_dict()
    assert back.taxonomy.to_dict() == problem.taxonomy.to_dict()
    assert pm.solve(back, again.params).pairs == pm.solve(problem, pm.SolveParams(seed=3)).pairs


def test_a_python_score_function_cannot_be_sent_as_json():
    problem = pm.Problem(
        mentors=[pm.Mentor(id="a")],
        mentees=[pm.Mentee(id="x")],
        scores=(pm.CustomScore(name="fit", function=lambda a, b: [[1.0]]),),
    )
    with pytest.raises(pm.PairmatchError, match="is a Python function"):
        MatchRequest.from_problem(problem)


def test_errors_are_documents_that_name_the_field_and_never_leak_internals():
    request = load(DOCS / "examples" / "request-minimal.json")
    request["mentors"][0]["availability"] = ["Mon 25:00-26:00"]
    request["weights"]["focus"] = -1
    with pytest.raises(ValidationError) as err:
        match(request)
    document = error_response(err.value)
    assert document.error == "invalid_request"
    locs = [d.loc for d in document.details]
    assert ["mentors", 0, "availability"] in locs
    assert ["weights", "focus"] in locs
    jsonschema.validate(json.loads(document.model_dump_json()), schemas()["error"])
    internal = error_response(RuntimeError("/secret/path/file.py line 3"))
    assert internal.error == "internal"
    assert "/secret" not in internal.model_dump_json()


def test_infeasible_requests_get_the_reasons():
    request = load(DOCS / "examples" / "request-minimal.json")
    request["rules"] = {"required_pairs": [["M1", "O1"], ["M1", "O2"]]}
    with pytest.raises(pm.InfeasibleProblemError) as err:
        match(request)
    document = error_response(err.value)
    assert document.error == "infeasible"
    assert document.reasons[0]["rule"] == "pinned_over_capacity"


def test_unsupported_major_version_is_refused():
    request = load(DOCS / "examples" / "request-minimal.json")
    request["schema_version"] = "2.0"
    with pytest.raises(Exception, match=r"schema_version '2\.0' is not supported"):
        MatchRequest.model_validate(request)


# --- the compatibility check itself ---------------------------------------------------------------


def request_schema() -> dict:
    return json.loads(json.dumps(schemas()["match-request"]))


def test_compatible_additions_pass():
    new = request_schema()
    new["properties"]["note"] = {"type": "string", "default": ""}
    assert breaking_changes(request_schema(), new) == []


def test_a_removed_field_is_breaking():
    new = request_schema()
    del new["properties"]["rules"]
    assert breaking_changes(request_schema(), new) == ["#: property 'rules' removed"]


def test_a_retyped_field_is_breaking():
    new = request_schema()
    new["$defs"]["Weights"]["properties"]["focus"] = {"type": "string"}
    assert breaking_changes(request_schema(), new) == ["$defs/Weights: property 'focus' changed type"]


def test_a_newly_required_field_is_breaking():
    new = request_schema()
    new["required"] = [*new.get("required", []), "weights"]
    assert breaking_changes(request_schema(), new) == ["#: property 'weights' is now required"]


def test_a_removed_allowed_value_is_breaking():
    old = request_schema()
    new = copy.deepcopy(old)
    objective = new["$defs"]["SolveParams"]["properties"]["objective"]
    objective["enum"] = [v for v in objective["enum"] if v != "maxmin"]
    assert breaking_changes(old, new) == ["$defs/SolveParams: property 'objective' no longer accepts ['\"maxmin\"']"]


def test_a_removed_model_is_breaking():
    new = request_schema()
    del new["$defs"]["Quota"]
    assert "$defs/Quota: removed" in breaking_changes(request_schema(), new)


def test_response_and_error_models_are_the_documented_ones():
    assert set(schemas()) == {"match-request", "match-response", "error"}
    assert MatchResponse.model_json_schema()["title"] == "pairmatch match response"
    assert ErrorResponse.model_json_schema()["title"] == "pairmatch error"


def test_requests_refuse_hidden_characters_and_compare_ids_in_one_unicode_form():
    from pairmatch.contract import ExplainRequest, RematchRequest

    people = {"mentors": [{"id": "Jos\u00e9"}], "mentees": [{"id": "O1"}, {"id": "O2"}]}
    with pytest.raises(ValidationError) as info:
        MatchRequest.model_validate({**people, "mentors": [{"id": "M1\u200b"}]})
    assert [e["loc"] for e in info.value.errors()] == [("mentors", 0, "id")]
    assert "U+200B ZERO WIDTH SPACE" in str(info.value)
    for bad in ({"name": "cohort\u200f"}, {"rules": {"forbidden_pairs": [["Jos\u00e9", "O1\u2060"]]}}):
        with pytest.raises(ValidationError, match="invisible characters"):
            MatchRequest.model_validate({**people, **bad})
    request = ExplainRequest.model_validate({**people, "person": "Jose\u0301"})
    assert request.person == "Jos\u00e9"
    rematch = RematchRequest.model_validate({**people, "current": [["Jose\u0301", "O1"]], "leave": ["Jose\u0301"]})
    assert rematch.to_changes().leave == ("Jos\u00e9",)
    with pytest.raises(ValidationError, match="ZERO WIDTH SPACE"):
        RematchRequest.model_validate({**people, "current": [["Jos\u00e9", "O1"]], "leave": ["O1\u200b"]})
