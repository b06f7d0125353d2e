"""Stable matching from the people's own ranked lists.

A side whose people rank the other side (`pairmatch.models.Person.ranking`)
prefers by those lists: a partner ranked better is preferred, partners in
one tie group are equally good, and a partner not on the list is
unacceptable. A side without rankings prefers by the pair scores, as the
score-based stable objective does. A pair both sides find acceptable and
the hard rules allow is a candidate.

Stability with ties is *weak*: a pair blocks only when both people strictly
prefer each other to a current partner (or have a free place). Ties are
broken by the other person's position in the problem, which makes deferred
acceptance return a weakly stable matching that is optimal for the
proposing side among the stable matchings of the tie-broken lists.

Groups with a capacity of their own turn the problem into a student–project
allocation (Abraham, Irving and Manlove, 2007): people on the side with
capacities (projects) belong to groups (their supervisors) that take at
most so many partners in all and rank the other side (students, one
partner each) in one order that every project of the group follows.
`allocate` finds the student-optimal or the supervisor-optimal stable
allocation; `allocation_blocking_pairs` checks one.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import networkx as nx
import numpy as np

from ..models import Person, Problem
from ..preferences import rank_positions
from .stable import blocking_pairs, deferred_acceptance

__all__ = [
    "Allocation",
    "Groups",
    "Lists",
    "StableRun",
    "allocate",
    "allocation_blocking_pairs",
    "group_order",
    "rank_matrix",
    "run_stable",
    "stable_blocking_pairs",
    "stable_groups",
]


def rank_matrix(problem: Problem, side: Literal["mentor", "mentee"]) -> np.ndarray:
    """``(n_mentors, n_mentees)`` ranks one side gave the other (1 = first choice, ties share
    the better rank, ``inf`` where not ranked); costs one pass over the lists, never one per pair."""
    m, n = problem.shape
    out = np.full((m, n), np.inf)
    if side == "mentor":
        index = problem.mentee_index()
        for i, person in enumerate(problem.mentors):
            for pid, rank in rank_positions(person.ranking).items():
                out[i, index[pid]] = rank
    else:
        index = problem.mentor_index()
        for j, mentee in enumerate(problem.mentees):
            for pid, rank in rank_positions(mentee.ranking).items():
                out[index[pid], j] = rank
    return out


def has_rankings(people: Sequence[Person]) -> bool:
    return any(p.ranking for p in people)


@dataclass(frozen=True)
class Lists:
    """Each side's preferences as arrays deferred acceptance reads (higher is better).

    Attributes
    ----------
    mentor_scores, mentee_scores : ndarray
        ``(m, n)``: how mentor ``i`` values mentee ``j`` and how mentee ``j``
        values mentor ``i`` (``-rank`` on a side that ranks, the pair score
        otherwise).
    acceptable : ndarray of bool
        Pairs that every ranking side listed.
    sources : dict
        ``{"mentor": "rankings" | "scores", "mentee": ...}``.
    ties : bool
        Whether a ranking side has a tie group.
    """

    mentor_scores: np.ndarray
    mentee_scores: np.ndarray
    acceptable: np.ndarray
    sources: dict[str, str]
    ties: bool

    @classmethod
    def of(cls, problem: Problem, total: np.ndarray, mentee_total: np.ndarray | None, use: str) -> Lists:
        """The preferences of ``problem``: rankings where a side has them (``use="auto"``),
        everywhere (``"rankings"``, an error if a side has none) or nowhere (``"scores"``)."""
        acceptable = np.ones(total.shape, dtype=bool)
        out: dict[str, np.ndarray] = {}
        sources: dict[str, str] = {}
        ties = False
        sides: tuple[tuple[Literal["mentor", "mentee"], Sequence[Person], np.ndarray], ...] = (
            ("mentor", problem.mentors, total),
            ("mentee", problem.mentees, total if mentee_total is None else mentee_total),
        )
        for side, people, fallback in sides:
            ranked = use != "scores" and has_rankings(people)
            if use == "rankings" and not ranked:
                raise ValueError(
                    f"stable_preferences='rankings' needs the {side}s' rankings, but no {side} ranked anyone"
                )
            if ranked:
                ranks = rank_matrix(problem, side)
                acceptable &= np.isfinite(ranks)
                # Not ranked: below every rank (a matched pair nobody ranked is its person's worst).
                out[side] = np.where(np.isfinite(ranks), -ranks, -float(sum(total.shape) + 1))
                ties = ties or any(len(g) > 1 for p in people for g in p.ranking)
            else:
                out[side] = fallback
            sources[side] = "rankings" if ranked else "scores"
        return cls(out["mentor"], out["mentee"], acceptable, sources, ties)

    @property
    def ranked(self) -> bool:
        """True when either side's preferences are its own rankings."""
        return "rankings" in self.sources.values()


