"""Adversarial instance families: where top-k candidate sets are weakest.

Each family is a seeded function of ``n`` (people per side):

``hot_topic``
    Met-shaped people, but everyone works on one hot topic in one borough:
    focus and borough parts tie everywhere, only availability differs.
``identical``
    Everyone identical on both sides: every pair has the same score.
``popular_group``
    Met-shaped people plus a group of 5% of the mentees who score the
    maximum with every mentor (all topics, all boroughs, every evening and
    weekend): every mentor's best candidates are the same few people.
``uniform``
    Random uniform scores through the custom-score route
    (``Problem.from_matrix(rng.random((n, n)), ...)``): no structure at all.
"""

from __future__ import annotations

import numpy as np

FAMILIES = ("hot_topic", "identical", "popular_group", "uniform")


def family(name: str, n: int, seed: int = 0):
    """The ``name`` instance with ``n`` people per side."""
    from pairmatch import Mentee, Mentor, Problem, synthetic_problem

    if name == "uniform":
        rng = np.random.default_rng(seed)
        return Problem.from_matrix(rng.random((n, n)), [f"M{i}" for i in range(n)], [f"E{j}" for j in range(n)])
    if name == "identical":
        fields = {"focus_areas": ["knife crime"], "boroughs": ["Newham"], "availability": ["Mon 18:00-20:00"]}
        return Problem(
            mentors=tuple(Mentor(id=f"M{i}", **fields) for i in range(n)),
            mentees=tuple(Mentee(id=f"E{j}", **fields) for j in range(n)),
        )
    base = synthetic_problem(n, seed=seed)
    if name == "hot_topic":
        hot = {"focus_areas": ("knife crime",), "boroughs": ("Newham",)}
        return base.model_copy(
            update={
                "mentors": tuple(p.model_copy(update=hot) for p in base.mentors),
                "mentees": tuple(p.model_copy(update=hot) for p in base.mentees),
            }
        )
    if name == "popular_group":
        topics = sorted({t for p in base.mentors for t in p.focus_areas})
        places = list(base.geography.places)
        slots = sorted({w for p in base.mentors for w in p.availability})
        star = {"focus_areas": tuple(topics), "boroughs": tuple(places), "availability": tuple(slots)}
        group = max(1, n // 20)
        mentees = tuple(p.model_copy(update=star) if k < group else p for k, p in enumerate(base.mentees))
        return base.model_copy(update={"mentees": mentees})
    raise ValueError(f"unknown family {name!r}; one of {', '.join(FAMILIES)}")
