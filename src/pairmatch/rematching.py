"""Re-matching a running programme with as little disruption as the coordinator asks for.

People leave, join late, and pairs that do not work are ended; the people
affected need new partners while everyone else carries on. `rematch` takes
the programme's problem, the pairs working now and what changed, and solves
the new problem exactly with `solve`, so the proposal carries the same
certificates and explanations as any solve.

One parameter sets the trade-off, with a unit that cannot be misread:
``move_penalty`` is *score per moved working pair*. A working pair (one
that is neither ended nor broken by someone leaving) is moved only when the
total score gains at least ``move_penalty`` for each pair moved:

- ``move_penalty=inf`` (the default) keeps every working pair: they are
  pinned, so only the people affected get new partners;
- ``move_penalty=0`` re-optimises everything: the objective equals a fresh
  solve of the changed programme;
- in between, each working pair gets a ``continuity`` score component worth
  ``move_penalty`` (component value 1 for a working pair, 0 otherwise,
  weight ``move_penalty``), so the solver maximises score + ``move_penalty``
  x kept working pairs.

Pairs locked by the coordinator are always pinned; pairs ended by the
coordinator are forbidden from then on.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import networkx as nx
import numpy as np

from . import display
from .custom_scores import CONTINUITY, CustomScore
from .exceptions import InfeasibleProblemError, require
from .matching import solve
from .models import Mentee, Mentor, Person, Problem
from .params import SolveParams
from .result import MatchResult, Pair, rounded

__all__ = [
    "CHANGE_COLUMNS",
    "CHANGE_KINDS",
    "CONTINUITY",
    "Changes",
    "PairChange",
    "RematchResult",
    "rematch",
    "without_continuity",
]


PairIds = tuple[str, str]
ChangeKind = Literal["kept", "locked", "ended", "declined", "expired", "left", "moved", "new"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("kept", "locked", "ended", "declined", "expired", "left", "moved", "new")
"""Every kind of `PairChange`, in the order summaries count them."""
UNMATCHED_LISTED = 20
"""How many unmatched people a re-match summary lists by name."""


@dataclass(frozen=True)
class Changes:
    """What happened since the current pairs were made.

    Attributes
    ----------
    leave : tuple of str
        Ids of people leaving the programme.
    join : tuple of Mentor or Mentee
        People joining (late joiners, replacements).
    ended : tuple of (mentor_id, mentee_id)
        Current pairs the coordinator ended; they are never proposed again.
    locked : tuple of (mentor_id, mentee_id)
        Current pairs that must stay exactly as they are.
    declined, expired : tuple of (mentor_id, mentee_id)
        Proposed pairs that someone declined, or that nobody accepted in time
        (`pairmatch.consent`): both people are free, and the pair is not
        proposed again unless ``rematch(..., repropose_declined=True)``.

    Examples
    --------
    >>> Changes(leave=["M2"], ended=[("M1", "O1")]).ended
    (('M1', 'O1'),)
    """

    leave: tuple[str, ...] = ()
    join: tuple[Person, ...] = ()
    ended: tuple[PairIds, ...] = ()
    locked: tuple[PairIds, ...] = ()
    declined: tuple[PairIds, ...] = ()
    expired: tuple[PairIds, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "leave", tuple(dict.fromkeys(str(p) for p in self.leave)))
        object.__setattr__(self, "join", tuple(self.join))
        for name in ("ended", "locked", "declined", "expired"):
            object.__setattr__(self, name, tuple(dict.fromkeys((str(m), str(e)) for m, e in getattr(self, name))))
        for person in self.join:
            if not isinstance(person, (Mentor, Mentee)):
                raise TypeError(f"join: {person!r} is not a Mentor or a Mentee")


@dataclass(frozen=True)
class PairChange:
    """One pair before or after the re-match, and why it is (or is no longer) there.

    Attributes
    ----------
    mentor_id, mentee_id : str
    change : {"kept", "locked", "ended", "declined", "expired", "left", "moved", "new"}
        ``kept``/``locked``: a current pair that stays. ``ended`` (by the
        coordinator), ``declined``/``expired`` (a proposal not accepted),
        ``left`` (someone in it left) and ``moved`` (broken for a gain): a
        current pair that goes. ``new``: a proposed pair.
    reason : str
        The same in words.
    score : float or None
        The pair's score without the continuity bonus (None for a pair whose
        person left: they are no longer in the problem).
    gain : float or None
        For pairs taking part in a move: the score gained by the group of
        changes the pair belongs to (new pairs' scores minus moved pairs'
        scores, connected through shared people).
    """

    mentor_id: str
    mentee_id: str
    change: ChangeKind
    reason: str
    score: float | None = None
    gain: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data, scores at the written precision."""
        return {
            "mentor_id": self.mentor_id,
            "mentee_id": self.mentee_id,
            "change": self.change,
            "reason": self.reason,
            "score": None if self.score is None else rounded(self.score),
            "gain": None if self.gain is None else rounded(self.gain),
        }

    def __repr__(self) -> str:
        score = "" if self.score is None else f"score {display.number(self.score)}"
        return display.short_repr("PairChange", self.change, f"{self.mentor_id!r} - {self.mentee_id!r}", score)


