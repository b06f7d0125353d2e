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
    """
    try:
        parse_window(text)
    except ValueError as err:
        shown = quoted(text)
        if len(text) > SUGGEST_MAX_LENGTH:
            return f"{shown} is not a window like 'Mon 18:00-20:00'"
        reversed_hint = _reversed(text)
        return reversed_hint or str(err)
    return None


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
    ("'Newhm' is not a known borough", 'Newham')
    """
    if geography.canonical(place) is not None:
        return None
    if hidden_characters(place):
        return _hidden(place), None
    shown = quoted(place)
    note: Any = None
    if callable(getattr(geography, "note", None)):
        note = geography.note(place)
    elif geography.unit_name == "BCU":
        note = _PLACE_NOTES.get(normalize_place(place))
    if note:
        return f"{shown} is not a borough of this programme's geography: {note}", None
    suggestion = geography.suggest(place) if len(place) <= SUGGEST_MAX_LENGTH else None
    return f"{shown} is not a known borough{_known(geography.places, suggestion)}", suggestion


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
    suggestion = taxonomy.suggest(topic) if len(topic) <= SUGGEST_MAX_LENGTH else None
    return f"{quoted(topic)} is not a known focus area{_known(taxonomy.topics, suggestion)}", suggestion


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
