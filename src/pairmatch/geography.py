"""Places people know: boroughs, which of them border each other, and policing units.

A `Geography` is a graph of places whose edges are borders: over land, or
across a river where two places face each other on opposite banks (with or
without a direct crossing). Each place may belong to one policing unit (a BCU
in London). Everyday names resolve through aliases and a cited gazetteer of
towns, neighbourhoods and outward postcodes (`Geography.resolve`); units
resolve by their official names, short forms and codes (`Geography.unit`). A
whole-area value ("London-wide") is a place-like entry of its own. A
geography is written to and read from a JSON document (`GeographySpec`;
`Geography.to_dict`, `Geography.from_dict`, `Geography.from_file`), so a
force outside London brings its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from pydantic import ValidationError

from . import display
from .exceptions import require
from .geography_document import RELATION_SCORES, GeographySpec
from .placenames import NameIndex, PlaceMatch
from .vocabulary_documents import DocumentError, DocumentProblem, normalize_place

__all__ = ["FILE_KEYS", "BoroughRelation", "Geography", "GeographySpec", "PlaceMatch", "normalize_place"]


class BoroughRelation:
    """How two places relate, strongest first, with the score each relation earns.

    `ORDER` lists the relations from strongest to weakest; a pair of places
    takes the first relation that holds, and the scores must not increase
    along this order. `WHOLE_AREA` is apart: a whole-area role ("London-wide")
    relates to every place alike.
    """

    SAME = "same borough"
    ADJACENT = "adjacent"
    ACROSS_RIVER = "across the river"
    SAME_UNIT = "same BCU"
    RIVER_NO_CROSSING = "across the river, no direct crossing"
    NEAR = "two boroughs apart"
    FAR = "far apart"
    WHOLE_AREA = "covers every place"
    ORDER = (SAME, ADJACENT, ACROSS_RIVER, SAME_UNIT, RIVER_NO_CROSSING, NEAR, FAR)


# Score parameter of each relation, in `BoroughRelation.ORDER`.
_SCORE_PARAMS = dict(zip(RELATION_SCORES, BoroughRelation.ORDER, strict=True))
# The keys of a geography document (`GeographySpec`).
FILE_KEYS = tuple(GeographySpec.model_fields)


class Geography:
    """Places, their borders (a networkx graph) and the policing unit of each.

    The score of two places is the score of their strongest relation, in this
    order: the same place (``same``, 1.0) > a land border (``adjacent``, 0.6)
    > facing each other across a river with a direct crossing, or with none
    stated (``across_river``, 0.5) > the same policing unit (``same_unit``,
    0.5) > across a river with no direct crossing (``across_river_no_crossing``,
    0.2) > two borders apart (``near``, 0.2) > further (``far``, 0.0). Scores
    are parameters in [0, 1] and must not increase along that order. Land and
    river borders both count as one step for `steps` and "two borders apart".
    A whole-area role scores ``whole_area`` (0.3) with every place and is
    within any step limit (0 steps from everywhere).

    Parameters
    ----------
    borders : iterable of (str, str)
        Land borders.
    units : mapping of str to iterable of str, optional
        Members of each policing unit; a place is in at most one unit.
    places : iterable of str, optional
        Places that are in no unit and need listing (e.g. the City of London).
    river_borders : iterable of (str, str), optional
        Places that face each other across a river (their boundaries meet in
        it). A pair may be both; the land border is the stronger relation.
    same, adjacent, across_river, same_unit, across_river_no_crossing, near, far : float
        Score of each relation (a river border has no direct crossing only
        when a document lists its crossings as none).
    unit_name : str, optional
        What a unit is called, for messages ("BCU"; default "unit").
    aliases : mapping of str to str, optional
        Everyday names of places ("Kingston" -> "Kingston upon Thames").
    prefixes, suffixes : iterable of str, optional
        Words that may come before or after a name and say nothing about
        which place is meant ("London Borough of", "Council").
    notes : mapping of str to str, optional
        A short note about a place, for messages and reports.
    name, description, as_of : str, optional
        What the geography is, where it comes from, and when it was true.
    assumptions : mapping of str to str, optional
        Further assumptions in words, shown by `describe`.

    Attributes
    ----------
    places : tuple of str
        Every place, sorted; ``index`` maps each to its row in the matrices.
    unit_of : dict of str to str
        The unit of each place that has one.
    graph : networkx.Graph
        Frozen; each edge's ``relation`` is "adjacent" or "across the river".
    land_borders, river_borders : frozenset of frozenset
        The two kinds of border as unordered pairs.
    distance : numpy.ndarray
        int16 border steps between places, -1 where unconnected.
    similarity : numpy.ndarray
        The score of every pair of places.
    scores : dict of str to float
        The score of each `BoroughRelation`, strongest first.
    aliases, notes : dict of str to str
        Everyday names and notes, as given.
    names : NameIndex
        Every written name of a place (official, alias, whole area, gazetteer).
    unit_names : NameIndex
        Every written name of a unit (official, short form, code).
    whole_area : str or None
        The whole-area entry's name ("London-wide"), one of ``places``.
    crossings : dict of frozenset to tuple of str
        The direct crossings of each river border listed in the document.
    spec : GeographySpec
        The validated document.

    Examples
    --------
    >>> geo = Geography([("A", "B"), ("B", "C"), ("C", "D")], units={"U1": ["A", "B"], "U2": ["C", "D"]})
    >>> geo.relation("A", "B"), geo.score("A", "C"), geo.score("A", "D")
    ('adjacent', 0.2, 0.0)
    >>> geo = Geography([("A", "B")], river_borders=[("B", "C")])
    >>> geo.relation("B", "C"), geo.score("B", "C"), geo.steps("A", "C")
    ('across the river', 0.5, 2)
    """

    def __init__(
        self,
        borders: Iterable[tuple[str, str]],
        units: Mapping[str, Iterable[str]] | None = None,
        *,
        places: Iterable[str] = (),
        river_borders: Iterable[tuple[str, str]] = (),
        same: float = 1.0,
        adjacent: float = 0.6,
        across_river: float = 0.5,
        same_unit: float = 0.5,
        across_river_no_crossing: float = 0.2,
        near: float = 0.2,
        far: float = 0.0,
        unit_name: str | None = None,
        aliases: Mapping[str, str] | None = None,
        prefixes: Iterable[str] = (),
        suffixes: Iterable[str] = (),
        notes: Mapping[str, str] | None = None,
        name: str | None = None,
        description: str | None = None,
        as_of: str | None = None,
        assumptions: Mapping[str, str] | None = None,
    ) -> None:
        border_pairs = [tuple(pair) for pair in borders]
        river_pairs = [tuple(pair) for pair in river_borders]
        members = {unit: list(m) for unit, m in (units or {}).items()}
        # Places may be named only by a unit or a border here; a document must list them.
        listed = dict.fromkeys(places)
        for names in (*members.values(), *border_pairs, *river_pairs):
            listed.update(dict.fromkeys(names))
        data: dict[str, Any] = {
            "places": list(listed),
            "units": members,
            "borders": border_pairs,
            "river_borders": river_pairs,
            "aliases": dict(aliases or {}),
            "prefixes": list(prefixes),
            "suffixes": list(suffixes),
            "notes": dict(notes or {}),
            "scores": dict(
                zip(
                    RELATION_SCORES,
                    (same, adjacent, across_river, same_unit, across_river_no_crossing, near, far),
                    strict=True,
                )
            ),
            "assumptions": dict(assumptions or {}),
            "name": name,
            "description": description,
            "as_of": as_of,
        }
        if unit_name is not None:
            data["unit_name"] = unit_name
        self._load(_validated(data, "geography"))

    def _load(self, spec: GeographySpec) -> None:
        """Build the graph, names and matrices of a validated document."""
        self.spec = spec
        graph = nx.Graph()
        graph.add_nodes_from(spec.declared)
        self.unit_of: dict[str, str] = {p: unit for unit, members in spec.units.items() for p in members}
        self.land_borders = frozenset(frozenset(pair) for pair in spec.borders)
        self.river_borders = frozenset(frozenset(pair) for pair in spec.river_borders)
        self.crossings = {frozenset((c.a, c.b)): tuple(c.crossings) for c in spec.crossings}
        # A pair may be both; the land border is the stronger relation.
        graph.add_edges_from(tuple(p) for p in self.river_borders)
        graph.add_edges_from(tuple(p) for p in self.land_borders)
        for a, b in graph.edges:
            graph.edges[a, b]["relation"] = self._border_relation(frozenset((a, b)))
        self.whole_area = spec.whole_area.name if spec.whole_area else None
        self.graph = nx.freeze(graph)
        self.unit_name = spec.unit_name
        self.scores = {_SCORE_PARAMS[k]: s for k, s in spec.relation_scores.items()}
        if self.whole_area is not None:
            self.scores[BoroughRelation.WHOLE_AREA] = spec.whole_area_score
        # The whole-area entry is a place-like row of the matrices, with no borders in the graph.
        self.places: tuple[str, ...] = tuple(sorted({*graph.nodes, *([self.whole_area] if self.whole_area else [])}))
        self.index = {p: i for i, p in enumerate(self.places)}
        self.name, self.description, self.as_of = spec.name, spec.description, spec.as_of
        self.assumptions = dict(spec.assumptions)
        self.aliases = dict(spec.aliases)
        self.notes = dict(spec.notes)
        self.names = self._name_index(spec)
        self.prefixes, self.suffixes = self.names.prefixes, self.names.suffixes
        self.unit_names = NameIndex(suffixes=(*spec.unit_suffixes, spec.unit_name))
        for unit in spec.units:
            self.unit_names.add(unit, "place", (unit,))
        for alias, unit in spec.unit_aliases.items():
            self.unit_names.add(alias, "alias", (unit,))
        self.distance = self._distance_matrix()
        self.similarity = self._similarity_matrix()

    def _border_relation(self, pair: frozenset[str]) -> str:
        if pair in self.land_borders:
            return BoroughRelation.ADJACENT
        # A river border whose crossings are listed as none has no direct crossing.
        if pair in self.crossings and not self.crossings[pair]:
            return BoroughRelation.RIVER_NO_CROSSING
        return BoroughRelation.ACROSS_RIVER

    def _name_index(self, spec: GeographySpec) -> NameIndex:
        """Official names first, then aliases, the whole area, localities and postcodes."""
        names = NameIndex(prefixes=spec.prefixes, suffixes=spec.suffixes)
        for place in self.places:
            if place != self.whole_area:
                names.add(place, "place", (place,))
        for alias, place in spec.aliases.items():
            names.add(alias, "alias", (place,))
        if spec.whole_area is not None:
            for name in (spec.whole_area.name, *spec.whole_area.aliases):
                names.add(name, "whole area", (spec.whole_area.name,))
        for gazetteer in spec.gazetteer:
            for name, places in gazetteer.places.items():
                names.add(name, "locality", tuple(places))
            for code, places in gazetteer.postcodes.items():
                names.add(code, "postcode", tuple(places))
        return names

    # ------------------------------------------------------------------ matrices

    def _distance_matrix(self) -> np.ndarray:
        """Border steps between places (land or river borders); -1 where unconnected.

        A whole-area role is 0 steps from every place: it covers them all.
        """
        n = len(self.places)
        dist = np.full((n, n), -1, dtype=np.int16)
        for source, lengths in nx.all_pairs_shortest_path_length(self.graph):  # the whole area has no node
            for target, d in lengths.items():
                dist[self.index[source], self.index[target]] = d
        if self.whole_area is not None:
            w = self.index[self.whole_area]
            dist[w, :] = dist[:, w] = 0
        dist.setflags(write=False)
        return dist

    def _similarity_matrix(self) -> np.ndarray:
        n = len(self.places)
        sim = np.array([[self.scores[self._relation_ij(i, j)] for j in range(n)] for i in range(n)], dtype=float)
        sim.setflags(write=False)
        return sim

    def _relation_ij(self, i: int, j: int) -> str:
        a, b = self.places[i], self.places[j]
        if self.whole_area in (a, b):
            return BoroughRelation.WHOLE_AREA
        d = self.distance[i, j]
        if d == 0:
            return BoroughRelation.SAME
        if d == 1:
            return str(self.graph.edges[a, b]["relation"])
        unit = self.unit_of.get(a)
        if unit is not None and unit == self.unit_of.get(b):
            return BoroughRelation.SAME_UNIT
        if d == 2:
            return BoroughRelation.NEAR
        return BoroughRelation.FAR

    # ------------------------------------------------------------------ names

    @property
    def territory(self) -> tuple[str, ...]:
        """The places that are areas on a map: `places` without the whole-area entry."""
        return tuple(p for p in self.places if p != self.whole_area)

    def __contains__(self, place: object) -> bool:
        return isinstance(place, str) and self.canonical(place) is not None

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return display.short_repr(
            "Geography", f"{label}{len(self.places)} places, {len(set(self.unit_of.values()))} units"
        )

    def to_rows(self) -> list[tuple[str, str, str, str, str]]:
        """``(place, unit, land borders, river borders, note)`` per place; borders ``"; "``-separated."""
        out = []
        for place in self.places:
            near = self.neighbours(place)
            land = "; ".join(p for p, r in near.items() if r == BoroughRelation.ADJACENT)
            river = "; ".join(p for p, r in near.items() if r == BoroughRelation.ACROSS_RIVER)
            out.append((place, self.unit_of.get(place, ""), land, river, self.notes.get(place, "")))
        return out

    def _repr_html_(self) -> str:
        """What the geography assumes (`describe`), then its places with units, borders and notes."""
        columns = ("place", self.unit_name, "land borders", "river borders", "note")
        return display.card(
            f"Geography {self.name or ''}".rstrip() + f": {len(self.places)} places",
            display.fields(self.describe().items()),
            display.table(columns, self.to_rows(), total=len(self.places), caption="Places", what="place", limit=40),
        )

    def to_frame(self) -> Any:
        """One row per place: ``place``, ``unit``, ``land_borders``, ``river_borders``, ``note``
        (needs pandas, the ``io`` extra).

        >>> from pairmatch.datasets import london
        >>> london().to_frame().set_index("place").loc["City of London", "unit"]
        ''
        """
        pandas = require("pandas", "io", "Geography.to_frame()")
        return display.frame(pandas, ("place", "unit", "land_borders", "river_borders", "note"), self.to_rows())

    def resolve(self, place: str) -> PlaceMatch:
        """What a written place name means: a place, several (a town spanning boroughs), or nothing.

        >>> from pairmatch.datasets import london
        >>> geo = london()
        >>> geo.resolve("Stratford").note, geo.resolve("crystal palace").places[:2]
        ('Stratford -> Newham', ('Bromley', 'Croydon'))
        >>> geo.resolve("Met-wide").place, geo.resolve("SE4").place, geo.resolve("Atlantis").kind
        ('London-wide', 'Lewisham', 'unknown')
        """
        return self.names.resolve(place)

    def canonical(self, place: str) -> str | None:
        """The one place ``place`` means, in its official spelling, or None.

        Case, ``&``/``and``, hyphens and apostrophes do not matter; aliases,
        the geography's prefixes and suffixes, its gazetteer's towns and
        postcodes resolve. A name spanning several places is None here
        (`resolve` lists them).

        >>> from pairmatch.datasets import london
        >>> geo = london()
        >>> geo.canonical("Royal Borough of Kingston"), geo.canonical("LB Barking & Dagenham")
        ('Kingston upon Thames', 'Barking and Dagenham')
        >>> geo.canonical("Square Mile"), geo.canonical("Peckham"), geo.canonical("Atlantis")
        ('City of London', 'Southwark', None)
        """
        return self.names.resolve(place).place

    def suggestion(self, place: str) -> PlaceMatch | None:
        """The known name most likely meant, with where it lies, or None ("no match").

        >>> from pairmatch.datasets import london
        >>> london().suggestion("Peckam").describe(), london().suggestion("Nowhere")
        ("'Peckham' (Southwark)", None)
        """
        return self.names.suggest(place)

    def suggest(self, place: str) -> str | None:
        """The known name most likely meant, for "did you mean" messages (see `suggestion`).

        A known name or alias wins; then a name whose words start with the
        words given ("Kingst" -> Kingston upon Thames); then a name whose
        words are each a close spelling ("Newhm" -> Newham). Nothing else: a
        name that is not close to any known one gets no suggestion, and a
        name spanning places gets none (it needs one of them).

        >>> from pairmatch.datasets import london
        >>> london().suggest("Barking"), london().suggest("Newhm"), london().suggest("Richm")
        ('Barking and Dagenham', 'Newham', 'Richmond upon Thames')
        >>> london().suggest("Heathrow"), london().suggest("Brixtn"), london().suggest("Narnia")
        ('Hillingdon', 'Brixton', None)
        """
        match = self.names.suggest(place)
        if match is None or match.place is None:
            return None
        # A name that resolves, or is close to an official name or alias, suggests its place; one close
        # to a town suggests the town, so the message can say where it lies.
        official = match.kind in ("place", "alias") or self.names.resolve(place).places
        return match.place if official else match.name

    def unit(self, name: str) -> str | None:
        """The unit ``name`` means (official name, short form or code, any case), or None.

        >>> from pairmatch.datasets import london
        >>> london().unit("north area bcu"), london().unit("CW"), london().unit("Nowhere")
        ('North Area', 'Central West', None)
        """
        return self.unit_names.resolve(name).place

    def suggest_unit(self, name: str) -> str | None:
        """The unit most likely meant by ``name``, or None when none is close."""
        match = self.unit_names.suggest(name)
        return None if match is None else match.place

    def note(self, place: str) -> str | None:
        """A short note about ``place`` (e.g. why it is in no unit), or None.

        >>> from pairmatch.datasets import london
        >>> london().note("the City")
        'policed by the City of London Police, not the Met, so it belongs to no Met BCU'
        """
        canonical = self.canonical(place)
        return self.notes.get(canonical) if canonical else None

    # ------------------------------------------------------------------ relations

    def _ix(self, place: str) -> int:
        canonical = self.canonical(place)
        if canonical is None:
            hint = self.suggest(place)
            raise KeyError(f"{place!r} is not a known place" + (f" - did you mean {hint!r}?" if hint else ""))
        return self.index[canonical]

    def relation(self, a: str, b: str) -> str:
        """The strongest relation between two places (a `BoroughRelation` value)."""
        return self._relation_ij(self._ix(a), self._ix(b))

    def score(self, a: str, b: str) -> float:
        """Borough score of two places in [0, 1]."""
        return self.scores[self.relation(a, b)]

    def steps(self, a: str, b: str) -> int:
        """Number of borders, over land or across a river, from ``a`` to ``b`` (-1 if unconnected)."""
        return int(self.distance[self._ix(a), self._ix(b)])

    def neighbours(self, place: str) -> dict[str, str]:
        """The places bordering ``place``, each with its relation (adjacent or across the river);
        none for the whole-area entry, which covers every place rather than bordering any."""
        canonical = self.places[self._ix(place)]
        if canonical not in self.graph:
            return {}
        return {other: self.graph.edges[canonical, other]["relation"] for other in sorted(self.graph[canonical])}

    def crossing_names(self, a: str, b: str) -> tuple[str, ...]:
        """The direct crossings listed for the river border of ``a`` and ``b`` (empty if none or unlisted).

        >>> from pairmatch.datasets import london
        >>> london().crossing_names("Lambeth", "Westminster")[:2]
        ('Westminster Bridge', 'Lambeth Bridge')
        """
        return self.crossings.get(frozenset((self.places[self._ix(a)], self.places[self._ix(b)])), ())

    def pair_text(self, a: str, b: str) -> str:
        """The relation of two places in words, naming a river border's crossings.

        >>> from pairmatch.datasets import london
        >>> print(london().pair_text("Westminster", "Lambeth"))
        across the river (Westminster Bridge, Lambeth Bridge, Vauxhall Bridge, Waterloo Bridge and Hungerford Bridge)
        >>> print(london().pair_text("Havering", "Bexley"))
        across the river, no direct crossing
        """
        relation = self.relation(a, b)
        crossings = self.crossing_names(a, b)
        if relation == BoroughRelation.ACROSS_RIVER and crossings:
            shown = ", ".join(crossings[:-1]) + f" and {crossings[-1]}" if len(crossings) > 1 else crossings[0]
            return f"{relation} ({shown})"
        return relation

    # ------------------------------------------------------------------ words

    def describe(self) -> dict[str, str]:
        """The geography's assumptions in words, for a report's parameters section.

        >>> from pairmatch.datasets import london
        >>> sorted(london().describe())[:4]
        ['BCU', 'BCU names', 'London-wide', 'across the river']
        """
        unit = self.unit_name
        members: dict[str, list[str]] = {}
        for place, u in sorted(self.unit_of.items()):
            members.setdefault(u, []).append(place)
        outside = [f"{p} ({self.notes[p]})" if p in self.notes else p for p in self.places if p not in self.unit_of]
        order = ", ".join(f"{rel} {score:g}" for rel, score in self.scores.items())
        names = f"{len(self.aliases)} aliases"
        if self.aliases:
            names += f" (e.g. {', '.join(repr(a) for a in list(self.aliases)[:3])})"
        names += "; case, '&'/'and', hyphens and apostrophes do not matter"
        if self.prefixes or self.suffixes:
            names += f"; ignored before or after a name: {', '.join(repr(w) for w in self.prefixes + self.suffixes)}"
        out = {
            "places": f"{len(self.places)} places, {len(members)} {unit}s; "
            + (f"in no {unit}: {'; '.join(outside)}" if outside else f"each in one {unit}"),
            "adjacent": f"places that share a land border are adjacent ({len(self.land_borders)} land borders)",
            "across the river": (
                f"places whose boundaries meet in a river face each other across it "
                f"({len(self.river_borders)} river borders); a river border is one border "
                f"step, like a land border"
            ),
            unit: f"{len(members)} {unit}s: " + "; ".join(f"{u} ({', '.join(m)})" for u, m in sorted(members.items())),
            "relation scores": f"a pair of places takes its strongest relation, strongest first: {order}; "
            f"two boroughs apart and further count borders over land or across a river",
            "everyday names": names,
        }
        out.update(self._describe_more())
        if self.description:
            out["source"] = self.description
        if self.as_of:
            out["as of"] = self.as_of
        for key, text in self.assumptions.items():
            out[key] = f"{out[key]}. {text}" if key in out else text
        return out

    def _describe_more(self) -> dict[str, str]:
        """Crossings, the whole-area role, unit names and the gazetteer, in words (when the document has them)."""
        out = {}
        if self.crossings:
            none = sum(1 for names in self.crossings.values() if not names)
            out["crossings"] = (
                f"{len(self.crossings) - none} river borders have a direct crossing (bridge, tunnel or ferry) and "
                f"score across_river; {none} have none and score across_river_no_crossing "
                f"({self.scores[BoroughRelation.RIVER_NO_CROSSING]:g})"
            )
        if self.whole_area is not None:
            aliases = ", ".join(repr(a) for a in self.spec.whole_area.aliases) if self.spec.whole_area else ""
            out[self.whole_area] = (
                f"{self.whole_area!r} (also {aliases}) is a role covering every place: it scores "
                f"{self.scores[BoroughRelation.WHOLE_AREA]:g} with any place and is within any step limit"
            )
        if self.spec.unit_aliases:
            out[f"{self.unit_name} names"] = (
                f"official names, {len(self.spec.unit_aliases)} short forms and codes (e.g. "
                f"{', '.join(repr(a) for a in list(self.spec.unit_aliases)[:3])}), any case"
            )
        for k, gazetteer in enumerate(self.spec.gazetteer, 1):
            out["gazetteer" if k == 1 else f"gazetteer {k}"] = (
                f"{len(gazetteer.places)} localities and {len(gazetteer.postcodes)} outward postcodes from "
                f"{gazetteer.source} ({gazetteer.licence}; retrieved {gazetteer.retrieved})"
            )
        return out

    # ------------------------------------------------------------------ files

    def to_dict(self) -> dict[str, Any]:
        """The geography as a JSON-ready dict, the inverse of `from_dict`."""
        units: dict[str, list[str]] = {}
        for place, unit in sorted(self.unit_of.items()):
            units.setdefault(unit, []).append(place)
        out: dict[str, Any] = {}
        for key in ("name", "description", "as_of"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        out.update(
            {
                "unit_name": self.unit_name,
                "places": list(self.territory),
                "units": {u: units[u] for u in sorted(units)},
                "borders": sorted(sorted(p) for p in self.land_borders),
                "river_borders": sorted(sorted(p) for p in self.river_borders),
                "aliases": dict(sorted(self.aliases.items())),
                "prefixes": list(self.prefixes),
                "suffixes": list(self.suffixes),
                "notes": dict(sorted(self.notes.items())),
                "scores": {k: self.scores[rel] for k, rel in _SCORE_PARAMS.items()},
            }
        )
        if self.assumptions:
            out["assumptions"] = dict(self.assumptions)
        spec = self.spec.model_dump(mode="json", exclude_defaults=True)
        for key in ("unit_aliases", "unit_suffixes", "crossings", "gazetteer", "whole_area"):
            if key in spec:
                out[key] = spec[key]
        if self.whole_area is not None:
            out["scores"]["whole_area"] = self.scores[BoroughRelation.WHOLE_AREA]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "geography") -> Geography:
        """Build a geography from a JSON-style dict (see docs/geography-and-topics.md).

        Every place named in ``units``, ``borders``, ``river_borders``,
        ``aliases`` and ``notes`` must be listed in ``places`` or in a unit, so
        a misspelling cannot add a place. Errors name the key and the value.

        >>> geo = Geography.from_dict({"places": ["A", "B", "C"], "borders": [["A", "B"]],
        ...                            "river_borders": [["B", "C"]], "scores": {"across_river": 0.55}})
        >>> geo.score("B", "C"), Geography.from_dict(geo.to_dict()).to_dict() == geo.to_dict()
        (0.55, True)
        """
        return cls.from_spec(_validated(data, source))

    @classmethod
    def from_spec(cls, spec: GeographySpec) -> Geography:
        """The geography a validated `GeographySpec` describes."""
        geography = cls.__new__(cls)
        cls._load(geography, spec)
        return geography

    @classmethod
    def from_file(cls, path: str | Path) -> Geography:
        """Read a geography from a JSON file (see `from_dict`)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}") from None
        return cls.from_dict(data, source=str(path))


def _validated(data: Any, source: str) -> GeographySpec:
    """``data`` as a `GeographySpec`; `DocumentError` naming ``source`` and each key otherwise."""
    if not isinstance(data, Mapping):
        raise DocumentError(
            source, [DocumentProblem((), f"expected a JSON object at the top level, got {type(data).__name__}")]
        )
    try:
        return GeographySpec.model_validate(data)
    except ValidationError as err:
        raise DocumentError.of(source, err, GeographySpec) from None