@dataclass(frozen=True)
class RematchResult:
    """A proposed re-match: the new matching, what changed and what it cost.

    Attributes
    ----------
    result : MatchResult
        The new matching, solved by `solve` on ``problem`` (explanations,
        certificates and verifiers apply as to any result).
    problem : Problem
        What was solved: ``base_problem`` plus the pins and the continuity
        component.
    base_problem : Problem
        The programme after the changes (leavers out, joiners in, ended
        pairs forbidden), without anything added for this re-match: the
        problem to carry forward to the next one.
    changes : tuple of PairChange
        Every current pair (kept, locked, ended, left, moved) and every new pair.
    move_penalty : float
        Score per moved working pair (``inf``: working pairs pinned).
    score : float
        Total score of the new matching without the continuity bonus.
    baseline_score : float or None
        Total score when every working pair is kept (``move_penalty=inf``);
        None when not computed or infeasible.
    applied : Changes
        The changes this re-match was asked to make.
    working : tuple of (mentor_id, mentee_id)
        The working pairs (current, not ended, nobody leaving, not locked).
    earlier : tuple of (mentor_id, mentee_id)
        Pairs formed before and not current now: the ``earlier`` given plus
        the current pairs that ended, left or moved (declined proposals never
        formed). `then` passes them to the next re-match.
    excluded_earlier : int
        Earlier pairs of two people both in the programme that this re-match
        kept apart.
    """

    result: MatchResult
    problem: Problem
    base_problem: Problem
    changes: tuple[PairChange, ...]
    move_penalty: float
    score: float
    baseline_score: float | None = None
    applied: Changes = field(default_factory=Changes, repr=False)
    working: tuple[PairIds, ...] = field(default=(), repr=False)
    earlier: tuple[PairIds, ...] = field(default=(), repr=False)
    excluded_earlier: int = 0
    settings: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def pairs(self) -> tuple[PairIds, ...]:
        """The new matching's pairs as ``(mentor_id, mentee_id)``."""
        return tuple((p.mentor_id, p.mentee_id) for p in self.result.pairs)

    def then(self, changes: Changes | None = None, **kwargs: Any) -> RematchResult:
        """The next re-match, from this one: its programme, pairs and earlier pairs.

        ``kwargs`` go to `rematch` (defaults: this re-match's ``move_penalty``,
        solve parameters and settings).
        """
        assert self.result.context is not None
        options = {
            "move_penalty": self.move_penalty,
            "params": self.result.context.params,
            **self.settings,
            **kwargs,
        }
        earlier = (*self.earlier, *options.pop("earlier", ()))
        return rematch(self.base_problem, self.pairs, changes, earlier=earlier, **options)

    def count(self, change: ChangeKind) -> int:
        """Number of pairs with this kind of change."""
        return sum(1 for c in self.changes if c.change == change)

    @property
    def moved(self) -> int:
        """Working pairs broken for a gain (the disruption)."""
        return self.count("moved")

    @property
    def gain(self) -> float | None:
        """Score gained over keeping every working pair (``score - baseline_score``)."""
        return None if self.baseline_score is None else self.score - self.baseline_score

    def summary(self) -> str:
        """Counts of each kind of change, the score and the disruption, in one paragraph.

        >>> from pairmatch import synthetic_problem, solve
        >>> p = synthetic_problem(6, seed=1)
        >>> now = [(x.mentor_id, x.mentee_id) for x in solve(p).pairs]
        >>> print(rematch(p, now, Changes(leave=["Y00000"])).summary().splitlines()[0])
        re-match (move_penalty inf): 5 kept, 0 locked, 0 ended, 0 declined, 0 expired, 1 left, 0 moved, 0 new
        """
        counts = ", ".join(f"{self.count(k)} {k}" for k in CHANGE_KINDS)
        lines = [
            f"re-match (move_penalty {_penalty_text(self.move_penalty)}): {counts}",
            f"score {self.score:.4f} without the continuity bonus; {self.moved} working pair(s) moved",
        ]
        if self.gain is not None and not math.isinf(self.move_penalty):
            lines.append(
                f"gain over keeping every working pair: {self.gain:.4f} "
                f"(at least {_penalty_text(self.move_penalty)} per moved pair)"
            )
        if self.excluded_earlier:
            lines.append(f"{self.excluded_earlier} earlier pairing(s) excluded (not proposed again)")
        lines.append("")
        for c in self.changes:
            if c.change != "kept":
                lines.append(f"  {c.change:<7} {c.mentor_id} - {c.mentee_id}: {c.reason}")
        unmatched = self.result.unmatched
        if unmatched:
            lines += ["", f"{len(unmatched)} still unmatched:"]
            lines += [f"  {u.side} {u.person_id}: {u.reason}" for u in unmatched[:UNMATCHED_LISTED]]
            if len(unmatched) > UNMATCHED_LISTED:
                lines.append(f"  ... and {len(unmatched) - UNMATCHED_LISTED} more (see the result's unmatched list)")
        return "\n".join(lines).rstrip()

    def to_dict(self) -> dict[str, Any]:
        """Plain data: parameters, score, counts and every change."""
        return {
            "move_penalty": None if math.isinf(self.move_penalty) else self.move_penalty,
            "score": rounded(self.score),
            "objective": rounded(self.result.objective),
            "baseline_score": None if self.baseline_score is None else rounded(self.baseline_score),
            "gain": None if self.gain is None else rounded(self.gain),
            "moved": self.moved,
            "counts": {k: self.count(k) for k in CHANGE_KINDS},
            "excluded_earlier": self.excluded_earlier,
            "changes": [c.to_dict() for c in self.changes],
            "unmatched": [dict(u.__dict__) for u in self.result.unmatched],
        }

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        counts = (f"{self.count(k)} {k}" for k in CHANGE_KINDS if self.count(k))
        return display.short_repr(
            "RematchResult",
            *counts,
            f"score {display.number(self.score, 4)}",
            f"move_penalty {_penalty_text(self.move_penalty)}",
        )

    def _name(self, person_id: str) -> str:
        for problem in (self.problem, self.base_problem):
            with contextlib.suppress(KeyError):
                return problem.person(person_id).name or ""
        return ""

    def to_rows(self, *, kept: bool = True) -> Iterable[tuple[Any, ...]]:
        """One row per change in `CHANGE_COLUMNS` order (without the kept pairs if not ``kept``)."""
        return (
            (
                c.change,
                c.mentor_id,
                self._name(c.mentor_id),
                c.mentee_id,
                self._name(c.mentee_id),
                c.score,
                c.gain,
                c.reason,
            )
            for c in self.changes
            if kept or c.change != "kept"
        )

    def _repr_html_(self) -> str:
        """Counts, score and disruption, then every change but the kept pairs (bounded)."""
        shown = len(self.changes) - self.count("kept")
        counts = {k: self.count(k) for k in CHANGE_KINDS}
        items = [("changes", counts), ("score", self.score), ("move_penalty", _penalty_text(self.move_penalty))]
        if self.gain is not None:
            items.append(("gain over keeping every working pair", self.gain))
        return display.card(
            f"RematchResult: {self.moved} working pair(s) moved, {self.count('new')} new",
            display.fields(items),
            display.table(CHANGE_COLUMNS, self.to_rows(kept=False), total=shown, caption="Changes", what="change"),
        )

    def to_frame(self) -> Any:
        """Every change as a pandas DataFrame with columns `CHANGE_COLUMNS` (needs the ``io`` extra).

        >>> from pairmatch import synthetic_problem, solve
        >>> p = synthetic_problem(6, seed=1)
        >>> now = [(x.mentor_id, x.mentee_id) for x in solve(p).pairs]
        >>> frame = rematch(p, now, Changes(leave=["Y00000"])).to_frame()
        >>> frame["change"].value_counts().to_dict()
        {'kept': 5, 'left': 1}
        """
        pandas = require("pandas", "io", "RematchResult.to_frame()")
        return display.frame(pandas, CHANGE_COLUMNS, self.to_rows())


