"""What an introduction says: the two people, what they share, and when they could first meet.

The facts are those the explanations give (`pairmatch.explanations`): the
shared focus, the borough relation and the common weekly times, from the
solved problem itself, so a letter never says anything the matching did not
use. The first meetings are proposed in the earliest common weekly window
long enough for a meeting, at the configured frequency.
"""

from __future__ import annotations

import calendar as stdcalendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..availability import SLOT_MINUTES, SLOTS_PER_DAY, format_slots, window_slots
from ..explanations import borough_fact, focus_fact
from ..io.config import Frequency, IntroductionOptions
from ..models import Person, Problem
from ..result import MatchResult

__all__ = ["Introduction", "IntroductionOptions", "Meeting", "build_introductions", "meeting_times"]


@dataclass(frozen=True)
class Meeting:
    """A proposed meeting in the programme's local time (naive datetimes, see ``time_zone``)."""

    start: dt.datetime
    end: dt.datetime

    def text(self) -> str:
        """``Tue 3 Mar 2026 18:00-19:00``."""
        return f"{self.start:%a} {self.start.day} {self.start:%b %Y %H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Introduction:
    """One pair to introduce: both people, the facts behind the pair and the proposed meetings.

    ``change`` is ``new`` for a pair the run started, ``changed`` for a pair
    that replaced someone's earlier partner.
    """

    mentor: Person
    mentee: Person
    focus: str
    boroughs: str
    common_times: tuple[str, ...]
    meetings: tuple[Meeting, ...]
    meeting_minutes: int
    change: str = "new"
    reason: str = ""
    cohort: str = ""
    columns: tuple[str, ...] = field(default=())

    @property
    def pair(self) -> tuple[str, str]:
        """``(mentor id, mentee id)``."""
        return self.mentor.id, self.mentee.id

    def column_values(self, person: Person) -> dict[str, str]:
        """The configured extra columns of ``person`` as text (empty when absent)."""
        return {c: _text(person.attributes.get(c, "")) for c in self.columns}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _runs(slots: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous runs of weekly slots within a day, as ``(first slot, end slot)``, in week order."""
    ordered = sorted(set(slots))
    out: list[tuple[int, int]] = []
    for slot in ordered:
        if out and out[-1][1] == slot and slot % SLOTS_PER_DAY:
            out[-1] = (out[-1][0], slot + 1)
        else:
            out.append((slot, slot + 1))
    return out


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, stdcalendar.monthrange(year, month)[1]))


def meeting_times(
    common: Iterable[int],
    meeting_minutes: int,
    start: dt.date,
    frequency: Frequency = "monthly",
    count: int = 6,
) -> tuple[Meeting, ...]:
    """Proposed meetings in the earliest common weekly window long enough for a meeting.

    The k-th meeting is on the window's weekday, on or after ``start`` plus
    k weeks, fortnights or calendar months. No window long enough: none.

    >>> from pairmatch.availability import window_slots
    >>> slots = window_slots(["Tue 18:00-20:00"]) & window_slots(["Tue 18:30-21:00", "Sat 10:00-11:00"])
    >>> [m.text() for m in meeting_times(slots, 60, dt.date(2026, 3, 1), "monthly", 3)]
    ['Tue 3 Mar 2026 18:30-19:30', 'Tue 7 Apr 2026 18:30-19:30', 'Tue 5 May 2026 18:30-19:30']
    """
    need = -(-meeting_minutes // SLOT_MINUTES)
    window = next(((a, b) for a, b in _runs(common) if b - a >= need), None)
    if window is None:
        return ()
    day, first = divmod(window[0], SLOTS_PER_DAY)
    out = []
    for k in range(count):
        if frequency == "monthly":
            anchor = _add_months(start, k)
        else:
            anchor = start + dt.timedelta(weeks=k * (2 if frequency == "fortnightly" else 1))
        date = anchor + dt.timedelta(days=(day - anchor.weekday()) % 7)
        begin = dt.datetime.combine(date, dt.time()) + dt.timedelta(minutes=first * SLOT_MINUTES)
        out.append(Meeting(begin, begin + dt.timedelta(minutes=meeting_minutes)))
    return tuple(out)


def build_introductions(
    result: MatchResult,
    pairs: Sequence[tuple[str, str]] | None = None,
    options: IntroductionOptions | None = None,
    *,
    columns: Sequence[str] = (),
    changes: dict[tuple[str, str], tuple[str, str]] | None = None,
    cohort: str = "",
    made_on: dt.date | None = None,
) -> tuple[Introduction, ...]:
    """An `Introduction` for each pair of ``result`` (or each of ``pairs``), in the result's order.

    Parameters
    ----------
    result : MatchResult
        A result with its solve context (the problem it solved).
    pairs : sequence of (mentor_id, mentee_id), optional
        The pairs to introduce (default: every pair of the result).
    options : IntroductionOptions, optional
    columns : sequence of str
        Extra input columns (people's attributes) to carry into the letters.
    changes : dict, optional
        ``(mentor_id, mentee_id) -> (change, reason)``, e.g. from a re-match.
    cohort : str
    made_on : date, optional
        When the matching was made (default: today); the first meeting is a
        week later unless ``options.first_meeting_after`` says otherwise.

    Examples
    --------
    >>> from pairmatch import pilot_problem, solve
    >>> intro = build_introductions(solve(pilot_problem()), made_on=dt.date(2026, 3, 1))[0]
    >>> intro.pair, intro.focus, intro.meetings[0].text()
    (('M1', 'O1'), 'shared focus: knife crime', 'Tue 10 Mar 2026 19:00-20:00')
    """
    if result.context is None:
        raise ValueError("the result has no solve context (it was read from JSON); solve it again to introduce it")
    options = options or IntroductionOptions()
    problem: Problem = result.context.problem
    mentors, mentees = problem.mentor_index(), problem.mentee_index()
    wanted = list(pairs) if pairs is not None else [(p.mentor_id, p.mentee_id) for p in result.pairs]
    start = options.first_meeting_after or (made_on or dt.date.today()) + dt.timedelta(days=7)
    out = []
    for mentor_id, mentee_id in wanted:
        if mentor_id not in mentors or mentee_id not in mentees:
            raise KeyError(f"({mentor_id!r}, {mentee_id!r}) is not a pair of this matching's people")
        mentor, mentee = problem.mentors[mentors[mentor_id]], problem.mentees[mentees[mentee_id]]
        common = window_slots(mentor.availability) & window_slots(mentee.availability)
        change, reason = (changes or {}).get((mentor_id, mentee_id), ("new", ""))
        out.append(
            Introduction(
                mentor=mentor,
                mentee=mentee,
                focus=focus_fact(problem, mentor, mentee),
                boroughs=borough_fact(problem, mentor, mentee),
                common_times=format_slots(common),
                meetings=meeting_times(common, problem.meeting_minutes, start, options.frequency, options.meetings),
                meeting_minutes=problem.meeting_minutes,
                change=change,
                reason=reason,
                cohort=cohort,
                columns=tuple(columns),
            )
        )
    return tuple(out)
