"""Hypothesis strategies: small random matching problems on the default London data.

People get random focus areas from the default taxonomy, random boroughs,
availability windows on the half-hour grid and capacities, so that the score
matrices they produce are varied (ties, zeros and distinct values alike).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from pairmatch import Mentee, Mentor, Problem, Quota, Rules, Weights
from pairmatch.availability import DAYS, SLOTS_PER_DAY
from pairmatch.datasets import default_taxonomy, london

TOPICS = default_taxonomy().topics
BOROUGHS = london().places


def clock(slot_of_day: int) -> str:
    """``"HH:MM"`` of a half-hour slot within a day (48 is ``"24:00"``)."""
    minutes = slot_of_day * 30
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def windows(draw: st.DrawFn) -> str:
    """One weekly window such as ``"Mon 18:00-20:00"`` on the half-hour grid."""
    day = draw(st.sampled_from(DAYS))
    # Evenings are over-represented so that overlaps between people are common.
    start = draw(st.one_of(st.integers(34, 42), st.integers(0, SLOTS_PER_DAY - 1)))
    length = draw(st.integers(1, min(8, SLOTS_PER_DAY - start)))
    return f"{day} {clock(start)}-{clock(start + length)}"


def focus_lists(max_size: int = 3) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(TOPICS), max_size=max_size, unique=True)


def borough_lists(max_size: int = 2) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(BOROUGHS), max_size=max_size, unique=True)


def window_lists(max_size: int = 3) -> st.SearchStrategy[list[str]]:
    return st.lists(windows(), max_size=max_size)


@st.composite
def person_fields(draw: st.DrawFn) -> dict:
    return {
        "focus_areas": draw(focus_lists()),
        "boroughs": draw(borough_lists()),
        "availability": draw(window_lists()),
    }


@st.composite
def weights(draw: st.DrawFn) -> Weights:
    """Non-negative weights with at least one positive."""
    values = draw(
        st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.3, 0.5, 0.7, 1.0, 2.0]), min_size=3, max_size=3).filter(
            lambda v: sum(v) > 0
        )
    )
    return Weights(focus=values[0], borough=values[1], availability=values[2])


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    mentors: tuple[int, int] = (1, 5),
    mentees: tuple[int, int] = (1, 5),
    mentor_max: tuple[int, int] = (1, 1),
    mentee_max: tuple[int, int] = (1, 1),
    mentor_min: tuple[int, int] = (0, 0),
    mentee_min: tuple[int, int] = (0, 0),
    random_weights: bool = True,
    forbidden: bool = False,
    required: bool = False,
    min_score: bool = False,
    structural: bool = False,
) -> Problem:
    """A random problem on the London geography and default taxonomy.

    Each ``(lo, hi)`` tuple bounds a count or a capacity; a person's
    ``min_partners`` is clipped to its ``max_partners`` so the model is valid.
    ``forbidden`` / ``required`` add a few random forbidden or pinned pairs;
    ``min_score`` may add a minimum-score threshold; ``structural`` may add the rules decided
    by the people's data (common weekly time, shared focus, borough distance), which often
    leave people without a partner.
    """
    n_m = draw(st.integers(*mentors))
    n_e = draw(st.integers(*mentees))

    def side(cls, prefix, n, cap_max, cap_min):
        people = []
        for k in range(n):
            hi = draw(st.integers(*cap_max))
            # The lowest minimum is drawn most often so that most problems are feasible
            # while infeasible ones still occur.
            lo = min(hi, draw(st.sampled_from([cap_min[0]] * 4 + list(range(cap_min[0], cap_min[1] + 1)))))
            people.append(cls(id=f"{prefix}{k}", min_partners=lo, max_partners=hi, **draw(person_fields())))
        return tuple(people)

    mentor_people = side(Mentor, "M", n_m, mentor_max, mentor_min)
    mentee_people = side(Mentee, "E", n_e, mentee_max, mentee_min)
    pair_ids = st.tuples(st.sampled_from([m.id for m in mentor_people]), st.sampled_from([e.id for e in mentee_people]))
    forbidden_pairs = tuple(draw(st.lists(pair_ids, max_size=3))) if forbidden else ()
    # Pins come from the pairs that are not forbidden (pinning a forbidden pair is tested on its own).
    pinnable = pair_ids.filter(lambda pair: pair not in forbidden_pairs)
    rules = Rules(
        forbidden_pairs=forbidden_pairs,
        required_pairs=tuple(draw(st.lists(pinnable, max_size=2))) if required else (),
        min_score=draw(st.sampled_from([None, 0.05, 0.2, 0.4])) if min_score else None,
        min_overlap_minutes=draw(st.sampled_from([0, 30, 60, 90])) if structural else 0,
        require_focus_overlap=draw(st.booleans()) if structural else False,
        max_borough_steps=draw(st.sampled_from([None, None, 1, 3])) if structural else None,
    )
    return Problem(
        mentors=mentor_people,
        mentees=mentee_people,
        weights=draw(weights()) if random_weights else Weights(),
        rules=rules,
        meeting_minutes=draw(st.sampled_from([30, 60, 90, 120])),
    )


def one_to_one_problems(max_side: int = 6) -> st.SearchStrategy[Problem]:
    """Square and rectangular problems where everyone takes at most one partner."""
    return problems(mentors=(1, max_side), mentees=(1, max_side))


def many_to_one_problems(forbidden: bool = True, min_score: bool = True) -> st.SearchStrategy[Problem]:
    """Tiny problems (<= 4 mentors, <= 5 mentees) with mentor capacity 1..3, small enough to enumerate."""
    return problems(mentors=(1, 4), mentees=(1, 5), mentor_max=(1, 3), forbidden=forbidden, min_score=min_score)


def zero_capacity_problems() -> st.SearchStrategy[Problem]:
    """One-to-one problems where some people take no partner at all (max_partners = 0)."""
    return problems(mentors=(1, 5), mentees=(1, 5), mentor_max=(0, 1), mentee_max=(0, 1))


@st.composite
def ruled_problems(draw: st.DrawFn) -> Problem:
    """Tiny problems under every kind of hard rule at once: capacities from 0 to 2, forbidden and
    pinned pairs, a minimum score, focus overlap, common time, distance, attributes that must
    differ, and quotas (some allowing a group no pairs at all)."""
    base = draw(
        problems(
            mentors=(1, 4),
            mentees=(1, 4),
            mentor_max=(0, 2),
            mentee_max=(0, 1),
            forbidden=True,
            required=draw(st.booleans()),
            min_score=True,
        )
    )
    quotas = draw(
        st.lists(
            st.builds(
                Quota,
                side=st.sampled_from(["mentor", "mentee"]),
                key=st.sampled_from(["focus", "borough", "bcu"]),
                max_pairs=st.sampled_from([0, 0, 1, 2]),
            ),
            max_size=2,
        )
    )
    rules = base.rules.model_copy(
        update={
            "require_focus_overlap": draw(st.booleans()),
            "min_overlap_minutes": draw(st.sampled_from([0, 0, 30, 90])),
            "max_borough_steps": draw(st.sampled_from([None, None, 0, 2])),
            "forbid_same": draw(st.sampled_from([(), ("borough",), ("bcu",)])),
            "quotas": tuple(quotas),
        }
    )
    return base.model_copy(update={"rules": rules})


def bounded_problems() -> st.SearchStrategy[Problem]:
    """Tiny problems with minimum numbers of partners, forbidden and pinned pairs (sometimes infeasible)."""
    return problems(
        mentors=(1, 3),
        mentees=(1, 4),
        mentor_max=(1, 3),
        mentor_min=(0, 2),
        mentee_min=(0, 1),
        forbidden=True,
        required=True,
    )


@st.composite
def score_matrices(draw: st.DrawFn, max_side: int = 7, max_gain: int = 1000) -> np.ndarray:
    """A random non-negative integer gain matrix; -1 marks a missing arc (a ruled-out pair)."""
    rows = draw(st.integers(1, max_side))
    cols = draw(st.integers(1, max_side))
    cells = draw(st.lists(st.one_of(st.just(-1), st.integers(0, max_gain)), min_size=rows * cols, max_size=rows * cols))
    return np.array(cells, dtype=np.int64).reshape(rows, cols)
