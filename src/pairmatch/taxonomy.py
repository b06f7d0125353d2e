"""Focus-area taxonomy: a graph of topics whose distance says how related they are.

Each link between two topics may carry the reason for it (and a source), so
an explanation can say why two focus areas are related. A taxonomy can be
written to and read from a JSON document (`Taxonomy.to_dict`,
`Taxonomy.from_dict`, `Taxonomy.from_file`).
"""

from __future__ import annotations

import difflib
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from pydantic import ValidationError

from . import display
from .exceptions import require
from .vocabulary_documents import DocumentError, DocumentProblem, EdgeSpec, TaxonomySpec, normalize_topic

__all__ = ["EDGE_KEYS", "FILE_KEYS", "Taxonomy", "TaxonomySpec", "TopicLink", "normalize_topic"]

# The keys of a taxonomy document (`TaxonomySpec`) and of one of its edges written as an object.
FILE_KEYS = tuple(TaxonomySpec.model_fields)
EDGE_KEYS = tuple(EdgeSpec.model_fields)


@dataclass(frozen=True)
class TopicLink:
    """A direct link between two topics and why they are related.

    ``a`` and ``b`` are in alphabetical order; ``reason`` and ``source`` may be
    None for a taxonomy built without them.
    """

    a: str
    b: str
    reason: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The link as a JSON-ready dict (``a``, ``b`` and, when known, ``reason``, ``source``)."""
        out = {"a": self.a, "b": self.b}
        if self.reason:
            out["reason"] = self.reason
        if self.source:
            out["source"] = self.source
        return out


def _link(edge: Any) -> TopicLink:
    """A `TopicLink` from a pair, a ``(a, b, reason[, source])`` tuple, a mapping or a link."""
    if isinstance(edge, TopicLink):
        a, b, reason, source = edge.a, edge.b, edge.reason, edge.source
    elif isinstance(edge, Mapping):
        a, b, reason, source = edge["a"], edge["b"], edge.get("reason"), edge.get("source")
    else:
        items = tuple(edge)
        if not 2 <= len(items) <= 4:
            raise ValueError(f"a link needs two topics (and optionally a reason and a source), got {edge!r}")
        a, b, reason, source = (*items, None, None)[:4]
    a, b = sorted((normalize_topic(a), normalize_topic(b)))
    if a == b:
        raise ValueError(f"a link from {a!r} to itself")
    return TopicLink(
        a, b, str(reason).strip() or None if reason else None, str(source).strip() or None if source else None
    )


class Taxonomy:
    """An undirected graph of focus areas.

    Two topics ``d`` links apart are related with strength ``decay ** d`` when
    ``d <= max_distance`` and 0 otherwise, so an exact match scores 1 and, with
    the defaults, one link scores 0.5, two 0.25 and three 0.125.

    Parameters
    ----------
    edges : iterable
        Links between a topic and a related or broader one: ``(a, b)`` pairs,
        ``(a, b, reason)`` or ``(a, b, reason, source)`` tuples, mappings with
        keys ``a``, ``b``, ``reason`` and ``source``, or `TopicLink` objects.
    topics : iterable of str, optional
        Extra topics with no links.
    decay : float
        Relatedness kept per link, in (0, 1).
    max_distance : int
        Topics further apart than this are unrelated.
    name, description, as_of : str, optional
        What the taxonomy is, where it comes from, and when it was reviewed.

    Attributes
    ----------
    topics : tuple of str
        Every topic, sorted; ``index`` maps each to its row in ``similarity``.
    links : tuple of TopicLink
        Every link with its reason and source, sorted by topic.
    graph : networkx.Graph
        Frozen; each edge's ``link`` is its `TopicLink`.
    similarity : numpy.ndarray
        Relatedness of every pair of topics.

    Examples
    --------
    >>> tax = Taxonomy([("knife crime", "violent crime"), ("violent crime", "community safety")])
    >>> tax.relatedness("knife crime", "community safety")
    0.25
    >>> tax.path("knife crime", "community safety")
    ('knife crime', 'violent crime', 'community safety')
    >>> tax = Taxonomy([("knife crime", "stop and search", "searches for bladed articles")])
    >>> tax.reason("stop and search", "knife crime")
    'searches for bladed articles'
    """

    def __init__(
        self,
        edges: Iterable[Any],
        topics: Iterable[str] = (),
        *,
        decay: float = 0.5,
        max_distance: int = 3,
        name: str | None = None,
        description: str | None = None,
        as_of: str | None = None,
    ) -> None:
        links: dict[tuple[str, str], TopicLink] = {}
        for edge in edges:
            link = _link(edge)
            known = links.get((link.a, link.b))
            # A repeated pair keeps the first reason given unless only the later one has one.
            if known is None or (known.reason is None and link.reason is not None):
                links[link.a, link.b] = link
        data = {
            "edges": [link.as_dict() for link in links.values()],
            "topics": list(topics),
            "decay": decay,
            "max_distance": max_distance,
            "name": name,
            "description": description,
            "as_of": as_of,
        }
        self._load(_validated(data, "taxonomy"))

    def _load(self, spec: TaxonomySpec) -> None:
        """Build the graph and the similarity matrix of a validated document."""
        graph = nx.Graph()
        graph.add_nodes_from(normalize_topic(t) for t in spec.topics)
        links = {edge.pair: _link(edge.model_dump()) for edge in spec.edges}
        for link in links.values():
            graph.add_edge(link.a, link.b, link=link)
        self.graph = nx.freeze(graph)
        self.decay = float(spec.decay)
        self.max_distance = int(spec.max_distance)
        self.name, self.description, self.as_of = spec.name, spec.description, spec.as_of
        self.topics: tuple[str, ...] = tuple(sorted(graph.nodes))
        self.index = {t: i for i, t in enumerate(self.topics)}
        self.links: tuple[TopicLink, ...] = tuple(links[k] for k in sorted(links))
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
        return display.short_repr(
            "Taxonomy", f"{len(self.topics)} topics", f"decay={self.decay:g}", f"max_distance={self.max_distance}"
        )

    def _repr_html_(self) -> str:
        """What the taxonomy assumes (`describe`), then its links with the reason for each."""
        rows = ((link.a, link.b, link.reason or "", link.source or "") for link in self.links)
        return display.card(
            f"Taxonomy {self.name or ''}".rstrip() + f": {len(self.topics)} topics, {len(self.links)} links",
            display.fields(self.describe().items()),
            display.table(
                ("topic", "related topic", "reason", "source"),
                rows,
                total=len(self.links),
                caption="Links",
                what="link",
                limit=40,
            ),
        )

    def to_frame(self) -> Any:
        """One row per link: ``a``, ``b``, ``reason``, ``source`` (empty when not given; needs
        pandas, the ``io`` extra). A topic with no link is in ``topics`` only.

        >>> from pairmatch.datasets import default_taxonomy
        >>> list(default_taxonomy().to_frame().columns)
        ['a', 'b', 'reason', 'source']
        """
        pandas = require("pandas", "io", "Taxonomy.to_frame()")
        rows = ((link.a, link.b, link.reason or "", link.source or "") for link in self.links)
        return display.frame(pandas, ("a", "b", "reason", "source"), rows)

    def _topic(self, topic: str) -> str:
        key = normalize_topic(topic)
        if key not in self.index:
            hint = self.suggest(topic)
            raise KeyError(f"{topic!r} is not a known topic" + (f" - did you mean {hint!r}?" if hint else ""))
        return key

    def suggest(self, topic: str) -> str | None:
        """The closest known topic name, for "did you mean" messages."""
        close = difflib.get_close_matches(normalize_topic(topic), self.topics, n=1, cutoff=0.6)
        return close[0] if close else None

    def relatedness(self, a: str, b: str) -> float:
        """Relatedness of two topics in [0, 1]: ``decay ** links`` up to ``max_distance`` links, else 0."""
        return float(self.similarity[self.index[normalize_topic(a)], self.index[normalize_topic(b)]])

    def path(self, a: str, b: str) -> tuple[str, ...]:
        """A shortest chain of topics from ``a`` to ``b`` (empty if unconnected)."""
        try:
            return tuple(nx.shortest_path(self.graph, normalize_topic(a), normalize_topic(b)))
        except nx.NetworkXNoPath:
            return ()

    def link(self, a: str, b: str) -> TopicLink | None:
        """The direct link between two topics, or None if they are not linked directly."""
        a, b = self._topic(a), self._topic(b)
        data = self.graph.get_edge_data(a, b)
        return data["link"] if data else None

    def reason(self, a: str, b: str) -> str | None:
        """Why two directly linked topics are related (None if the link has no reason).

        Raises `KeyError` when the topics are not linked directly; use
        `path_links` for topics further apart.

        >>> from pairmatch.datasets import default_taxonomy
        >>> default_taxonomy().reason("knife crime", "stop and search").startswith("Searching for knives")
        True
        """
        link = self.link(a, b)
        if link is None:
            raise KeyError(
                f"{normalize_topic(a)!r} and {normalize_topic(b)!r} are not linked directly"
                f" (path: {' -> '.join(self.path(a, b)) or 'none'})"
            )
        return link.reason

    def path_links(self, a: str, b: str) -> tuple[TopicLink, ...]:
        """The links along `path` from ``a`` to ``b``, each with its reason (empty if unconnected)."""
        steps = self.path(a, b)
        return tuple(self.graph.edges[x, y]["link"] for x, y in itertools.pairwise(steps))

    def describe(self) -> dict[str, str]:
        """The taxonomy's assumptions in words, for a report's parameters section.

        >>> from pairmatch.datasets import default_taxonomy
        >>> default_taxonomy().describe()["relatedness"].split("; ")
        ['the same topic scores 1', 'topics 1, 2, 3 links apart score 0.5, 0.25, 0.125 (decay 0.5 per link)', \
'further apart scores 0']
        """
        levels = range(1, self.max_distance + 1)
        reasoned = sum(1 for link in self.links if link.reason)
        out = {
            "topics": f"{len(self.topics)} topics and {len(self.links)} links"
            + (f", {reasoned} of them with a stated reason" if self.links else ""),
            "relatedness": (
                "the same topic scores 1; "
                + (
                    f"topics {', '.join(map(str, levels))} links apart score "
                    f"{', '.join(f'{self.decay**d:g}' for d in levels)} (decay {self.decay:g} per link); "
                    if self.max_distance
                    else ""
                )
                + "further apart scores 0"
            ),
        }
        if self.description:
            out["source"] = self.description
        if self.as_of:
            out["as of"] = self.as_of
        return out

    def to_dict(self) -> dict[str, Any]:
        """The taxonomy as a JSON-ready dict, the inverse of `from_dict`."""
        out: dict[str, Any] = {}
        for key in ("name", "description", "as_of"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        linked = {t for link in self.links for t in (link.a, link.b)}
        out.update(
            {
                "decay": self.decay,
                "max_distance": self.max_distance,
                "topics": [t for t in self.topics if t not in linked],
                "edges": [link.as_dict() for link in self.links],
            }
        )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "taxonomy") -> Taxonomy:
        """Build a taxonomy from a JSON-style dict (a `TaxonomySpec`; see docs/geography-and-topics.md).

        ``edges`` is a list of objects with ``a``, ``b`` and optionally
        ``reason`` and ``source`` (``[a, b]`` pairs are accepted too);
        ``topics`` lists topics without links; ``decay`` and ``max_distance``
        default to 0.5 and 3. Errors (`DocumentError`, a ``ValueError``) name
        the key and the value.

        >>> tax = Taxonomy.from_dict({"edges": [{"a": "drugs", "b": "stop and search", "reason": "why"}]})
        >>> tax.reason("drugs", "stop and search"), Taxonomy.from_dict(tax.to_dict()).to_dict() == tax.to_dict()
        ('why', True)
        """
        return cls.from_spec(_validated(data, source))

    @classmethod
    def from_spec(cls, spec: TaxonomySpec) -> Taxonomy:
        """The taxonomy a validated `TaxonomySpec` describes."""
        taxonomy = cls.__new__(cls)
        cls._load(taxonomy, spec)
        return taxonomy

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        """Read a taxonomy from a JSON file (see `from_dict`)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}") from None
        return cls.from_dict(data, source=str(path))


def _validated(data: Any, source: str) -> TaxonomySpec:
    """``data`` as a `TaxonomySpec`; `DocumentError` naming ``source`` and each key otherwise."""
    if not isinstance(data, Mapping):
        problem = DocumentProblem((), f"expected a JSON object at the top level, got {type(data).__name__}")
        raise DocumentError(source, [problem])
    try:
        return TaxonomySpec.model_validate(data)
    except ValidationError as err:
        raise DocumentError.of(source, err, TaxonomySpec) from None
