"""Package data: London's boroughs and BCUs, the default taxonomy, the pilot-shaped example."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..geography import Geography
from ..taxonomy import Taxonomy

if TYPE_CHECKING:
    from ..models import Problem

__all__ = ["default_taxonomy", "london", "pilot_problem"]


def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


@cache
def london() -> Geography:
    """The 32 London boroughs and the City of London, their borders and the Met's 12 BCUs.

    Borders are land borders and borders in the Thames (boroughs facing each
    other across the river); the City of London is in no BCU. Everyday names
    such as "Kingston" resolve. See docs/geography-and-topics.md.

    >>> geo = london()
    >>> len(geo.places), geo.unit_of["Newham"], geo.relation("Newham", "Tower Hamlets")
    (33, 'North East', 'adjacent')
    >>> geo.relation("Westminster", "Lambeth"), geo.steps("Westminster", "Tower Hamlets")
    ('across the river', 2)
    """
    return Geography.from_dict(_load("london.json"), source="pairmatch/datasets/london.json")


@cache
def default_taxonomy() -> Taxonomy:
    """Policing and community topics (knife crime, domestic abuse, stop and search, ...).

    Every link between two topics carries the reason for it (`Taxonomy.reason`).

    >>> tax = default_taxonomy()
    >>> tax.path("knife crime", "community safety")
    ('knife crime', 'violent crime', 'community safety')
    """
    return Taxonomy.from_dict(_load("taxonomy.json"), source="pairmatch/datasets/taxonomy.json")


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
    from ..models import Problem

    return Problem.model_validate(_load("pilot.json"))
