"""Introductions: a letter for each person of each new pair, a mail-merge CSV and calendar files.

For every pair a run started or changed, each person gets a letter (Markdown
and HTML) with both names, the shared focus, the borough relation, the
common weekly times, the proposed first meetings and the coordinator's own
text (a template file with ``$placeholders``). One mail-merge CSV lists every
letter with its recipient's address (``email_column``) for the coordinator's
mail program, and each pair gets an ``.ics`` file (RFC 5545) proposing its
first meetings. Nothing is sent by pairmatch; contact details go only into
these files, never into logs or messages.

Files, relative to the output folder::

    letters/<recipient>--<partner>.md and .html
    calendar/<mentor>--<mentee>.ics      (pairs with a common window long enough to meet)
    mail-merge.csv

Modules: `model` (the facts and the meeting dates), `letters` (Markdown,
HTML, mail merge) and `calendar` (iCalendar).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .calendar import ics_bytes
from .letters import (
    DEFAULT_TEXT,
    PLACEHOLDERS,
    TemplateError,
    check_template,
    letter_html,
    letter_markdown,
    letter_values,
    mail_merge_bytes,
)
from .model import Introduction, IntroductionOptions, Meeting, build_introductions, meeting_times

__all__ = [
    "DEFAULT_TEXT",
    "PLACEHOLDERS",
    "Introduction",
    "IntroductionFiles",
    "IntroductionOptions",
    "Meeting",
    "TemplateError",
    "build_introductions",
    "introduction_files",
    "meeting_times",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def file_stem(*ids: str) -> str:
    """A file name from people's ids: safe characters only, a short hash when any had to go.

    >>> file_stem("M1", "O1"), file_stem("../x", "O 1")
    ('M1--O1', '___x--O_1-f21902dc')
    """
    joined = "--".join(ids)
    safe = "--".join(_UNSAFE.sub("_", i)[:60] for i in ids)
    if safe == joined:
        return safe
    return f"{safe}-{hashlib.sha256(joined.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class IntroductionFiles:
    """The rendered files (relative path -> bytes) and counts for a one-line summary (no person data)."""

    files: dict[str, bytes]
    pairs: int
    letters: int
    calendars: int

    def summary(self) -> str:
        """One line counting the letters, pairs and calendar files (no person data)."""
        return (
            f"{self.letters} letters (Markdown and HTML) for {self.pairs} pairs, "
            f"{self.calendars} calendar files and mail-merge.csv"
        )


def introduction_files(
    intros: Sequence[Introduction],
    options: IntroductionOptions | None = None,
    *,
    template: str | None = None,
    stamp: dt.datetime | None = None,
    tag: str = "",
) -> IntroductionFiles:
    """Every letter, calendar file and the mail-merge CSV for ``intros``, rendered in memory.

    Parameters
    ----------
    intros : sequence of Introduction
    options : IntroductionOptions, optional
    template : str, optional
        The coordinator's text (default: `DEFAULT_TEXT`); checked before anything is rendered.
    stamp : datetime, optional
        When the matching was made (DTSTAMP of the calendar files; default: now).
    tag : str
        Makes calendar UIDs unique per run (e.g. ``"run 7"``).

    Raises
    ------
    TemplateError
        For a placeholder the template does not know.

    Examples
    --------
    >>> from pairmatch import pilot_problem, solve
    >>> intros = build_introductions(solve(pilot_problem()), made_on=dt.date(2026, 3, 1))
    >>> out = introduction_files(intros, stamp=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    >>> sorted(out.files)[:3]
    ['calendar/M1--O1.ics', 'calendar/M2--O2.ics', 'calendar/M3--O3.ics']
    >>> out.summary()
    '6 letters (Markdown and HTML) for 3 pairs, 3 calendar files and mail-merge.csv'
    """
    options = options or IntroductionOptions()
    columns = tuple(dict.fromkeys(c for i in intros for c in i.columns))
    checked = check_template(template if template is not None else DEFAULT_TEXT, columns)
    stamp = stamp or dt.datetime.now(dt.UTC)
    files: dict[str, bytes] = {}
    rows = []
    calendars = 0
    for intro in intros:
        calendar = None
        if intro.meetings:
            calendar = f"calendar/{file_stem(intro.mentor.id, intro.mentee.id)}.ics"
            files[calendar] = ics_bytes(intro, options, stamp=stamp, tag=tag)
            calendars += 1
        for recipient, partner in ((intro.mentor, intro.mentee), (intro.mentee, intro.mentor)):
            stem = f"letters/{file_stem(recipient.id, partner.id)}"
            markdown = letter_markdown(intro, recipient, options, checked)
            files[f"{stem}.md"] = markdown.encode("utf-8")
            files[f"{stem}.html"] = letter_html(intro, recipient, options, checked).encode("utf-8")
            values = letter_values(intro, recipient, options)
            row = {
                "to_id": recipient.id,
                "to_name": recipient.name or "",
                "to_role": values["role"],
                "to_email": _email(recipient, options),
                "partner_id": partner.id,
                "partner_name": partner.name or "",
                "partner_role": values["partner_role"],
                "partner_email": _email(partner, options),
                "cohort": intro.cohort,
                "change": intro.change,
                "subject": options.subject,
                "focus": intro.focus,
                "boroughs": intro.boroughs,
                "common_times": values["common_times"],
                "first_meeting": values["first_meeting"],
                "meetings": values["meetings"],
                "letter_markdown": f"{stem}.md",
                "letter_html": f"{stem}.html",
                "calendar": calendar or "",
                "message": checked.substitute(values),
            }
            for column, value in intro.column_values(recipient).items():
                row[f"to_{column}"] = value
            for column, value in intro.column_values(partner).items():
                row[f"partner_{column}"] = value
            rows.append(row)
    files["mail-merge.csv"] = mail_merge_bytes(rows, columns)
    return IntroductionFiles(files, len(intros), len(rows), calendars)


def _email(person: object, options: IntroductionOptions) -> str:
    if not options.email_column:
        return ""
    return str(getattr(person, "attributes", {}).get(options.email_column, "") or "")
