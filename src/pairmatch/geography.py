"""Places people know: boroughs, which of them border each other, and policing units.

A `Geography` is a graph of places whose edges are borders: over land, or
across a river where two places face each other on opposite banks. Each place
may belong to one policing unit (a BCU in London). Everyday names resolve
through an alias table. A geography can be written to and read from a JSON
document (`Geography.to_dict`, `Geography.from_dict`, `Geography.from_file`),
so a force outside London brings its own.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from pydantic import ValidationError

from . import display
from .exceptions import require
from .vocabulary_documents import RELATION_SCORES, DocumentError, DocumentProblem, GeographySpec, normalize_place

__all__ = ["FILE_KEYS", "BoroughRelation", "Geography", "GeographySpec", "normalize_place"]

# Words that say nothing about which place is meant ("Barking and Dagenham").
_FILLER = frozenset({"and", "of", "on", "the", "upon"})


def _compact(key: str) -> str:
    """``key`` without spaces, so "Tower Hamlets" and "TowerHamlets" meet."""
    return key.replace(" ", "")


class BoroughRelation:
    """How two places relate, strongest first, with the score each relation earns.

    `ORDER` lists the relations from strongest to weakest; a pair of places
    takes the first relation that holds, and the scores must not increase
    along this order.
    """

    SAME = "same borough"
    ADJACENT = "adjacent"
    ACROSS_RIVER = "across the river"
    SAME_UNIT = "same BCU"
    NEAR = "two boroughs apart"
    FAR = "far apart"
    ORDER = (SAME, ADJACENT, ACROSS_RIVER, SAME_UNIT, NEAR, FAR)


# Score parameter of each relation, in `BoroughRelation.ORDER`.
_SCORE_PARAMS = dict(zip(RELATION_SCORES, BoroughRelation.ORDER, strict=True))
# The keys of a geography document (`GeographySpec`).
FILE_KEYS = tuple(GeographySpec.model_fields)


class Geography:
    """Places, their borders (a networkx graph) and the policing unit of each.

    The score of two places is the score of their strongest relation, in this
    order: the same place (``same``, 1.0) > a land border (``adjacent``, 0.6)
    > facing each other across a river (``across_river``, 0.5) > the same
    policing unit (``same_unit``, 0.5) > two borders apart (``near``, 0.2) >
    further (``far``, 0.0). Scores are parameters in [0, 1] and must not
    increase along that order. Land and river borders both count as one step
    for `steps` and "two borders apart".

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
    same, adjacent, across_river, same_unit, near, far : float
        Score of each relation.
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
            "scores": dict(zip(RELATION_SCORES, (same, adjacent, across_river, same_unit, near, far), strict=True)),
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
        graph = nx.Graph()
        graph.add_nodes_from(spec.declared)
        self.unit_of: dict[str, str] = {p: unit for unit, members in spec.units.items() for p in members}
        self.land_borders = frozenset(frozenset(pair) for pair in spec.borders)
        self.river_borders = frozenset(frozenset(pair) for pair in spec.river_borders)
        # A pair may be both; the land border is the stronger relation.
        graph.add_edges_from(tuple(p) for p in self.river_borders)
        graph.add_edges_from(tuple(p) for p in self.land_borders)
        for a, b in graph.edges:
            graph.edges[a, b]["relation"] = (
                BoroughRelation.ADJACENT if frozenset((a, b)) in self.land_borders else BoroughRelation.ACROSS_RIVER
            )
        self.graph = nx.freeze(graph)
        self.unit_name = spec.unit_name
        self.scores = {_SCORE_PARAMS[k]: s for k, s in spec.relation_scores.items()}
        self.places: tuple[str, ...] = tuple(sorted(graph.nodes))
        self.index = {p: i for i, p in enumerate(self.places)}
        self.name, self.description, self.as_of = spec.name, spec.description, spec.as_of
        self.assumptions = dict(spec.assumptions)
        self.prefixes = tuple(dict.fromkeys(normalize_place(p) for p in spec.prefixes if normalize_place(p)))
        self.suffixes = tuple(dict.fromkeys(normalize_place(s) for s in spec.suffixes if normalize_place(s)))
        self._by_key = {normalize_place(p): p for p in self.places}
        self.aliases = dict(spec.aliases)
        self._by_key.update({normalize_place(alias): place for alias, place in spec.aliases.items()})
        self.notes = dict(spec.notes)
        compact: dict[str, set[str]] = {}
        for key, place in self._by_key.items():
            compact.setdefault(_compact(key), set()).add(place)
        # A squeezed spelling counts only when it points at one place.
        self._by_compact = {k: next(iter(v)) for k, v in compact.items() if len(v) == 1}
        self._canonical_cache: dict[str, str | None] = {}
        self._suggest_cache: dict[str, str | None] = {}
        self.distance = self._distance_matrix()
        self.similarity = self._similarity_matrix()

    # ------------------------------------------------------------------ matrices

    def _distance_matrix(self) -> np.ndarray:
        """Border steps between places (land or river borders); -1 where unconnected."""
        n = len(self.places)
        dist = np.full((n, n), -1, dtype=np.int16)
        for source, lengths in nx.all_pairs_shortest_path_length(self.graph):
            for target, d in lengths.items():
                dist[self.index[source], self.index[target]] = d
        dist.setflags(write=False)
        return dist

    def _similarity_matrix(self) -> np.ndarray:
        n = len(self.places)
        sim = np.full((n, n), self.scores[BoroughRelation.FAR])
        for i in range(n):
            for j in range(n):
                sim[i, j] = self.scores[self._relation_ij(i, j)]
        sim.setflags(write=False)
        return sim

    def _relation_ij(self, i: int, j: int) -> str:
        d = self.distance[i, j]
        a, b = self.places[i], self.places[j]
        if d == 0:
            return BoroughRelation.SAME
        if d == 1:
            return self.graph.edges[a, b]["relation"]
        unit = self.unit_of.get(a)
        if unit is not None and unit == self.unit_of.get(b):
            return BoroughRelation.SAME_UNIT
        if d == 2:
            return BoroughRelation.NEAR
        return BoroughRelation.FAR

    # ------------------------------------------------------------------ names

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

    def _keys(self, place: str) -> Iterable[str]:
        """``place``'s matching key, then the same with known prefixes and suffixes removed."""
        key = normalize_place(place)
        yield key
        changed = True
        while changed:
            changed = False
            for prefix in self.prefixes:
                if key.startswith(prefix + " "):
                    key, changed = key[len(prefix) + 1 :], True
                    yield key
            for suffix in self.suffixes:
                if key.endswith(" " + suffix):
                    key, changed = key[: -len(suffix) - 1], True
                    yield key

    def canonical(self, place: str) -> str | None:
        """The official spelling of ``place``, or None if it is unknown.

        Case, ``&``/``and``, hyphens and apostrophes do not matter; aliases
        and the geography's prefixes and suffixes resolve.

        >>> from pairmatch.datasets import london
        >>> geo = london()
        >>> geo.canonical("Royal Borough of Kingston"), geo.canonical("LB Barking & Dagenham")
        ('Kingston upon Thames', 'Barking and Dagenham')
        >>> geo.canonical("Square Mile"), geo.canonical("Atlantis")
        ('City of London', None)
        """
        text = str(place)
        if text in self._canonical_cache:
            return self._canonical_cache[text]
        found = None
        for key in self._keys(text):
            found = self._by_key.get(key) or self._by_compact.get(_compact(key))
            if found is not None:
                break
        if len(self._canonical_cache) < 100_000:
            self._canonical_cache[text] = found
        return found

    def suggest(self, place: str) -> str | None:
        """The most likely meant place, for "did you mean" messages.

        A known name or alias wins; then a name whose words start with the
        words given ("Kingst" -> Kingston upon Thames); then a name whose
        words are each a close spelling ("Newhm" -> Newham); then the closest
        name by characters.

        >>> from pairmatch.datasets import london
        >>> london().suggest("Barking"), london().suggest("Newhm"), london().suggest("Richm")
        ('Barking and Dagenham', 'Newham', 'Richmond upon Thames')
        """
        text = str(place)
        if text not in self._suggest_cache:
            self._suggest_cache[text] = self.canonical(text) or self._closest(text)
        return self._suggest_cache[text]

    def _closest(self, place: str) -> str | None:
        key = list(self._keys(place))[-1]
        words = [w for w in key.split() if w not in _FILLER] or key.split()
        if not words:
            return None
        best: tuple[int, float, str] | None = None
        for name, target in self._by_key.items():
            name_words = [w for w in name.split() if w not in _FILLER] or name.split()
            ratio = difflib.SequenceMatcher(None, key, name).ratio()
            if all(len(w) >= 3 and any(n.startswith(w) for n in name_words) for w in words):
                tier = 0
            elif all(any(difflib.SequenceMatcher(None, w, n).ratio() >= 0.8 for n in name_words) for w in words):
                tier = 1
            elif ratio >= 0.6:
                tier = 2
            else:
                continue
            rank = (tier, -ratio, target)
            if best is None or rank < best:
                best = rank
        return best[2] if best else None

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
        """The places bordering ``place``, each with its relation (adjacent or across the river)."""
        canonical = self.places[self._ix(place)]
        return {other: self.graph.edges[canonical, other]["relation"] for other in sorted(self.graph[canonical])}

    # ------------------------------------------------------------------ words

    def describe(self) -> dict[str, str]:
        """The geography's assumptions in words, for a report's parameters section.

        >>> from pairmatch.datasets import london
        >>> sorted(london().describe())[:3]
        ['BCU', 'across the river', 'adjacent']
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
        if self.description:
            out["source"] = self.description
        if self.as_of:
            out["as of"] = self.as_of
        for key, text in self.assumptions.items():
            out[key] = f"{out[key]}. {text}" if key in out else text
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
                "places": list(self.places),
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
