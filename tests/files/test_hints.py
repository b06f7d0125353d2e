"""Hints name the actual mistake: one test per mistake a coordinator makes in a spreadsheet cell."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pairmatch.datasets import default_taxonomy, london
from pairmatch.io import InputFileError, read_people
from pairmatch.io.hints import place_problem, topic_problem, window_problem


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (
            "Tue 18:00-18:00",
            "'Tue 18:00-18:00' starts and ends at 18:00: give an end after the start, e.g. 'Tue 18:00-19:00'",
        ),
        (
            "Sun 23:30-23:30",
            "'Sun 23:30-23:30' starts and ends at 23:30: give an end after the start, e.g. 'Sun 23:30-24:00'",
        ),
        ("Mon 6pm-8pm", "'Mon 6pm-8pm' has 12-hour times: write 24-hour times, e.g. 'Mon 18:00-20:00'"),
        ("Mon 6-8pm", "'Mon 6-8pm' has 12-hour times: write 24-hour times, e.g. 'Mon 18:00-20:00'"),
        ("Wed 9:30am-12pm", "'Wed 9:30am-12pm' has 12-hour times: write 24-hour times, e.g. 'Wed 09:30-12:00'"),
        ("Thu 10pm-12am", "'Thu 10pm-12am' has 12-hour times: write 24-hour times, e.g. 'Thu 22:00-24:00'"),
        ("Sat 6 PM - 8 P.M.", "'Sat 6 PM - 8 P.M.' has 12-hour times: write 24-hour times, e.g. 'Sat 18:00-20:00'"),
        (
            "Mon 18:00-20:00, Tue 18:00-20:00",
            "'Mon 18:00-20:00, Tue 18:00-20:00' holds several windows: separate them with ';', "
            "e.g. 'Mon 18:00-20:00; Tue 18:00-20:00'",
        ),
        # The hints that were right stay as they were.
        (
            "Fri 22:00-02:00",
            "'Fri 22:00-02:00' ends before it starts: a window cannot cross midnight; split it, "
            "e.g. 'Fri 22:00-24:00; Sat 00:00-02:00'",
        ),
        ("Mon 9-5", "'Mon 9-5' ends before it starts: write 24-hour times, e.g. 'Mon 09:00-17:00'"),
    ],
)
def test_window_hints_name_the_mistake(window, expected):
    assert window_problem(window) == expected


def test_names_separated_by_commas_are_told_to_use_semicolons():
    assert place_problem(london(), "Tower Hamlets, Newham") == (
        "'Tower Hamlets, Newham' names several boroughs: separate them with ';', e.g. 'Tower Hamlets; Newham'",
        None,
    )
    assert place_problem(london(), "Hackney/Islington")[0].startswith("'Hackney/Islington' names several boroughs")
    assert topic_problem(default_taxonomy(), "knife crime, domestic abuse") == (
        "'knife crime, domestic abuse' names several focus areas: separate them with ';', "
        "e.g. 'knife crime; domestic abuse'",
        None,
    )
    # A single unknown name still gets its "did you mean".
    assert place_problem(london(), "Newhm") == ("'Newhm' is not a known borough or place", "Newham")


def test_an_unclosed_quote_is_reported_as_one_not_as_control_characters(tmp_path):
    path = tmp_path / "mentors.csv"
    path.write_text(
        "id,name,focus_areas,boroughs,availability\n"
        'M1,"Ann,knife crime,Newham,Mon 18:00-20:00\n'
        "M2,Bob,knife crime,Newham,Mon 18:00-20:00\n"
        "M3,Cy,knife crime,Newham,Mon 18:00-20:00\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError) as info:
        read_people(path, "mentor")
    (issue,) = info.value.issues
    assert (issue.row, issue.column, issue.value) == (2, "name", "Ann,knife crime,Newham,Mon 18:00-20:00")
    assert issue.message == (
        'a quote (") opens this cell and is not closed, so the 2 line(s) after it were read into the cell; '
        "close the quote, or remove it"
    )
    assert "control characters" not in str(info.value)


def test_quoted_cells_that_are_closed_are_read_as_written(tmp_path):
    path = tmp_path / "mentors.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [
                ["id", "name", "focus_areas", "boroughs", "availability"],
                ["M1", 'Smith, Ann "Annie"', "knife crime; gang violence", "Newham", "Mon 18:00-20:00"],
                ["M2", "Bob", "knife crime", "Newham", "Mon 18:00-20:00"],
            ]
        )
    first, second = read_people(Path(path), "mentor")
    assert (first.name, second.id) == ('Smith, Ann "Annie"', "M2")
