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

from support.malformed import EXPECTED, MALFORMED

PILOT = sample_path("pilot")
SYNTH = sample_path("synthetic-200")
HEADER = "id,name,focus_areas,boroughs,availability,min_partners,max_partners"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_malformed_file_has_an_expectation():
    names = {p.name for p in MALFORMED.iterdir()} - {
        "ok_mentors.csv",
        "ok_mentees.csv",
        "bad_config.toml",
        "invalid_toml.toml",
        "many_problems.csv",
    }
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
    assert info.value.issues[0].row == 3
    assert "line 3" in str(info.value)


def test_ids_unique_across_sides_and_rules_name_known_ids(tmp_path):
    mentees = _write(
        tmp_path,
        "mentees.csv",
        f"{HEADER}\nO1,,knife crime,Brent,Mon 18:00-20:00,0,1\nA2,,knife crime,Brent,Mon 18:00-20:00,0,1\n",
    )
    with pytest.raises(InputFileError) as info:
        load_problem(MALFORMED / "ok_mentors.csv", mentees)
    (issue,) = info.value.issues
    assert (issue.row, issue.column, issue.value) == (3, "id", "A2")
    assert "ok_mentors.csv, row 3" in issue.message
    config = _write(tmp_path, "c.toml", '[rules]\nforbidden_pairs = [["A1", "O11"]]\n')
    with pytest.raises(InputFileError) as info:
        load_problem(MALFORMED / "ok_mentors.csv", MALFORMED / "ok_mentees.csv", config)
    assert [(i.column, i.value, i.suggestion) for i in info.value.issues] == [("rules.forbidden_pairs[0]", "O11", "O1")]


def test_layout_normalises_headers_names_and_types(tmp_path):
    path = _write(
        tmp_path,
        "m.csv",
        "ID,Focus areas,Borough,Availability,Max-Partners,BCU,Age,Code,Active\n"
        "7,Knife Crime; STOP & SEARCH,barking & dagenham; kensington and chelsea,"
        "mon 18-20; Sat 10:00-12:00,2.0,East,18,007,TRUE\n\n",
    )
    (person,) = read_people(path, "mentor")
    assert person.id == "7"
    assert person.focus_areas == ("knife crime", "stop and search")
    assert person.boroughs == ("Barking and Dagenham", "Kensington and Chelsea")
    assert person.availability == ("Mon 18:00-20:00", "Sat 10:00-12:00")
    assert (person.min_partners, person.max_partners) == (0, 2)
    assert person.attributes == {"bcu": "East", "age": 18, "code": "007", "active": True}


def test_pilot_sample_is_the_built_in_pilot_problem():
    problem, _config = load_problem(PILOT / "mentors.csv", PILOT / "mentees.csv", PILOT / "config.toml")
    reference = pm.pilot_problem()
    assert problem.mentors == reference.mentors
    assert problem.mentees == reference.mentees
    assert problem.weights == reference.weights
    assert problem.meeting_minutes == reference.meeting_minutes
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
    assert config.rules.min_overlap_minutes == 60
    assert config.seed == 200


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
        (p.mentor_id, p.mentee_id, round(p.score, 6)) for p in result.pairs
    ]
    assert rows[0]["focus_reason"] == "shared focus: knife crime"
    data = json.loads(matches_bytes(result, "json"))
    assert data["pairs"] == json.loads(result.to_json())["pairs"]
    openpyxl = pytest.importorskip("openpyxl")
    write_matches(result, tmp_path / "m.xlsx")
    book = openpyxl.load_workbook(tmp_path / "m.xlsx")
    assert book.sheetnames == ["matches", "unmatched", "run"]
    names = {m.id: m.name for m in problem.mentors}
    assert [r[:3] for r in book["matches"].iter_rows(min_row=2, values_only=True)] == [
        (p.mentor_id, names[p.mentor_id], p.mentee_id) for p in result.pairs
    ]


def test_people_round_trip_through_every_format(tmp_path):
    people = pm.synthetic_problem(8, seed=3).mentees
    # Text that looks like a spreadsheet formula must come back as the same text.
    people = (people[0].model_copy(update={"name": '=HYPERLINK("x")'}), *people[1:])
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
    with pytest.raises(OSError, match="disk full"):
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


# --------------------------------------------------------------------------- all-or-nothing writes


