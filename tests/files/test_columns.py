"""Extra input columns carried beside each person into the matches, the report and the letters."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from pairmatch.cli import EXIT_OK, EXIT_USAGE, main

MENTORS = """id,name,focus_areas,boroughs,availability,email,team
M1,Amina,knife crime,Newham,Tue 18:00-20:00,amina@example.org,=1+1
M2,Bea,domestic abuse,Brent,Wed 18:00-20:00,bea@example.org,Youth panel
"""
MENTEES = """id,name,focus_areas,boroughs,availability,email,pronouns
O1,Cdr Jones,knife crime,Hackney,Tue 18:30-21:00,jones@example.org,he/him
O2,DAC Patel,domestic abuse,Harrow,Wed 18:00-19:30,patel@example.org,she/her
"""


def test_columns_appear_beside_each_person(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("mentors.csv").write_text(MENTORS, encoding="utf-8")
    Path("mentees.csv").write_text(MENTEES, encoding="utf-8")
    columns = ["--column", "email", "--column", "team", "--column", "pronouns"]
    code = main(["match", "mentors.csv", "mentees.csv", "-o", "m.csv", "-o", "m.xlsx", "--report", "r.md", *columns])
    assert code == EXIT_OK, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "@example.org" not in out
    rows = list(csv.DictReader(io.StringIO(Path("m.csv").read_text(encoding="utf-8-sig"))))
    header = list(rows[0])
    assert header[:8] == [
        "mentor_id",
        "mentor_name",
        "mentor_email",
        "mentor_team",
        "mentor_pronouns",
        "mentee_id",
        "mentee_name",
        "mentee_email",
    ]
    first = next(r for r in rows if r["mentor_id"] == "M1")
    assert (first["mentor_email"], first["mentor_team"], first["mentee_pronouns"]) == (
        "amina@example.org",
        "'=1+1",  # formula-neutralised
        "he/him",
    )
    sheet = openpyxl.load_workbook("m.xlsx")["matches"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:5] == header[:5]
    m1 = next(v for v in values if v[0] == "M1")
    assert m1[3] == "=1+1"
    assert next(c for c in sheet.iter_rows() if c[0].value == "M1")[3].data_type == "s"  # text, never a formula
    report = Path("r.md").read_text(encoding="utf-8")
    assert "email: jones@example.org; pronouns: he/him" in report


def test_a_column_nobody_has_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("mentors.csv").write_text(MENTORS, encoding="utf-8")
    Path("mentees.csv").write_text(MENTEES, encoding="utf-8")
    assert main(["match", "mentors.csv", "mentees.csv", "--column", "emial"]) == EXIT_USAGE
    assert "did you mean 'email'" in capsys.readouterr().err