# --- student-project allocation with group capacities --------------------------------------


@dataclass(frozen=True)
class Allocation:
    """A stable allocation: ``rows`` (projects) and ``cols`` (students) of each pair."""

    rows: np.ndarray
    cols: np.ndarray
    optimal_for: Literal["student", "supervisor"]
    proposals: int


def group_order(lists: Sequence[Sequence[int]], label: str, names: Sequence[str] | None = None) -> list[int]:
    """The one order of students that every list follows (each list is that order restricted).

    ``ValueError`` naming ``label`` when the lists disagree, or when they leave two students
    unordered (the group would have no one ranking to allocate by).

    >>> group_order([[0, 2], [0, 1, 2]], "A")
    [0, 1, 2]
    """
    graph = nx.DiGraph()
    for order in lists:
        graph.add_nodes_from(order)
        graph.add_edges_from(itertools.pairwise(order))
    try:
        order = list(nx.lexicographical_topological_sort(graph))
    except nx.NetworkXUnfeasible:
        a, b = nx.find_cycle(graph)[0]
        raise ValueError(
            f"{label}: its members rank the other side in different orders ({_name(a, names)} before "
            f"{_name(b, names)} and the reverse), so the group has no one ranking to allocate by"
        ) from None
    for a, b in itertools.pairwise(order):
        if not graph.has_edge(a, b):
            raise ValueError(
                f"{label}: no member's ranking orders {_name(a, names)} and {_name(b, names)}, so the group has no "
                "one ranking to allocate by; give every member of the group the group's whole ranking (the pairs "
                "each finds acceptable still come from the other side's lists)"
            )
    return order


def _name(k: int, names: Sequence[str] | None) -> str:
    return repr(names[k]) if names is not None else str(k)


def _tie_broken(ranks: np.ndarray, index: np.ndarray) -> list[int]:
    """Indices with a finite rank, best rank first, ties by index."""
    keep = np.flatnonzero(np.isfinite(ranks[index]))
    chosen = index[keep]
    return [int(x) for x in chosen[np.lexsort((chosen, ranks[chosen]))]]


class _Game:
    """A student-project allocation: students (one place), projects (capacities), groups."""

    def __init__(
        self,
        student_ranks: np.ndarray,
        project_ranks: np.ndarray,
        acceptable: np.ndarray,
        project_cap: np.ndarray,
        group_of: np.ndarray,
        group_cap: np.ndarray,
        group_names: Sequence[str],
        student_names: Sequence[str] | None = None,
    ) -> None:
        n_projects, n_students = acceptable.shape
        self.project_cap = project_cap
        self.group_of = group_of
        self.group_cap = group_cap
        all_projects = np.arange(n_projects)
        self.prefs = [
            _tie_broken(np.where(acceptable[:, s], student_ranks[:, s], np.inf), all_projects)
            for s in range(n_students)
        ]
        self.projects_of: list[list[int]] = [[] for _ in range(len(group_cap))]
        for p in range(n_projects):
            self.projects_of[group_of[p]].append(p)
        # A group ranks students in one order that every project of the group follows.
        self.group_rank: list[dict[int, int]] = []
        students = np.arange(n_students)
        for g, projects in enumerate(self.projects_of):
            # Each member's whole ranking (not only the students who ranked it back) orders the group.
            lists = [_tie_broken(project_ranks[p], students) for p in projects]
            order = group_order(lists, group_names[g], student_names) if len(lists) > 1 else (lists[0] if lists else [])
            self.group_rank.append({s: k for k, s in enumerate(order)})

    def key(self, group: int, student: int) -> int:
        return self.group_rank[group][student]


