"""Focus-area taxonomy: a graph of topics whose distance says how related they are."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import networkx as nx
import numpy as np

__all__ = ["Taxonomy", "normalize_topic"]


def normalize_topic(name: str) -> str:
    """Canonical spelling of a topic: lower case, single spaces, ``&`` as ``and``.

    >>> normalize_topic("  Violence Against Women & Girls ")
    'violence against women and girls'
    """
    return " ".join(str(name).replace("&", " and ").lower().split())


class Taxonomy:
    """An undirected graph of focus areas.

    Two topics ``d`` steps apart are related with strength ``decay ** d`` when
    ``d <= max_distance`` and 0 otherwise, so an exact match scores 1.

    Parameters
    ----------
    edges : iterable of (str, str)
        Links between a topic and a related or broader one.
    topics : iterable of str, optional
        Extra topics with no links.
    decay : float
        Relatedness lost per step, in (0, 1).
    max_distance : int
        Topics further apart than this are unrelated.

    Examples
    --------
    >>> tax = Taxonomy([("knife crime", "violent crime"), ("violent crime", "community safety")])
    >>> tax.relatedness("knife crime", "community safety")
    0.25
    >>> tax.path("knife crime", "community safety")
    ('knife crime', 'violent crime', 'community safety')
    """

    def __init__(
        self,
        edges: Iterable[tuple[str, str]],
        topics: Iterable[str] = (),
        *,
        decay: float = 0.5,
        max_distance: int = 3,
    ) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"decay must be in (0, 1), got {decay!r}")
        if max_distance < 0:
            raise ValueError(f"max_distance must be >= 0, got {max_distance!r}")
        graph = nx.Graph()
        graph.add_nodes_from(normalize_topic(t) for t in topics)
        graph.add_edges_from((normalize_topic(a), normalize_topic(b)) for a, b in edges)
        self.graph = nx.freeze(graph)
        self.decay = float(decay)
        self.max_distance = int(max_distance)
        self.topics: tuple[str, ...] = tuple(sorted(graph.nodes))
        self.index = {t: i for i, t in enumerate(self.topics)}
        self.similarity = self._similarity_matrix()

    def _similarity_matrix(self) -> np.ndarray:
        n = len(self.topics)
        sim = np.zeros((n, n))
        lengths = nx.all_pairs_shortest_path_length(self.graph, cutoff=self.max_distance)
        for source, dists in lengths:
            i = self.index[source]
            for target, d in dists.items():
                sim[i, self.index[target]] = self.decay**d
        sim.setflags(write=False)
        return sim

    def __contains__(self, topic: object) -> bool:
        return isinstance(topic, str) and normalize_topic(topic) in self.index

    def __repr__(self) -> str:
        return f"Taxonomy({len(self.topics)} topics, decay={self.decay}, max_distance={self.max_distance})"

    def suggest(self, topic: str) -> str | None:
        """The closest known topic name, for "did you mean" messages."""
        close = difflib.get_close_matches(normalize_topic(topic), self.topics, n=1, cutoff=0.6)
        return close[0] if close else None

    def relatedness(self, a: str, b: str) -> float:
        """Relatedness of two topics in [0, 1]."""
        return float(self.similarity[self.index[normalize_topic(a)], self.index[normalize_topic(b)]])

    def path(self, a: str, b: str) -> tuple[str, ...]:
        """A shortest chain of topics from ``a`` to ``b`` (empty if unconnected)."""
        try:
            return tuple(nx.shortest_path(self.graph, normalize_topic(a), normalize_topic(b)))
        except nx.NetworkXNoPath:
            return ()
