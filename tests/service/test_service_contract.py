"""The contract's documents for the HTTP service, and ``pairmatch match --input`` speaking the contract."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

import pairmatch as pm
from pairmatch.cli.common import add_input_arguments
from pairmatch.cli.service import contract_input, run_contract_match
from pairmatch.contract import (
    CORE_SCHEMAS,
    ERROR_CODES,
    SCHEMA_VERSION,
    ExplainRequest,
    JobStatus,
    MatchRequest,
    RematchRequest,
    breaking_changes,
    diagnose_request,
    diff_request,
    error_response,
    explain_request,
    match,
    rematch_request,
    schemas,
    validate_request,
)

jsonschema = pytest.importorskip("jsonschema")
DOCS = Path(__file__).resolve().parents[2] / "docs"
MAJOR = SCHEMA_VERSION.split(".")[0]
SERVICE_SCHEMAS = [name for name in schemas(service=True) if name not in CORE_SCHEMAS]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def minimal() -> dict:
    return load(DOCS / "examples" / "request-minimal.json")


def test_the_core_schemas_are_unchanged_by_the_service_documents():
    assert list(schemas()) == list(CORE_SCHEMAS)
    assert {k: v for k, v in schemas(service=True).items() if k in CORE_SCHEMAS} == schemas()


@pytest.mark.parametrize("name", SERVICE_SCHEMAS)
def test_committed_service_schemas_are_the_generated_ones_and_compatible(name):
    generated = json.loads(json.dumps(schemas(service=True)[name]))
    assert load(DOCS / "schemas" / f"{name}.json") == generated, (
        f"docs/schemas/{name}.json is out of date: write pairmatch.contract.schemas(service=True) to docs/schemas"
    )
    published = load(DOCS / "schemas" / f"v{MAJOR}" / f"{name}.json")
    assert breaking_changes(published, generated) == []


def test_new_error_codes_only_add_to_the_old_ones():
    published = load(DOCS / "schemas" / f"v{MAJOR}" / "error.json")
    assert {"invalid_request", "infeasible", "unsupported", "internal"} <= set(ERROR_CODES)
    assert breaking_changes(published, json.loads(json.dumps(schemas()["error"]))) == []


def test_explain_requests_name_one_known_pair_or_person():
    for extra, loc in [
        ({}, []),
        ({"pair": ["M1", "O1"], "person": "M1"}, []),
        ({"pair": ["O1", "M1"]}, ["pair"]),
        ({"person": "X9"}, ["person"]),
    ]:
        with pytest.raises(ValidationError) as err:
            ExplainRequest.model_validate({**minimal(), **extra})
        assert [d.loc for d in error_response(err.value).details] == [loc]
    assert ExplainRequest.model_validate({**minimal(), "person": "O2"}).person == "O2"


def test_explaining_a_person_without_a_partner_gives_the_reason_and_alternatives():
    request = minimal()
    request["mentors"].append(
        {"id": "M3", "focus_areas": ["knife crime"], "boroughs": ["Brent"], "availability": ["Tue 19:00-20:00"]}
    )
    response = explain_request({**request, "person": "M3", "alternatives": 2})
    document = json.loads(response.model_dump_json(exclude_none=True))
    jsonschema.validate(document, schemas(service=True)["explain-response"])
    person = response.person
    assert person.partners == []
    assert person.unmatched is not None
    assert person.unmatched.side == "mentor"
    assert person.text.startswith("mentor M3 is unmatched: ")
    assert [a.partner_id for a in person.alternatives] == ["O2"]
    assert person.alternatives[0].partner_matched_with == ["M1"]
    # The same facts as the library's own explanation of the same solve.
    result = pm.solve(MatchRequest.model_validate(request).to_problem())
    assert person.text == pm.why_unmatched(result, "M3")


def test_diagnose_and_validate_answer_without_solving():
    request = minimal()
    request["rules"] = {"required_pairs": [["M1", "O1"], ["M1", "O2"]]}
    diagnosis = diagnose_request(request)
    assert not diagnosis.feasible
    assert diagnosis.reasons[0]["rule"] == "pinned_over_capacity"
    with pytest.raises(pm.InfeasibleProblemError) as err:
        match(request)
    assert error_response(err.value).reasons == diagnosis.reasons
    checked = validate_request(json.dumps(minimal()))
    assert (checked.mentors, checked.mentees, checked.valid) == (2, 2, True)


def test_stages_are_reported_in_order():
    seen = []
    match(minimal(), on_stage=seen.append)
    assert seen == ["validating", "solving", "explaining"]


def test_every_unknown_name_is_reported_at_its_place_in_the_request():
    request = minimal()
    request["mentors"][0]["focus_areas"] = ["knife crime", "knive crime"]
    request["mentees"][1]["boroughs"] = ["Hackney", "Gotham"]
    request["mentees"][0]["id"] = "M2"
    request["rules"] = {"forbidden_pairs": [["M9", "O2"]]}
    with pytest.raises(ValidationError) as err:
        match(request)
    details = {tuple(d.loc): d for d in error_response(err.value).details}
    assert set(details) == {
        ("mentors", 0, "focus_areas", 1),
        ("mentees", 1, "boroughs", 1),
        ("mentees", 0, "id"),
        ("rules", "forbidden_pairs", 0, 0),
    }
    assert (
        details[("mentors", 0, "focus_areas", 1)].message
        == "unknown focus area 'knive crime' - did you mean 'knife crime'?"
    )
    assert details[("mentees", 0, "id")].type == "duplicate_id"


def test_a_job_status_document_validates():
    status = JobStatus(
        id="abc",
        kind="match",
        state="running",
        stage="solving",
        progress=0.2,
        submitted_at="2024-01-01T00:00:00+00:00",
        attempts=1,
        links={"self": "/v1/jobs/abc"},
    )
    jsonschema.validate(json.loads(status.model_dump_json(exclude_none=True)), schemas(service=True)["job"])
    with pytest.raises(ValidationError):
        JobStatus(id="abc", kind="match", state="paused", stage="x", progress=0, submitted_at="")


# --- pairmatch match --input ---------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """A match command as the coordinator commands build it, with the contract path added."""
    root = argparse.ArgumentParser(prog="pairmatch")
    sub = root.add_subparsers(dest="command")
    command = sub.add_parser("match")
    command.add_argument("mentors", nargs="?")
    command.add_argument("mentees", nargs="?")
    command.add_argument("--format", choices=("text", "json"), default="text")
    command.set_defaults(run=lambda args: "spreadsheets")
    contract_input(command)
    return root


def run(argv: list[str]) -> tuple[int | str, object]:
    args = parser().parse_args(argv)
    return args.run(args), args


def test_match_input_prints_the_contract_response(tmp_path, capsys):
    path = DOCS / "examples" / "request-minimal.json"
    code, _ = run(["match", "--input", str(path), "--format", "json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == load(DOCS / "examples" / "response-minimal.json")
    code, _ = run(["match", "--input", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("2 pairs, objective 1.51, status optimal")
    assert "M1 - O2  0.880" in out
    assert run(["match", "a.csv", "b.csv"])[0] == "spreadsheets"  # the spreadsheet path is untouched


def test_match_input_errors_are_contract_documents_with_exit_codes(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.json"
    request = minimal()
    request["weights"]["focus"] = -1
    bad.write_text(json.dumps(request), encoding="utf-8")
    code, _ = run(["match", "--input", str(bad), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    assert json.loads(captured.out)["details"][0]["loc"] == ["weights", "focus"]
    assert "weights.focus: Input should be greater than or equal to 0" in captured.err
    request = minimal()
    request["rules"] = {"required_pairs": [["M1", "O1"], ["M1", "O2"]]}
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(json.dumps(request).encode())))
    code, _ = run(["match", "--input", "-", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["error"] == "infeasible"
    assert "standard input" in captured.err


def test_contract_input_adds_only_the_option(capsys):
    command = argparse.ArgumentParser()
    add_input_arguments(command)
    assert "--input" not in command.format_help()
    args = argparse.Namespace(input=str(DOCS / "examples" / "request-minimal.json"), format="json", output=["x.csv"])
    with pytest.raises(pm.PairmatchError, match="standard output"):
        run_contract_match(args)


# --- re-match and diff ---------------------------------------------------------------------------------------


def programme() -> dict:
    """A small running programme: the request it was matched from and its current pairs."""
    request = MatchRequest.from_problem(pm.synthetic_problem(8, seed=2), vocabularies=False)
    data = request.model_dump(mode="json", exclude_defaults=True)
    data["current"] = [[p.mentor_id, p.mentee_id] for p in match(request).pairs]
    return data


def test_rematch_request_answers_as_the_library_does():
    from pairmatch.rematching import Changes, rematch

    data = programme()
    leaver, (ended_m, ended_e) = data["current"][0][0], data["current"][1]
    joiner = {"id": "NEW1", "focus_areas": ["knife crime"], "boroughs": ["Newham"], "availability": ["Mon 18:00-20:00"]}
    request = {**data, "leave": [leaver], "ended": [[ended_m, ended_e]], "join_mentors": [joiner], "move_penalty": 0.05}
    response = rematch_request(request)
    jsonschema.validate(
        json.loads(response.model_dump_json(exclude_none=True)), schemas(service=True)["rematch-response"]
    )
    problem = MatchRequest.model_validate({k: v for k, v in data.items() if k != "current"}).to_problem()
    expected = rematch(
        problem,
        [tuple(p) for p in data["current"]],
        Changes(leave=[leaver], ended=[(ended_m, ended_e)], join=[pm.Mentor(**joiner)]),
        move_penalty=0.05,
    )
    assert [c.model_dump() for c in response.changes] == [c.to_dict() for c in expected.changes]
    assert response.score == pytest.approx(expected.score)
    assert response.move_penalty == 0.05
    assert {c.change for c in response.changes} >= {"left", "ended"}
    assert [(p.mentor_id, p.mentee_id) for p in response.match.pairs] == [
        (p.mentor_id, p.mentee_id) for p in expected.result.pairs
    ]
    kept = rematch_request({**data, "leave": [leaver]})  # no move_penalty: every working pair is kept
    assert kept.move_penalty is None
    assert kept.moved == 0
    assert kept.counts["left"] == 1


def test_rematch_request_names_each_wrong_id_or_pair():
    data = programme()
    request = {
        **data,
        "current": [*data["current"], ["NOBODY", data["current"][0][1]]],
        "leave": ["GHOST"],
        "ended": [["Y00000", "P99999"]],
        "locked": [data["current"][0]],
        "move_penalty": -1,
    }
    with pytest.raises(ValidationError) as err:
        RematchRequest.model_validate(request)
    assert [d.loc for d in error_response(err.value).details] == [["move_penalty"]]
    request.pop("move_penalty")
    request["leave"] = ["GHOST", data["current"][0][0]]
    with pytest.raises(ValidationError) as err:
        rematch_request(request)
    locs = [d.loc for d in error_response(err.value).details]
    assert locs == [["current", len(data["current"]), 0], ["leave", 0], ["ended", 0], ["locked", 0]]


def test_diff_request_compares_two_solved_requests_as_the_library_does():
    from pairmatch.diffs import diff

    before = MatchRequest.from_problem(pm.synthetic_problem(10, seed=3), vocabularies=False)
    after = before.model_copy(update={"weights": pm.Weights(focus=0.1, borough=0.8, availability=0.1)})
    response = diff_request({"before": before.model_dump(mode="json"), "after": after.model_dump(mode="json")})
    jsonschema.validate(json.loads(response.model_dump_json()), schemas(service=True)["diff-response"])
    expected = diff(pm.solve(before.to_problem()), pm.solve(after.to_problem())).to_dict()
    assert response.added
    assert response.model_dump() == {
        **{k: v for k, v in expected.items() if k not in ("before", "after")},
        "schema_version": "1.0",
    }
    with pytest.raises(ValidationError) as err:
        diff_request({"before": before.model_dump(mode="json"), "after": {"mentors": []}})
    assert ["after", "mentees"] in [d.loc for d in error_response(err.value).details]


def test_respond_request_follows_the_consent_rules():
    from pairmatch.consent import ConsentError
    from pairmatch.contract import respond_request

    proposal = {"mentor_id": "M1", "mentee_id": "O1", "proposed_at": "2026-03-01T09:00:00+00:00"}
    declined = respond_request({"proposal": proposal, "accept": False, "by": "M1", "reason": "another focus"})
    assert declined.state == "declined"
    assert declined.waiting_for == []
    assert [(e.kind, e.by, e.reason) for e in declined.events] == [("declined", "M1", "another focus")]
    both = respond_request({"proposal": proposal, "accept": True, "at": "2026-03-02T08:00:00+01:00"})
    assert both.state == "active"
    assert both.mentor_accepted_at == both.mentee_accepted_at == "2026-03-02T08:00:00+01:00"
    with pytest.raises(ConsentError, match="neither"):
        respond_request({"proposal": proposal, "accept": True, "by": "O2"})
    with pytest.raises(ValueError, match="timezone"):
        respond_request({"proposal": {**proposal, "proposed_at": "2026-03-01T09:00:00"}, "accept": True})


def test_rematch_request_frees_the_people_of_a_declined_proposal():
    problem = pm.synthetic_problem(6, 8, seed=5)
    request = MatchRequest.from_problem(problem).model_dump(mode="json")
    current = [[p.mentor_id, p.mentee_id] for p in pm.solve(problem).pairs]
    response = rematch_request({**request, "current": current, "declined": [current[0]]})
    kinds = {(c.mentor_id, c.mentee_id): c.change for c in response.changes}
    assert kinds[tuple(current[0])] == "declined"
    assert tuple(current[0]) not in {(p.mentor_id, p.mentee_id) for p in response.match.pairs}
    assert response.counts["declined"] == 1
    again = rematch_request({**request, "current": current, "declined": [current[0]], "repropose_declined": True})
    assert again.counts["declined"] == 1
