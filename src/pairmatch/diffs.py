"""What changed between two matchings: pairs added and removed, people with a new partner, coverage.

Compares two results (or stored runs, as `Snapshot`s): the pairs only in
one of them, every person whose partners differ, the objectives, and how
many people are matched in each BCU (the geography's unit), borough and
focus area. Works for what-if questions on one cohort (the same people under
other weights or rules) as well as for a cohort before and after a re-match.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import display
from .exceptions import require
from .models import Person, Problem
from .result import MatchResult, rounded

__all__ = [
    "COVERAGE_COLUMNS",
    "COVERAGE_KEYS",
    "DIFF_COLUMNS",
    "CoverageRow",
    "PartnerChange",
    "ResultDiff",
    "Snapshot",
    "coverage",
    "diff",
]

COVERAGE_KEYS = ("bcu", "borough", "focus")
PairScore = tuple[str, str, float]


@dataclass(frozen=True)
class Snapshot:
    """A matching to compare: the problem it was made for, its pairs and objective.

    Attributes
    ----------
    label : str
        How reports name it (e.g. ``"run 3"``).
    problem : Problem
    pairs : tuple of (mentor_id, mentee_id, score)
        Scores without any re-match continuity bonus.
    objective : float
        The sum of those scores.

    Examples
    --------
    >>> from pairmatch import solve, pilot_problem
    >>> Snapshot.of(solve(pilot_problem()), "pilot").pairs[0][:2]
    ('M1', 'O1')
    """

    label: str
    problem: Problem
    pairs: tuple[PairScore, ...]
    objective: float

    @classmethod
    def of(cls, result: MatchResult, label: str = "") -> Snapshot:
        """The snapshot of a result solved in this process.

        Scores leave out a re-match's continuity bonus, so that a re-match
        compares with the run before it in the same units.
        """
        problem = result.solved_context("a diff needs", ", or a Snapshot with its problem").problem
        pairs = tuple((p.mentor_id, p.mentee_id, p.base_score) for p in result.pairs)
        return cls(label, problem, pairs, math.fsum(s for _, _, s in pairs))


@dataclass(frozen=True)
class PartnerChange:
    """Someone whose partners differ between the two matchings (empty: none)."""

    person_id: str
    side: Literal["mentor", "mentee"]
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def text(self) -> str:
        """One line, e.g. ``mentor M1: O1 -> O2, O3`` (``nobody`` for no partners)."""

        def who(ids: tuple[str, ...]) -> str:
            return ", ".join(ids) if ids else "nobody"

        return f"{self.side} {self.person_id}: {who(self.before)} -> {who(self.after)}"

    def __repr__(self) -> str:
        return display.short_repr("PartnerChange", self.text)


@dataclass(frozen=True)
class CoverageRow:
    """People and matched people of one group (a BCU, borough or focus area) before and after."""

    key: str
    group: str
    people_before: int
    matched_before: int
    people_after: int
    matched_after: int

    @property
    def change(self) -> int:
        """Matched people after minus before."""
        return self.matched_after - self.matched_before


def coverage(
    problem: Problem,
    matched: Iterable[str],
    key: str,
    *,
    people: Iterable[Person] | None = None,
    no_unit: str = "(no unit)",
) -> dict[str, tuple[int, int]]:
    """``{group: (people, matched people)}`` per BCU (``"bcu"``), ``"borough"`` or ``"focus"`` area.

    A person counts once in each group they belong to (all their boroughs,
    the units of those boroughs, all their focus areas). ``people`` defaults
    to everyone in the problem; a borough in no unit counts under ``no_unit``.

    >>> from pairmatch import pilot_problem
    >>> coverage(pilot_problem(), ["M1", "O1"], "bcu")["Central East"]
    (2, 2)
    """
    if key not in COVERAGE_KEYS:
        raise ValueError(f"coverage key must be one of {COVERAGE_KEYS}, got {key!r}")
    hit = set(matched)
    unit_of = problem.geography.unit_of
    total: Counter[str] = Counter()
    found: Counter[str] = Counter()
    for person in (*problem.mentors, *problem.mentees) if people is None else people:
        if key == "bcu":
            groups = {unit_of.get(b, no_unit) for b in person.boroughs}
        else:
            groups = set(person.boroughs if key == "borough" else person.focus_areas)
        for g in groups:
            total[g] += 1
            found[g] += person.id in hit
    return {g: (total[g], found[g]) for g in total}


@dataclass(frozen=True)
class ResultDiff:
    """The difference between two matchings (``before`` and ``after``).

    Attributes
    ----------
    before_label, after_label : str
    added, removed : tuple of (mentor_id, mentee_id, score)
        Pairs only in ``after`` / only in ``before``, with their score there.
    kept : int
        Pairs in both.
    changed : tuple of PartnerChange
        Everyone whose partners differ, mentors first, in id order.
    objective_before, objective_after : float
        Total score of each matching (pairs' own scores: a re-match's
        continuity bonus is not part of them).
    pairs_before, pairs_after : int
    coverage : dict of str to tuple of CoverageRow
        Per ``bcu``, ``borough`` and ``focus``: groups whose numbers differ
        come first (largest change first), then the rest by size.
    names : dict of str to str
        Names of the people in ``added``, ``removed`` and ``changed`` (for displays and frames).
    """

    before_label: str
    after_label: str
    added: tuple[PairScore, ...]
    removed: tuple[PairScore, ...]
    kept: int
    changed: tuple[PartnerChange, ...]
    objective_before: float
    objective_after: float
    pairs_before: int
    pairs_after: int
    coverage: dict[str, tuple[CoverageRow, ...]]
    names: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def objective_change(self) -> float:
        """``objective_after - objective_before``: positive when the new matching scores more."""
        return self.objective_after - self.objective_before

    @property
    def identical(self) -> bool:
        """True when both matchings have exactly the same pairs."""
        return not self.added and not self.removed

    def summary(self) -> str:
        """A few lines: pair counts, total score change, added and removed pairs, changed partners.

        >>> from pairmatch import solve, pilot_problem, Rules
        >>> p = pilot_problem()
        >>> q = p.model_copy(update={"rules": Rules(forbidden_pairs=[("M1", "O1")])})
        >>> print(diff(solve(p), solve(q)).summary().splitlines()[0])
        3 -> 2 pairs: 2 kept, 0 added, 1 removed; score 2.5100 -> 1.6300 (-0.8800)
        """
        lines = [
            f"{self.pairs_before} -> {self.pairs_after} pairs: {self.kept} kept, {len(self.added)} added, "
            f"{len(self.removed)} removed; score {self.objective_before:.4f} -> "
            f"{self.objective_after:.4f} ({self.objective_change:+.4f})"
        ]
        lines += [f"  + {m} - {e} ({s:.3f})" for m, e, s in self.added]
        lines += [f"  - {m} - {e} ({s:.3f})" for m, e, s in self.removed]
        if self.changed:
            lines += [f"{len(self.changed)} people with other partners:"]
            lines += [f"  {c.text}" for c in self.changed]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""

        def pairs(items: tuple[PairScore, ...]) -> list[dict[str, Any]]:
            return [{"mentor_id": m, "mentee_id": e, "score": rounded(s)} for m, e, s in items]

        return {
            "before": self.before_label,
            "after": self.after_label,
            "objective_before": rounded(self.objective_before),
            "objective_after": rounded(self.objective_after),
            "objective_change": rounded(self.objective_change),
            "pairs_before": self.pairs_before,
            "pairs_after": self.pairs_after,
            "kept": self.kept,
            "added": pairs(self.added),
            "removed": pairs(self.removed),
            "changed": [
                {"person_id": c.person_id, "side": c.side, "before": list(c.before), "after": list(c.after)}
                for c in self.changed
            ],
            "coverage": {k: [r.__dict__ for r in rows] for k, rows in self.coverage.items()},
        }

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return display.short_repr(
            "ResultDiff",
            f"{self.before_label!r} -> {self.after_label!r}",
            f"{self.kept:,} kept, {len(self.added):,} added, {len(self.removed):,} removed",
            f"objective {display.number(self.objective_change, 4)}",
        )

    def to_rows(self) -> Iterable[tuple[Any, ...]]:
        """One row per added or removed pair in `DIFF_COLUMNS` order."""
        name = self.names.get
        for change, pairs in (("added", self.added), ("removed", self.removed)):
            for m, e, score in pairs:
                yield (change, m, name(m, ""), e, name(e, ""), score)

    def _repr_html_(self) -> str:
        """Counts and objectives, the pairs added and removed, the people with other partners
        and the BCU coverage that changed (each a bounded preview)."""
        changed = ((c.side, c.person_id, self.names.get(c.person_id, ""), c.before, c.after) for c in self.changed)
        cover = [r for r in self.coverage.get("bcu", ()) if r.change or r.people_before != r.people_after]
        return display.card(
            f"ResultDiff: {self.before_label} -> {self.after_label}",
            display.fields(
                [
                    ("pairs", f"{self.pairs_before:,} -> {self.pairs_after:,} ({self.kept:,} kept)"),
                    (
                        "objective",
                        f"{display.number(self.objective_before, 4)} -> "
                        f"{display.number(self.objective_after, 4)} ({self.objective_change:+.4f})",
                    ),
                ]
            ),
            display.table(
                DIFF_COLUMNS,
                self.to_rows(),
                total=len(self.added) + len(self.removed),
                caption="Pairs added and removed",
                what="pair",
            ),
            display.table(
                ("side", "person", "name", "before", "after"),
                changed,
                total=len(self.changed),
                caption="Other partners",
                what="person",
            )
            if self.changed
            else "",
            display.table(
                COVERAGE_COLUMNS[1:],
                (_coverage_cells(r)[1:] for r in cover),
                total=len(cover),
                caption="Coverage by BCU that changed",
            )
            if cover
            else "",
        )

    def to_frame(self) -> Any:
        """The pairs added and removed as a pandas DataFrame with columns `DIFF_COLUMNS`
        (needs the ``io`` extra); `coverage_frame` gives the coverage.

        >>> from pairmatch import solve, pilot_problem, Rules
        >>> p = pilot_problem()
        >>> q = p.model_copy(update={"rules": Rules(forbidden_pairs=[("M1", "O1")])})
        >>> diff(solve(p), solve(q)).to_frame()[["change", "mentor_id", "mentee_id"]].values.tolist()
        [['removed', 'M1', 'O1']]
        """
        pandas = require("pandas", "io", "ResultDiff.to_frame()")
        return display.frame(pandas, DIFF_COLUMNS, self.to_rows())

    def coverage_frame(self) -> Any:
        """Coverage per BCU, borough and focus area before and after, with columns `COVERAGE_COLUMNS`."""
        pandas = require("pandas", "io", "ResultDiff.coverage_frame()")
        return display.frame(
            pandas, COVERAGE_COLUMNS, (_coverage_cells(r) for rows in self.coverage.values() for r in rows)
        )


DIFF_COLUMNS = ("change", "mentor_id", "mentor_name", "mentee_id", "mentee_name", "score")
"""Columns of `ResultDiff.to_frame`: ``change`` is ``added`` or ``removed``."""
COVERAGE_COLUMNS = ("key", "group", "people_before", "matched_before", "people_after", "matched_after", "change")
"""Columns of `ResultDiff.coverage_frame`: ``key`` is ``bcu``, ``borough`` or ``focus``."""


def _coverage_cells(row: CoverageRow) -> tuple[Any, ...]:
    return (row.key, row.group, row.people_before, row.matched_before, row.people_after, row.matched_after, row.change)


def _snapshot(item: MatchResult | Snapshot, default: str) -> Snapshot:
    snap = item if isinstance(item, Snapshot) else Snapshot.of(item, default)
    return snap if snap.label else Snapshot(default, snap.problem, snap.pairs, snap.objective)


def diff(before: MatchResult | Snapshot, after: MatchResult | Snapshot) -> ResultDiff:
    """Compare two matchings: pairs added and removed, changed partners, objective and coverage.

    Parameters
    ----------
    before, after : MatchResult or Snapshot
        Results solved in this process, or snapshots (e.g. of stored runs).
        The two may have different people (leavers, joiners).

    Returns
    -------
    ResultDiff

    Examples
    --------
    >>> from pairmatch import solve, pilot_problem, Weights
    >>> p = pilot_problem()
    >>> d = diff(solve(p), solve(p.model_copy(update={"weights": Weights(focus=0, borough=1, availability=0)})))
    >>> d.identical, d.kept
    (True, 3)
    """
    a, b = _snapshot(before, "before"), _snapshot(after, "after")
    pairs_a = {(m, e): s for m, e, s in a.pairs}
    pairs_b = {(m, e): s for m, e, s in b.pairs}
    added = tuple(sorted(((m, e, s) for (m, e), s in pairs_b.items() if (m, e) not in pairs_a)))
    removed = tuple(sorted(((m, e, s) for (m, e), s in pairs_a.items() if (m, e) not in pairs_b)))

    def partners(pairs: dict[tuple[str, str], float]) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for m, e in pairs:
            out.setdefault(m, []).append(e)
            out.setdefault(e, []).append(m)
        return {k: tuple(sorted(v)) for k, v in out.items()}

    pa, pb = partners(pairs_a), partners(pairs_b)
    sides: dict[str, Literal["mentor", "mentee"]] = {}
    names: dict[str, str] = {}
    for snap in (a, b):
        sides.update({p.id: "mentor" for p in snap.problem.mentors})
        sides.update({p.id: "mentee" for p in snap.problem.mentees})
    touched = {pid for m, e, _ in (*added, *removed) for pid in (m, e)}
    for snap in (a, b):
        names.update(
            {p.id: p.name for p in (*snap.problem.mentors, *snap.problem.mentees) if p.name and p.id in touched}
        )
    changed = tuple(
        sorted(
            (PartnerChange(pid, sides.get(pid, "mentor"), pa.get(pid, ()), pb.get(pid, ())) for pid in touched),
            key=lambda c: (c.side != "mentor", c.person_id),
        )
    )
    matched_a = set(pa)
    matched_b = set(pb)
    cover: dict[str, tuple[CoverageRow, ...]] = {}
    for key in COVERAGE_KEYS:
        ca, cb = coverage(a.problem, matched_a, key), coverage(b.problem, matched_b, key)
        rows = [CoverageRow(key, g, *ca.get(g, (0, 0)), *cb.get(g, (0, 0))) for g in set(ca) | set(cb)]
        rows.sort(
            key=lambda r: (
                r.change == 0 and r.people_before == r.people_after,
                -abs(r.change),
                -max(r.people_before, r.people_after),
                r.group,
            )
        )
        cover[key] = tuple(rows)
    return ResultDiff(
        a.label,
        b.label,
        added,
        removed,
        len(pairs_a.keys() & pairs_b.keys()),
        changed,
        float(a.objective),
        float(b.objective),
        len(pairs_a),
        len(pairs_b),
        cover,
        names,
    )
