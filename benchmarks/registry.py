"""The benchmark families, in one registry: `run.py`, `e2e.py` and the CI smoke run read it.

Each family builds a seeded case of ``n`` people a side (the friendly case
of earlier tables, and the programmes people actually run: rules that leave
people unmatched, unbalanced sides, lower bounds, pins, ties and hot spots,
re-matches) and says how pairmatch runs it and how a dense peer sees it:

* ``pairmatch`` runs the library's public call with its defaults
  (`pairmatch.solve`, or `pairmatch.rematching.rematch`), or with the
  family's own objective (``Case.params``), or through the programme store
  (``Case.store``: `pairmatch.store.ProgrammeStore.match` on a new SQLite
  file, which also records the run);
* the dense peers (lapjv, scipy) get **the same masked scores**: the
  built-in components in float32 numpy, ruled-out pairs at 0 (a maximum
  matching never needs a 0-gain pair), people taking no partner as rows of
  0, pinned pairs taken out with their people, a lower bound as a lift on
  the people who must be matched, a re-match's continuity bonus on the
  working pairs. Each chosen pair is then valued exactly in pairmatch's
  integer units, so "agrees" means the same optimum.

A family the dense peers cannot express says so (``peers=False``) and
brings another exact peer: ``exact_peer`` names the `SolveParams` of
another path of pairmatch to the same optimum (quotas: the full CP-SAT
model, without the reduction by LP duals that the default path takes), and
``fresh`` a solve of the same cohort by the engine alone (the store family).

Nothing here is pickled or cached: every process rebuilds its case from the seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SEED = 0
LIFT = 1000.0  # a lower bound's lift: more than any matching's total score can differ by


@dataclass(frozen=True)
class Case:
    """One instance: what pairmatch solves and what a dense peer needs to solve the same."""

    problem: Any  # the pairmatch Problem the objective is defined on
    rematch: dict[str, Any] | None = None  # arguments of `rematch` (the family is a re-match)
    fresh: Any = None  # the cohort a fresh solve would match (re-match families)
    bonus: tuple[tuple[int, int, float], ...] = ()  # (row, col, value) added to the peers' scores
    note: str = ""
    peer_mask: Callable[[np.ndarray], None] | None = None  # sets the pairs other rules rule out to 0
    params: Any = None  # SolveParams of pairmatch and of the fresh solve (None: the library's defaults)
    store: bool = False  # pairmatch matches and records the cohort through the programme store


@dataclass(frozen=True)
class Family:
    """A benchmark family: a name, a line of description and its builder ``build(n, seed)``."""

    name: str
    description: str
    build: Callable[[int, int], Case]
    sizes: tuple[int, ...] = (10_000, 32_900)
    smoke: int = 200
    peers: bool = True  # lapjv and scipy can solve it (on `peer_matrix`)
    config_rules: dict[str, Any] = field(default_factory=dict)  # the e2e config's [rules]
    fresh: bool = False  # also time a fresh solve of ``Case.fresh`` (re-matches, the store)
    exact_peer: dict[str, Any] | None = None  # SolveParams of pairmatch's own exact peer (``cpsat_full``)
    exact_peer_max: int = 0  # the largest size the exact peer runs at


def _synthetic(n: int, seed: int, m: int | None = None, **rules: Any) -> Any:
    from pairmatch import Rules, synthetic_problem

    return synthetic_problem(n, m, seed=seed, rules=Rules(**rules) if rules else None)


def _friendly(n: int, seed: int) -> Case:
    return Case(_synthetic(n, seed))


def _rules(n: int, seed: int) -> Case:
    return Case(_synthetic(n, seed, min_overlap_minutes=60), note="min_overlap_minutes = 60")


def _safe_min_score(problem: Any, target: float) -> float:
    """A minimum score near ``target`` that no level total lies within 1e-4 of (float32 peers
    then draw the line exactly where pairmatch does)."""
    from pairmatch.scoring import Scorer

    levels = np.unique(Scorer(problem).builtin.level_values["total"])
    value = target
    while (np.abs(levels - value) < 1e-4).any():
        value += 1e-3
    return round(value, 4)


def _rules_mixed(n: int, seed: int) -> Case:
    from pairmatch import Rules

    base = _synthetic(n, seed)
    rng = np.random.default_rng(seed + 1)
    count = min(n * n // 100, 200_000)  # about 1% of the pairs (capped: each is a Python tuple)
    keys = np.unique(rng.integers(0, n * n, count))
    forbidden = tuple((base.mentors[k // n].id, base.mentees[k % n].id) for k in keys.tolist())
    idle = set(rng.choice(n, max(1, n // 50), replace=False).tolist())  # 2% take no partner
    mentors = tuple(p.model_copy(update={"max_partners": 0}) if k in idle else p for k, p in enumerate(base.mentors))
    rules = Rules(min_overlap_minutes=60, min_score=_safe_min_score(base, 0.45), forbidden_pairs=forbidden)
    problem = base.model_copy(update={"mentors": mentors, "rules": rules})
    return Case(problem, note=f"overlap 60, min_score {rules.min_score}, {len(keys):,} forbidden, 2% capacity 0")


# Topics whose pairs need the same sex in the eligibility family (as a VAWG programme asks).
_SAME_SEX_TOPICS = ("domestic abuse", "violence against women and girls")


def _eligibility(n: int, seed: int) -> Case:
    """Young mentors must be 18 or over, officers vetted, and a pair on domestic abuse or
    VAWG (either person's topic) must share sex; plus the samples' overlap rule."""
    from pairmatch import PairRule, Requirement, Rules, Then, When

    base = _synthetic(n, seed)
    rng = np.random.default_rng(seed + 5)
    ages = rng.integers(16, 26, n)
    sex_left, sex_right = rng.integers(0, 2, n), rng.integers(0, 2, n)
    vetted = rng.random(n) < 0.9
    names = ("female", "male")
    mentors = tuple(
        p.model_copy(update={"attributes": {**p.attributes, "age": int(a), "sex": names[s]}})
        for p, a, s in zip(base.mentors, ages.tolist(), sex_left.tolist(), strict=True)
    )
    mentees = tuple(
        p.model_copy(update={"attributes": {**p.attributes, "sex": names[s], "vetting": "cleared" if v else "pending"}})
        for p, s, v in zip(base.mentees, sex_right.tolist(), vetted.tolist(), strict=True)
    )
    rules = Rules(
        min_overlap_minutes=60,
        require=(
            Requirement(side="mentor", attribute="age", at_least=18),
            Requirement(side="mentee", attribute="vetting", equals="cleared"),
        ),
        conditional=(PairRule(when=When(focus=_SAME_SEX_TOPICS, focus_of="either"), then=Then(same=("sex",))),),
    )
    problem = base.model_copy(update={"mentors": mentors, "mentees": mentees, "rules": rules})
    topic_left = np.array([bool(set(p.focus_areas) & set(_SAME_SEX_TOPICS)) for p in mentors])
    topic_right = np.array([bool(set(p.focus_areas) & set(_SAME_SEX_TOPICS)) for p in mentees])
    eligible_left, eligible_right = ages >= 18, vetted

    def mask(gain: np.ndarray) -> None:
        gain[~eligible_left] = 0.0
        gain[:, ~eligible_right] = 0.0
        for a in range(0, n, 1024):
            rows = slice(a, min(a + 1024, n))
            broken = (topic_left[rows, None] | topic_right[None, :]) & (sex_left[rows, None] != sex_right[None, :])
            gain[rows][broken] = 0.0

    under, unvetted = int((~eligible_left).sum()), int((~vetted).sum())
    note = f"overlap 60, age >= 18 ({under:,} under), vetted ({unvetted:,} not), same sex on DA/VAWG"
    return Case(problem, note=note, peer_mask=mask)


def _unbalanced(n: int, seed: int) -> Case:
    return Case(_synthetic(n, seed, int(n * 1.2)), note="mentees = 1.2 x mentors")


def _lower_bounds(n: int, seed: int) -> Case:
    return Case(_synthetic(n, seed, int(n * 1.1), match_all_mentors=True), note="match_all_mentors, 1.1 x mentees")


def _pinned(n: int, seed: int) -> Case:
    from pairmatch import Rules

    base = _synthetic(n, seed)
    rng = np.random.default_rng(seed + 2)
    k = max(1, n // 20)
    rows, cols = rng.choice(n, k, replace=False), rng.choice(n, k, replace=False)
    pins = tuple((base.mentors[i].id, base.mentees[j].id) for i, j in zip(rows.tolist(), cols.tolist(), strict=True))
    return Case(base.model_copy(update={"rules": Rules(required_pairs=pins)}), note=f"{k:,} pinned pairs (5%)")


def _adversarial(name: str) -> Callable[[int, int], Case]:
    def build(n: int, seed: int) -> Case:
        from families import family

        return Case(family(name, n, seed))

    return build


def _rematch(move_penalty: float) -> Callable[[int, int], Case]:
    def build(n: int, seed: int) -> Case:
        from pairmatch import solve
        from pairmatch.rematching import CONTINUITY, Changes, changed_problem

        problem = _synthetic(n, seed)
        current = tuple((p.mentor_id, p.mentee_id) for p in solve(problem).pairs)  # not timed
        rng = np.random.default_rng(seed + 3)
        k = max(2, n // 20)  # 5% leave, 5% join
        leave = [problem.mentors[i].id for i in rng.choice(n, k // 2, replace=False)]
        leave += [problem.mentees[i].id for i in rng.choice(n, k // 2, replace=False)]
        extra = _synthetic(k // 2, seed + 4)
        join = [p.model_copy(update={"id": "J" + p.id}) for p in (*extra.mentors, *extra.mentees)]
        changes = Changes(leave=leave, join=join)
        after = changed_problem(problem, changes)
        gone = set(leave)
        working = [pair for pair in current if not gone & set(pair)]
        bonus: tuple[tuple[int, int, float], ...] = ()
        if math.isinf(move_penalty):
            from pairmatch import Rules

            solved = after.model_copy(update={"rules": Rules(required_pairs=tuple(working))})
        else:
            from pairmatch.rematching import continuity_score

            mi, ei = after.mentor_index(), after.mentee_index()
            bonus = tuple((mi[m], ei[e], move_penalty) for m, e in working)
            solved = after.model_copy(update={"scores": (continuity_score(working, move_penalty),)})
        note = f"5% leave, 5% join, move_penalty {move_penalty:g} ({CONTINUITY} on {len(working):,} pairs)"
        args = {"current": current, "changes": changes, "move_penalty": move_penalty}
        return Case(solved, rematch=args | {"base": problem}, fresh=after, bonus=bonus, note=note)

    return build


# The quotas family: mentees by rank, no rank more than this share of the pairs. Inspectors are
# about 45% of the synthetic mentees, so the quota binds and leaves some of them unmatched.
QUOTA_SHARE = 0.4
QUOTA_CAPACITY = 3


def _quotas(n: int, seed: int) -> Case:
    """``n`` mentees and ``n / 3`` mentors taking 3 each, with a share quota on the mentees' rank."""
    from collections import Counter

    from pairmatch import Quota, Rules, synthetic_problem

    quota = Quota(side="mentee", key="rank", max_share=QUOTA_SHARE)
    mentors = max(1, n // QUOTA_CAPACITY)
    problem = synthetic_problem(mentors, n, seed=seed, mentor_capacity=QUOTA_CAPACITY, rules=Rules(quotas=(quota,)))
    rank, count = Counter(str(p.attributes.get("rank")) for p in problem.mentees).most_common(1)[0]
    note = (
        f"{mentors:,} mentors x {QUOTA_CAPACITY} places; no mentee rank above {QUOTA_SHARE:.0%} of the pairs "
        f"({rank}: {count / n:.1%} of the mentees)"
    )
    return Case(problem, note=note)


def _stable_store(n: int, seed: int) -> Case:
    """A new cohort matched with the stable objective and recorded in a programme store."""
    from pairmatch import SolveParams

    problem = _synthetic(n, seed)
    params = SolveParams(objective="stable")
    note = "objective stable (mentors propose); matched and recorded in a new SQLite store"
    return Case(problem, params=params, store=True, fresh=problem, note=note)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("friendly", "everyone can pair with everyone, nobody is left over", _friendly),
        Family(
            "rules",
            "the shipped samples' rule: at least 60 common minutes a week (about 16% unmatched)",
            _rules,
            config_rules={"min_overlap_minutes": 60},
        ),
        Family("rules_mixed", "overlap rule, a minimum score, 1% forbidden pairs, 2% capacity 0", _rules_mixed),
        Family(
            "eligibility",
            "overlap rule, mentors 18 or over, vetted officers, same sex for pairs on domestic abuse or VAWG",
            _eligibility,
        ),
        Family("unbalanced", "1.2 mentees per mentor", _unbalanced),
        Family("lower_bounds", "match_all_mentors with 1.1 mentees per mentor", _lower_bounds),
        Family("pinned", "5% of the pairs pinned", _pinned),
        Family("hot_topic", "one topic, one borough: focus and borough tie everywhere", _adversarial("hot_topic")),
        Family("popular_group", "5% of the mentees score the maximum with everyone", _adversarial("popular_group")),
        Family("ties", "everyone identical (the profile path)", _adversarial("identical")),
        Family("rematch_finite", "re-match, 5% leave and 5% join, move_penalty 0.1", _rematch(0.1), fresh=True),
        Family("rematch_inf", "re-match, 5% leave and 5% join, working pairs kept", _rematch(math.inf), fresh=True),
        Family(
            "quotas",
            "n mentees, n/3 mentors taking 3 each, no mentee rank above 40% of the pairs (binding); CP-SAT. "
            "Sizes stop at 1,000 mentees: at 3,000 the default 60 s budget ends before a proof (status "
            "feasible, or no solution at all); at 10,000 the LP pricing outlasts the budget and the full "
            "model over 33 million arcs runs out of memory (24 GiB)",
            _quotas,
            sizes=(300, 1_000),
            smoke=300,  # 30,000 arcs: above cpsat_reduce_above, so the smoke run takes the LP-reduced path
            peers=False,
            exact_peer={"method": "dense", "cpsat_reduce_above": 10**12, "time_limit_s": 600.0},
            exact_peer_max=1_000,  # the full model proves 1,000 x 333 in about 40 s here, 1,200 x 400 not in 60 s
        ),
        Family(
            "stable_store",
            "the stable objective through the programme store (match and record a new cohort in a SQLite "
            "file) against a fresh engine solve of the same cohort. Sizes stop at 10,000: the stable "
            "objective scores every pair densely (about 11 GiB at 10,000 a side)",
            _stable_store,
            sizes=(3_000, 10_000),
            peers=False,
            fresh=True,
        ),
    )
}


