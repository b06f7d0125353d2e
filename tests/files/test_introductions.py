"""Introductions: letters, the mail-merge CSV and calendar files, read back by independent parsers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

import pairmatch as pm
from pairmatch.availability import window_slots
from pairmatch.introductions import (
    IntroductionOptions,
    TemplateError,
    build_introductions,
    introduction_files,
    meeting_times,
)

LONDON = ZoneInfo("Europe/London")
STAMP = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def people(name: str = "Amina Yusuf", extra: dict | None = None) -> pm.Problem:
    attributes = {"email": "amina@example.org", "pronouns": "she/her", **(extra or {})}
    return pm.Problem(
        mentors=[
            pm.Mentor(
                id="M1",
                name=name,
                focus_areas=["knife crime"],
                boroughs=["Newham"],
                availability=["Tue 18:00-20:00", "Sat 10:00-12:00"],
                attributes=attributes,
            ),
            pm.Mentor(id="M2", focus_areas=["domestic abuse"], boroughs=["Brent"], availability=["Wed 09:00-09:30"]),
        ],
        mentees=[
            pm.Mentee(
                id="O1",
                name="Cdr Jones",
                focus_areas=["knife crime"],
                boroughs=["Hackney"],
                availability=["Tue 18:30-21:00"],
                attributes={"email": "jones@example.org", "pronouns": "he/him"},
            ),
            pm.Mentee(id="O2", focus_areas=["domestic abuse"], boroughs=["Harrow"], availability=["Wed 09:00-10:00"]),
        ],
    )


def render(problem: pm.Problem, options: IntroductionOptions | None = None, template: str | None = None):
    options = options or IntroductionOptions(email_column="email", first_meeting_after=dt.date(2026, 3, 1))
    intros = build_introductions(pm.solve(problem), options=options, columns=("pronouns",), cohort="2026")
    return intros, introduction_files(intros, options, template=template, stamp=STAMP, tag="run 1")


def test_meetings_fall_in_the_common_window_at_the_frequency():
    common = window_slots(["Tue 18:00-20:00"]) & window_slots(["Tue 18:30-21:00"])
    monthly = meeting_times(common, 60, dt.date(2026, 1, 31), "monthly", 4)
    assert [m.start for m in monthly] == [
        dt.datetime(2026, 2, 3, 18, 30),  # the first Tuesday on or after 31 January
        dt.datetime(2026, 3, 3, 18, 30),  # on or after 28 February (no 31st)
        dt.datetime(2026, 3, 31, 18, 30),
        dt.datetime(2026, 5, 5, 18, 30),
    ]
    assert all(m.end - m.start == dt.timedelta(minutes=60) for m in monthly)
    fortnightly = meeting_times(common, 90, dt.date(2026, 3, 4), "fortnightly", 3)
    assert [m.start.date() for m in fortnightly] == [dt.date(2026, 3, 10), dt.date(2026, 3, 24), dt.date(2026, 4, 7)]
    assert meeting_times(common, 120, dt.date(2026, 3, 4)) == ()  # the common window is only 90 minutes


def test_calendar_files_parse_with_two_independent_libraries():
    intros, out = render(people())
    (pair,) = [i for i in intros if i.pair == ("M1", "O1")]
    data = out.files["calendar/M1--O1.ics"]
    assert data.endswith(b"\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    first = icalendar.Calendar.from_ical(data)
    events = list(first.walk("VEVENT"))
    assert len(events) == 6
    second = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert len(second.events) == 6
    assert len({str(e["UID"]) for e in events}) == 6
    for event, other, meeting in zip(events, second.events, pair.meetings, strict=True):
        start = event.decoded("DTSTART")
        assert start == meeting.start.replace(tzinfo=LONDON)
        assert other.dtstart == start
        assert event.decoded("DTEND") - start == dt.timedelta(minutes=60)
        assert start.weekday() == 1
        assert (start.hour, start.minute) == (18, 30)  # inside both people's Tuesday window
        assert "Amina Yusuf and Cdr Jones" in str(event["SUMMARY"])
        assert str(event["STATUS"]) == "TENTATIVE"
        assert {str(a) for a in event.get("ATTENDEE")} == {"mailto:amina@example.org", "mailto:jones@example.org"}
    # March is GMT, April onwards BST: the VTIMEZONE gives each meeting its own offset.
    assert [e.decoded("DTSTART").utcoffset() for e in events[:2]] == [dt.timedelta(0), dt.timedelta(hours=1)]
    assert [e.dtstart.utcoffset() for e in second.events[:2]] == [dt.timedelta(0), dt.timedelta(hours=1)]


def test_long_and_awkward_text_survives_folding_and_escaping():
    name = "Ngozi-Adébáyọ̀ Ọlánrewájú; of Walthamstow, \\ London " + "é" * 40
    _, out = render(people(name))
    data = out.files["calendar/M1--O1.ics"]
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    data.decode("utf-8")  # never folded inside a character
    event = next(iter(icalendar.Calendar.from_ical(data).walk("VEVENT")))
    assert name in str(event["SUMMARY"])
    other = IcsCalendarStream.calendar_from_ics(data.decode("utf-8")).events[0]
    assert name in other.summary


def test_floating_times_carry_no_zone():
    options = IntroductionOptions(time_zone="floating", first_meeting_after=dt.date(2026, 7, 1), meetings=2)
    _, out = render(people(), options)
    data = out.files["calendar/M1--O1.ics"]
    assert b"VTIMEZONE" not in data
    starts = [e.decoded("DTSTART") for e in icalendar.Calendar.from_ical(data).walk("VEVENT")]
    assert starts == [dt.datetime(2026, 7, 7, 18, 30), dt.datetime(2026, 8, 4, 18, 30)]
    assert IcsCalendarStream.calendar_from_ics(data.decode()).events[0].dtstart.tzinfo is None


def test_letters_name_both_people_and_the_facts():
    _, out = render(people(), template="Hello $recipient ($recipient_pronouns), meet $partner ($partner_pronouns).")
    assert sorted(k for k in out.files if k.startswith("letters/")) == [
        "letters/M1--O1.html",
        "letters/M1--O1.md",
        "letters/M2--O2.html",
        "letters/M2--O2.md",
        "letters/O1--M1.html",
        "letters/O1--M1.md",
        "letters/O2--M2.html",
        "letters/O2--M2.md",
    ]
    letter = out.files["letters/O1--M1.md"].decode()
    assert "Hello Cdr Jones (he/him), meet Amina Yusuf (she/her)." in letter
    assert "shared focus: knife crime" in letter
    assert "adjacent: Newham - Hackney" in letter
    assert "Tue 18:30-20:00" in letter
    assert "Tue 3 Mar 2026 18:30-19:30" in letter
    # M2 and O2 share only half an hour: no meeting proposed, the letter says so and no calendar is written.
    assert "calendar/M2--O2.ics" not in out.files
    assert "no common weekly window of 60 minutes" in out.files["letters/M2--O2.html"].decode()


def test_hostile_names_stay_text_in_every_output():
    hostile = '=HYPERLINK("http://x")<script>alert(1)</script>[click](javascript:x)'
    _, out = render(people(hostile, {"pronouns": "@SUM(1)"}))
    page = out.files["letters/M1--O1.html"].decode()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    markdown = out.files["letters/O1--M1.md"].decode()
    assert "[click]" not in markdown
    assert "\\[click\\]" in markdown
    rows = list(csv.DictReader(io.StringIO(out.files["mail-merge.csv"].decode("utf-8-sig"))))
    assert len(rows) == 4
    amina = next(r for r in rows if r["to_id"] == "M1")
    assert amina["to_name"].startswith("'=HYPERLINK")
    assert amina["to_pronouns"] == "'@SUM(1)"
    assert amina["to_email"] == "amina@example.org"
    assert amina["partner_email"] == "jones@example.org"
    assert amina["calendar"] == "calendar/M1--O1.ics"
    assert amina["letter_html"] == "letters/M1--O1.html"


def test_a_template_with_an_unknown_placeholder_is_refused_before_anything_is_written():
    with pytest.raises(TemplateError, match=r"\$recipent"):
        render(people(), template="Dear $recipent")
    with pytest.raises(TemplateError, match="dollar"):
        render(people(), template="It costs $5")
    _, out = render(people(), template="It costs $$5, ${partner}.")
    assert "It costs $5, Cdr Jones." in out.files["letters/M1--O1.md"].decode()


def test_settings_file_sections_for_consent_introductions_columns_and_sheets(tmp_path):
    from pairmatch.io import InputFileError, read_config

    path = tmp_path / "config.toml"
    path.write_text(
        "[input]\nsheet = ['Young people', 'Officers']\n"
        "[output]\ncolumns = ['email', 'pronouns']\n"
        "[consent]\nrequired = true\nexpires_after_days = 14\n"
        "[introductions]\ntemplate = 'letter.txt'\nfrequency = 'fortnightly'\nmeetings = 4\n"
        "first_meeting_after = 2026-04-01\nemail_column = 'email'\n",
        encoding="utf-8",
    )
    config = read_config(path)
    assert config.sheets == ("Young people", "Officers")
    assert config.columns == ("email", "pronouns")
    assert (config.consent.required, config.consent.expires_after_days) == (True, 14)
    intro = config.introductions
    assert (intro.template, intro.frequency, intro.meetings, intro.first_meeting_after) == (
        "letter.txt",
        "fortnightly",
        4,
        dt.date(2026, 4, 1),
    )
    path.write_text("[consent]\nrequird = true\n[introductions]\nfrequency = 'daily'\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_config(path)
    text = str(err.value)
    assert "line 2" in text
    assert "consent.requird" in text
    assert "required" in text  # the nearest setting
    assert "introductions.frequency" in text
