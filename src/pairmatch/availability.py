"""Weekly availability: readable windows <-> half-hour slots <-> packed bitsets.

A week is ``SLOTS_PER_WEEK`` half-hour slots, slot 0 being Monday 00:00-00:30.
People write availability as windows such as ``"Mon 18:00-20:00"``; scoring
packs each person's slots into ``WORDS`` 64-bit words so that overlaps are a
bitwise AND and a popcount.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

__all__ = [
    "DAYS",
    "SLOTS_PER_WEEK",
    "SLOT_MINUTES",
    "format_slots",
    "normalize_windows",
    "pack_slots",
    "parse_window",
    "window_slots",
]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
WORDS = -(-SLOTS_PER_WEEK // 64)

_DAY_ALIASES = {
    **{d.lower(): i for i, d in enumerate(DAYS)},
    **{
        name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_WINDOW = re.compile(
    r"^\s*(?P<day>[A-Za-z]+)\.?\s+(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s*[-–]\s*"
    r"(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?\s*$"
)


def _minutes(hours: str, minutes: str | None, text: str) -> int:
    h, m = int(hours), int(minutes or 0)
    if m >= 60 or h > 24 or (h == 24 and m):
        raise ValueError(f"{text!r}: {hours}:{minutes or '00'} is not a time of day")
    if m % SLOT_MINUTES:
        raise ValueError(
            f"{text!r}: times must fall on the {SLOT_MINUTES}-minute grid (e.g. 18:00 or 18:30), got {hours}:{minutes}"
        )
    return h * 60 + m


def parse_window(text: str) -> tuple[int, int]:
    """Parse one window such as ``"Mon 18:00-20:00"`` into a slot range.

    Returns ``(start, stop)``, half-open slot indices within the week.

    >>> parse_window("Tue 09:00-10:30")
    (66, 69)
    >>> parse_window("sunday 22:00-24:00")
    (332, 336)
    """
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a window like 'Mon 18:00-20:00'")
    day = _DAY_ALIASES.get(match["day"].lower())
    if day is None:
        raise ValueError(f"{text!r}: unknown day {match['day']!r} (use Mon, Tue, ..., Sun)")
    start = _minutes(match["h1"], match["m1"], text)
    stop = _minutes(match["h2"], match["m2"], text)
    if stop <= start:
        raise ValueError(f"{text!r}: the window ends before it starts (split windows that cross midnight)")
    base = day * SLOTS_PER_DAY
    return base + start // SLOT_MINUTES, base + stop // SLOT_MINUTES


def _split(windows: str | Iterable[str]) -> list[str]:
    if isinstance(windows, str):
        items = [windows]
    elif isinstance(windows, list | tuple | set | frozenset):
        items = list(windows)
    else:
        raise ValueError(f"availability is a list of windows such as 'Tue 18:00-20:00', not {type(windows).__name__}")
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"each availability window is text such as 'Tue 18:00-20:00', not {type(item).__name__}")
    return [part.strip() for item in items for part in item.split(";") if part.strip()]


@lru_cache(maxsize=65536)
def _slots_of(windows: tuple[str, ...]) -> frozenset[int]:
    slots: set[int] = set()
    for window in windows:
        start, stop = parse_window(window)
        slots.update(range(start, stop))
    return frozenset(slots)


def window_slots(windows: str | Iterable[str]) -> frozenset[int]:
    """All half-hour slots covered by the windows (``;``-separated or a list).

    >>> sorted(window_slots("Mon 00:00-01:00; Mon 00:30-01:30"))
    [0, 1, 2]
    """
    return _slots_of(tuple(_split(windows)))


def format_slots(slots: Iterable[int]) -> tuple[str, ...]:
    """Merge slots into canonical readable windows, in week order.

    >>> format_slots([36, 37, 38, 39, 335])
    ('Mon 18:00-20:00', 'Sun 23:30-24:00')
    """
    ordered = sorted(set(slots))
    windows: list[str] = []
    i = 0
    while i < len(ordered):
        start = ordered[i]
        day = start // SLOTS_PER_DAY
        stop = start + 1
        # A window never crosses midnight, so a run stops at the day's end.
        while i + 1 < len(ordered) and ordered[i + 1] == stop and stop % SLOTS_PER_DAY:
            stop += 1
            i += 1
        i += 1
        windows.append(f"{DAYS[day]} {_clock(start - day * SLOTS_PER_DAY)}-{_clock(stop - day * SLOTS_PER_DAY)}")
    return tuple(windows)


def _clock(slot_of_day: int) -> str:
    minutes = slot_of_day * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalize_windows(windows: str | Iterable[str]) -> tuple[str, ...]:
    """Validate windows and return them merged and in canonical form.

    >>> normalize_windows(["sat 10-12", "Mon 18:00-19:00", "Mon 19:00-20:00"])
    ('Mon 18:00-20:00', 'Sat 10:00-12:00')
    """
    return format_slots(window_slots(windows))


def pack_slots(slot_sets: Iterable[Iterable[int]]) -> np.ndarray:
    """Pack slot sets into an ``(n, WORDS)`` uint64 bitset array."""
    sets = list(slot_sets)
    bits = np.zeros((len(sets), WORDS * 64), dtype=bool)
    for row, slots in enumerate(sets):
        bits[row, list(slots)] = True
    # Little-endian bit order within bytes, bytes viewed as native uint64 words:
    # the layout is irrelevant as long as every side uses the same one.
    packed = np.packbits(bits, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view(np.uint64)
