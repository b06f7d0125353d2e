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
    """The 32 London boroughs, their land borders and the Met's 12 BCUs.

    >>> geo = london()
    >>> len(geo.places), geo.unit_of["Newham"], geo.relation("Newham", "Tower Hamlets")
    (32, 'North East', 'adjacent')
    """
    data = load_json("london.json")
    return Geography(data["borders"], data["bcus"], unit_name="BCU")


@cache
def default_taxonomy() -> Taxonomy:
    """Policing and community topics (knife crime, domestic abuse, stop and search, ...).

    >>> tax = default_taxonomy()
    >>> tax.path("knife crime", "community safety")
    ('knife crime', 'violent crime', 'community safety')
    """
    return Taxonomy(load_json("taxonomy.json")["edges"])
