"""Rules, preferences and rankings through the files: TOML settings, the ranking column, a
rankings file, the shipped sample and the JSON contract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import pairmatch as pm
from pairmatch.contract import MatchRequest, match
from pairmatch.io import InputFileError, load_problem, people_bytes, read_rankings, sample_path
from pairmatch.io.config import read_config
from pairmatch.io.preflight import problem_warnings

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    folder = tmp_path / "programme"
    shutil.copytree(sample_path("girls-network"), folder)
    return folder


def load(folder: Path) -> pm.Problem:
    return load_problem(folder / "mentors.csv", folder / "mentees.csv", folder / "config.toml")[0]


def issues(err: pytest.ExceptionInfo[InputFileError]) -> list[str]:
    return [str(issue) for issue in err.value.issues]


def test_the_sample_uses_every_new_setting_and_passes_the_strict_checks(programme):
    problem = load(programme)
    rules = problem.rules
    assert [r.describe() for r in rules.require] == ["mentor age at least 18", "mentee vetting = 'cleared'"]
    assert [r.name for r in rules.conditional] == [
        "VAWG and domestic abuse pairs have a female officer",
        "a mentor who asks for a female officer gets one",
    ]
    assert [p.name for p in problem.preferences] == ["female_officer"]
    assert [r.name for r in problem.rank_scores] == ["officer_choice"]
    assert all(len(m.ranking) == 3 for m in problem.mentees)
    assert problem_warnings(problem) == ()
    result = pm.solve(problem)
    assert pm.violations(result, problem) == []
    # Every VAWG or domestic-abuse pair has a female officer.
    vawg = {"violence against women and girls", "domestic abuse"}
    for pair in result.pairs:
        mentor, mentee = problem.person(pair.mentor_id), problem.person(pair.mentee_id)
        if vawg & {*mentor.focus_areas, *mentee.focus_areas}:
            assert mentee.attributes["sex"] == "female"
    stable = pm.solve(problem, pm.SolveParams(objective="stable", proposer="mentee"))
    assert stable.certificate["preferences"] == {"mentor": "scores", "mentee": "rankings"}
    assert stable.certificate["blocking_pairs"] == 0


def test_validate_strict_passes_on_the_sample(programme, capsys):
    from pairmatch.cli import main

    code = main(
        [
            "validate",
            str(programme / "mentors.csv"),
            str(programme / "mentees.csv"),
            "--config",
            str(programme / "config.toml"),
            "--strict",
        ]
    )
    assert code == 0, capsys.readouterr()


def test_a_rule_value_that_matches_nothing_is_reported_at_its_line(programme):
    config = programme / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('equals = "cleared"', 'equals = "clear"'), "utf-8")
    with pytest.raises(InputFileError) as err:
        load(programme)
    (found,) = err.value.issues
    assert found.column == "rules.require[1].equals"
    assert found.row == next(
        n for n, line in enumerate(config.read_text(encoding="utf-8").splitlines(), 1) if '"clear"' in line
    )
    assert "no mentee has vetting = 'clear'" in found.message
    assert "did you mean 'cleared'?" in found.message


def test_unknown_keys_inside_a_rule_are_named(programme):
    config = programme / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("at_least = 18", "at_leest = 18"), "utf-8")
    with pytest.raises(InputFileError) as err:
        read_config(config)
    assert any("rules.require[0].at_leest" in text for text in issues(err))


def test_a_ranking_naming_nobody_on_the_other_side_is_reported_at_its_row(programme):
    mentees = programme / "mentees.csv"
    mentees.write_text(mentees.read_text(encoding="utf-8-sig").replace("Y2 > Y1 > Y5", "Y2 > Y7 > Y5"), "utf-8")
    with pytest.raises(InputFileError) as err:
        load(programme)
    (found,) = err.value.issues
    assert (found.row, found.column, found.value) == (2, "ranking", "Y7")
    assert "'O1' ranks 'Y7', which is not a mentor id" in found.message


def test_a_malformed_ranking_cell_is_reported(programme):
    mentees = programme / "mentees.csv"
    mentees.write_text(mentees.read_text(encoding="utf-8-sig").replace("Y2 > Y1 > Y5", "Y2 > Y1 > Y2"), "utf-8")
    with pytest.raises(InputFileError) as err:
        load(programme)
    assert any("row 2, column 'ranking'" in text and "more than once" in text for text in issues(err))


def test_rankings_from_a_file_of_their_own(programme):
    mentees = programme / "mentees.csv"
    lines = mentees.read_text(encoding="utf-8-sig").splitlines()
    mentees.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    (programme / "rankings.csv").write_text(
        "id,partner_id,rank\nO1,Y1,1\nO1,Y2,1\nO1,Y5,3\nY3,O3,1\n", encoding="utf-8"
    )
    config = programme / "config.toml"
    config.write_text('rankings = "rankings.csv"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    problem = load(programme)
    assert problem.person("O1").ranking == (("Y1", "Y2"), ("Y5",))
    assert problem.person("Y3").ranking == (("O3",),)
    assert problem.person("O2").ranking == ()
    assert read_rankings(programme / "rankings.csv")["O1"] == (("Y1", "Y2"), ("Y5",))


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("id,partner_id,rank\nO1,Y1,first\n", "row 2, column 'rank'"),
        ("id,partner_id,rank\nO1,Y1,1\nO1,Y1,2\n", "'O1' already ranks 'Y1' on row 2"),
        ("id,partner_id,rank\nO9,Y1,1\n", "'O9' is neither a mentor nor a mentee id"),
        ("id,partner,rank\nO1,Y1,1\n", "missing column(s) partner_id"),
        ("id,partner_id,rank\nO1,Y1,1\n", "has a ranking in the people file's ranking column too"),
    ],
)
def test_rankings_file_problems_name_the_row(programme, body, words):
    (programme / "rankings.csv").write_text(body, encoding="utf-8")
    config = programme / "config.toml"
    config.write_text('rankings = "rankings.csv"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        load(programme)
    assert any(words in text for text in issues(err)), issues(err)


def test_people_with_rankings_write_and_read_back(tmp_path, programme):
    problem = load(programme)
    path = tmp_path / "mentees.csv"
    path.write_bytes(people_bytes(problem.mentees, "csv"))
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",")[7] == "ranking"
    again = pm.io.read_mentees(path)
    assert [p.ranking for p in again] == [p.ranking for p in problem.mentees]
    assert "ranking" not in people_bytes(problem.mentors, "csv").decode("utf-8-sig").splitlines()[0]


def test_the_contract_carries_rules_preferences_and_rankings():
    request = json.loads((DOCS / "examples" / "request-rules-and-rankings.json").read_text(encoding="utf-8"))
    problem = MatchRequest.model_validate(request).to_problem()
    response = match(request)
    assert response.status == "optimal"
    # The 17-year-old mentor is ineligible, and the reason names the rule.
    (unmatched,) = response.unmatched
    assert unmatched.person_id == "Y3"
    assert "rules.require[0] (mentor age at least 18): mentor Y3 has age 17" in unmatched.reason
    assert {p.mentor_id: p.mentee_id for p in response.pairs}["Y2"] == "O3"
    again = MatchRequest.model_validate_json(MatchRequest.from_problem(problem).model_dump_json()).to_problem()
    for field in ("mentors", "mentees", "rules", "preferences", "rank_scores"):
        assert getattr(again, field) == getattr(problem, field)


def test_rankings_from_xlsx_sheets_and_files(tmp_path, programme):
    pytest.importorskip("openpyxl")
    problem = load(programme)
    book = tmp_path / "mentees.xlsx"
    book.write_bytes(people_bytes(problem.mentees, "xlsx"))
    assert [p.ranking for p in pm.io.read_mentees(book)] == [p.ranking for p in problem.mentees]
    from pairmatch.io.writers import xlsx_bytes

    ranks = tmp_path / "rankings.xlsx"
    ranks.write_bytes(xlsx_bytes({"rankings": (["id", "partner_id", "rank"], [["O1", "Y2", 2], ["O1", "Y1", 1]])}))
    assert read_rankings(ranks) == {"O1": (("Y1",), ("Y2",))}


def test_a_rematch_drops_people_who_leave_from_the_rankings(programme):
    problem = load(programme)
    current = [(p.mentor_id, p.mentee_id) for p in pm.solve(problem).pairs]
    rematched = pm.rematch(problem, current, pm.Changes(leave=["Y2"]))
    after = rematched.result.context.problem
    assert after.person("O1").ranking == (("Y1",), ("Y5",))  # Y2 left; the others keep their order
    assert pm.violations(rematched.result, after) == []
