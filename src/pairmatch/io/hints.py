"""Messages that say what was expected: availability windows, places and topics."""

from __future__ import annotations

import re
from typing import Any

from ..availability import DAYS, parse_window
from ..geography import Geography, normalize_place
from ..taxonomy import Taxonomy
from ..text import TextError, clean_text, hidden_characters, quoted

__all__ = ["place_problem", "topic_problem", "window_problem"]

# Long values get no "did you mean": comparing them costs time and helps nobody.
SUGGEST_MAX_LENGTH = 100
# With no close name, a vocabulary this small is listed in full (a programme's own places).
LIST_AT_MOST = 15

_TIMES = re.compile(
    r"\s*(?P<day>[A-Za-z]+)\.?\s+(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s*[-\u2013]\s*"
    r"(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?\s*"
)

# Places coordinators write that a geography may lawfully leave out, and why;
# used when the geography cannot say so itself (it has no ``note`` method).
_PLACE_NOTES = {
    "city of london": "the City of London is policed by the City of London Police, not the Met, "
    "so it is not one of the London boroughs here",
}


def _day(written: str) -> str | None:
    short = written[:3].title()
    return short if short in DAYS else None


def window_problem(text: str) -> str | None:
    """What is wrong with one availability window, or None when it is valid.

    >>> window_problem("Mon 18:00-20:00") is None
    True
    >>> window_problem("Mon 9-5")
    "'Mon 9-5' ends before it starts: write 24-hour times, e.g. 'Mon 09:00-17:00'"
    >>> print(window_problem("Fri 22:00-02:00"))  # doctest: +NORMALIZE_WHITESPACE
    'Fri 22:00-02:00' ends before it starts: a window cannot cross midnight; split it,
    e.g. 'Fri 22:00-24:00; Sat 00:00-02:00'
    >>> window_problem("Tue 18:00-18:00")
    "'Tue 18:00-18:00' starts and ends at 18:00: give an end after the start, e.g. 'Tue 18:00-19:00'"
    >>> window_problem("Mon 6pm-8:30pm")
    "'Mon 6pm-8:30pm' has 12-hour times: write 24-hour times, e.g. 'Mon 18:00-20:30'"
    >>> print(window_problem("Mon 18:00-20:00, Tue 18:00-20:00"))  # doctest: +NORMALIZE_WHITESPACE
    'Mon 18:00-20:00, Tue 18:00-20:00' holds several windows: separate them with ';',
    e.g. 'Mon 18:00-20:00; Tue 18:00-20:00'
    """
    try:
        parse_window(text)
    except ValueError as err:
        shown = quoted(text)
        if len(text) > SUGGEST_MAX_LENGTH:
            return f"{shown} is not a window like 'Mon 18:00-20:00'"
        return _several(text) or _twelve_hour(text) or _reversed(text) or str(err)
    return None


