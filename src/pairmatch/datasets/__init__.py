"""Package data: London's boroughs and BCUs and the default taxonomy (vocabularies only).

This package loads vocabularies and raw data; it never builds people or problems
(see `pairmatch.examples` for those), so it sits below the models.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ..geography import Geography
from ..taxonomy import Taxonomy

__all__ = ["default_taxonomy", "load_json", "london"]


def load_json(name: str) -> dict[str, Any]:
    """A JSON file shipped in this package, parsed (plain data, never code)."""
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
    return Geography.from_dict(load_json("london.json"), source="pairmatch/datasets/london.json")


@cache
def default_taxonomy() -> Taxonomy:
    """Policing and community topics (knife crime, domestic abuse, stop and search, ...).

    Every link between two topics carries the reason for it (`Taxonomy.reason`).

    >>> tax = default_taxonomy()
    >>> tax.path("knife crime", "community safety")
    ('knife crime', 'violent crime', 'community safety')
    """
    return Taxonomy.from_dict(load_json("taxonomy.json"), source="pairmatch/datasets/taxonomy.json")
