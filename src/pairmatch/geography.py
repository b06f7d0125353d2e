"""Places people know: boroughs, which of them border each other, and policing units."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

import networkx as nx
import numpy as np

__all__ = ["BoroughRelation", "Geography", "normalize_place"]


def normalize_place(name: str) -> str:
    """Matching key for a place name: lower case, ``&`` as ``and``, single spaces.

    >>> normalize_place("Barking & Dagenham")
    'barking and dagenham'
    """
    return " ".join(str(name).replace("&", " and ").lower().split())


class BoroughRelation:
    """How two boroughs relate, strongest first, with the score each relation earns."""

    SAME = "same borough"
    ADJACENT = "adjacent"
    SAME_UNIT = "same BCU"
    NEAR = "two boroughs apart"
    FAR = "far apart"


class Geography:
    """Boroughs, their borders (a networkx graph) and the policing unit of each.

    The borough score of two places is the score of their strongest relation:
    ``same`` (1.0) > ``adjacent`` (0.6) > same unit (0.5) > two borders apart
    (0.2) > far (0.0). Scores are parameters of the geography.

    Examples
    --------
    >>> geo = Geography([("A", "B"), ("B", "C"), ("C", "D")], units={"U1": ["A", "B"], "U2": ["C", "D"]})
    >>> geo.relation("A", "B"), geo.score("A", "C"), geo.score("A", "D")
    ('adjacent', 0.2, 0.0)
    """

    def __init__(
        self,
        borders: Iterable[tuple[str, str]],
        units: Mapping[str, Iterable[str]] | None = None,
        *,
        places: Iterable[str] = (),
        same: float = 1.0,
        adjacent: float = 0.6,
        same_unit: float = 0.5,
        near: float = 0.2,
        far: float = 0.0,
        unit_name: str = "BCU",
    ) -> None:
        scores = (same, adjacent, same_unit, near, far)
        if any(not 0 <= s <= 1 for s in scores) or list(scores) != sorted(scores, reverse=True):
            raise ValueError(f"relation scores must be in [0, 1] and non-increasing, got {scores}")
        graph = nx.Graph()
        graph.add_nodes_from(places)
        graph.add_edges_from(borders)
        self.unit_of: dict[str, str] = {}
        for unit, members in (units or {}).items():
            for place in members:
                if place in self.unit_of:
                    raise ValueError(f"{place!r} is in two units: {self.unit_of[place]!r} and {unit!r}")
                self.unit_of[place] = unit
                graph.add_node(place)
        self.graph = nx.freeze(graph)
        self.unit_name = unit_name
        self.scores = dict(zip(
            (BoroughRelation.SAME, BoroughRelation.ADJACENT, BoroughRelation.SAME_UNIT,
             BoroughRelation.NEAR, BoroughRelation.FAR),
            (float(s) for s in scores),
        ))
        self.places: tuple[str, ...] = tuple(sorted(graph.nodes))
        self.index = {p: i for i, p in enumerate(self.places)}
        self._by_key = {normalize_place(p): p for p in self.places}
        self.distance = self._distance_matrix()
        self.similarity = self._similarity_matrix()

    def _distance_matrix(self) -> np.ndarray:
        """Border steps between places; -1 where unconnected."""
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
        unit_i = self.unit_of.get(self.places[i])
        if d == 0:
            return BoroughRelation.SAME
        if d == 1:
            return BoroughRelation.ADJACENT
        if unit_i is not None and unit_i == self.unit_of.get(self.places[j]):
            return BoroughRelation.SAME_UNIT
        if d == 2:
            return BoroughRelation.NEAR
        return BoroughRelation.FAR

    def __contains__(self, place: object) -> bool:
        return isinstance(place, str) and normalize_place(place) in self._by_key

    def __repr__(self) -> str:
        return f"Geography({len(self.places)} places, {len(set(self.unit_of.values()))} units)"

    def canonical(self, place: str) -> str | None:
        """The official spelling of ``place``, or None if it is unknown."""
        return self._by_key.get(normalize_place(place))

    def suggest(self, place: str) -> str | None:
        """The closest known place name, for "did you mean" messages."""
        close = difflib.get_close_matches(normalize_place(place), list(self._by_key), n=1, cutoff=0.6)
        return self._by_key[close[0]] if close else None

    def relation(self, a: str, b: str) -> str:
        """The strongest relation between two places (a `BoroughRelation` value)."""
        return self._relation_ij(self.index[self.canonical(a)], self.index[self.canonical(b)])

    def score(self, a: str, b: str) -> float:
        """Borough score of two places in [0, 1]."""
        return self.scores[self.relation(a, b)]

    def steps(self, a: str, b: str) -> int:
        """Number of borders crossed from ``a`` to ``b`` (-1 if unconnected)."""
        return int(self.distance[self.index[self.canonical(a)], self.index[self.canonical(b)]])