def _worst(game: _Game, group: int, members: set[int]) -> int:
    return max(members, key=lambda s: game.key(group, s))


def _student_optimal(game: _Game) -> tuple[dict[int, int], int]:
    """SPA-student: students apply down their lists; full projects and groups delete the
    pairs no stable allocation can hold."""
    prefs = [list(p) for p in game.prefs]
    deleted: list[set[int]] = [set() for _ in prefs]
    at: dict[int, int] = {}
    project_of: list[set[int]] = [set() for _ in game.project_cap]
    group_members: list[set[int]] = [set() for _ in game.group_cap]
    free = list(range(len(prefs)))[::-1]
    proposals = 0

    def head(s: int) -> int | None:
        while prefs[s] and prefs[s][0] in deleted[s]:
            prefs[s].pop(0)
        return prefs[s][0] if prefs[s] else None

    def drop(s: int) -> None:
        p = at.pop(s)
        project_of[p].discard(s)
        group_members[game.group_of[p]].discard(s)
        free.append(s)

    while free:
        s = free.pop()
        p = head(s)
        if p is None or s in at:
            continue
        proposals += 1
        g = int(game.group_of[p])
        at[s] = p
        project_of[p].add(s)
        group_members[g].add(s)
        if len(project_of[p]) > game.project_cap[p]:
            drop(_worst(game, g, project_of[p]))
        elif len(group_members[g]) > game.group_cap[g]:
            drop(_worst(game, g, group_members[g]))
        if len(project_of[p]) == game.project_cap[p]:
            cut = game.key(g, _worst(game, g, project_of[p]))
            for t, k in game.group_rank[g].items():
                if k > cut:
                    deleted[t].add(p)
        if len(group_members[g]) == game.group_cap[g]:
            cut = game.key(g, _worst(game, g, group_members[g]))
            for t, k in game.group_rank[g].items():
                if k > cut:
                    deleted[t].update(game.projects_of[g])
    return at, proposals


def _supervisor_optimal(game: _Game) -> tuple[dict[int, int], int]:
    """SPA-supervisor: groups with room offer to their best students not yet on one of their
    projects, each student's best project of the group with room; students accept and drop
    every worse project."""
    n_students = len(game.prefs)
    alive: list[list[int]] = [list(p) for p in game.prefs]  # each student's projects still possible
    at: dict[int, int] = {}
    project_of: list[set[int]] = [set() for _ in game.project_cap]
    group_members: list[set[int]] = [set() for _ in game.group_cap]
    order = [sorted(r, key=r.__getitem__) for r in game.group_rank]
    proposals = 0

    def favourite(g: int) -> tuple[int, int] | None:
        if len(group_members[g]) >= game.group_cap[g]:
            return None
        for s in order[g]:
            for p in alive[s]:
                if game.group_of[p] == g and at.get(s) != p and len(project_of[p]) < game.project_cap[p]:
                    return s, p
        return None

    changed = True
    while changed:
        changed = False
        for g in range(len(game.group_cap)):
            offer = favourite(g)
            if offer is None:
                continue
            s, p = offer
            proposals += 1
            if s in at:
                old = at.pop(s)
                project_of[old].discard(s)
                group_members[game.group_of[old]].discard(s)
            at[s] = p
            project_of[p].add(s)
            group_members[g].add(s)
            alive[s] = alive[s][: alive[s].index(p) + 1]
            changed = True
    assert len(at) <= n_students
    return at, proposals