def _several(text: str) -> str | None:
    """A hint for several windows in one item, separated by commas instead of ';'."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) < 2 or not all(part and window_problem(part) is None for part in parts):
        return None
    return f"{quoted(text)} holds several windows: separate them with ';', e.g. {quoted('; '.join(parts))}"


_CLOCK = re.compile(r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<half>[ap])\.?m\.?", re.IGNORECASE)
_TWELVE = re.compile(
    r"\s*(?P<day>[A-Za-z]+)\.?\s+(?P<a>\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?)\s*[-\u2013]\s*"
    r"(?P<b>\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?)\s*",
    re.IGNORECASE,
)


def _twelve_hour(text: str) -> str | None:
    """A hint for 12-hour times (``6pm``, ``6-8pm``, ``9:30am``), with the window in 24-hour time."""
    match = _TWELVE.fullmatch(text)
    if not match or not _CLOCK.search(text):
        return None
    ends = []
    for part in (match["a"], match["b"]):
        clock = _CLOCK.fullmatch(part.strip())
        hour, minute = (int(clock["h"]), int(clock["m"] or 0)) if clock else _plain_clock(part)
        ends.append((hour, minute, clock["half"].lower() if clock else None))
    # "6-8pm": the start takes the end's half of the day.
    if ends[0][2] is None:
        ends[0] = (*ends[0][:2], ends[1][2])
    if any(not 1 <= h <= 12 or m >= 60 for h, m, _ in ends):
        return None
    times = [(h % 12 + (12 if half == "p" else 0), m) for h, m, half in ends]
    day = _day(match["day"]) or match["day"]
    start, end = (f"{h:02d}:{m:02d}" for h, m in times)
    end = "24:00" if end == "00:00" else end
    return f"{quoted(text)} has 12-hour times: write 24-hour times, e.g. '{day} {start}-{end}'"


def _plain_clock(text: str) -> tuple[int, int]:
    hour, _, minute = text.strip().replace(".", ":").partition(":")
    return int(hour), int(minute or 0)


def _reversed(text: str) -> str | None:
    """A hint for a window whose end is not after its start (12-hour times, midnight)."""
    match = _TIMES.fullmatch(text)
    if not match:
        return None
    h1, m1, h2, m2 = int(match["h1"]), int(match["m1"] or 0), int(match["h2"]), int(match["m2"] or 0)
    if h1 > 24 or h2 > 24 or m1 >= 60 or m2 >= 60 or h2 * 60 + m2 > h1 * 60 + m1:
        return None
    day = _day(match["day"]) or match["day"]
    start = f"{h1:02d}:{m1:02d}"
    if (h1, m1) == (h2, m2):
        until = f"{min(h1 + 1, 24):02d}:{m1 if h1 < 23 else 0:02d}" if h1 < 24 else "24:00"
        return f"{quoted(text)} starts and ends at {start}: give an end after the start, e.g. '{day} {start}-{until}'"
    if h2 == 0 and m2 == 0:
        return f"{text!r} ends at midnight: write 24:00, e.g. '{day} {start}-24:00'"
    if h2 < 12 and (h2 + 12) * 60 + m2 > h1 * 60 + m1:
        return f"{text!r} ends before it starts: write 24-hour times, e.g. '{day} {start}-{h2 + 12:02d}:{m2:02d}'"
    following = DAYS[(DAYS.index(day) + 1) % 7] if day in DAYS else "the next day"
    return (
        f"{text!r} ends before it starts: a window cannot cross midnight; split it, "
        f"e.g. '{day} {start}-24:00; {following} 00:00-{h2:02d}:{m2:02d}'"
    )


def place_problem(geography: Geography, place: str) -> tuple[str, str | None] | None:
    """``(message, suggestion)`` for a place ``geography`` does not know, else None.

    A geography with a ``note(place)`` method explains places it leaves out
    on purpose (the City of London is policed by its own force).

    >>> from pairmatch.datasets import london
    >>> place_problem(london(), "Newhm")
    ("'Newhm' is not a known borough or place", 'Newham')
    >>> place_problem(london(), "Peckam")
    ("'Peckam' is not a known borough or place (Peckham is in Southwark)", 'Peckham')
    >>> place_problem(london(), "Crystal Palace")
    ("'Crystal Palace' lies in Bromley, Croydon, Lambeth, Lewisham, Southwark: write the one meant", None)
    >>> place_problem(london(), "Stratford") is None
    True
    >>> place_problem(london(), "Tower Hamlets, Newham")[0]
    "'Tower Hamlets, Newham' names several boroughs: separate them with ';', e.g. 'Tower Hamlets; Newham'"
    """
    if geography.canonical(place) is not None:
        return None
    if hidden_characters(place):
        return _hidden(place), None
    shown = quoted(place)
    match = geography.resolve(place) if callable(getattr(geography, "resolve", None)) else None
    if match is not None and match.ambiguous:
        return f"{shown} lies in {', '.join(match.places)}: write the one meant", None
    note: Any = None
    if callable(getattr(geography, "note", None)):
        note = geography.note(place)
    elif geography.unit_name == "BCU":
        note = _PLACE_NOTES.get(normalize_place(place))
    if note:
        return f"{shown} is not a borough of this programme's geography: {note}", None
    several = _separated(place, lambda part: geography.canonical(part) is not None, "boroughs")
    if several:
        return several, None
    hint = geography.suggestion(place) if len(place) <= SUGGEST_MAX_LENGTH else None
    if hint is None or hint.place is None:
        return f"{shown} is not a known borough{_known(geography.territory, None)}", None
    where = f" ({hint.name} is in {hint.place})" if hint.name != hint.place else ""
    return f"{shown} is not a known borough or place{where}", hint.name


def topic_problem(taxonomy: Taxonomy, topic: str) -> tuple[str, str | None] | None:
    """``(message, suggestion)`` for a focus area ``taxonomy`` does not know, else None.

    >>> from pairmatch.datasets import default_taxonomy
    >>> topic_problem(default_taxonomy(), "knif crime")
    ("'knif crime' is not a known focus area", 'knife crime')
    """
    if topic in taxonomy:
        return None
    if hidden_characters(topic):
        return _hidden(topic), None
    several = _separated(topic, lambda part: part in taxonomy, "focus areas")
    if several:
        return several, None
    suggestion = taxonomy.suggest(topic) if len(topic) <= SUGGEST_MAX_LENGTH else None
    return f"{quoted(topic)} is not a known focus area{_known(taxonomy.topics, suggestion)}", suggestion


def _separated(text: str, known: Any, what: str) -> str | None:
    """A hint for several names in one item separated by commas (or '/', '|') instead of ';'."""
    for mark in (",", "/", "|"):
        parts = [part.strip() for part in text.split(mark)]
        if len(parts) > 1 and all(parts) and any(known(part) for part in parts):
            return f"{quoted(text)} names several {what}: separate them with ';', e.g. {quoted('; '.join(parts))}"
    return None


def _hidden(text: str) -> str:
    """`clean_text`'s own message for text with a hidden character (not a "did you mean")."""
    try:
        clean_text(text)
    except TextError as err:
        return str(err)
    return f"{quoted(text)} contains invisible characters"


def _known(names: tuple[str, ...], suggestion: str | None) -> str:
    if suggestion is not None or not names or len(names) > LIST_AT_MOST:
        return ""
    return f" (known: {', '.join(names)})"
