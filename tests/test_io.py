"""Reading people and settings from files, every problem reported at once, atomic writing."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

import pairmatch as pm
from pairmatch.io import (
    InputFileError,
    load_problem,
    matches_bytes,
    people_bytes,
    read_config,
    read_people,
    sample_path,
    write_atomically,
    write_matches,
    write_people,
)

MALFORMED = Path(__file__).parent / "data" / "malformed"
PILOT = sample_path("pilot")
SYNTH = sample_path("synthetic-200")
HEADER = "id,name,focus_areas,boroughs,availability,min_partners,max_partners"

# file -> (row, column) of the first issue; column None where a whole row or file is wrong.
EXPECTED = {
    "missing_column.csv": (1, "boroughs"),
    "unknown_borough.csv": (3, "boroughs"),
    "duplicate_id.csv": (4, "id"),
    "bad_time_window.csv": (3, "availability"),
    "time_off_grid.csv": (2, "availability"),
    "window_ends_before_start.csv": (2, "availability"),
    "negative_capacity.csv": (2, "max_partners"),
    "non_numeric_capacity.csv": (2, "max_partners"),
    "min_greater_than_max.csv": (2, "min_partners"),
    "unknown_focus_area.csv": (3, "focus_areas"),
    "empty_id.csv": (2, "id"),
    "empty_file.csv": (1, None),
    "header_only.csv": (2, None),
    "wrong_encoding_latin1.csv": (2, "name"),
    "wrong_encoding_utf16.csv": (1, None),
    "semicolon_separated.csv": (1, None),
    "unknown_borough.json": (2, "boroughs"),
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_malformed_file_has_an_expectation():
    names = {p.name for p in MALFORMED.iterdir()} - {"ok_mentors.csv", "ok_mentees.csv",
                                                     "bad_config.toml", "invalid_toml.toml", "many_problems.csv"}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_names_row_and_column(name):
    row, column = EXPECTED[name]
    with pytest.raises(InputFileError) as info:
        read_people(MALFORMED / name, "mentor")
    first = info.value.issues[0]
    assert (first.row, first.column) == (row, column)
    kind = "item" if name.endswith(".json") else "row"
    assert f"{name}, {kind} {row}" in str(info.value)
    if column:
        assert f"column {column!r}" in str(info.value)


def test_all_problems_in_a_file_are_reported_together():
    with pytest.raises(InputFileError) as info:
        read_people(MALFORMED / "many_problems.csv", "mentor")
    found = [(i.row, i.column, i.value, i.suggestion) for i in info.value.issues]
    assert found == [
        (3, "focus_areas", "knif crime", "knife crime"),
        (3, "boroughs", "Newhm", "Newham"),
        (3, "availability", "Mon 18-25", None),
        (3, "min_partners", "-1", None),
        (3, "max_partners", "x", None),
    ]


def test_problems_in_both_files_and_config_are_reported_together():
    with pytest.raises(InputFileError) as info:
        load_problem(MALFORMED / "unknown_borough.csv", MALFORMED / "duplicate_id.csv", MALFORMED / "bad_config.toml")
    found = [(Path(i.file).name, i.row, i.column) for i in info.value.issues]
    assert found == [
        ("bad_config.toml", 2, "weights.focus"),
        ("bad_config.toml", 6, "rules.min_overlap_minute"),
        ("unknown_borough.csv", 3, "boroughs"),
        ("duplicate_id.csv", 4, "id"),
        ("duplicate_id.csv", 2, "id"),  # X1 is also a mentor id
        ("duplicate_id.csv", 3, "id"),  # so is X2, though its mentor row has a mistake of its own
    ]


def test_config_issues_name_line_and_key():
    with pytest.raises(InputFileError) as info:
        read_config(MALFORMED / "bad_config.toml")
    found = [(i.row, i.column, i.suggestion) for i in info.value.issues]
    assert found == [(2, "weights.focus", None), (6, "rules.min_overlap_minute", "min_overlap_minutes")]
    with pytest.raises(InputFileError) as info:
        read_config(MALFORMED / "invalid_toml.toml")
    assert info.value.issues[0].row == 3 and "line 3" in str(info.value)


def test_ids_unique_across_sides_and_rules_name_known_ids(tmp_path):
    mentees = _write(tmp_path, "mentees.csv", f"{HEADER}\nO1,,knife crime,Brent,Mon 18:00-20:00,0,1\n"
                                              "A2,,knife crime,Brent,Mon 18:00-20:00,0,1\n")
    with pytest.raises(InputFileError) as info:
        load_problem(MALFORMED / "ok_mentors.csv", mentees)
    (issue,) = info.value.issues
    assert (issue.row, issue.column, issue.value) == (3, "id", "A2")
    assert "ok_mentors.csv, row 3" in issue.message
    config = _write(tmp_path, "c.toml", '[rules]\nforbidden_pairs = [["A1", "O11"]]\n')
    with pytest.raises(InputFileError) as info:
        load_problem(MALFORMED / "ok_mentors.csv", MALFORMED / "ok_mentees.csv", config)
    assert [(i.column, i.value, i.suggestion) for i in info.value.issues] == [
        ("rules.forbidden_pairs[0]", "O11", "O1")]


def test_layout_normalises_headers_names_and_types(tmp_path):
    path = _write(tmp_path, "m.csv",
                  "ID,Focus areas,Borough,Availability,Max-Partners,BCU,Age,Code,Active\n"
                  "7,Knife Crime; STOP & SEARCH,barking & dagenham; kensington and chelsea,"
                  "mon 18-20; Sat 10:00-12:00,2.0,East,18,007,TRUE\n\n")
    (person,) = read_people(path, "mentor")
    assert person.id == "7"
    assert person.focus_areas == ("knife crime", "stop and search")
    assert person.boroughs == ("Barking and Dagenham", "Kensington and Chelsea")
    assert person.availability == ("Mon 18:00-20:00", "Sat 10:00-12:00")
    assert (person.min_partners, person.max_partners) == (0, 2)
    assert person.attributes == {"bcu": "East", "age": 18, "code": "007", "active": True}


def test_pilot_sample_is_the_built_in_pilot_problem():
    problem, config = load_problem(PILOT / "mentors.csv", PILOT / "mentees.csv", PILOT / "config.toml")
    reference = pm.pilot_problem()
    assert problem.mentors == reference.mentors and problem.mentees == reference.mentees
    assert problem.weights == reference.weights and problem.meeting_minutes == reference.meeting_minutes
    assert pm.solve(problem).pairs == pm.solve(reference).pairs


def test_synthetic_sample_csv_xlsx_and_json_agree(tmp_path):
    csv_problem, config = load_problem(SYNTH / "mentors.csv", SYNTH / "mentees.csv", SYNTH / "config.toml")
    xlsx_problem, _ = load_problem(SYNTH / "mentors.xlsx", SYNTH / "mentees.xlsx", config)
    assert csv_problem.shape == (100, 100)
    assert csv_problem == xlsx_problem
    write_people(csv_problem.mentors, tmp_path / "m.json")
    write_people(csv_problem.mentees, tmp_path / "e.json")
    json_problem, _ = load_problem(tmp_path / "m.json", tmp_path / "e.json", config)
    assert json_problem == csv_problem
    assert config.rules.min_overlap_minutes == 60 and config.seed == 200


def test_one_workbook_with_two_sheets(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "mentees"
    for row in csv.reader((PILOT / "mentees.csv").read_text(encoding="utf-8-sig").splitlines()):
        book["mentees"].append(row)
    mentors = book.create_sheet("Mentors")
    for row in csv.reader((PILOT / "mentors.csv").read_text(encoding="utf-8-sig").splitlines()):
        mentors.append(row)
    mentors.append([])
    mentors.append(["M9", "", "knif crime", "Brent", "Mon 18:00-20:00"])
    path = tmp_path / "programme.xlsx"
    book.save(path)
    with pytest.raises(InputFileError) as info:
        load_problem(path, path)
    (issue,) = info.value.issues
    # Row numbers are the sheet's own, blank rows included.
    assert (issue.file, issue.row, issue.column) == (f"{path} [Mentors]", 6, "focus_areas")


def test_dataframe_input_reports_index_labels():
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(PILOT / "mentors.csv", encoding="utf-8-sig")
    assert read_people(frame, "mentor") == pm.pilot_problem().mentors
    frame.loc[1, "boroughs"] = "Newhm"
    with pytest.raises(InputFileError) as info:
        read_people(frame, "mentor")
    assert "<DataFrame>, index 1, column 'boroughs'" in str(info.value)


def test_matches_files_equal_the_result(tmp_path):
    problem = pm.pilot_problem()
    result = pm.solve(problem)
    rows = list(csv.DictReader(matches_bytes(result, "csv").decode("utf-8-sig").splitlines()))
    assert [(r["mentor_id"], r["mentee_id"], float(r["score"])) for r in rows] == [
        (p.mentor_id, p.mentee_id, round(p.score, 6)) for p in result.pairs]
    assert rows[0]["focus_reason"] == "shared focus: knife crime"
    data = json.loads(matches_bytes(result, "json"))
    assert data["pairs"] == json.loads(result.to_json())["pairs"]
    openpyxl = pytest.importorskip("openpyxl")
    write_matches(result, tmp_path / "m.xlsx")
    book = openpyxl.load_workbook(tmp_path / "m.xlsx")
    assert book.sheetnames == ["matches", "unmatched", "run"]
    names = {m.id: m.name for m in problem.mentors}
    assert [r[:3] for r in book["matches"].iter_rows(min_row=2, values_only=True)] == [
        (p.mentor_id, names[p.mentor_id], p.mentee_id) for p in result.pairs]


def test_people_round_trip_through_every_format(tmp_path):
    people = pm.synthetic_problem(8, seed=3).mentees
    # Text that looks like a spreadsheet formula must come back as the same text.
    people = (people[0].model_copy(update={"name": "=HYPERLINK(\"x\")"}), *people[1:])
    for fmt in ("csv", "xlsx", "json"):
        (tmp_path / f"p.{fmt}").write_bytes(people_bytes(people, fmt))
        assert read_people(tmp_path / f"p.{fmt}", "mentee") == people


def test_atomic_write_leaves_existing_file_untouched_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "matches.csv"
    target.write_bytes(b"precious")
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomically({target: b"new"})
    assert target.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matches.csv"]  # no temp file left
    assert calls


def test_atomic_write_keeps_plain_permissions(tmp_path):
    (path,) = write_atomically({tmp_path / "a.csv": b"x"})
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_missing_openpyxl_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "openpyxl", None)  # makes "import openpyxl" fail
    with pytest.raises(ImportError, match=r"pip install 'pairmatch-mentoring\[io"):
        read_people(SYNTH / "mentors.xlsx", "mentor")