def allocate(
    student_ranks: np.ndarray,
    project_ranks: np.ndarray,
    acceptable: np.ndarray,
    project_cap: np.ndarray,
    group_of: np.ndarray,
    group_cap: np.ndarray,
    *,
    optimal: Literal["student", "supervisor"] = "student",
    group_names: Sequence[str] | None = None,
    student_names: Sequence[str] | None = None,
) -> Allocation:
    """A stable student-project allocation, optimal for students or for supervisors.

    Parameters
    ----------
    student_ranks : ndarray, shape (projects, students)
        How each student ranks each project (lower is better; ties broken by
        project index).
    project_ranks : ndarray, shape (projects, students)
        How each project ranks each student: every project of a group must
        follow one order (its lists are that order restricted to the
        students it accepts).
    acceptable : ndarray of bool, shape (projects, students)
        Pairs both find acceptable (and the rules allow).
    project_cap : ndarray of int, shape (projects,)
    group_of : ndarray of int, shape (projects,)
        Each project's group (its supervisor).
    group_cap : ndarray of int, shape (groups,)
        Most students a group takes over all its projects.
    optimal : {"student", "supervisor"}
        Which side the allocation is best for among all stable allocations.
    group_names, student_names : sequence of str, optional
        Names for messages.

    Returns
    -------
    Allocation
        Pairs sorted by (project, student).

    Examples
    --------
    Two projects of one supervisor who takes one student; both students want
    project 0 first and the supervisor prefers student 1:

    >>> ranks = np.array([[1.0, 1.0], [2.0, 2.0]])
    >>> project_ranks = np.array([[2.0, 1.0], [2.0, 1.0]])
    >>> ok, caps, groups = np.ones((2, 2), bool), np.array([1, 1]), np.array([0, 0])
    >>> result = allocate(ranks, project_ranks, ok, caps, groups, np.array([1]))
    >>> list(zip(result.rows.tolist(), result.cols.tolist()))
    [(0, 1)]
    """
    names = list(group_names) if group_names is not None else [f"group {g}" for g in range(len(group_cap))]
    game = _Game(student_ranks, project_ranks, acceptable, project_cap, group_of, group_cap, names, student_names)
    at, proposals = _student_optimal(game) if optimal == "student" else _supervisor_optimal(game)
    pairs = sorted((p, s) for s, p in at.items())
    rows = np.array([p for p, _ in pairs], dtype=np.int64)
    cols = np.array([s for _, s in pairs], dtype=np.int64)
    return Allocation(rows, cols, optimal, proposals)


