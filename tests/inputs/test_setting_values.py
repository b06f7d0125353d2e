"""No setting value may match nothing: quota groups and rule attributes are checked against the problem."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

import pairmatch as pm
from pairmatch import Mentee, Mentor, Problem, Quota, Rules
from pairmatch.io import InputFileError, load_problem

NORTH = ["Enfield", "Haringey", "Tottenham", "Edmonton"]  # North Area boroughs and towns


def problem(quotas=(), **rules) -> Problem:
    mentors = [
        Mentor(id=f"M{k}", focus_areas=["knife crime"], boroughs=[place], attributes={"rank": "Inspector"})
        for k, place in enumerate([*NORTH, "Brent", "Harrow"])
    ]
    mentees = [Mentee(id=f"E{k}", focus_areas=["knife crime"], boroughs=["Haringey"]) for k in range(6)]
    return Problem(mentors=mentors, mentees=mentees, rules=Rules(quotas=tuple(quotas), **rules))


@pytest.mark.parametrize("value", ["North Area", "north area", "North Area BCU", "North", "NA"])
def test_a_quota_on_north_area_applies(value):
    p = problem([Quota(side="mentor", key="bcu", value=value, max_pairs=0)])
    assert p.rules.quotas[0].value == "North Area"
    result = pm.solve(p)
    assert pm.violations(result, p) == []
    units = {p.geography.unit_of[p.person(pair.mentor_id).boroughs[0]] for pair in result.pairs}
    assert len(result.pairs) == 2
    assert "North Area" not in units


def test_a_minimum_on_north_area_is_met():
    p = problem([Quota(side="mentor", key="bcu", value="NA", min_pairs=4)])
    result = pm.solve(p)
    assert pm.violations(result, p) == []
    north = [pair for pair in result.pairs if p.person(pair.mentor_id).boroughs[0] in ("Enfield", "Haringey")]
    assert len(north) >= 4


@pytest.mark.parametrize(
    ("quota", "message"),
    [
        (
            Quota(side="mentor", key="bcu", value="Nowhere", max_pairs=0),
            r"rules\.quotas\[0\]\.value: 'Nowhere' is not a BCU "
            r"\(the BCUs of the mentors: 'North Area', 'North West'\)",
        ),
        (
            Quota(side="mentor", key="bcu", value="Nort Area", max_pairs=0),
            r"rules\.quotas\[0\]\.value: 'Nort Area' is not a BCU - did you mean 'North Area'\?",
        ),
        (
            Quota(side="mentor", key="bcu", value="South Area", max_pairs=0),
            r"rules\.quotas\[0\]\.value: 'South Area' is the unit of no mentor, so it would match nothing",
        ),
        (
            Quota(side="mentor", key="borough", value="Nowhere", max_pairs=0),
            r"rules\.quotas\[0\]\.value: 'Nowhere' is not a known place",
        ),
        (
            Quota(side="mentor", key="borough", value="Crystal Palace", max_pairs=0),
            r"'Crystal Palace' is not one place: it lies in Bromley, Croydon, Lambeth, Lewisham, Southwark",
        ),
        (
            Quota(side="mentor", key="borough", value="Newham", max_pairs=0),
            r"'Newham' is the first borough of no mentor, so it would match nothing",
        ),
        (
            Quota(side="mentee", key="focus", value="knif crime", min_pairs=1),
            r"rules\.quotas\[0\]\.value: 'knif crime' is not a known focus area - did you mean 'knife crime'\?",
        ),
        (
            Quota(side="mentor", key="rank", value="Superintendent", max_pairs=0),
            r"'Superintendent' is not a value of attribute 'rank' \(the values of 'rank' of the mentors: 'Inspector'\)",
        ),
        (
            Quota(side="mentor", key="rnak", value="Inspector", max_pairs=0),
            r"rules\.quotas\[0\]\.key: 'rnak' is not an attribute of any mentor, so it would match nothing - did you "
            r"mean 'rank'\?",
        ),
    ],
)
def test_a_quota_naming_nothing_is_an_error_naming_the_setting(quota, message):
    with pytest.raises(ValidationError, match=message):
        problem([quota])


def test_values_resolve_to_their_canonical_spelling():
    p = problem(
        [
            Quota(side="mentor", key="borough", value="Tottenham", max_pairs=3),  # a town: its borough
            Quota(side="mentor", key="rank", value="inspector", max_pairs=6),  # any case
            Quota(side="mentee", key="focus", value="Knife Crime", max_pairs=6),
        ]
    )
    assert [q.value for q in p.rules.quotas] == ["Haringey", "Inspector", "knife crime"]


def test_forbid_same_on_an_unknown_attribute_is_an_error():
    with pytest.raises(ValidationError, match=r"rules\.forbid_same\[0\]: 'rnk' is not an attribute of anyone"):
        problem(forbid_same=("rnk",))
    assert problem(forbid_same=("rank", "bcu")).rules.forbid_same == ("rank", "bcu")


def test_the_settings_file_reports_the_quota_and_its_setting(tmp_path):
    mentors = tmp_path / "m.csv"
    mentors.write_text(
        "id,focus_areas,boroughs,availability\n"
        + "".join(f"M{k},knife crime,{place},Mon 18-20\n" for k, place in enumerate(NORTH)),
        encoding="utf-8",
    )
    mentees = tmp_path / "e.csv"
    mentees.write_text("id,focus_areas,boroughs,availability\nE1,knife crime,Brent,Mon 18-20\n", encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text('[[rules.quotas]]\nside = "mentor"\nkey = "bcu"\nvalue = "Nowhere"\nmax_pairs = 0\n', "utf-8")
    with pytest.raises(InputFileError, match=r"rules\.quotas\[0\]\.value: 'Nowhere' is not a BCU"):
        load_problem(mentors, mentees, config)
    config.write_text('[[rules.quotas]]\nside = "mentor"\nkey = "bcu"\nvalue = "north area"\nmax_pairs = 0\n', "utf-8")
    p, _ = load_problem(mentors, mentees, config)
    assert p.rules.quotas[0].value == "North Area"
    assert pm.solve(p).pairs == ()


def test_the_contract_reports_the_quota_at_its_path():
    from pairmatch.contract import MatchRequest

    p = problem()
    request = json.loads(MatchRequest.from_problem(p, vocabularies=False).model_dump_json())
    request["rules"]["quotas"] = [{"side": "mentor", "key": "bcu", "value": "Nowhere", "max_pairs": 0}]
    with pytest.raises(ValidationError) as info:
        MatchRequest.model_validate(request).to_problem()
    (error,) = info.value.errors()
    assert error["loc"] == ("rules", "quotas", 0, "value")
    assert "'Nowhere' is not a BCU" in error["msg"]