CHANGE_COLUMNS = ("change", "mentor_id", "mentor_name", "mentee_id", "mentee_name", "score", "gain", "reason")
"""Columns of `RematchResult.to_frame`."""


def _penalty_text(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:g}"


def without_continuity(result: MatchResult) -> float:
    """Total score of ``result`` without the re-match continuity bonus.

    >>> from pairmatch import solve, pilot_problem
    >>> r = solve(pilot_problem())
    >>> without_continuity(r) == r.objective
    True
    """
    return math.fsum(p.base_score for p in result.pairs)


def _check_pairs(what: str, pairs: Iterable[PairIds], mentors: set[str], mentees: set[str]) -> None:
    for m, e in pairs:
        if m not in mentors or e not in mentees:
            raise ValueError(f"{what}: ({m!r}, {e!r}) is not a (mentor, mentee) pair of the programme")


def _scores_after(
    scores: Sequence[CustomScore],
    stay_mentors: np.ndarray,
    stay_mentees: np.ndarray,
    gone: set[str],
    joining: Sequence[Person],
) -> tuple[CustomScore, ...]:
    """The caller's components with leavers removed; joiners get an entry form's default."""
    out = []
    for component in scores:
        if component.name == CONTINUITY:
            continue  # a bonus of an earlier re-match, never carried forward
        if component.matrix is not None:
            if joining:
                who = ", ".join(p.id for p in joining[:5])
                raise ValueError(
                    f"custom score {component.name!r} is a matrix with no values for the people "
                    f"joining ({who}); give it as entries with a default, or as a function"
                )
            matrix = np.asarray(component.matrix)[np.ix_(stay_mentors, stay_mentees)]
            out.append(component.model_copy(update={"matrix": matrix}))
        elif component.entries is not None:
            entries = tuple(x for x in component.entries if x[0] not in gone and x[1] not in gone)
            out.append(component.model_copy(update={"entries": entries}))
        elif component.arcs is not None:
            out.append(component.model_copy(update={"arcs": _kept_arcs(component.arcs, stay_mentors, stay_mentees)}))
        else:
            out.append(component)
    return tuple(out)