def allocation_blocking_pairs(
    student_ranks: np.ndarray,
    project_ranks: np.ndarray,
    acceptable: np.ndarray,
    project_cap: np.ndarray,
    group_of: np.ndarray,
    group_cap: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> list[tuple[int, int]]:
    """The pairs that block an allocation (the definition of Abraham, Irving and Manlove),
    under the same tie-broken orders `allocate` uses.

    An acceptable pair (project ``p`` of group ``g``, student ``s``), not in the
    allocation, blocks when ``s`` is free or prefers ``p`` to its project, and
    either ``p`` and ``g`` both have room; or ``p`` has room, ``g`` is full and
    ``s`` is already on a project of ``g`` or ``g`` prefers ``s`` to its worst
    student; or ``p`` is full and ``g`` prefers ``s`` to the worst student on ``p``.
    """
    names = [f"group {g}" for g in range(len(group_cap))]
    game = _Game(student_ranks, project_ranks, acceptable, project_cap, group_of, group_cap, names)
    place = [{p: k for k, p in enumerate(prefs)} for prefs in game.prefs]
    at = dict(zip(cols.tolist(), rows.tolist(), strict=True))
    on_project: list[list[int]] = [[] for _ in range(len(project_cap))]
    on_group: list[list[int]] = [[] for _ in range(len(group_cap))]
    for s, p in at.items():
        on_project[p].append(s)
        on_group[group_of[p]].append(s)

    def worst(students: list[int], g: int) -> int:
        return max((game.key(g, s) for s in students), default=-1)

    out = []
    for s, prefs in enumerate(game.prefs):
        current = at.get(s)
        for p in prefs:
            if current is not None and place[s][p] >= place[s][current]:
                break  # the rest of the list is no better than the current project
            g = int(group_of[p])
            p_room = len(on_project[p]) < project_cap[p]
            g_room = len(on_group[g]) < group_cap[g]
            if p_room:
                # Room on the project: the group takes s if it has room, already has s on
                # another project, or would rather have s than its worst student.
                same_group = current is not None and group_of[current] == g
                if g_room or same_group or game.key(g, s) < worst(on_group[g], g):
                    out.append((p, s))
            elif game.key(g, s) < worst(on_project[p], g):
                out.append((p, s))
    return sorted(out)


# --- the stable objective on a problem -------------------------------------------------------


@dataclass(frozen=True)
class Groups:
    """Capacity groups for a stable allocation, from quotas: the side whose people belong to
    groups (``side``), each person's group (-1: none) and each group's capacity."""

    side: Literal["mentor", "mentee"]
    of: np.ndarray
    capacity: np.ndarray
    names: tuple[str, ...]


def stable_groups(problem: Problem) -> Groups | None:
    """The quotas as group capacities of a student-project allocation (None without quotas).

    Quotas a stable allocation can honour cap groups of one side by one
    attribute (``max_pairs`` only); everyone on the other side takes one
    partner. Anything else is refused with the reason.
    """
    quotas = problem.rules.quotas
    if not quotas:
        return None
    sides, keys = {q.side for q in quotas}, {q.key for q in quotas}
    if len(sides) > 1 or len(keys) > 1 or next(iter(keys)) in ("focus", "borough", "bcu"):
        raise ValueError(
            "the stable objective honours quotas only as capacities of groups on one side by one attribute "
            f"(a supervisor's projects); these quotas name {', '.join(sorted(sides))} and {', '.join(sorted(keys))}"
        )
    for k, q in enumerate(quotas):
        if q.min_pairs or q.max_share is not None or q.max_pairs is None:
            raise ValueError(
                f"rules.quotas[{k}]: the stable objective honours only max_pairs (a group's capacity); "
                "min_pairs and max_share need max_score, max_participation or maxmin"
            )
    side = next(iter(sides))
    key = next(iter(keys))
    people = problem.mentors if side == "mentor" else problem.mentees
    others = problem.mentees if side == "mentor" else problem.mentors
    wide = [p.id for p in others if p.max_partners > 1]
    if wide:
        raise ValueError(
            f"quotas on {side} groups need every {'mentee' if side == 'mentor' else 'mentor'} to take one partner "
            f"(a student-project allocation); {', '.join(wide[:5])} take more"
        )
    labels = [None if p.attributes.get(key) is None else str(p.attributes[key]) for p in people]
    names = tuple(sorted({v for v in labels if v is not None}))
    capacity = np.full(len(names), np.iinfo(np.int64).max, dtype=np.int64)
    for q in quotas:
        for g, name in enumerate(names):
            if q.value is None or q.value == name:
                capacity[g] = min(capacity[g], int(q.max_pairs or 0))
    index = {name: g for g, name in enumerate(names)}
    of = np.array([-1 if v is None else index[v] for v in labels], dtype=np.int64)
    return Groups(side, of, capacity, tuple(f"{side}s with {key} = {n!r}" for n in names))


@dataclass(frozen=True)
class StableRun:
    """A stable matching of a problem's free places, and how it was found.

    ``rows`` / ``cols`` are the pairs (pins excluded); ``blocking`` the pairs that
    block it (empty for a stable result) as ``(rows, cols)``.
    """

    rows: np.ndarray
    cols: np.ndarray
    blocking: tuple[np.ndarray, np.ndarray]
    lists: Lists
    rounds: int
    proposals: int
    algorithm: str
    groups: int


def _allocation_arrays(
    problem: Problem, lists: Lists, allowed: np.ndarray, caps: tuple[np.ndarray, np.ndarray], groups: Groups
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """The allocation's inputs in (project, student) layout: the grouped side holds the projects."""
    mentor_side = groups.side == "mentor"
    project_values = lists.mentor_scores if mentor_side else lists.mentee_scores.T
    student_values = lists.mentee_scores if mentor_side else lists.mentor_scores.T
    acceptable = allowed if mentor_side else allowed.T
    project_cap = caps[0] if mentor_side else caps[1]
    student_ranks = np.where(acceptable, -student_values, np.inf)
    if lists.sources[groups.side] == "rankings":
        # A group orders students by its members' whole rankings, whether or not a student ranked them back.
        own = rank_matrix(problem, groups.side)
        project_ranks = own if mentor_side else own.T
    else:
        project_ranks = -project_values
    # People outside every group form a group of their own, with no capacity beyond their own.
    group_of = groups.of.copy()
    loners = np.flatnonzero(group_of < 0)
    group_of[loners] = len(groups.capacity) + np.arange(len(loners))
    group_cap = np.concatenate((groups.capacity, project_cap[loners]))
    names = (*groups.names, *(f"{groups.side} {k}" for k in loners.tolist()))
    return student_ranks, project_ranks, acceptable, project_cap, group_of, group_cap, names


def _to_pairs(first: np.ndarray, second: np.ndarray, mentor_side: bool) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = (first, second) if mentor_side else (second, first)
    order = np.lexsort((cols, rows))
    return rows[order].astype(np.int64), cols[order].astype(np.int64)


def _allocation(
    problem: Problem,
    lists: Lists,
    allowed: np.ndarray,
    caps: tuple[np.ndarray, np.ndarray],
    groups: Groups,
    proposer: str,
) -> StableRun:
    """Student-project allocation: the grouped side holds projects, the other side students."""
    arrays = _allocation_arrays(problem, lists, allowed, caps, groups)
    student_ranks, project_ranks, acceptable, project_cap, group_of, group_cap, names = arrays
    optimal: Literal["student", "supervisor"] = "supervisor" if proposer == groups.side else "student"
    students = problem.mentees if groups.side == "mentor" else problem.mentors
    found = allocate(
        student_ranks,
        project_ranks,
        acceptable,
        project_cap,
        group_of,
        group_cap,
        optimal=optimal,
        group_names=names,
        student_names=[p.id for p in students],
    )
    rows, cols = _to_pairs(found.rows, found.cols, groups.side == "mentor")
    blocking = stable_blocking_pairs(problem, lists, allowed, caps, rows, cols)
    return StableRun(
        rows, cols, blocking, lists, 0, found.proposals, f"{optimal}-optimal allocation", len(groups.capacity)
    )


def stable_blocking_pairs(
    problem: Problem,
    lists: Lists,
    allowed: np.ndarray,
    caps: tuple[np.ndarray, np.ndarray],
    rows: np.ndarray,
    cols: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs that block the matching ``(rows, cols)`` under ``lists``: weak stability with
    rankings, the tie rule of `pairmatch.solver.stable` with scores, and the allocation's
    definition when quotas cap groups (`stable_groups`). ``allowed`` holds the candidate pairs
    (the matched ones included); unacceptable pairs never block."""
    allowed = allowed & lists.acceptable
    try:
        groups = stable_groups(problem)
    except ValueError:
        groups = None  # quotas a stable allocation cannot express: stability without them
    if groups is not None:
        student_ranks, project_ranks, acceptable, project_cap, group_of, group_cap, _ = _allocation_arrays(
            problem, lists, allowed, caps, groups
        )
        mentor_side = groups.side == "mentor"
        first, second = (rows, cols) if mentor_side else (cols, rows)
        pairs = allocation_blocking_pairs(
            student_ranks, project_ranks, acceptable, project_cap, group_of, group_cap, first, second
        )
        found = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        return _to_pairs(found[:, 0], found[:, 1], mentor_side)
    ties: Literal["index", "weak"] = "weak" if lists.ranked else "index"
    return blocking_pairs(
        lists.mentor_scores, allowed, caps[0], caps[1], rows, cols, mentee_scores=lists.mentee_scores, ties=ties
    )


def run_stable(
    problem: Problem,
    total: np.ndarray,
    mentee_total: np.ndarray | None,
    allowed: np.ndarray,
    caps: tuple[np.ndarray, np.ndarray],
    *,
    proposer: Literal["mentor", "mentee"] = "mentor",
    use: str = "auto",
) -> StableRun:
    """A stable matching of ``problem`` on the ``allowed`` pairs with capacities ``caps``
    (mentors', mentees'), by the people's rankings where they have them (``use``), else by
    ``total`` (and ``mentee_total`` for the mentees), with weak stability under ties."""
    lists = Lists.of(problem, total, mentee_total, use)
    groups = stable_groups(problem)
    if groups is not None:
        return _allocation(problem, lists, allowed & lists.acceptable, caps, groups, proposer)
    found = deferred_acceptance(
        lists.mentor_scores,
        allowed & lists.acceptable,
        caps[0],
        caps[1],
        proposer=proposer,
        mentee_scores=lists.mentee_scores,
    )
    blocking = stable_blocking_pairs(problem, lists, allowed, caps, found.rows, found.cols)
    return StableRun(found.rows, found.cols, blocking, lists, found.rounds, found.proposals, "deferred acceptance", 0)