def test_failure_between_two_renames_restores_both_files(tmp_path, monkeypatch):
    first, second = tmp_path / "matches.csv", tmp_path / "report.html"
    first.write_bytes(b"old matches")
    second.write_bytes(b"old report")
    real = os.replace
    calls = []

    def fail_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    with pytest.raises(OSError, match="No space left"):
        write_atomically({first: b"new matches", second: b"new report"})
    assert first.read_bytes() == b"old matches"
    assert second.read_bytes() == b"old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matches.csv", "report.html"]  # no temp, no backup


def test_failed_write_of_a_new_file_removes_it_again(tmp_path, monkeypatch):
    first, second = tmp_path / "new.csv", tmp_path / "old.csv"
    second.write_bytes(b"old")
    real = os.replace
    calls = []

    def fail_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C between the renames
        return real(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    with pytest.raises(KeyboardInterrupt):
        write_atomically({first: b"new", second: b"newer"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]
    assert second.read_bytes() == b"old"


def test_write_into_a_missing_folder_names_the_target(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        write_atomically({tmp_path / "nowhere" / "m.csv": b"x"})
    assert info.value.filename == str(tmp_path / "nowhere" / "m.csv")


# --------------------------------------------------------------------------- validation through the models


def test_rows_are_validated_by_the_models_themselves():
    # Reading a file gives exactly what validating each row with the model gives.
    rows = list(csv.DictReader((SYNTH / "mentees.csv").read_text(encoding="utf-8-sig").splitlines()))
    expected = []
    for row in rows:
        record = {
            k: v
            for k, v in row.items()
            if k in ("id", "focus_areas", "boroughs", "availability", "min_partners", "max_partners")
        }
        record["attributes"] = {"rank": row["rank"], "bcu": row["bcu"]}
        expected.append(pm.Mentee.model_validate(record))
    got = read_people(SYNTH / "mentees.csv", "mentee")
    assert got == tuple(expected)
    assert [p.model_fields_set >= {"id", "focus_areas", "boroughs", "availability"} for p in got] == [True] * len(got)


def test_messages_say_what_was_expected(tmp_path):
    path = _write(
        tmp_path,
        "m.csv",
        f"{HEADER}\nA1,,knife crime,Brent,Mon 9-5,0,1\nA2,,knife crime,Brent,Fri 22:00-02:00; Sat 18-0,0,1\n",
    )
    with pytest.raises(InputFileError) as info:
        read_people(path, "mentor")
    messages = [i.message for i in info.value.issues]
    assert "'Mon 9-5' ends before it starts: write 24-hour times, e.g. 'Mon 09:00-17:00'" in messages
    assert (
        "'Fri 22:00-02:00' ends before it starts: a window cannot cross midnight; split it, "
        "e.g. 'Fri 22:00-24:00; Sat 00:00-02:00'"
    ) in messages
    assert "'Sat 18-0' ends at midnight: write 24:00, e.g. 'Sat 18:00-24:00'" in messages


def test_the_city_of_london_is_a_place_with_a_note_not_an_error(tmp_path):
    from pairmatch.io import problem_warnings

    mentors = _write(tmp_path, "m.csv", f"{HEADER}\nA1,,knife crime,City of London,Mon 18-20,0,1\n")
    mentees = _write(tmp_path, "e.csv", f"{HEADER}\nB1,,knife crime,the Square Mile,Mon 18-20,0,1\n")
    problem, config = load_problem(mentors, mentees)
    assert problem.mentors[0].boroughs == problem.mentees[0].boroughs == ("City of London",)
    notes = [
        w for w in problem_warnings(problem, config, mentors_file="m.csv", mentees_file="e.csv") if w.severity == "note"
    ]
    assert [(n.file, n.value) for n in notes] == [("m.csv", "City of London"), ("e.csv", "City of London")]
    assert all("City of London Police" in n.message and "no Met BCU" in n.message for n in notes)


def test_a_geography_that_explains_a_place_is_quoted(tmp_path):
    from pairmatch.datasets import london

    class Noted(pm.Geography):
        def note(self, place):
            return "policed by the City of London Police, not the Met" if "city" in place.lower() else None

    base = london()
    geo = Noted(
        [tuple(e) for e in base.graph.edges],
        {u: [p for p in base.places if base.unit_of.get(p) == u] for u in set(base.unit_of.values())},
        unit_name="BCU",
    )
    path = _write(tmp_path, "m.csv", f"{HEADER}\nA1,,knife crime,the City,Mon 18-20,0,1\n")
    with pytest.raises(InputFileError) as info:
        read_people(path, "mentor", geography=geo)
    assert info.value.issues[0].message.endswith("policed by the City of London Police, not the Met")


def test_title_row_above_the_header_is_skipped(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mentors \u2013 spring cohort"])
    for row in csv.reader((PILOT / "mentors.csv").read_text(encoding="utf-8-sig").splitlines()):
        sheet.append(row)
    book.save(tmp_path / "m.xlsx")
    assert read_people(tmp_path / "m.xlsx", "mentor") == pm.pilot_problem().mentors
    sheet.append(["M9", "", "knif crime", "Brent", "Mon 18:00-20:00"])
    book.save(tmp_path / "m.xlsx")
    with pytest.raises(InputFileError) as info:
        read_people(tmp_path / "m.xlsx", "mentor")
    (issue,) = info.value.issues
    assert (issue.row, issue.column) == (6, "focus_areas")  # the sheet's own row number


def test_a_sheet_without_a_header_says_so_once(tmp_path):
    path = _write(
        tmp_path,
        "m.csv",
        "Mentors - spring cohort\nM1,Ann,knife crime,Brent,Mon 18-20\nM2,Bo,hate crime,Harrow,Tue 18-20\n",
    )
    with pytest.raises(InputFileError) as info:
        read_people(path, "mentor")
    assert [str(i) for i in info.value.issues] == [
        f"{path}, row 1: row 1 is not a header: expected columns id, focus_areas, boroughs, availability "
        "(found 'Mentors - spring cohort')"
    ]


def test_a_duplicated_header_is_reported_once(tmp_path):
    path = _write(
        tmp_path,
        "m.csv",
        "id,focus_areas,boroughs,availability,boroughs\n"
        "M1,knife crime,Brent,Mon 18-20,Harrow\nM2,knife crime,Brent,Mon 18-20,Ealing\n",
    )
    with pytest.raises(InputFileError) as info:
        read_people(path, "mentor")
    assert [(i.row, i.column, i.message) for i in info.value.issues] == [
        (1, "boroughs", "column 'boroughs' appears twice (also as 'boroughs'); keep one")
    ]


def test_every_mistake_at_once_with_config_lines(tmp_path):
    config = _write(
        tmp_path,
        "c.toml",
        "[weights]\nfocus = 0.5\n\n[rules]\nforbidden_pairs = [\n"
        '  ["A1", "O1"],\n  ["A1", "O11"],\n]\nrequired_pairs = [["O2", "A2"]]\n'
        '\n[[rules.quotas]]\nside = "mentee"\nkey = "rnak"\nmin_pairs = 1\n',
    )
    mentees = _write(
        tmp_path,
        "e.csv",
        f"{HEADER},rank\nO1,,knife crime,Newhm,Mon 18:00-20:00,0,1,Inspector\n"
        "O2,,knife crime,Brent,Mon 18:00-20:00,0,1,Inspector\n",
    )
    with pytest.raises(InputFileError) as info:
        load_problem(MALFORMED / "ok_mentors.csv", mentees, config)
    found = [(Path(i.file).name, i.row, i.column, i.suggestion) for i in info.value.issues]
    assert found == [
        ("e.csv", 2, "boroughs", "Newham"),
        ("c.toml", 7, "rules.forbidden_pairs[1]", "O1"),
        ("c.toml", 9, "rules.required_pairs[0]", None),
        ("c.toml", 9, "rules.required_pairs[0]", None),
        ("c.toml", 13, "rules.quotas[0].key", "rank"),
    ]
    messages = [i.message for i in info.value.issues]
    assert "'O2' is a mentee id, not a mentor id (" in messages[2]
    assert "[mentor, mentee]" in messages[2]


# --------------------------------------------------------------------------- custom vocabularies


WEST_MIDLANDS = Path(__file__).resolve().parents[1] / "data" / "west-midlands"


def test_a_programme_outside_london_uses_its_own_geography_and_topics():
    problem, _config = load_problem(
        WEST_MIDLANDS / "mentors.csv", WEST_MIDLANDS / "mentees.csv", WEST_MIDLANDS / "config.toml"
    )
    assert problem.geography.places == ("Birmingham", "Coventry", "Wolverhampton")
    assert problem.geography.unit_name == "policing area"
    assert "canal safety" in problem.taxonomy
    assert "knife crime" in problem.taxonomy
    result = pm.solve(problem)
    assert pm.is_feasible(result, problem)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [("W1", "P1"), ("W2", "P2"), ("W3", "P3")]
    assert result.pairs[0].components["focus"] == pytest.approx(0.5)  # knife crime ~ violent crime
    assert result.pairs[0].components["borough"] == pytest.approx(1.0)


def test_a_london_borough_is_an_error_in_another_geography(tmp_path):
    mentors = _write(
        tmp_path,
        "m.csv",
        "id,focus_areas,boroughs,availability\nW1,knife crime,Newham,Mon 18-20\nW2,knife crime,Birmingam,Mon 18-20\n",
    )
    config = _write(
        tmp_path,
        "c.toml",
        f'[vocabularies]\ngeography = "{WEST_MIDLANDS / "west-midlands.json"}"\n'
        f'taxonomy = "{WEST_MIDLANDS / "topics.json"}"\n',
    )
    with pytest.raises(InputFileError) as info:
        load_problem(mentors, WEST_MIDLANDS / "mentees.csv", config)
    assert [(i.row, i.value, i.suggestion) for i in info.value.issues] == [
        (2, "Newham", None),
        (3, "Birmingam", "Birmingham"),
    ]
    # Nothing close to Newham: a programme's few places are listed instead.
    assert info.value.issues[0].message == (
        "'Newham' is not a known borough (known: Birmingham, Coventry, Wolverhampton)"
    )


def test_a_bad_vocabulary_file_names_the_file_and_key(tmp_path):
    geo = tmp_path / "geo.json"
    geo.write_text(
        json.dumps(
            {
                "places": ["Birmingham", "Coventry"],
                "borders": [["Birmingham", "Coventy"]],
                "unit": {"West": ["Birmingham"]},
            }
        ),
        encoding="utf-8",
    )
    tax = tmp_path / "topics.json"
    tax.write_text(json.dumps({"edges": [["a"]], "decay": 2}), encoding="utf-8")
    config = _write(
        tmp_path, "c.toml", '[vocabularies]\ngeography = "geo.json"\ntaxonomy = "topics.json"\ngeograpy = "x.json"\n'
    )
    with pytest.raises(InputFileError) as info:
        read_config(config)
    found = [(Path(i.file).name, i.column, i.suggestion) for i in info.value.issues]
    assert found == [
        ("c.toml", "vocabularies.geograpy", "geography"),
        ("geo.json", "unit", "units"),
        ("geo.json", "borders[0][1]", "Coventry"),
        ("topics.json", "decay", None),
        ("topics.json", "edges[0]", None),
    ]
    assert (
        "geo.json, key 'borders[0][1]': 'Coventy' is not listed in 'places' or a unit - did you mean 'Coventry'?"
        in str(info.value)
    )


def test_vocabulary_loaders_read_the_documented_format():
    from pairmatch.io import load_geography, load_taxonomy

    geo = load_geography(WEST_MIDLANDS / "west-midlands.json")
    assert geo.relation("Coventry", "Wolverhampton") == "two boroughs apart"
    assert geo.unit_of["Wolverhampton"] == "Black Country"
    tax = load_taxonomy(WEST_MIDLANDS / "topics.json")
    assert tax.path("knife crime", "road safety") == ("knife crime", "violent crime", "community safety", "road safety")


def test_a_bad_vocabulary_file_reports_its_problems_and_no_valid_key_as_unknown(tmp_path):
    # Keys and edge objects the vocabulary classes read (name, river_borders, an edge's reason)
    # are not problems; the real ones are all reported.
    from pairmatch.io import load_geography, load_taxonomy

    geo = tmp_path / "geo.json"
    geo.write_text(
        json.dumps(
            {
                "name": "x",
                "places": ["A", "B", "C"],
                "borders": [["A", "B"]],
                "river_borders": [["B", "C"]],
                "units": {"u": ["A", "Q"]},
            }
        )
    )
    topics = tmp_path / "topics.json"
    topics.write_text(
        json.dumps(
            {
                "name": "x",
                "decay": 2,
                "edges": [{"a": "road safety", "b": "community safety", "reason": "both about streets"}],
            }
        )
    )
    for load, path, expected in (
        (load_geography, geo, [("units.u[1]", "'Q' is not in 'places'")]),
        (load_taxonomy, topics, [("decay", "Input should be less than 1")]),
    ):
        with pytest.raises(InputFileError) as info:
            load(path)
        found = [(i.column, i.message) for i in info.value.issues]
        assert len(found) == len(expected)
        assert all(
            column == want_column and want in message
            for (column, message), (want_column, want) in zip(found, expected, strict=True)
        ), found


# --------------------------------------------------------------------------- notebooks


def test_problem_from_frames_takes_a_dict_of_settings_and_results_come_back_as_frames():
    pd = pytest.importorskip("pandas")
    mentors = pd.read_csv(PILOT / "mentors.csv", encoding="utf-8-sig")
    mentees = pd.read_csv(PILOT / "mentees.csv", encoding="utf-8-sig")
    problem = pm.problem_from_frames(
        mentors, mentees, {"meeting_minutes": 60, "rules": {"forbidden_pairs": [["M1", "O1"]]}}
    )
    assert problem.mentors == pm.pilot_problem().mentors
    assert problem.rules.forbidden_pairs == (("M1", "O1"),)
    result = pm.solve(problem)
    frame = result.to_frame()
    assert list(frame["mentor_id"]) == [p.mentor_id for p in result.pairs]
    assert ("M1", "O1") not in set(zip(frame["mentor_id"], frame["mentee_id"], strict=True))
    names = {m.id: m.name for m in problem.mentors}
    assert list(frame["mentor_name"]) == [names[m] for m in frame["mentor_id"]]
    assert len(result.unmatched_frame()) == len(result.unmatched)
    with pytest.raises(InputFileError) as info:
        pm.problem_from_frames(mentors, mentees, {"rules": {"min_scor": 0.2}})
    assert info.value.issues[0].suggestion == "min_score"


# --------------------------------------------------------------------------- warnings before solving


@pytest.mark.parametrize("dense_limit", [0, 10**6])  # O(n) bounds only, or every pair evaluated
def test_rules_that_leave_people_without_candidates_are_named(dense_limit):
    from pairmatch.io import problem_warnings

    problem = pm.pilot_problem()
    lonely = problem.mentees[2].model_copy(update={"availability": ("Sun 06:00-06:30",)})
    problem = problem.model_copy(
        update={"mentees": (*problem.mentees[:2], lonely), "rules": pm.Rules(min_overlap_minutes=60)}
    )
    (warning,) = problem_warnings(problem, dense_limit=dense_limit)
    assert warning.severity == "warning"
    assert warning.column == "rules.min_overlap_minutes"
    assert warning.message == (
        "rules out every pair of 1 mentee (O3): no mentor with at least 60 minutes a week in common"
    )
    everyone = problem.model_copy(update={"rules": pm.Rules(min_overlap_minutes=600)})
    (warning,) = problem_warnings(everyone, dense_limit=dense_limit)
    assert warning.message == "rules out every pair: no mentor and mentee have at least 600 minutes a week in common"


def test_rules_that_only_together_leave_someone_alone():
    from pairmatch.io import problem_warnings

    # M1 scores 0.880 with O1 (forbidden) and 0.185 / 0.200 with O2 / O3 (below the minimum).
    problem = pm.pilot_problem().model_copy(update={"rules": pm.Rules(forbidden_pairs=[("M1", "O1")], min_score=0.5)})
    messages = [w.message for w in problem_warnings(problem)]
    assert "the rules together leave 1 mentor (M1) without any candidate mentee" in messages
    assert problem_warnings(pm.pilot_problem()) == ()


def test_reading_pauses_the_garbage_collector_only_while_it_reads():
    import gc

    assert gc.isenabled()
    load_problem(PILOT / "mentors.csv", PILOT / "mentees.csv")
    assert gc.isenabled()
    with pytest.raises(InputFileError):
        read_people(MALFORMED / "many_problems.csv", "mentor")
    assert gc.isenabled()
    gc.disable()
    try:
        read_people(PILOT / "mentors.csv", "mentor")
        assert not gc.isenabled()  # a caller's own setting is left as it was
    finally:
        gc.enable()


def test_min_above_max_is_reported_with_the_rows_other_problems(tmp_path):
    path = _write(
        tmp_path,
        "m.csv",
        f"{HEADER}\nM1\x1b,Ann,knife crime,Brent,Mon 18:00-20:00,3,1\n"
        "M2,Bo\x07b,knife crime,Brent,Mon 18:00-20:00,,0\n"
        "M3,Cy,knife crime,Brent,Mon 18:00-20:00,2,1\n",
    )
    with pytest.raises(InputFileError) as info:
        read_people(path, "mentor")
    found = [(i.row, i.column, i.message) for i in info.value.issues]
    assert (2, "id", "'M1\\x1b' contains control characters (U+001B); use printable text only") in found
    assert (2, "min_partners", "min_partners (3) is greater than max_partners (1)") in found
    assert (3, "name", "'Bo\\x07b' contains control characters (U+0007); use printable text only") in found
    assert (4, "min_partners", "min_partners (2) is greater than max_partners (1)") in found
    assert len(found) == 4
