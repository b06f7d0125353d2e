"""Ready-made problems: the pilot-shaped example used by the demo, docs and tests."""

from __future__ import annotations

from .datasets import load_json
from .models import Problem

__all__ = ["pilot_problem"]


def pilot_problem() -> Problem:
    """A small example shaped like the 2021 London reverse-mentoring pilot.

    Three young mentors from Tower Hamlets, Newham and Brent and three senior
    officers, one focus each (knife crime, domestic abuse, social inequality),
    monthly virtual meetings. **Illustrative**: the real pairings were never
    published, so everyone here is fictional and every attribute is invented.

    >>> p = pilot_problem()
    >>> p.shape
    (3, 3)
    """
    return Problem.model_validate(load_json("pilot.json"))
