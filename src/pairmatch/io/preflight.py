"""Warnings before solving: rules that leave someone (or everyone) without a candidate,
capacities and quotas that allow no pair at all, and files that look swapped.

Cheap bounds come first (a minimum score above the best possible score,
people with less weekly time than the overlap rule asks for); on problems
small enough the rules are also evaluated on every pair, which names the
rule behind every person left without a candidate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..availability import SLOT_MINUTES, window_slots
from ..constraints import BITS, Rule, RuleChecker, min_score_slack
from ..models import Person, Problem
from ..scoring import Scorer
from ..scoring.pairtests import condition_mask
from ..text import excerpt
from .config import Config, TomlLines
from .issues import InputFileError, InputIssue

__all__ = ["DENSE_CHECK_PAIRS", "OFFICER_COLUMNS", "problem_warnings", "strict_error"]

# Up to this many pairs the rules are evaluated on every pair before solving
# (well under a second); above it only the O(n) bounds run.
DENSE_CHECK_PAIRS = 1_000_000
# Columns that describe police officers: on the mentor side only, the files are probably swapped.
OFFICER_COLUMNS = ("rank", "police_rank", "collar_number", "warrant_number", "shoulder_number", "bcu", "command")
_SHOWN_IDS = 5


def _ids(people: Sequence[Person], index: Sequence[int]) -> str:
    shown = ", ".join(excerpt(people[k].id, 40) for k in index[:_SHOWN_IDS])
    return shown + (f" and {len(index) - _SHOWN_IDS} more" if len(index) > _SHOWN_IDS else "")


class _Warnings:
    def __init__(self, problem: Problem, config: Config | None) -> None:
        self.problem = problem
        self.file = (config.source if config is not None else None) or "settings"
        self.lines = TomlLines(config.text) if config is not None and config.text else None
        self.out: list[InputIssue] = []

    def add(self, setting: str, message: str) -> None:
        line = self.lines.key(tuple(setting.split("."))) if self.lines else None
        self.out.append(InputIssue(self.file, line, setting, None, message, None, "line", "setting", "warning"))


def _setting(rule: Rule, problem: Problem) -> tuple[str, str]:
    """``(setting, what a pair needs under it, in words)``."""
    rules = problem.rules
    if rule == Rule.MIN_SCORE:
        return "rules.min_score", f"a score of at least {rules.min_score:g}"
    if rule == Rule.TOO_LITTLE_OVERLAP:
        return "rules.min_overlap_minutes", f"at least {rules.min_overlap_minutes} minutes a week in common"
    if rule == Rule.NO_FOCUS_OVERLAP:
        return "rules.require_focus_overlap", "a shared or related focus area"
    if rule == Rule.TOO_FAR:
        return "rules.max_borough_steps", f"boroughs at most {rules.max_borough_steps} borders apart"
    if rule == Rule.SAME_ATTRIBUTE:
        return "rules.forbid_same", f"different {', '.join(rules.forbid_same)}"
    if rule == Rule.DIFFERENT_ATTRIBUTE:
        return "rules.require_same", f"the same {', '.join(rules.require_same)}"
    if rule == Rule.NOT_ELIGIBLE:
        return "rules.require", "; ".join(r.describe() for r in rules.require)
    if rule == Rule.CONDITIONAL:
        return "rules.conditional", "a pairing every conditional rule allows (" + "; ".join(
            r.label for r in rules.conditional
        ) + ")"
    if rule == Rule.NOT_LISTED:
        return "scores (only_listed)", "a pair the score lists"
    return "rules.forbidden_pairs", "a pairing not listed as forbidden"


def _active(problem: Problem, side: str) -> np.ndarray:
    people = problem.mentors if side == "mentor" else problem.mentees
    return np.array([p.max_partners > 0 for p in people], dtype=bool)


def _report_blocked(w: _Warnings, stuck: dict[str, dict[int, np.ndarray]], alone: dict[str, np.ndarray]) -> None:
    """One warning per rule that alone leaves people without any candidate (once, if it
    rules out every pair); one for people only the rules together leave without one."""
    problem = w.problem
    active = {side: _active(problem, side) for side in ("mentor", "mentee")}
    everyone = set()
    for side in ("mentor", "mentee"):
        for rule, mask in stuck[side].items():
            if active[side].any() and (mask | ~active[side]).all() and rule not in everyone:
                everyone.add(rule)
                setting, needs = _setting(Rule(rule), problem)
                if rule in (Rule.NOT_ELIGIBLE, Rule.CONDITIONAL):
                    w.add(setting, f"rules out every pair: no pair meets {needs}")
                else:
                    w.add(setting, f"rules out every pair: no mentor and mentee have {needs}")
    for side in ("mentor", "mentee"):
        people = problem.mentors if side == "mentor" else problem.mentees
        other = "mentee" if side == "mentor" else "mentor"
        for rule, mask in stuck[side].items():
            index = np.flatnonzero(mask & active[side]).tolist()
            if not index or rule in everyone:
                continue
            setting, needs = _setting(Rule(rule), problem)
            who = f"{len(index)} {side}{'s' if len(index) != 1 else ''} ({_ids(people, index)})"
            if rule == Rule.NOT_ELIGIBLE:
                w.add(setting, f"rules out every pair of {who}: they do not meet {needs}")
                continue
            w.add(setting, f"rules out every pair of {who}: no {other} with {needs}")
        rest = np.flatnonzero(alone[side] & active[side]).tolist()
        if rest:
            w.add(
                "rules",
                f"the rules together leave {len(rest)} {side}{'s' if len(rest) != 1 else ''} "
                f"({_ids(people, rest)}) without any candidate {other}",
            )


def _dense(w: _Warnings, scorer: Scorer, skip: int) -> None:
    problem = w.problem
    checker = RuleChecker(problem, scorer)
    if not checker.active:
        return
    n_m, n_e = problem.shape
    rules = [int(r) for r in Rule if not r & skip]
    allowed_m, allowed_e = np.zeros(n_m, dtype=np.int64), np.zeros(n_e, dtype=np.int64)
    every_m = {r: np.ones(n_m, dtype=bool) for r in rules}
    every_e = {r: np.ones(n_e, dtype=bool) for r in rules}
    for start, stop in scorer.chunks():
        rows = slice(start, stop)
        blocked = checker.block(rows, slice(None), scorer.block(rows)) & BITS(~skip & 0xFFFF)
        open_pairs = blocked == 0
        allowed_m[rows] += open_pairs.sum(axis=1)
        allowed_e += open_pairs.sum(axis=0)
        for r in rules:
            hit = (blocked & BITS(r)) != 0
            every_m[r][rows] &= hit.all(axis=1)
            every_e[r] &= hit.all(axis=0)
    stuck: dict[str, dict[int, np.ndarray]] = {}
    alone: dict[str, np.ndarray] = {}
    for side, allowed, every in (("mentor", allowed_m, every_m), ("mentee", allowed_e, every_e)):
        none = allowed == 0
        stuck[side] = {r: every[r] & none for r in rules if (every[r] & none).any()}
        explained = np.zeros(len(none), dtype=bool)
        for mask in stuck[side].values():
            explained |= mask
        alone[side] = none & ~explained
    _report_blocked(w, stuck, alone)


def _bounds(w: _Warnings) -> None:
    """O(n) checks: people whose own data leaves them no candidate under one rule."""
    problem, rules = w.problem, w.problem.rules
    stuck: dict[str, dict[int, np.ndarray]] = {}
    for side, people in (("mentor", problem.mentors), ("mentee", problem.mentees)):
        found: dict[int, np.ndarray] = {}
        if rules.min_overlap_minutes:
            minutes = np.array([len(window_slots(p.availability)) * SLOT_MINUTES for p in people])
            found[int(Rule.TOO_LITTLE_OVERLAP)] = minutes < rules.min_overlap_minutes
        if rules.require_focus_overlap:
            found[int(Rule.NO_FOCUS_OVERLAP)] = np.array([not p.focus_areas for p in people], dtype=bool)
        if rules.max_borough_steps is not None:
            found[int(Rule.TOO_FAR)] = np.array([not p.boroughs for p in people], dtype=bool)
        if rules.require:
            found[int(Rule.NOT_ELIGIBLE)] = ~condition_mask([r for r in rules.require if r.side == side], people)
        stuck[side] = {r: mask for r, mask in found.items() if mask.any()}
    n_m, n_e = problem.shape
    _report_blocked(w, stuck, {"mentor": np.zeros(n_m, dtype=bool), "mentee": np.zeros(n_e, dtype=bool)})


def _capacities(w: _Warnings, mentors_file: str, mentees_file: str) -> None:
    """A side where nobody takes a partner (every ``max_partners`` 0), or a quota that allows
    no pairs in any group: the matching is empty whatever the scores."""
    problem = w.problem
    for side, people, file in (("mentor", problem.mentors, mentors_file), ("mentee", problem.mentees, mentees_file)):
        if people and not any(p.max_partners for p in people):
            w.out.append(
                InputIssue(
                    file,
                    None,
                    "max_partners",
                    "0",
                    f"every {side} has max_partners = 0: nobody can be matched",
                    None,
                    "row",
                    "column",
                    "warning",
                )
            )
    for k, quota in enumerate(problem.rules.quotas):
        if quota.max_pairs == 0 and quota.value is None:
            w.add(f"rules.quotas[{k}]", f"max_pairs = 0 for each {quota.key}: the quota allows no pairs at all")


def _swapped(w: _Warnings, mentors_file: str, mentees_file: str) -> None:
    problem = w.problem
    left = {k for p in problem.mentors for k in p.attributes}
    right = {k for p in problem.mentees for k in p.attributes}
    for column in OFFICER_COLUMNS:
        if column in left and column not in right:
            w.out.append(
                InputIssue(
                    mentors_file,
                    None,
                    column,
                    None,
                    f"{excerpt(mentors_file)} has a {column!r} column that {excerpt(mentees_file)} "
                    "lacks: are the files swapped? (mentors first, then mentees)",
                    None,
                    "row",
                    "column",
                    "warning",
                )
            )
            return


def problem_warnings(
    problem: Problem,
    config: Config | None = None,
    *,
    mentors_file: str = "the mentors file",
    mentees_file: str = "the mentees file",
    dense_limit: int = DENSE_CHECK_PAIRS,
) -> tuple[InputIssue, ...]:
    """Things to look at before solving, as issues with ``severity="warning"`` (or ``"note"``).

    A rule that leaves everyone, or some people, without a single candidate
    (with the rule and the people named), and officer-like columns (``rank``,
    ``bcu``, ...) on the mentor side only, which suggests swapped files.
    Places the geography explains (the City of London: policed by the City of
    London Police, in no Met BCU) and everyday names read as a place
    ("Stratford -> Newham") get a note, which ``--strict`` ignores.

    Parameters
    ----------
    problem : Problem
    config : Config, optional
        Where the rules came from, for the file and line of each warning.
    mentors_file, mentees_file : str
        Names of the input files, for messages.
    dense_limit : int
        Evaluate every rule on every pair when the problem has at most this many pairs.

    Examples
    --------
    >>> from pairmatch import Rules
    >>> from pairmatch.examples import pilot_problem
    >>> problem = pilot_problem().model_copy(update={"rules": Rules(min_score=2)})
    >>> print(problem_warnings(problem)[0])  # doctest: +NORMALIZE_WHITESPACE
    settings, setting 'rules.min_score': min_score = 2 is above the highest score any pair can reach
    (1 with these weights): it rules out every pair
    """
    w = _Warnings(problem, config)
    n_m, n_e = problem.shape
    skip = 0
    rules = problem.rules
    dense = 0 < n_m * n_e <= dense_limit
    # Preparing scores costs about a second at 30,000 a side: only when a check needs them.
    scorer = Scorer(problem) if dense or (rules.min_score is not None and n_m and n_e) else None
    if (
        scorer is not None
        and rules.min_score is not None
        and rules.min_score - min_score_slack(rules.min_score, scorer.upper_bound) > scorer.upper_bound
    ):
        w.add(
            "rules.min_score",
            f"min_score = {rules.min_score:g} is above the highest score any pair can "
            f"reach ({scorer.upper_bound:g} with these weights): it rules out every pair",
        )
        skip = int(Rule.MIN_SCORE)
    if dense and scorer is not None:
        _dense(w, scorer, skip)
    elif n_m and n_e:
        _bounds(w)
    _capacities(w, mentors_file, mentees_file)
    _swapped(w, mentors_file, mentees_file)
    _noted_places(w, mentors_file, mentees_file)
    return tuple(w.out)


def _noted_places(w: _Warnings, mentors_file: str, mentees_file: str) -> None:
    """A note (never an error) for places the geography explains, such as the City of London,
    which is a place people live and work in but belongs to no Met BCU."""
    geography = w.problem.geography
    for file, people in ((mentors_file, w.problem.mentors), (mentees_file, w.problem.mentees)):
        counts: dict[str, int] = {}
        for person in people:
            for place in person.boroughs:
                counts[place] = counts.get(place, 0) + 1
        spelled: dict[tuple[str, str], int] = {}
        for person in people:
            for place, written in zip(person.boroughs, person.places_as_written, strict=False):
                if written != place:
                    spelled[written, place] = spelled.get((written, place), 0) + 1
        for (written, place), count in sorted(spelled.items()):
            who = "1 person lists" if count == 1 else f"{count} people list"
            message = f"{who} {written!r}, read as {place}: {written} -> {place}"
            w.out.append(InputIssue(file, None, "boroughs", written, message, None, "row", "column", "note"))
        for place, count in sorted(counts.items()):
            note = geography.note(place)
            if note:
                who = "1 person lists" if count == 1 else f"{count} people list"
                w.out.append(
                    InputIssue(file, None, "boroughs", place, f"{who} {place!r}: {note}", None, "row", "column", "note")
                )


def strict_error(warnings: Sequence[InputIssue]) -> InputFileError:
    """The warnings as errors (for ``--strict``)."""
    return InputFileError([InputIssue(**{**i.to_dict(), "severity": "error"}) for i in warnings])
