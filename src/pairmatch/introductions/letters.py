"""Introduction letters (Markdown and HTML) and the mail-merge CSV.

The coordinator's own text comes from a template file with ``$placeholders``
(Python's `string.Template`: substitution only, nothing in a template can
run code or reach an attribute). Every value put into HTML is escaped, the
template text too; values put into Markdown have Markdown's punctuation
escaped, so a name cannot become a link or a heading. The mail-merge CSV is
formula-neutralised like every CSV pairmatch writes.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from ..exceptions import PairmatchError
from ..io.writers import csv_bytes
from ..models import Mentor, Person
from .model import Introduction, IntroductionOptions

__all__ = [
    "DEFAULT_TEXT",
    "PLACEHOLDERS",
    "TemplateError",
    "check_template",
    "letter_html",
    "letter_markdown",
    "letter_values",
    "mail_merge_bytes",
]

PLACEHOLDERS = {
    "recipient": "the name (or id) of the person the letter is for",
    "recipient_id": "their id",
    "partner": "the name (or id) of their new partner",
    "partner_id": "the partner's id",
    "role": "mentor or mentee: the recipient's role",
    "partner_role": "the partner's role",
    "focus": "the shared focus (or the closest related one)",
    "boroughs": "how their boroughs relate",
    "common_times": "their common weekly times",
    "first_meeting": "the first proposed meeting (or a note that none fits)",
    "meetings": "every proposed meeting",
    "cohort": "the cohort",
    "coordinator": "who signs the letter",
}
"""The ``$placeholders`` a template may use (plus ``$partner_COLUMN`` and ``$recipient_COLUMN``
for each extra column)."""

DEFAULT_TEXT = """Dear $recipient,

I am delighted to introduce you to $partner, your partner in the reverse-mentoring programme.
You were matched on $focus; $boroughs.

Your first meeting is proposed for $first_meeting. If that time does not suit, please agree
another one together and let me know.

With best wishes,
$coordinator
"""


class TemplateError(PairmatchError):
    """A letter template uses a placeholder that does not exist, or is not a valid template."""


_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~])")


def _markdown_escape(value: str) -> str:
    return _MARKDOWN.sub(r"\\\1", value)


def _name(person: Person) -> str:
    return person.name or person.id


def _role(person: Person) -> str:
    return "mentor" if isinstance(person, Mentor) else "mentee"


def letter_values(intro: Introduction, recipient: Person, options: IntroductionOptions) -> dict[str, str]:
    """The placeholder values of the letter for ``recipient`` (plain text)."""
    partner = intro.mentee if recipient is intro.mentor else intro.mentor
    meetings = [m.text() for m in intro.meetings]
    zone = f" ({options.time_zone} time)" if options.time_zone == "Europe/London" else ""
    missing = f"no common weekly window of {intro.meeting_minutes} minutes"
    first = meetings[0] + zone if meetings else f"a time you agree together ({missing})"
    values = {
        "recipient": _name(recipient),
        "recipient_id": recipient.id,
        "partner": _name(partner),
        "partner_id": partner.id,
        "role": _role(recipient),
        "partner_role": _role(partner),
        "focus": intro.focus.removeprefix("shared focus: "),
        "boroughs": intro.boroughs,
        "common_times": ", ".join(intro.common_times) or "none",
        "first_meeting": first,
        "meetings": "; ".join(meetings) or f"none proposed ({missing})",
        "cohort": intro.cohort,
        "coordinator": options.coordinator,
    }
    for column, value in intro.column_values(recipient).items():
        values[f"recipient_{column}"] = value
    for column, value in intro.column_values(partner).items():
        values[f"partner_{column}"] = value
    return values


def check_template(text: str, columns: Sequence[str] = ()) -> string.Template:
    """A `string.Template` of ``text``, refused (`TemplateError`) when it names an unknown placeholder.

    >>> check_template("Dear $recipient").template
    'Dear $recipient'
    >>> check_template("Dear $recipent")
    Traceback (most recent call last):
    ...
    pairmatch.introductions.letters.TemplateError: unknown placeholder $recipent in the letter template (known: ...
    """
    template = string.Template(text)
    if not template.is_valid():
        raise TemplateError("the letter template has a '$' that starts no placeholder; write $$ for a dollar sign")
    known = set(PLACEHOLDERS) | {f"{side}_{c}" for side in ("partner", "recipient") for c in columns}
    for name in template.get_identifiers():
        if name not in known:
            raise TemplateError(
                f"unknown placeholder ${name} in the letter template (known: "
                + ", ".join(f"${k}" for k in sorted(known))
                + ")"
            )
    return template


def _facts(intro: Introduction, recipient: Person, values: Mapping[str, str]) -> list[tuple[str, str]]:
    partner = intro.mentee if recipient is intro.mentor else intro.mentor
    rows = [
        (values["role"].capitalize(), f"{_name(recipient)} ({recipient.id})"),
        (values["partner_role"].capitalize(), f"{_name(partner)} ({partner.id})"),
    ]
    for column in intro.columns:
        rows.append((f"{column} ({values['recipient']})", values.get(f"recipient_{column}", "")))
        rows.append((f"{column} ({values['partner']})", values.get(f"partner_{column}", "")))
    rows += [
        ("Focus", intro.focus),
        ("Boroughs", intro.boroughs),
        ("Common weekly times", values["common_times"]),
        ("Proposed meetings", values["meetings"]),
    ]
    if intro.change != "new" or intro.reason:
        rows.append(("Why now", intro.reason or intro.change))
    return rows


def letter_markdown(
    intro: Introduction, recipient: Person, options: IntroductionOptions, template: string.Template
) -> str:
    """The letter for ``recipient`` as Markdown: the coordinator's text, then the facts."""
    values = letter_values(intro, recipient, options)
    body = template.substitute({k: _markdown_escape(v) for k, v in values.items()})
    lines = [f"# {_markdown_escape(options.subject)}", "", body.rstrip(), "", "## About your pairing", ""]
    lines += [f"- **{_markdown_escape(k)}**: {_markdown_escape(v)}" for k, v in _facts(intro, recipient, values)]
    return "\n".join(lines) + "\n"


def letter_html(intro: Introduction, recipient: Person, options: IntroductionOptions, template: string.Template) -> str:
    """The letter for ``recipient`` as a standalone HTML page; every value and the template text escaped."""
    values = letter_values(intro, recipient, options)
    body = template.substitute(values)  # plain text, escaped as a whole below
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    text = "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    facts = "\n".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in _facts(intro, recipient, values)
    )
    title = html.escape(options.subject)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n{text}\n"
        f"<h2>About your pairing</h2>\n<table>\n{facts}\n</table>\n</body>\n</html>\n"
    )


MAIL_MERGE_COLUMNS = (
    "to_id",
    "to_name",
    "to_role",
    "to_email",
    "partner_id",
    "partner_name",
    "partner_role",
    "partner_email",
    "cohort",
    "change",
    "subject",
    "focus",
    "boroughs",
    "common_times",
    "first_meeting",
    "meetings",
    "letter_markdown",
    "letter_html",
    "calendar",
    "message",
)


def mail_merge_bytes(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = ()) -> bytes:
    """One CSV row per letter (UTF-8 with BOM, formula-neutralised), with each extra column for both people."""
    extra = [f"{side}_{c}" for c in columns for side in ("to", "partner")]
    header = [*MAIL_MERGE_COLUMNS[:-1], *extra, MAIL_MERGE_COLUMNS[-1]]
    return csv_bytes(header, ([row.get(h, "") for h in header] for row in rows))
