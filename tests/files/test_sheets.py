"""Spreadsheets as people keep them: a chosen sheet, hidden rows, merged cells, formulas without a saved value."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pairmatch.cli import EXIT_OK, EXIT_USAGE, main
from pairmatch.io import InputFileError, load_problem, read_people

HEADER = ["id", "name", "focus_areas", "boroughs", "availability", "team"]
MENTORS = [
    ["M1", "Amina", "knife crime", "Newham", "Tue 18:00-20:00", "North"],
    ["M2", "Bea", "domestic abuse", "Brent", "Wed 18:00-20:00", "North"],
    ["M3", "Chi", "social inequality", "Tower Hamlets", "Thu 18:00-20:00", "South"],
    ["M4", "Dee", "knife crime", "Hackney", "Tue 18:00-20:00", "South"],
]
MENTEES = [
    ["O1", "Cdr Jones", "knife crime", "Hackney", "Tue 18:30-21:00", "A"],
    ["O2", "DAC Patel", "domestic abuse", "Harrow", "Wed 18:00-19:30", "B"],
]


def workbook(path: Path) -> Path:
    """Mentors on a sheet named 'Young people' behind a cover sheet, with a hidden row,
    a merged team cell and a formula nobody calculated; mentees on 'Officers'."""
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"
    cover["A1"] = "Spring cohort: read me first"
    ws = book.create_sheet("Young people")
    for row in (HEADER, *MENTORS):
        ws.append(row)
    ws.row_dimensions[3].hidden = True  # M2
    ws.merge_cells("F4:F5")  # M3's team also covers M4's row, which reads empty
    ws["B5"] = '=UPPER("dee")'  # saved without a value by a program that does not calculate
    officers = book.create_sheet("Officers")
    for row in (HEADER, *MENTEES):
        officers.append(row)
    book.save(path)
    return path


def test_the_sheet_is_chosen_and_what_looks_wrong_is_named_by_row(tmp_path):
    path = workbook(tmp_path / "cohort.xlsx")
    warnings: list = []
    problem, _ = load_problem(path, path, sheets=("young PEOPLE", "Officers"), warnings=warnings)
    assert [m.id for m in problem.mentors] == ["M1", "M2", "M3", "M4"]
    assert problem.mentors[3].name is None  # the formula read as empty
    assert "team" not in problem.mentors[3].attributes  # below the merged cell
    found = {(w.row, w.column, w.message.split(":")[0].split(" (")[0]) for w in warnings}
    assert all(w.severity == "warning" and w.file == f"{path} [Young people]" for w in warnings)
    assert (
        3,
        None,
        "row 3 is hidden in the sheet and read like any other; delete a row that should not count",
    ) in found
    merged = next(w for w in warnings if "merged" in w.message)
    assert (merged.row, merged.column) == (4, "team")
    assert "row 5 reads as empty" in merged.message
    formula = next(w for w in warnings if "formula" in w.message)
    assert (formula.row, formula.column) == (5, "name")


def test_an_unknown_sheet_lists_the_sheets(tmp_path):
    path = workbook(tmp_path / "cohort.xlsx")
    with pytest.raises(InputFileError) as err:
        read_people(path, "mentor", sheet="Mentors 2026")
    message = str(err.value)
    assert "no sheet named 'Mentors 2026'" in message
    assert "'Cover', 'Young people', 'Officers'" in message
    # Without a sheet the first one is read; it has no header, and the error says how to choose.
    with pytest.raises(InputFileError, match=r"choose the sheet with --sheet NAME \(sheets: 'Cover', 'Young people'"):
        read_people(path, "mentor")


def test_the_command_line_takes_one_or_two_sheets_and_prints_the_warnings(tmp_path, capsys):
    path = str(workbook(tmp_path / "cohort.xlsx"))
    assert main(["validate", path, path, "--sheet", "Young people", "--sheet", "Officers"]) == EXIT_OK
    err = capsys.readouterr().err
    assert "warning: " in err
    assert "row 3 is hidden" in err
    assert main(["validate", path, path, "--sheet", "Young people", "--sheet", "Officers", "--strict"]) == EXIT_USAGE
    capsys.readouterr()
    assert main(["validate", path, path, "--sheet", "Nope"]) == EXIT_USAGE
    assert "sheets: 'Cover', 'Young people', 'Officers'" in capsys.readouterr().err