def dense_scores(problem: Any) -> np.ndarray:
    """The built-in combined scores in float32 numpy, row chunks (no rule applied)."""
    from pairmatch.availability import SLOT_MINUTES
    from pairmatch.scoring import BuiltinLevels

    levels = BuiltinLevels(problem)
    w = problem.weights.as_dict()
    focus = (w["focus"] * levels.focus_profiles).astype(np.float32)
    borough = (w["borough"] * levels.borough_profiles).astype(np.float32)
    m, n = levels.shape
    out = np.empty((m, n), dtype=np.float32)
    minutes_ok = problem.rules.min_overlap_minutes
    for a in range(0, m, 1024):
        rows = slice(a, min(a + 1024, m))
        block = focus[levels.left.focus[rows]][:, levels.right.focus]
        block += borough[levels.left.place[rows]][:, levels.right.place]
        minutes = (levels.slot_counts(rows).astype(np.float32) * SLOT_MINUTES)[:, levels.slot_type_right]
        block += np.minimum(minutes / problem.meeting_minutes, 1.0) * np.float32(w["availability"])
        if minutes_ok:
            block[minutes < minutes_ok] = 0.0
        out[rows] = block
    return out


def peer_matrix(case: Case) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """``(gain, row_person, pinned)``: the dense peers' masked float32 matrix (one row per
    mentor place), which mentor each row is, and the pinned pairs taken out of it."""
    problem = case.problem
    rules = problem.rules
    gain = dense_scores(problem)
    if case.peer_mask is not None:
        case.peer_mask(gain)
    if rules.min_score is not None:
        gain[gain < rules.min_score] = 0.0
    mi, ei = problem.mentor_index(), problem.mentee_index()
    if rules.forbidden_pairs:
        rows = np.array([mi[m] for m, _ in rules.forbidden_pairs])
        cols = np.array([ei[e] for _, e in rules.forbidden_pairs])
        gain[rows, cols] = 0.0
    for i, j, value in case.bonus:
        gain[i, j] += np.float32(value)
    caps = np.array([p.max_partners for p in problem.mentors])
    gain[caps == 0] = 0.0
    pinned = [(mi[m], ei[e]) for m, e in rules.required_pairs]
    if pinned:
        gain[[i for i, _ in pinned]] = 0.0  # pinned people are out of the peers' problem
        gain[:, [j for _, j in pinned]] = 0.0
    if rules.match_all_mentors:
        gain[gain > 0] += np.float32(LIFT)  # every allowed pair outweighs any score difference
    row_person = np.repeat(np.arange(len(caps)), np.maximum(caps, 1))
    if (caps > 1).any():
        gain = gain[row_person]
    return gain, row_person, pinned
