"""From proposal to first meeting on the command line: consent, a decline, a re-match, letters and calendars."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

import icalendar
from ical.calendar_stream import IcsCalendarStream

from pairmatch.cli import EXIT_OK, main

MENTORS = """id,name,focus_areas,boroughs,availability,email,pronouns
M1,Amina,knife crime,Newham,Tue 18:00-20:00,amina@example.org,she/her
M2,Bea,domestic abuse,Brent,Wed 18:00-20:00,bea@example.org,she/her
M3,Chi,social inequality,Tower Hamlets,Thu 18:00-20:00,chi@example.org,they/them
"""
MENTEES = """id,name,focus_areas,boroughs,availability,email,pronouns
O1,Cdr Jones,knife crime,Hackney,Tue 18:30-21:00,jones@example.org,he/him
O2,DAC Patel,domestic abuse,Harrow,Wed 18:00-19:30,patel@example.org,she/her
O3,AC Okafor,social inequality,Newham,Thu 19:00-21:00,okafor@example.org,she/her
O4,Supt Reid,knife crime,Waltham Forest,Tue 18:00-19:00,reid@example.org,he/him
"""
LETTER = "Dear $recipient ($recipient_pronouns),\n\nPlease meet $partner ($partner_pronouns), to talk about $focus.\n"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    return code, out


def test_consent_decline_rematch_accept_and_introduce(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("mentors.csv").write_text(MENTORS, encoding="utf-8")
    Path("mentees.csv").write_text(MENTEES, encoding="utf-8")
    Path("letter.txt").write_text(LETTER, encoding="utf-8")
    store = ["--store", str(tmp_path / "programme.db")]
    run(capsys, "store", "init", *store)

    _, out = run(capsys, "match", "mentors.csv", "mentees.csv", *store, "--cohort", "2026", "--consent")
    assert "3 pairs proposed (waiting for both people to accept)" in out
    _, out = run(capsys, "history", *store, "--cohort", "2026", "--format", "json")
    first = {r["mentor_id"]: r["mentee_id"] for r in json.loads(out)}
    assert first["M1"] == "O1"

    # The officer declines; both are free, and the re-match proposes someone else for Amina.
    run(capsys, "respond", "M1", "O1", "--decline", "--by", "O1", "--reason", "diary full", *store, "--cohort", "2026")
    _, out = run(capsys, "rematch", *store, "--cohort", "2026", "--format", "json")
    rematch = json.loads(out)
    new = [c for c in rematch["changes"] if c["change"] == "new"]
    assert [(c["mentor_id"], c["mentee_id"]) for c in new] == [("M1", "O4")]
    assert "the proposal of M1 with O1 declined" in new[0]["reason"]
    assert rematch["counts"]["declined"] == 1
    second_run = rematch["run"]

    # Both accept the new proposal: it starts.
    run(capsys, "respond", "M1", "O4", "--accept", "--by", "O4", *store)
    _, out = run(capsys, "respond", "M1", "O4", "--accept", "--by", "M1", *store)
    assert "the pair has started" in out

    # Letters, a mail-merge CSV and a calendar for the pair the re-match made and both accepted.
    _, out = run(
        capsys,
        "introduce",
        str(second_run),
        "--out",
        "intro",
        *store,
        "--accepted-only",
        "--template",
        "letter.txt",
        "--email-column",
        "email",
        "--column",
        "pronouns",
        "--first-meeting",
        "2026-04-01",
        "--meetings",
        "3",
    )
    assert "2 letters (Markdown and HTML) for 1 pairs, 1 calendar files and mail-merge.csv" in out
    assert "@example.org" not in out  # contact details only in the files
    folder = tmp_path / "intro"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "calendar/M1--O4.ics",
        "letters/M1--O4.html",
        "letters/M1--O4.md",
        "letters/O4--M1.html",
        "letters/O4--M1.md",
        "mail-merge.csv",
    ]
    letter = (folder / "letters/O4--M1.md").read_text(encoding="utf-8")
    assert "Dear Supt Reid (he/him)," in letter
    assert "Please meet Amina (she/her), to talk about knife crime." in letter
    assert "Tue 18:00-19:00" in letter
    rows = list(csv.DictReader(io.StringIO((folder / "mail-merge.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["to_id"], r["to_email"], r["partner_id"], r["to_pronouns"]) for r in rows] == [
        ("M1", "amina@example.org", "O4", "she/her"),
        ("O4", "reid@example.org", "M1", "he/him"),
    ]
    assert rows[0]["change"] == "changed"
    data = (folder / "calendar/M1--O4.ics").read_bytes()
    events = list(icalendar.Calendar.from_ical(data).walk("VEVENT"))
    starts = [e.decoded("DTSTART") for e in events]
    assert [s.date() for s in starts] == [dt.date(2026, 4, 7), dt.date(2026, 5, 5), dt.date(2026, 6, 2)]
    assert all((s.hour, s.minute, s.utcoffset()) == (18, 0, dt.timedelta(hours=1)) for s in starts)
    assert [e.dtstart for e in IcsCalendarStream.calendar_from_ics(data.decode()).events] == starts

    stamp = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
    # The diff of the two runs lists the steps of their pairs, with times and who answered.
    _, out = run(capsys, "diff", "1", str(second_run), *store)
    assert re.search(rf"{stamp}  M1 - O1  declined by O1  declined by O1: diary full", out)
    assert re.search(rf"{stamp}  M1 - O4  started  both accepted", out)
    _, out = run(capsys, "diff", "1", str(second_run), *store, "--format", "json")
    kinds = [(s["mentor_id"], s["mentee_id"], s["kind"], s["person"]) for s in json.loads(out)["steps"]]
    assert [k for k in kinds if k[0] == "M1"] == [
        ("M1", "O1", "proposed", None),
        ("M1", "O1", "declined", "O1"),
        ("M1", "O4", "proposed", None),
        ("M1", "O4", "accepted", "O4"),
        ("M1", "O4", "accepted", "M1"),
        ("M1", "O4", "started", None),
    ]

    # History: every step, with its time and who answered.
    _, out = run(capsys, "history", *store, "--person", "M1")
    assert re.search(rf"2026  M1 - O1  \(run 1\): declined {stamp}", out)
    assert re.search(rf"{stamp}  proposed  matched by run 1", out)
    assert re.search(rf"{stamp}  declined by O1  declined by O1: diary full", out)
    assert re.search(rf"2026  M1 - O4  \(run {second_run}\): active since {stamp}", out)
    assert re.search(rf"{stamp}  accepted by O4", out)
    assert re.search(rf"{stamp}  accepted by M1", out)
    assert re.search(rf"{stamp}  started  both accepted", out)


def test_the_settings_file_drives_consent_columns_and_introductions(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("mentors.csv").write_text(MENTORS, encoding="utf-8")
    Path("mentees.csv").write_text(MENTEES, encoding="utf-8")
    Path("settings").mkdir()
    Path("settings/letter.txt").write_text(LETTER, encoding="utf-8")
    Path("settings/config.toml").write_text(
        "[output]\ncolumns = ['pronouns']\n"
        "[consent]\nrequired = true\nexpires_after_days = 10\n"
        "[introductions]\ntemplate = 'letter.txt'\nemail_column = 'email'\nfrequency = 'weekly'\nmeetings = 2\n"
        "first_meeting_after = 2026-01-05\ntime_zone = 'floating'\n",
        encoding="utf-8",
    )
    store = ["--store", str(tmp_path / "programme.db")]
    run(capsys, "store", "init", *store)
    _, out = run(capsys, "match", "mentors.csv", "mentees.csv", "-c", "settings/config.toml", *store, "--cohort", "c")
    assert "3 pairs proposed (waiting for both people to accept)" in out
    _, out = run(capsys, "introduce", "1", "--out", "intro", "-c", "settings/config.toml", *store)
    assert "6 letters (Markdown and HTML) for 3 pairs, 3 calendar files" in out
    letter = Path("intro/letters/O1--M1.md").read_text(encoding="utf-8")
    assert "Dear Cdr Jones (he/him)," in letter
    rows = list(csv.DictReader(io.StringIO(Path("intro/mail-merge.csv").read_text(encoding="utf-8-sig"))))
    assert {r["to_email"] for r in rows} >= {"amina@example.org", "jones@example.org"}
    data = Path("intro/calendar/M1--O1.ics").read_bytes()
    starts = [e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(data).walk("VEVENT")]
    assert starts == [dt.datetime(2026, 1, 6, 18, 30), dt.datetime(2026, 1, 13, 18, 30)]  # floating, weekly