def _kept_arcs(
    arcs: tuple[np.ndarray, np.ndarray, np.ndarray], stay_mentors: np.ndarray, stay_mentees: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Listed pairs of the people who stay, at their new positions (joiners come after them)."""
    rows, cols, values = arcs
    moved = []
    for positions, stay in ((rows, stay_mentors), (cols, stay_mentees)):
        stay = np.asarray(stay, dtype=np.int64)
        new = np.full(max(int(positions.max(initial=-1)), int(stay.max(initial=-1))) + 1, -1, dtype=np.int64)
        new[stay] = np.arange(len(stay))
        moved.append(new[positions])
    keep = (moved[0] >= 0) & (moved[1] >= 0)
    return moved[0][keep], moved[1][keep], values[keep]


def changed_problem(problem: Problem, changes: Changes, *, repropose_declined: bool = False) -> Problem:
    """``problem`` after the people changes: leavers out, joiners in, ended (and declined) pairs forbidden.

    Rules naming a leaver are dropped; a pinned pair the coordinator ended is
    no longer pinned. Declined and expired proposals are forbidden too unless
    ``repropose_declined``. Nothing for the re-match itself (pins of working
    pairs, continuity) is added.

    >>> from pairmatch import pilot_problem
    >>> changed_problem(pilot_problem(), Changes(leave=["M3"])).shape
    (2, 3)
    """
    mentor_ids = [m.id for m in problem.mentors]
    mentee_ids = [m.id for m in problem.mentees]
    known = set(mentor_ids) | set(mentee_ids)
    unknown = [p for p in changes.leave if p not in known]
    if unknown:
        raise ValueError(f"leave: {', '.join(map(repr, unknown))} not in the programme")
    clash = [p.id for p in changes.join if p.id in known]
    if clash:
        raise ValueError(f"join: {', '.join(map(repr, clash))} already in the programme")
    for what in ("ended", "declined", "expired"):
        _check_pairs(what, getattr(changes, what), set(mentor_ids), set(mentee_ids))
    gone = set(changes.leave)
    joining = list(changes.join)
    stay_mentors = np.array([k for k, pid in enumerate(mentor_ids) if pid not in gone], dtype=np.int64)
    stay_mentees = np.array([k for k, pid in enumerate(mentee_ids) if pid not in gone], dtype=np.int64)
    mentors = (
        *(_without(problem.mentors[k], gone) for k in stay_mentors.tolist()),
        *(p for p in joining if isinstance(p, Mentor)),
    )
    mentees = (
        *(_without(problem.mentees[k], gone) for k in stay_mentees.tolist()),
        *(p for p in joining if isinstance(p, Mentee)),
    )
    refused = () if repropose_declined else (*changes.declined, *changes.expired)
    ended = set(changes.ended) | set(changes.declined) | set(changes.expired)
    rules = problem.rules.model_copy(
        update={
            "forbidden_pairs": tuple(
                dict.fromkeys(
                    (
                        *(p for p in problem.rules.forbidden_pairs if not gone & set(p)),
                        *(p for p in (*changes.ended, *refused) if not gone & set(p)),
                    )
                )
            ),
            "required_pairs": tuple(p for p in problem.rules.required_pairs if not gone & set(p) and p not in ended),
        }
    )
    scores = _scores_after(problem.scores, stay_mentors, stay_mentees, gone, joining)
    return _rebuild(problem, mentors=mentors, mentees=mentees, rules=rules, scores=scores)


PersonT = TypeVar("PersonT", bound=Person)


def _without(person: PersonT, gone: set[str]) -> PersonT:
    """The person with the people leaving taken out of their ranking (the rest keep their order)."""
    if not gone or not any(pid in gone for group in person.ranking for pid in group):
        return person
    groups = tuple(g for g in (tuple(pid for pid in group if pid not in gone) for group in person.ranking) if g)
    return person.model_copy(update={"ranking": groups})


def _rebuild(problem: Problem, **update: Any) -> Problem:
    """A new, validated problem from ``problem``'s fields and ``update`` (model_copy would skip validation)."""
    data = {name: getattr(problem, name) for name in type(problem).model_fields}
    data.update(update)
    return Problem(**data)


def rematch(
    problem: Problem,
    current: Iterable[PairIds],
    changes: Changes | None = None,
    *,
    move_penalty: float = math.inf,
    params: SolveParams | None = None,
    baseline: bool = True,
    adjust: Callable[[Problem], Problem] | None = None,
    earlier: Iterable[PairIds] = (),
    repeat_earlier: bool = False,
    repropose_declined: bool = False,
) -> RematchResult:
    """Propose a new matching after people leave or join or pairs end, disturbing as little as asked.

    Parameters
    ----------
    problem : Problem
        The programme as it was when the current pairs were made (without
        any pins or continuity of an earlier re-match: `RematchResult.base_problem`).
    current : iterable of (mentor_id, mentee_id)
        The pairs working now.
    changes : Changes, optional
        Who leaves and joins, which pairs the coordinator ended or locked.
    move_penalty : float
        Score per moved working pair, >= 0. A working pair moves only when
        the total score gains at least this much for each moved pair;
        ``inf`` (default) keeps them all, 0 re-optimises everything.
    params : SolveParams, optional
        Passed to `solve` (objective, seed, ...).
    baseline : bool
        With a finite ``move_penalty``, also solve with every working pair
        kept, to report the gain bought by the moves.
    adjust : callable, optional
        Applied to the changed programme before the re-match's own pins and
        continuity are added (e.g. rules from the programme's history for
        the people now in it).
    earlier : iterable of (mentor_id, mentee_id)
        Pairs formed before and no longer current (`RematchResult.earlier`
        carries them from one re-match to the next). Someone who left and
        rejoins is not paired with an earlier partner again unless
        ``repeat_earlier``; a re-formed earlier pair is named as such.
    repeat_earlier : bool
        Allow earlier pairs again (they are still named when re-formed).
    repropose_declined : bool
        Allow declined and expired proposals again (`Changes.declined`).

    Returns
    -------
    RematchResult

    Raises
    ------
    ValueError
        Unknown people or pairs, a locked pair that is not current, ended, or
        whose person leaves, a negative or NaN ``move_penalty``.
    InfeasibleProblemError
        When the rules cannot hold with the locked (and, for ``inf``, kept) pairs.

    Examples
    --------
    The pilot's mentor M3 leaves and a new mentor joins:

    >>> from pairmatch import Mentor, pilot_problem, solve
    >>> p = pilot_problem()
    >>> now = [(x.mentor_id, x.mentee_id) for x in solve(p).pairs]
    >>> new = Mentor(id="M4", focus_areas=["social inequality"], boroughs=["Brent"],
    ...              availability=["Thu 18:00-20:00"])
    >>> r = rematch(p, now, Changes(leave=["M3"], join=[new]))
    >>> [(c.mentor_id, c.mentee_id, c.change) for c in r.changes]
    [('M1', 'O1', 'kept'), ('M2', 'O2', 'kept'), ('M3', 'O3', 'left'), ('M4', 'O3', 'new')]
    >>> r.changes[-1].reason
    'M4 joined; the partner of O3 (M3) left'

    M3 comes back later: the next re-match does not pair M3 with O3 again.

    >>> back = r.then(Changes(leave=["M4"], join=[p.mentors[2]]))
    >>> [(c.mentor_id, c.mentee_id, c.change) for c in back.changes if c.change != "kept"]
    [('M4', 'O3', 'left')]
    >>> back.earlier, back.excluded_earlier
    ((('M3', 'O3'), ('M4', 'O3')), 1)
    """
    changes = changes or Changes()
    if not isinstance(move_penalty, (int, float)) or math.isnan(move_penalty) or move_penalty < 0:
        raise ValueError(
            f"move_penalty must be a number >= 0 (score per moved working pair) or inf, got {move_penalty!r}"
        )
    move_penalty = float(move_penalty)
    params = params or SolveParams()
    current = tuple(dict.fromkeys((str(m), str(e)) for m, e in current))
    _check_changes(problem, current, changes)
    base = changed_problem(problem, changes, repropose_declined=repropose_declined)
    ready = adjust(base) if adjust is not None else base
    now = set(current)
    earlier = tuple(dict.fromkeys((str(m), str(e)) for m, e in earlier if (str(m), str(e)) not in now))
    excluded = _present(ready, earlier)
    if not repeat_earlier and excluded:
        ready = _rebuild(ready, rules=ready.rules.model_copy(update={"forbidden_pairs": _forbid(ready, excluded)}))
    locked = changes.locked
    over = set(changes.ended) | set(changes.declined) | set(changes.expired)
    gone = set(changes.leave)
    locked_set = set(locked)
    working = tuple(p for p in current if p not in over and not gone & set(p) and p not in locked_set)
    required = tuple(dict.fromkeys((*ready.rules.required_pairs, *locked)))
    keep_all = math.isinf(move_penalty) or _keeps_every_working_pair(ready, params, move_penalty)
    if keep_all:
        solved = _rebuild(
            ready, rules=ready.rules.model_copy(update={"required_pairs": tuple(dict.fromkeys((*required, *working)))})
        )
    else:
        scores = ready.scores
        if move_penalty > 0 and working:
            scores = (*scores, continuity_score(working, move_penalty))
        solved = _rebuild(ready, rules=ready.rules.model_copy(update={"required_pairs": required}), scores=scores)
    result = solve(solved, params)
    score = without_continuity(result)
    baseline_score = None
    if keep_all:
        baseline_score = score
    elif baseline:
        pinned = _rebuild(
            ready, rules=ready.rules.model_copy(update={"required_pairs": tuple(dict.fromkeys((*required, *working)))})
        )
        try:
            baseline_score = solve(pinned, params).objective
        except InfeasibleProblemError:
            baseline_score = None
    classified = _Classifier(result, current, changes, working, move_penalty, set(earlier)).changes()
    gone_pairs = [(c.mentor_id, c.mentee_id) for c in classified if c.change in ("ended", "left", "moved")]
    return RematchResult(
        result=result,
        problem=solved,
        base_problem=base,
        changes=classified,
        move_penalty=move_penalty,
        score=score,
        baseline_score=baseline_score,
        applied=changes,
        working=working,
        earlier=tuple(dict.fromkeys((*earlier, *gone_pairs))),
        excluded_earlier=0 if repeat_earlier else len(excluded),
        settings={"repeat_earlier": repeat_earlier, "repropose_declined": repropose_declined, "baseline": baseline},
    )


def _check_changes(problem: Problem, current: tuple[PairIds, ...], changes: Changes) -> None:
    mentor_ids = {m.id for m in problem.mentors}
    mentee_ids = {m.id for m in problem.mentees}
    _check_pairs("current", current, mentor_ids, mentee_ids)
    now = set(current)
    for what in ("ended", "locked", "declined", "expired"):
        stray = [p for p in getattr(changes, what) if p not in now]
        if stray:
            raise ValueError(f"{what}: {stray[0]!r} is not a current pair")
    gone = set(changes.leave)
    over = set(changes.ended) | set(changes.declined) | set(changes.expired)
    for pair in changes.locked:
        if pair in over:
            raise ValueError(f"{pair!r} is both ended and locked (or declined and locked)")
        if gone & set(pair):
            raise ValueError(f"locked pair {pair!r}: {', '.join(sorted(gone & set(pair)))} is leaving")


def _present(problem: Problem, pairs: Sequence[PairIds]) -> tuple[PairIds, ...]:
    """The pairs whose two people are both in ``problem`` (and that no rule requires)."""
    mentors, mentees = problem.mentor_index(), problem.mentee_index()
    required = set(problem.rules.required_pairs)
    return tuple(p for p in pairs if p[0] in mentors and p[1] in mentees and p not in required)


def _forbid(problem: Problem, pairs: Sequence[PairIds]) -> tuple[PairIds, ...]:
    return tuple(dict.fromkeys((*problem.rules.forbidden_pairs, *pairs)))


def continuity_score(working: Sequence[tuple[str, str]], move_penalty: float) -> CustomScore:
    """The re-match's bonus for keeping each working pair: ``move_penalty`` per kept pair,
    0 for every other pair (the component `rematch` adds as ``CONTINUITY``)."""
    return CustomScore.added_by_pairmatch(
        name=CONTINUITY,
        weight=move_penalty,
        max_value=1.0,
        default=0.0,
        description="current partner kept (score per kept working pair)",
        entries=tuple((m, e, 1.0) for m, e in working),
    )


def _keeps_every_working_pair(problem: Problem, params: SolveParams, move_penalty: float) -> bool:
    """Whether ``move_penalty`` is so large that no move can pay for itself, so the re-match is the
    ``inf`` one (solved with the working pairs pinned, keeping the integer scaling for real scores).

    Moving k working pairs frees 2k people, each in at most one new pair worth at most the largest
    possible pair score U, so the total score rises by at most 2kU: a penalty of 2U per moved pair
    or more never pays. The argument needs scores to be summed (``max_score``) and dropping the
    freed people's new pairs to keep every rule, so it is not applied with lower bounds or quotas.
    """
    rules = problem.rules
    if (
        params.objective != "max_score"
        or rules.quotas
        or rules.match_all_mentors
        or rules.match_all_mentees
        or any(p.min_partners for p in (*problem.mentors, *problem.mentees))
    ):
        return False
    w = problem.weights
    own = sum(c.weight * c.upper_bound for c in (*problem.preferences, *problem.rank_scores))
    largest = w.focus + w.borough + w.availability + own + sum(c.weight * c.upper_bound for c in problem.scores)
    return move_penalty >= 2 * largest


class _Classifier:
    """Every current and every new pair of a re-match, with the kind of change and the reason."""

    def __init__(
        self,
        result: MatchResult,
        current: tuple[PairIds, ...],
        changes: Changes,
        working: tuple[PairIds, ...],
        move_penalty: float,
        earlier: set[PairIds],
    ) -> None:
        assert result.context is not None
        self.result, self.current, self.changes_in, self.earlier = result, current, changes, earlier
        self.new = {(p.mentor_id, p.mentee_id): p for p in result.pairs}
        self.moved = [p for p in working if p not in self.new]
        self.moved_set = set(self.moved)
        self.bonus = move_penalty if not math.isinf(move_penalty) else 0.0
        self.moved_scores = self._moved_scores()
        # A declined proposal made again (when allowed) is a new pair, not a kept one.
        self.over = set(changes.ended) | set(changes.declined) | set(changes.expired)
        # Sets built once: the classification stays linear in the pairs.
        self.sets = {name: set(getattr(changes, name)) for name in ("ended", "declined", "expired", "locked", "leave")}
        self.joined = {p.id for p in changes.join}
        now = set(current)
        self.fresh = [pair for pair in self.new if pair not in now or pair in self.over]
        self.gain_of = self._gains()
        self.before_partner: dict[str, list[str]] = {}
        for m, e in current:
            self.before_partner.setdefault(m, []).append(e)
            self.before_partner.setdefault(e, []).append(m)
        self.mentor_side = {m.id for m in result.context.problem.mentors} | {m for m, _ in current}

    def plain(self, pair: Pair) -> float:
        return pair.base_score

    def _moved_scores(self) -> dict[PairIds, float]:
        """Scores of the moved pairs (not in the result) from the solver's own view, without the bonus."""
        if not self.moved:
            return {}
        assert self.result.context is not None
        problem, scores = self.result.context.problem, self.result.context.scores
        mi, ei = problem.mentor_index(), problem.mentee_index()
        rows = np.array([mi[m] for m, _ in self.moved], dtype=np.int64)
        cols = np.array([ei[e] for _, e in self.moved], dtype=np.int64)
        values = scores.pair_values(rows, cols)
        totals = values["total"] - (self.bonus * values[CONTINUITY] if CONTINUITY in values else 0.0)
        return dict(zip(self.moved, totals.tolist(), strict=True))

    def _gains(self) -> dict[str, float]:
        """Person id -> gain of the group of moves (moved and new pairs sharing people) they are in."""
        graph = nx.Graph()
        for m, e in self.moved:
            graph.add_edge(("mentor", m), ("mentee", e), old=True)
        for m, e in self.fresh:
            graph.add_edge(("mentor", m), ("mentee", e), old=False)
        gain_of: dict[str, float] = {}
        for nodes in nx.connected_components(graph):
            edges = graph.subgraph(nodes).edges(data=True)
            pairs = [((a[1], b[1]) if a[0] == "mentor" else (b[1], a[1]), d["old"]) for a, b, d in edges]
            if not any(old for _, old in pairs):
                continue
            gain = math.fsum(self.plain(self.new[p]) for p, old in pairs if not old) - math.fsum(
                self.moved_scores[p] for p, old in pairs if old
            )
            for node in nodes:
                gain_of[node[1]] = gain
        return gain_of

    def why_free(self, pid: str) -> str | None:
        """Why someone in a new pair was free to take it."""
        if pid in self.joined:
            return f"{pid} joined"
        partners = self.before_partner.get(pid, [])
        for other in partners:
            pair = (pid, other) if pid in self.mentor_side else (other, pid)
            if pair in self.sets["ended"]:
                return f"the pair of {pid} with {other} was ended by the coordinator"
            if pair in self.sets["declined"] or pair in self.sets["expired"]:
                how = "declined" if pair in self.sets["declined"] else "expired"
                return f"the proposal of {pid} with {other} {how}"
            if other in self.sets["leave"]:
                return f"the partner of {pid} ({other}) left"
            if pair in self.moved_set:
                return f"{pid} moved for a gain of {self.gain_of.get(pid, 0.0):.4f}"
        return None if partners else f"{pid} had no partner"

    def current_change(self, pair: PairIds) -> PairChange:
        m, e = pair
        if pair in self.new and pair not in self.over:
            kind: ChangeKind = "locked" if pair in self.sets["locked"] else "kept"
            text = "locked by the coordinator" if kind == "locked" else "working pair kept"
            return PairChange(m, e, kind, text, self.plain(self.new[pair]))
        if pair in self.sets["ended"]:
            return PairChange(m, e, "ended", "ended by the coordinator")
        if pair in self.sets["declined"]:
            return PairChange(m, e, "declined", "the proposal was declined")
        if pair in self.sets["expired"]:
            return PairChange(m, e, "expired", "the proposal expired without both answers")
        if self.sets["leave"] & set(pair):
            who = " and ".join(p for p in pair if p in self.sets["leave"])
            return PairChange(m, e, "left", f"{who} left")
        gain = self.gain_of.get(m, 0.0)
        return PairChange(m, e, "moved", f"moved for a gain of {gain:.4f}", self.moved_scores[pair], gain)

    def new_change(self, pair: PairIds) -> PairChange:
        m, e = pair
        reasons = [r for r in (self.why_free(m), self.why_free(e)) if r]
        if pair in self.earlier:
            reasons.insert(0, f"re-forms an earlier pair of {m} and {e}")
        reason = "; ".join(reasons) or "new pair"
        return PairChange(m, e, "new", reason, self.plain(self.new[pair]), self.gain_of.get(m))

    def changes(self) -> tuple[PairChange, ...]:
        out = [self.current_change(pair) for pair in self.current]
        out += [self.new_change(pair) for pair in self.fresh]
        return tuple(sorted(out, key=lambda c: (c.change == "new", c.mentor_id, c.mentee_id)))
