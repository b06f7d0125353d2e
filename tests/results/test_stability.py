"""Stable matchings: deferred acceptance and blocking pairs against independent oracles.

Oracles: plain-Python definitions of preference, blocking pair and stability,
enumeration of every b-matching of tiny instances, the greedy matching (the
only stable one when both sides rank by the same scores) and the ``matching``
package (``StableMarriage``, ``HospitalResident``) for agreement on larger
instances. Preferences everywhere follow the documented tie rule: descending
score, then ascending index of the other person.

With one score matrix there is a single stable matching, so every test of
proposer optimality gives mentees scores of their own (``mentee_scores``):
only then can the two proposers' results differ.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from pairmatch.solver import stable as stable_module
from pairmatch.solver.stable import StableMatching, blocking_pairs, deferred_acceptance, is_stable

PROPS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def narrow_buffers():
    """Keep one candidate per proposer, at most two: every refill and widening path runs."""
    with mock.patch.object(stable_module, "_MIN_BUFFER", 1), mock.patch.object(stable_module, "_MAX_BUFFER", 2):
        yield


# --- instances ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Instance:
    scores: np.ndarray
    allowed: np.ndarray
    mentor_cap: np.ndarray
    mentee_cap: np.ndarray
    mentee_scores: np.ndarray | None = None  # None: mentees rank by `scores` too

    @property
    def shape(self):
        return self.scores.shape

    @property
    def theirs(self) -> np.ndarray:
        return self.scores if self.mentee_scores is None else self.mentee_scores

    def args(self):
        return self.scores, self.allowed, self.mentor_cap, self.mentee_cap

    def solve(self, proposer: str) -> StableMatching:
        return deferred_acceptance(*self.args(), proposer=proposer, mentee_scores=self.mentee_scores)

    def blocking(self, rows, cols):
        return blocking_pairs(*self.args(), rows, cols, mentee_scores=self.mentee_scores)

    def is_stable(self, rows, cols) -> bool:
        return is_stable(*self.args(), rows, cols, mentee_scores=self.mentee_scores)


def score_matrices(draw, m, n, distinct):
    ranks = np.array(draw(st.permutations(range(m * n))), dtype=float).reshape(m, n)
    if distinct:
        return ranks
    kind = draw(st.sampled_from(["levels", "ranks", "floats"]))
    if kind == "levels":  # a few values, so ties are everywhere
        return np.floor(ranks / draw(st.sampled_from([2, 3, 5, m * n + 1])))
    if kind == "ranks":
        return ranks - m * n / 2
    value = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    return np.array(draw(st.lists(value, min_size=m * n, max_size=m * n)), dtype=float).reshape(m, n)


def capacities(draw, size, low, high):
    # sampled_from draws its elements evenly (st.integers favours the low end, leaving
    # too many people with nobody); 1 first so that failures shrink to one-to-one.
    values = sorted(range(low, high + 1), key=lambda c: (c != 1, c))
    return np.array(draw(st.lists(st.sampled_from(values), min_size=size, max_size=size)), dtype=np.int64)


@st.composite
def instances(
    draw,
    max_m=4,
    max_n=4,
    mentor_caps=(0, 2),
    mentee_caps=(0, 2),
    min_size=0,
    all_allowed=False,
    distinct=False,
    own_views=None,
):
    m = draw(st.integers(min_size, max_m))
    n = draw(st.integers(min_size, max_n))
    scores = score_matrices(draw, m, n, distinct)
    own = draw(st.booleans() if own_views is None else own_views)
    mentee_scores = score_matrices(draw, m, n, distinct) if own else None
    if all_allowed or draw(st.booleans()):
        allowed = np.ones((m, n), dtype=bool)
    else:
        allowed = np.array(
            draw(st.lists(st.sampled_from([True, True, False]), min_size=m * n, max_size=m * n)), dtype=bool
        ).reshape(m, n)
    return Instance(
        scores, allowed, capacities(draw, m, *mentor_caps), capacities(draw, n, *mentee_caps), mentee_scores
    )


def random_instance(rng, m, n, levels=None, density=1.0, mentor_caps=(1, 1), mentee_caps=(1, 1), own_views=True):
    def matrix():
        values = rng.random((m, n))
        return np.floor(values * levels) if levels else values

    scores = matrix()
    mentee_scores = matrix() if own_views else None
    allowed = rng.random((m, n)) < density
    mcap = rng.integers(mentor_caps[0], mentor_caps[1] + 1, m)
    ecap = rng.integers(mentee_caps[0], mentee_caps[1] + 1, n)
    return Instance(scores, allowed, mcap, ecap, mentee_scores)


# --- plain-Python definitions ------------------------------------------------------------------


class Prefs:
    """Ranks written straight from the tie rule, with Python lists and sorted()."""

    def __init__(self, inst: Instance):
        s, t = inst.scores.tolist(), inst.theirs.tolist()
        m, n = inst.shape
        self.m, self.n = m, n
        self.allowed = inst.allowed.tolist()
        self.mcap, self.ecap = inst.mentor_cap.tolist(), inst.mentee_cap.tolist()
        self.mentor_order = [sorted(range(n), key=lambda j: (-s[i][j], j)) for i in range(m)]
        self.mentee_order = [sorted(range(m), key=lambda i: (-t[i][j], i)) for j in range(n)]
        self.mentor_rank = [{j: k for k, j in enumerate(order)} for order in self.mentor_order]
        self.mentee_rank = [{i: k for k, i in enumerate(order)} for order in self.mentee_order]

    def blocking(self, pairs) -> set:
        pairs = set(pairs)
        of_mentor = {i: [j for a, j in pairs if a == i] for i in range(self.m)}
        of_mentee = {j: [i for i, b in pairs if b == j] for j in range(self.n)}
        found = set()
        for i in range(self.m):
            for j in range(self.n):
                if not self.allowed[i][j] or (i, j) in pairs:
                    continue
                mentor_would = len(of_mentor[i]) < self.mcap[i] or any(
                    self.mentor_rank[i][j] < self.mentor_rank[i][w] for w in of_mentor[i]
                )
                mentee_would = len(of_mentee[j]) < self.ecap[j] or any(
                    self.mentee_rank[j][i] < self.mentee_rank[j][w] for w in of_mentee[j]
                )
                if mentor_would and mentee_would:
                    found.add((i, j))
        return found

    def matchings(self):
        """Every set of allowed pairs within both capacities."""
        arcs = [(i, j) for i in range(self.m) for j in range(self.n) if self.allowed[i][j]]
        mdeg, edeg = [0] * self.m, [0] * self.n
        chosen = []

        def grow(k):
            if k == len(arcs):
                yield tuple(chosen)
                return
            yield from grow(k + 1)
            i, j = arcs[k]
            if mdeg[i] < self.mcap[i] and edeg[j] < self.ecap[j]:
                mdeg[i] += 1
                edeg[j] += 1
                chosen.append((i, j))
                yield from grow(k + 1)
                chosen.pop()
                mdeg[i] -= 1
                edeg[j] -= 1

        yield from grow(0)

    def stable_matchings(self) -> list[set]:
        return [set(p) for p in self.matchings() if not self.blocking(p)]

    def greedy(self, scores) -> list[tuple[int, int]]:
        """Allowed pairs by descending score, then mentor, then mentee; kept while both have room."""
        mdeg, edeg = [0] * self.m, [0] * self.n
        chosen = []
        s = scores.tolist()
        for i, j in sorted(
            ((i, j) for i in range(self.m) for j in range(self.n) if self.allowed[i][j]),
            key=lambda p: (-s[p[0]][p[1]], p[0], p[1]),
        ):
            if mdeg[i] < self.mcap[i] and edeg[j] < self.ecap[j]:
                chosen.append((i, j))
                mdeg[i] += 1
                edeg[j] += 1
        return sorted(chosen)

    def at_least_as_good(self, side: str, person: int, mine: set, other: set) -> bool:
        """Responsive comparison: my k-th best partner is at least as good as theirs, for every k."""
        rank = self.mentor_rank[person] if side == "mentor" else self.mentee_rank[person]
        a, b = sorted(rank[x] for x in mine), sorted(rank[x] for x in other)
        return len(a) >= len(b) and all(x <= y for x, y in zip(a, b, strict=False))


def pairs_of(rows, cols) -> list[tuple[int, int]]:
    return list(zip(np.asarray(rows).tolist(), np.asarray(cols).tolist(), strict=True))


def partners(pairs, side: str, person: int) -> set:
    return {j for i, j in pairs if i == person} if side == "mentor" else {i for i, j in pairs if j == person}


def assert_is_matching(inst: Instance, result: StableMatching) -> None:
    pairs = pairs_of(result.rows, result.cols)
    assert pairs == sorted(set(pairs)), "pairs must be unique and sorted by (row, col)"
    for i, j in pairs:
        assert inst.allowed[i, j]
    assert all(np.bincount(result.rows, minlength=inst.shape[0]) <= inst.mentor_cap)
    assert all(np.bincount(result.cols, minlength=inst.shape[1]) <= inst.mentee_cap)


# --- stability by brute force ------------------------------------------------------------------


@PROPS
@given(inst=instances(), proposer=st.sampled_from(["mentor", "mentee"]), narrow=st.booleans())
def test_deferred_acceptance_has_no_blocking_pair_by_brute_force(inst, proposer, narrow):
    if narrow:
        with narrow_buffers():
            result = inst.solve(proposer)
    else:
        result = inst.solve(proposer)
    assert_is_matching(inst, result)
    pairs = pairs_of(result.rows, result.cols)
    prefs = Prefs(inst)
    assert prefs.blocking(pairs) == set()
    assert set(pairs) in prefs.stable_matchings()
    assert inst.is_stable(result.rows, result.cols)


@st.composite
def instances_with_matchings(draw):
    """An instance and any matching of it: random allowed pairs, cut to the capacities."""
    inst = draw(instances(max_m=5, max_n=5, mentor_caps=(0, 3), mentee_caps=(0, 3)))
    arcs = [tuple(a) for a in np.argwhere(inst.allowed).tolist()]
    picked = draw(st.lists(st.sampled_from(arcs), unique=True) if arcs else st.just([]))
    mdeg, edeg = np.zeros(inst.shape[0], int), np.zeros(inst.shape[1], int)
    pairs = []
    for i, j in picked:
        if mdeg[i] < inst.mentor_cap[i] and edeg[j] < inst.mentee_cap[j]:
            pairs.append((i, j))
            mdeg[i] += 1
            edeg[j] += 1
    return inst, pairs


@PROPS
@given(case=instances_with_matchings())
def test_blocking_pairs_equal_the_definition_on_any_matching(case):
    inst, pairs = case
    rows = np.array([p[0] for p in pairs], dtype=int)
    cols = np.array([p[1] for p in pairs], dtype=int)
    b_rows, b_cols = inst.blocking(rows, cols)
    found = pairs_of(b_rows, b_cols)
    assert found == sorted(found)
    assert set(found) == Prefs(inst).blocking(pairs)
    assert inst.is_stable(rows, cols) == (not found)


@PROPS
@given(case=instances_with_matchings())
def test_blocking_pairs_in_small_row_chunks_equal_one_chunk(case):
    inst, pairs = case
    rows = np.array([p[0] for p in pairs], dtype=int)
    cols = np.array([p[1] for p in pairs], dtype=int)
    whole = inst.blocking(rows, cols)
    with mock.patch.object(stable_module, "_CHUNK", 1):  # one mentor row per chunk
        chunked = inst.blocking(rows, cols)
    assert pairs_of(*whole) == pairs_of(*chunked)


# --- optimality among all stable matchings -----------------------------------------------------


def assert_side_optimal(inst: Instance, proposer: str, prefs: Prefs, stable: list[set]) -> None:
    """The proposer's result is stable and each proposer likes it at least as much as any
    stable matching (responsive comparison)."""
    result = inst.solve(proposer)
    mine = set(pairs_of(result.rows, result.cols))
    assert mine in stable
    size = inst.shape[0] if proposer == "mentor" else inst.shape[1]
    for other in stable:
        for person in range(size):
            assert prefs.at_least_as_good(
                proposer, person, partners(mine, proposer, person), partners(other, proposer, person)
            ), (proposer, person, mine, other)


@st.composite
def contested(draw, mentor_caps, mentee_caps, max_m=4):
    """Instances where the two sides often disagree: independent random views for mentors
    and mentees (numpy from a drawn seed: hypothesis's own simple values seldom disagree),
    and everyone has a place (zero capacities are covered elsewhere)."""
    m, n = draw(st.sampled_from(range(max_m, 2, -1))), draw(st.sampled_from([4, 3]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    levels = draw(st.sampled_from([None, 2, 3]))
    density = draw(st.sampled_from([1.0, 0.8]))
    return random_instance(rng, m, n, levels, density, mentor_caps, mentee_caps)


def optimal_for_both_sides(inst: Instance) -> int:
    """Check both proposers; return how many stable matchings there were."""
    prefs = Prefs(inst)
    stable = prefs.stable_matchings()
    assert_side_optimal(inst, "mentor", prefs, stable)
    assert_side_optimal(inst, "mentee", prefs, stable)
    return len(stable)


@PROPS
@given(inst=contested((1, 1), (1, 1)))
def test_one_to_one_each_proposer_gets_its_best_stable_partner(inst):
    target(float(optimal_for_both_sides(inst)))  # steer towards many stable matchings


@PROPS
@given(inst=contested((1, 2), (1, 1)))
def test_many_to_one_proposer_optimal_and_receiver_optimal_when_proposing(inst):
    target(float(optimal_for_both_sides(inst)))  # steer towards many stable matchings


@PROPS
@given(inst=contested((1, 1), (1, 2)))
def test_one_to_many_proposer_optimal(inst):
    target(float(optimal_for_both_sides(inst)))  # steer towards many stable matchings


@PROPS
@given(inst=contested((1, 2), (1, 2), max_m=3))
def test_many_to_many_proposer_optimal(inst):
    target(float(optimal_for_both_sides(inst)))  # steer towards many stable matchings


@pytest.mark.parametrize(
    ("shape", "mentor_caps", "mentee_caps", "least"),
    [
        ((4, 4), (1, 1), (1, 1), 50),  # one-to-one
        ((2, 4), (2, 2), (1, 1), 30),  # many-to-one, tight capacities
        ((3, 5), (1, 2), (1, 1), 20),  # many-to-one, mixed capacities
        ((4, 2), (1, 1), (2, 2), 25),  # one-to-many
        ((3, 3), (2, 2), (2, 2), 15),  # many-to-many
    ],
)
def test_optimality_on_many_random_instances_with_several_stable_matchings(shape, mentor_caps, mentee_caps, least):
    rng = np.random.default_rng(11)
    with_choice = 0
    for k in range(150):
        inst = random_instance(rng, *shape, [None, 3][k % 2], 1.0, mentor_caps, mentee_caps)
        with_choice += optimal_for_both_sides(inst) > 1
    # Guard against a vacuous pass: many instances really had stable matchings to choose from.
    assert with_choice >= least


@PROPS
@given(inst=instances(own_views=st.just(False)))
def test_shared_scores_have_one_stable_matching_the_greedy_one(inst):
    prefs = Prefs(inst)
    assert prefs.stable_matchings() == [set(prefs.greedy(inst.scores))]
    assert pairs_of(*inst.solve("mentor")) == pairs_of(*inst.solve("mentee")) == prefs.greedy(inst.scores)


@FEW
@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(1, 80),
    n=st.integers(1, 80),
    levels=st.sampled_from([None, 2, 5]),
    density=st.sampled_from([1.0, 0.3]),
    caps=st.sampled_from([(1, 1), (0, 3)]),
)
def test_shared_scores_give_the_greedy_matching_at_any_size(seed, m, n, levels, density, caps):
    inst = random_instance(np.random.default_rng(seed), m, n, levels, density, caps, caps, own_views=False)
    greedy = Prefs(inst).greedy(inst.scores)
    assert pairs_of(*inst.solve("mentor")) == greedy
    with narrow_buffers():
        assert pairs_of(*inst.solve("mentee")) == greedy


@FEW
@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(1, 60),
    n=st.integers(1, 60),
    levels=st.sampled_from([None, 2, 5]),
    density=st.sampled_from([1.0, 0.3]),
    mentor_caps=st.sampled_from([(1, 1), (0, 3)]),
)
def test_the_two_proposers_polarise_and_match_the_same_people(seed, m, n, levels, density, mentor_caps):
    # Beyond brute-force sizes: each side does at least as well when it proposes, and
    # every stable matching pairs the same people (rural hospitals theorem).
    inst = random_instance(np.random.default_rng(seed), m, n, levels, density, mentor_caps)
    prefs = Prefs(inst)
    by_mentor = set(pairs_of(*inst.solve("mentor")))
    by_mentee = set(pairs_of(*inst.solve("mentee")))
    assert not prefs.blocking(by_mentor)
    assert not prefs.blocking(by_mentee)
    for i in range(m):
        assert prefs.at_least_as_good("mentor", i, partners(by_mentor, "mentor", i), partners(by_mentee, "mentor", i))
        assert len(partners(by_mentor, "mentor", i)) == len(partners(by_mentee, "mentor", i))
    for j in range(n):
        assert prefs.at_least_as_good("mentee", j, partners(by_mentee, "mentee", j), partners(by_mentor, "mentee", j))
        assert len(partners(by_mentor, "mentee", j)) == len(partners(by_mentee, "mentee", j))


# --- agreement with the `matching` package -----------------------------------------------------


def oracle_prefs(inst: Instance):
    """Name-keyed preference lists of the people who can take part, by the tie rule."""
    prefs = Prefs(inst)
    m, n = inst.shape
    ok = inst.allowed & (inst.mentor_cap > 0)[:, None] & (inst.mentee_cap > 0)[None, :]
    mentor = {f"m{i}": [f"e{j}" for j in prefs.mentor_order[i] if ok[i, j]] for i in range(m)}
    mentee = {f"e{j}": [f"m{i}" for i in prefs.mentee_order[j] if ok[i, j]] for j in range(n)}
    # The package wants non-empty lists; people with none stay unmatched anyway.
    return ({k: v for k, v in mentor.items() if v}, {k: v for k, v in mentee.items() if v})


def named_pairs(pairs):
    return sorted((int(a.name[1:]), int(b.name[1:])) for a, b in pairs)


def hospital_resident(inst: Instance, optimal: str):
    """Mentors are hospitals (with capacities), mentees residents (capacity 1)."""
    games = pytest.importorskip("matching.games")
    mentor, mentee = oracle_prefs(inst)
    if not mentor:
        return []
    capacity = {name: int(inst.mentor_cap[int(name[1:])]) for name in mentor}
    game = games.HospitalResident.create_from_dictionaries(mentee, mentor, capacity)
    solved = game.solve(optimal=optimal)
    return named_pairs((h, r) for h, residents in solved.items() for r in residents)


def da_pairs(inst: Instance, proposer: str, narrow: bool = False):
    if narrow:
        with narrow_buffers():
            return pairs_of(*inst.solve(proposer))
    return pairs_of(*inst.solve(proposer))


@PROPS
@given(
    n=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
    levels=st.sampled_from([None, 2, 3, 10]),
    narrow=st.booleans(),
    own_views=st.booleans(),
)
def test_one_to_one_complete_lists_equal_stable_marriage(n, seed, levels, narrow, own_views):
    games = pytest.importorskip("matching.games")
    inst = random_instance(np.random.default_rng(seed), n, n, levels, own_views=own_views)
    mentor, mentee = oracle_prefs(inst)
    game = games.StableMarriage.create_from_dictionaries(mentor, mentee)
    suitor_optimal = named_pairs(game.solve(optimal="suitor").items())
    game = games.StableMarriage.create_from_dictionaries(mentor, mentee)
    reviewer_optimal = named_pairs(game.solve(optimal="reviewer").items())
    assert da_pairs(inst, "mentor", narrow) == suitor_optimal
    assert da_pairs(inst, "mentee", narrow) == reviewer_optimal


@PROPS
@given(
    m=st.integers(1, 12),
    n=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    levels=st.sampled_from([None, 2, 4]),
    density=st.sampled_from([1.0, 0.6, 0.25]),
    narrow=st.booleans(),
    own_views=st.booleans(),
)
def test_one_to_one_incomplete_lists_equal_the_package(m, n, seed, levels, density, narrow, own_views):
    # Incomplete lists or unequal sides are outside StableMarriage; HospitalResident
    # with every capacity 1 is the same game.
    inst = random_instance(np.random.default_rng(seed), m, n, levels, density, own_views=own_views)
    assert da_pairs(inst, "mentor", narrow) == hospital_resident(inst, "hospital")
    assert da_pairs(inst, "mentee", narrow) == hospital_resident(inst, "resident")


@PROPS
@given(
    m=st.integers(1, 10),
    n=st.integers(1, 25),
    seed=st.integers(0, 2**32 - 1),
    levels=st.sampled_from([None, 2, 4]),
    density=st.sampled_from([1.0, 0.5]),
    narrow=st.booleans(),
    own_views=st.booleans(),
)
def test_many_to_one_equals_hospital_resident(m, n, seed, levels, density, narrow, own_views):
    inst = random_instance(
        np.random.default_rng(seed), m, n, levels, density, mentor_caps=(0, 4), mentee_caps=(0, 1), own_views=own_views
    )
    assert da_pairs(inst, "mentee", narrow) == hospital_resident(inst, "resident")
    assert da_pairs(inst, "mentor", narrow) == hospital_resident(inst, "hospital")


@pytest.mark.parametrize("seed", range(3))
def test_a_few_hundred_people_equal_hospital_resident(seed):
    rng = np.random.default_rng(seed)
    inst = random_instance(
        rng, 60, 200, levels=[None, 5, 20][seed], density=0.5, mentor_caps=(1, 4), mentee_caps=(1, 1)
    )
    assert da_pairs(inst, "mentee") == hospital_resident(inst, "resident")
    assert da_pairs(inst, "mentor") == hospital_resident(inst, "hospital")


# --- determinism, relabelling, dtypes ----------------------------------------------------------


@PROPS
@given(
    inst=instances(max_m=6, max_n=6, mentor_caps=(0, 3), mentee_caps=(0, 3)),
    proposer=st.sampled_from(["mentor", "mentee"]),
)
def test_same_input_gives_identical_output(inst, proposer):
    first = inst.solve(proposer)
    again = Instance(
        inst.scores.copy(),
        inst.allowed.copy(),
        inst.mentor_cap.copy(),
        inst.mentee_cap.copy(),
        None if inst.mentee_scores is None else inst.mentee_scores.copy(),
    ).solve(proposer)
    assert first.rows.tolist() == again.rows.tolist()
    assert first.cols.tolist() == again.cols.tolist()
    assert (first.rounds, first.proposals) == (again.rounds, again.proposals)
    with narrow_buffers():
        narrow = inst.solve(proposer)
    assert pairs_of(*narrow) == pairs_of(*first)


@PROPS
@given(data=st.data(), proposer=st.sampled_from(["mentor", "mentee"]))
def test_relabelling_people_relabels_the_result_when_there_are_no_ties(data, proposer):
    inst = data.draw(instances(max_m=7, max_n=7, mentor_caps=(0, 3), mentee_caps=(0, 3), distinct=True))
    m, n = inst.shape
    p = np.array(data.draw(st.permutations(range(m))), dtype=int)  # new mentor k is old mentor p[k]
    q = np.array(data.draw(st.permutations(range(n))), dtype=int)
    moved = Instance(
        inst.scores[np.ix_(p, q)],
        inst.allowed[np.ix_(p, q)],
        inst.mentor_cap[p],
        inst.mentee_cap[q],
        None if inst.mentee_scores is None else inst.mentee_scores[np.ix_(p, q)],
    )
    before = pairs_of(*inst.solve(proposer))
    after = pairs_of(*moved.solve(proposer))
    assert sorted((int(p[i]), int(q[j])) for i, j in after) == before


def test_float32_float64_and_integer_scores_give_the_same_matching():
    rng = np.random.default_rng(5)
    levels = rng.integers(0, 8, (40, 30))  # exactly representable in every dtype
    theirs = rng.integers(0, 8, (40, 30))
    results = [
        pairs_of(
            *deferred_acceptance(
                levels.astype(dtype), None, np.full(40, 2), None, proposer=proposer, mentee_scores=theirs.astype(dtype)
            )
        )
        for proposer in ("mentor", "mentee")
        for dtype in (np.float32, np.float64, np.int64)
    ]
    assert results[0] == results[1] == results[2]
    assert results[3] == results[4] == results[5]


def test_scores_are_not_copied_or_changed():
    scores = np.random.default_rng(1).random((20, 20), dtype=np.float32)
    before = scores.copy()
    deferred_acceptance(scores, proposer="mentee")
    assert np.array_equal(scores, before)


# --- known instances and edge cases ------------------------------------------------------------


def test_all_tied_scores_follow_the_index_tie_rule():
    # Everyone ranks the other side 0, 1, 2, ...: proposers queue for mentee 0, then 1, ...
    result = deferred_acceptance(np.zeros((5, 5)))
    assert pairs_of(*result) == [(i, i) for i in range(5)]
    assert (result.rounds, result.proposals) == (5, 15)
    assert pairs_of(*deferred_acceptance(np.zeros((5, 5)), proposer="mentee")) == [(i, i) for i in range(5)]
    # More mentors than places: the lowest indices win.
    assert pairs_of(*deferred_acceptance(np.ones((4, 2)))) == [(0, 0), (1, 1)]
    assert pairs_of(*deferred_acceptance(np.ones((4, 2)), mentee_cap=[2, 1])) == [(0, 0), (1, 0), (2, 1)]


def test_a_tie_at_a_receiver_goes_to_the_lower_index():
    # Both mentors score mentee 0 at 0.5; the mentee keeps mentor 0 (the lower index).
    scores = np.array([[0.5, 0.1], [0.5, 0.4]])
    assert pairs_of(*deferred_acceptance(scores)) == [(0, 0), (1, 1)]
    # A mentor's own tie: mentees 0 and 1 both score 0.7 for mentor 0; it asks mentee 0 first.
    scores = np.array([[0.7, 0.7], [0.1, 0.2]])
    assert pairs_of(*deferred_acceptance(scores, proposer="mentor")) == [(0, 0), (1, 1)]


def test_each_side_gets_its_best_stable_matching_on_the_cyclic_instance():
    # Every mentor's first choice ranks that mentor last: three stable matchings.
    mentors_view = np.array([[3, 2, 1], [1, 3, 2], [2, 1, 3]])  # m0: e0 > e1 > e2, m1: e1 > e2 > e0, ...
    mentees_view = np.array([[1, 2, 3], [3, 1, 2], [2, 3, 1]])  # e0: m1 > m2 > m0, e1: m2 > m0 > m1, ...
    by_mentor = deferred_acceptance(mentors_view, mentee_scores=mentees_view)
    by_mentee = deferred_acceptance(mentors_view, mentee_scores=mentees_view, proposer="mentee")
    assert pairs_of(*by_mentor) == [(0, 0), (1, 1), (2, 2)]
    assert pairs_of(*by_mentee) == [(0, 2), (1, 0), (2, 1)]
    assert (by_mentor.rounds, by_mentor.proposals, by_mentee.rounds, by_mentee.proposals) == (1, 3, 1, 3)
    middle = [(0, 1), (1, 2), (2, 0)]  # everyone's second choice
    for pairs in (pairs_of(*by_mentor), pairs_of(*by_mentee), middle):
        assert is_stable(mentors_view, None, None, None, *zip(*pairs, strict=True), mentee_scores=mentees_view)
    # Mentees ranking by the mentors' scores instead: one stable matching, whoever proposes.
    assert pairs_of(*deferred_acceptance(mentors_view, proposer="mentee")) == pairs_of(*by_mentor)
    assert not is_stable(mentors_view, None, None, None, *zip(*middle, strict=True))


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0)])
@pytest.mark.parametrize("proposer", ["mentor", "mentee"])
def test_empty_sides_give_an_empty_matching(shape, proposer):
    result = deferred_acceptance(np.zeros(shape), proposer=proposer)
    assert len(result) == 0
    assert result.rows.dtype == np.int64
    assert (result.rounds, result.proposals) == (0, 0)
    assert pairs_of(*blocking_pairs(np.zeros(shape), None, None, None, [], [])) == []


@pytest.mark.parametrize("proposer", ["mentor", "mentee"])
def test_zero_capacities_and_nothing_allowed(proposer):
    scores = np.random.default_rng(0).random((4, 5))
    assert len(deferred_acceptance(scores, None, np.zeros(4, int), None, proposer=proposer)) == 0
    assert len(deferred_acceptance(scores, None, None, np.zeros(5, int), proposer=proposer)) == 0
    assert len(deferred_acceptance(scores, np.zeros((4, 5), bool), proposer=proposer)) == 0
    # Only mentee 3 has a place: it takes the mentor it scores highest.
    caps = np.array([0, 0, 0, 1, 0])
    assert pairs_of(*deferred_acceptance(scores, None, None, caps, proposer=proposer)) == [
        (int(np.argmax(scores[:, 3])), 3)
    ]
    # With nobody matched and nothing allowed, nobody blocks; with free places, everyone allowed does.
    assert is_stable(scores, np.zeros((4, 5), bool), None, None, [], [])
    assert len(blocking_pairs(scores, None, None, None, [], [])[0]) == 20


def test_capacities_beyond_the_other_side_are_fine():
    scores = np.random.default_rng(2).random((3, 4))
    result = deferred_acceptance(scores, None, [10**9, 0, 1], [5, 5, 5, 5])
    assert pairs_of(*result)[:4] == [(0, 0), (0, 1), (0, 2), (0, 3)]
    assert is_stable(scores, None, [10**9, 0, 1], [5, 5, 5, 5], result.rows, result.cols)


def test_scores_outside_allowed_pairs_may_be_nan():
    scores = np.array([[np.nan, 1.0], [2.0, 0.5]])
    allowed = ~np.isnan(scores)
    result = deferred_acceptance(scores, allowed)
    assert pairs_of(*result) == [(0, 1), (1, 0)]
    assert is_stable(scores, allowed, None, None, result.rows, result.cols)


def test_result_unpacks_and_is_read_only():
    result = deferred_acceptance(np.eye(3), proposer="mentee")
    rows, cols = result
    assert rows is result.rows
    assert cols is result.cols
    assert result.proposer == "mentee"
    with pytest.raises(ValueError, match="read-only"):
        rows[0] = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.rounds = 0


# --- broken stability is caught ----------------------------------------------------------------


def test_swapping_partners_in_a_unique_stable_matching_creates_a_blocking_pair():
    # Mentor i and mentee i rank each other first: the identity is the only stable matching.
    rng = np.random.default_rng(3)
    scores = rng.random((6, 6)) + 2 * np.eye(6)
    rows, cols = deferred_acceptance(scores)
    assert pairs_of(rows, cols) == [(i, i) for i in range(6)]
    swapped = cols.copy()
    swapped[[1, 4]] = swapped[[4, 1]]
    assert not is_stable(scores, None, None, None, rows, swapped)
    assert {(1, 1), (4, 4)} <= set(pairs_of(*blocking_pairs(scores, None, None, None, rows, swapped)))
    # Dropping a pair frees both people, who then block.
    assert pairs_of(*blocking_pairs(scores, None, None, None, rows[1:], cols[1:])) == [(0, 0)]


@PROPS
@given(
    inst=instances(min_size=2, mentor_caps=(1, 1), mentee_caps=(1, 1), all_allowed=True),
    proposer=st.sampled_from(["mentor", "mentee"]),
    data=st.data(),
)
def test_a_mutated_matching_is_stable_exactly_when_brute_force_says_so(inst, proposer, data):
    rows, cols = inst.solve(proposer)
    if len(rows) < 2:
        return
    a, b = data.draw(st.lists(st.integers(0, len(rows) - 1), min_size=2, max_size=2, unique=True))
    cols = cols.copy()
    cols[[a, b]] = cols[[b, a]]
    mutated = set(pairs_of(rows, cols))
    assert inst.is_stable(rows, cols) == (mutated in Prefs(inst).stable_matchings())


# --- the candidate lists behind deferred acceptance --------------------------------------------


@PROPS
@given(
    data=st.data(),
    b=st.integers(1, 5),
    r=st.integers(1, 400),
    k=st.integers(1, 70),
    kind=st.sampled_from(["float", "levels", "sparse", "tied"]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_candidate_lists_are_each_rows_best_columns_by_the_tie_rule(data, b, r, k, kind, dtype):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    values = {
        "float": lambda: rng.random((b, r)),
        "levels": lambda: rng.integers(0, 3, (b, r)).astype(float),
        "sparse": lambda: np.where(rng.random((b, r)) < 0.8, -np.inf, rng.integers(0, 4, (b, r))),
        "tied": lambda: np.zeros((b, r)),
    }[kind]().astype(dtype)
    top, count = stable_module._top_candidates(values, k)
    assert top.shape == (b, k)
    for i in range(b):
        expected = sorted((j for j in range(r) if values[i, j] > -np.inf), key=lambda j: (-values[i, j], j))[:k]
        assert top[i, : count[i]].tolist() == expected
        assert (top[i, count[i] :] == -1).all()


# --- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "cols", "message"),
    [
        ([0, 3], [0, 1], "mentor index 3 out of range"),
        ([0], [-1], "mentee index -1 out of range"),
        ([0, 0], [1, 1], r"pair \(0, 1\) appears more than once"),
        ([0, 0], [0, 1], "mentor 0 has 2 partners but capacity 1"),
        ([0, 1], [2, 2], "mentee 2 has 2 partners but capacity 1"),
        ([1], [0], r"pair \(1, 0\) is in the matching but not allowed"),
        ([0, 1], [0], "1-D of equal length"),
        ([0.0], [1.0], "integer indices"),
    ],
)
def test_blocking_pairs_rejects_what_is_not_a_matching(rows, cols, message):
    scores = np.ones((3, 3))
    allowed = np.ones((3, 3), bool)
    allowed[1, 0] = False
    with pytest.raises(ValueError, match=message):
        blocking_pairs(scores, allowed, None, None, rows, cols)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scores": np.ones(3)}, "2-D"),
        ({"scores": np.array([["a"]])}, "real numbers"),
        ({"scores": np.array([[np.nan, 1.0], [1.0, 1.0]])}, r"finite on allowed pairs; scores\[0, 0\] is nan"),
        ({"scores": np.array([[1.0, np.inf], [1.0, 1.0]])}, "finite"),
        ({"allowed": np.ones((2, 3), bool)}, "allowed has shape"),
        ({"allowed": np.ones((2, 2))}, "boolean"),
        ({"mentor_cap": [1, -1]}, "mentor 1 has capacity -1"),
        ({"mentee_cap": [1]}, r"mentee_cap must have shape \(2,\)"),
        ({"mentee_cap": [1.5, 1]}, "integers"),
        ({"proposer": "both"}, "proposer must be"),
    ],
)
def test_deferred_acceptance_rejects_bad_input(kwargs, message):
    args = {"scores": np.ones((2, 2)), "allowed": None, "mentor_cap": None, "mentee_cap": None, **kwargs}
    with pytest.raises(ValueError, match=message):
        deferred_acceptance(**args)
