"""Calendar invitations: one iCalendar file (RFC 5545) per pair with its proposed meetings.

Written here rather than with a library so that nothing needs installing to
write them; the tests read every file back with two independent parsers
(``icalendar`` and ``ical``).

**Time zone.** Availability windows are wall-clock times where the
programme runs ("Tue 18:00-20:00" means 18:00 in London, in March and in
July alike). By default the events carry ``TZID=Europe/London`` and the file
its VTIMEZONE (GMT, and BST from the last Sunday of March to the last Sunday
of October), so a calendar in another zone shows the right moment and
18:00 stays 18:00 across the clock changes. ``time_zone = "floating"``
writes floating times instead (the same wall-clock time in any zone), for a
programme outside the UK.

Nothing is sent: the files carry no METHOD, so a calendar imports them as
tentative events; attendees (with the ``email_column``) are listed for the
coordinator's own mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from .model import Introduction, IntroductionOptions

__all__ = ["ics_bytes", "ics_text"]

PRODID = "-//pairmatch//introductions//EN"
LONDON = (
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "TZNAME:BST",
    "DTSTART:19810329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "TZNAME:GMT",
    "DTSTART:19961027T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def escape_text(value: str) -> str:
    r"""A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped.

    >>> escape_text("a, b; c\\d\ne")
    'a\\, b\\; c\\\\d\\ne'
    """
    out = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return out.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _param(value: str) -> str:
    """A parameter value (CN=...): quoted, without the characters a quoted value cannot hold."""
    return '"' + "".join(c for c in value if c not in '"\r\n' and (c == "\t" or ord(c) >= 32)) + '"'


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.

    >>> fold("X:" + "a" * 80).split("\\r\\n")[1]
    ' aaaaaaa'
    """
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # a continuation byte: step back
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines start with a space
    return "\r\n ".join(parts)


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(value: dt.datetime, options: IntroductionOptions) -> str:
    when = value.strftime("%Y%m%dT%H%M%S")
    return f";TZID=Europe/London:{when}" if options.time_zone == "Europe/London" else f":{when}"


def _uid(intro: Introduction, k: int, tag: str) -> str:
    digest = hashlib.sha256(f"{tag}\x00{intro.cohort}\x00{intro.mentor.id}\x00{intro.mentee.id}".encode()).hexdigest()
    return f"{digest[:32]}-{k + 1}@pairmatch"


def ics_text(intro: Introduction, options: IntroductionOptions, *, stamp: dt.datetime, tag: str = "") -> str:
    """The iCalendar text of one pair's proposed meetings (CRLF line ends, folded lines).

    ``stamp`` is the DTSTAMP (when the matching was made, so the same run
    gives the same file); ``tag`` makes the UIDs unique per run.
    """
    names = f"{intro.mentor.name or intro.mentor.id} and {intro.mentee.name or intro.mentee.id}"
    description = "\n".join(
        [
            f"{options.subject}: {names}.",
            intro.focus,
            intro.boroughs,
            "Common weekly times: " + (", ".join(intro.common_times) or "none"),
            f"Proposed by {options.coordinator}; agree another time together if this one does not suit.",
        ]
    )
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if options.time_zone == "Europe/London":
        lines += LONDON
    for k, meeting in enumerate(intro.meetings):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(intro, k, tag)}",
            f"DTSTAMP:{_stamp(stamp)}",
            f"DTSTART{_local(meeting.start, options)}",
            f"DTEND{_local(meeting.end, options)}",
            f"SUMMARY:{escape_text(f'{options.subject} ({k + 1} of {len(intro.meetings)}): {names}')}",
            f"DESCRIPTION:{escape_text(description)}",
            f"LOCATION:{escape_text(options.location)}",
            "STATUS:TENTATIVE",
            "TRANSP:OPAQUE",
        ]
        if options.email_column:
            for person in (intro.mentor, intro.mentee):
                address = str(person.attributes.get(options.email_column, "")).strip()
                if address and "@" in address and not any(c in address for c in ' <>"\r\n:;,'):
                    cn = _param(person.name or person.id)
                    lines.append(f"ATTENDEE;CN={cn};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:{address}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def ics_bytes(intro: Introduction, options: IntroductionOptions, *, stamp: dt.datetime, tag: str = "") -> bytes:
    """`ics_text` as UTF-8 bytes (the encoding RFC 5545 names)."""
    return ics_text(intro, options, stamp=stamp, tag=tag).encode("utf-8")
