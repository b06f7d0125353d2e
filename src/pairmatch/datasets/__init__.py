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
    other across the river, with the bridges, tunnels and ferries between
    them); the City of London is in no BCU. Everyday names such as "Kingston",
    London's towns and neighbourhoods (``london_places.json``, with its
    sources), the BCUs' official names, short forms and codes and
    "London-wide" resolve. See docs/geography-and-topics.md.

    >>> geo = london()
    >>> len(geo.places), geo.unit_of["Newham"], geo.relation("Newham", "Tower Hamlets")
    (34, 'North East', 'adjacent')
    >>> geo.canonical("Stratford"), geo.unit("NA"), geo.score("London-wide", "Newham")
    ('Newham', 'North Area', 0.3)
    >>> geo.relation("Westminster", "Lambeth"), geo.steps("Westminster", "Tower Hamlets")
    ('across the river', 2)
    """
    document = {**load_json("london.json"), "gazetteer": load_json("london_places.json")}
    return Geography.from_dict(document, source="pairmatch/datasets/london.json")


@cache
def default_taxonomy() -> Taxonomy:
    """Policing and community topics (knife crime, domestic abuse, stop and search, ...).

    Every link between two topics carries the reason for it (`Taxonomy.reason`).

    >>> tax = default_taxonomy()
    >>> tax.path("knife crime", "community safety")
    ('knife crime', 'violent crime', 'community safety')
    """
    return Taxonomy.from_dict(load_json("taxonomy.json"), source="pairmatch/datasets/taxonomy.json")
