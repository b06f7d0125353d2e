"""Taxonomy: reasons on every link, the relations practitioners expect, files."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from pairmatch import Taxonomy
from pairmatch.datasets import default_taxonomy
from pairmatch.taxonomy import TopicLink

# Topics people's data already uses: none may disappear.
TOPICS = [
    "child exploitation",
    "community safety",
    "domestic abuse",
    "drugs",
    "equality and inclusion",
    "gang violence",
    "hate crime",
    "knife crime",
    "mental health",
    "online safety",
    "racial disproportionality",
    "robbery",
    "safeguarding",
    "sexual violence",
    "social inequality",
    "stalking and harassment",
    "stop and search",
    "trust and confidence",
    "use of force",
    "violence against women and girls",
    "violent crime",
    "youth engagement",
]


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return default_taxonomy()


def test_every_topic_is_kept(tax):
    assert set(TOPICS) <= set(tax.topics)
    assert nx.is_connected(tax.graph)


def test_every_link_has_a_reason(tax):
    assert len(tax.links) == tax.graph.number_of_edges() >= 40
    for link in tax.links:
        assert isinstance(link, TopicLink)
        assert link.reason
        assert link.reason.strip()
        assert link.reason[0].isupper()
        assert link.reason.endswith(".")
        assert link.source is None or link.source.strip()
        assert "http" not in link.reason + (link.source or "")
        assert tax.reason(link.a, link.b) == tax.reason(link.b, link.a) == link.reason
        assert tax.link(link.b, link.a) is link


def test_relatedness_is_symmetric_decay_to_the_power_of_steps(tax):
    assert (tax.similarity == tax.similarity.T).all()
    assert (np.diag(tax.similarity) == 1).all()
    for a, b in itertools.combinations(tax.topics, 2):
        steps = nx.shortest_path_length(tax.graph, a, b)
        expected = tax.decay**steps if steps <= tax.max_distance else 0.0
        assert tax.relatedness(a, b) == tax.relatedness(b, a) == expected
        assert len(tax.path(a, b)) == steps + 1


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("knife crime", "stop and search", 0.5),  # was 0: four steps apart
        ("knife crime", "gang violence", 0.5),  # was 0.25: now a direct link
        ("social inequality", "knife crime", 0.5),  # was 0
        ("social inequality", "domestic abuse", 0.25),  # was 0: via violence against women and girls
        ("drugs", "stop and search", 0.5),
        ("racial disproportionality", "stop and search", 0.5),
        ("domestic abuse", "violence against women and girls", 0.5),
        ("domestic abuse", "safeguarding", 0.5),
        ("knife crime", "youth engagement", 0.5),
        ("knife crime", "community safety", 0.25),
        ("domestic abuse", "knife crime", 0.125),
        ("online safety", "stop and search", 0.0),
    ],
)
def test_expected_relations(tax, a, b, expected):
    assert tax.relatedness(a, b) == expected


def test_pilot_topics_are_related_to_each_other(tax):
    pilot = ["knife crime", "domestic abuse", "social inequality"]
    assert all(tax.relatedness(a, b) > 0 for a, b in itertools.combinations(pilot, 2))


def test_reasons_along_a_path(tax):
    links = tax.path_links("social inequality", "domestic abuse")
    assert [(x.a, x.b) for x in links] == [
        ("social inequality", "violence against women and girls"),
        ("domestic abuse", "violence against women and girls"),
    ]
    assert "Istanbul Convention" in links[0].reason
    assert tax.path_links("knife crime", "knife crime") == ()
    assert tax.link("knife crime", "mental health") is None
    with pytest.raises(KeyError, match="not linked directly"):
        tax.reason("knife crime", "mental health")
    with pytest.raises(KeyError, match="did you mean 'knife crime'"):
        tax.reason("knive crime", "drugs")


def test_describe(tax):
    words = tax.describe()
    assert words["topics"] == f"22 topics and {len(tax.links)} links, {len(tax.links)} of them with a stated reason"
    assert "0.5, 0.25, 0.125" in words["relatedness"]
    assert "as of" in words
    assert "source" in words


def test_round_trip(tax, tmp_path):
    data = tax.to_dict()
    again = Taxonomy.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data
    assert again.topics == tax.topics
    assert again.links == tax.links
    assert (again.similarity == tax.similarity).all()
    path = tmp_path / "topics.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Taxonomy.from_file(path).to_dict() == data


def test_own_taxonomy_from_a_file(tmp_path):
    path = tmp_path / "topics.json"
    path.write_text(
        json.dumps(
            {
                "description": "A charity's topics",
                "decay": 0.4,
                "max_distance": 2,
                "topics": ["housing"],
                "edges": [{"a": "Knife Crime", "b": "youth work", "reason": "Diversion."}, ["youth work", "schools"]],
            }
        ),
        encoding="utf-8",
    )
    tax = Taxonomy.from_file(path)
    assert tax.topics == ("housing", "knife crime", "schools", "youth work")
    assert tax.relatedness("knife crime", "schools") == pytest.approx(0.16)
    assert tax.relatedness("housing", "schools") == 0.0
    assert tax.reason("youth work", "knife crime") == "Diversion."
    assert tax.reason("schools", "youth work") is None


def test_constructor_arguments_still_work():
    tax = Taxonomy([("a", "b"), ("b", "c", "why"), ("c", "d", "why", "where")], ["e"], decay=0.3, max_distance=2)
    assert tax.topics == ("a", "b", "c", "d", "e")
    assert tax.decay == 0.3
    assert tax.max_distance == 2
    assert tax.reason("a", "b") is None
    assert tax.link("d", "c") == TopicLink("c", "d", "why", "where")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"edges": [{"a": "x", "b": "x", "reason": "r"}]}, r"edges\[0\]: a link from 'x' to itself"),
        ({"edges": [{"a": "x", "reason": "r"}]}, r"edges\[0\]\.b: Field required"),
        (
            {"edges": [{"a": "x", "b": "y", "why": "r"}]},
            r"edges\[0\]\.why: unknown key \(known: a, b, reason, source\)",
        ),
        ({"edges": [{"a": "x", "b": "y", "reason": 3}]}, r"edges\[0\]\.reason: Input should be a valid string"),
        ({"edges": [{"a": "x", "b": "y", "reason": " "}]}, r"edges\[0\]\.reason: must not be empty"),
        ({"edges": [["x", "y"], {"a": "Y", "b": "x"}]}, r"edges\[1\]: the link 'x' - 'y' repeats edges\[0\]"),
        ({"edges": ["x-y"]}, r"edges\[0\]: Input should be a valid dictionary or instance of EdgeSpec"),
        ({"edges": {"x": "y"}}, r"edges: Input should be a valid list"),
        ({"decay": 1.5}, r"decay: Input should be less than 1"),
        ({"decay": True}, r"decay: Input should be a valid number"),
        ({"max_distance": -1}, r"max_distance: Input should be greater than or equal to 0"),
        ({"max_distance": 1.5}, r"max_distance: Input should be a valid integer"),
        ({"topics": "knife crime"}, r"topics: Input should be a valid list"),
        ({"topics": []}, r"edges: a taxonomy needs at least one topic"),
        ({"links": []}, r"links: unknown key \(known: name, description"),
    ],
)
def test_bad_taxonomy_documents_say_where(data, message):
    with pytest.raises(ValueError, match=message):
        Taxonomy.from_dict(data, source="topics.json")
    with pytest.raises(ValueError, match=r"^topics\.json: "):
        Taxonomy.from_dict(data, source="topics.json")


def test_bad_taxonomy_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"edges": [}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json: not valid JSON \(line 1"):
        Taxonomy.from_file(path)


def test_docs_table_lists_every_link_with_its_reason(tax):
    page = (Path(__file__).resolve().parents[2] / "docs" / "geography-and-topics.md").read_text("utf-8")
    table = page.split("### Every link and its reason")[1].split("\n#")[0]
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", table, re.MULTILINE)
    assert [(int(k), a.strip(), b.strip(), r.strip(), s.strip()) for k, a, b, r, s in rows] == [
        (k, x.a, x.b, x.reason, x.source or "—") for k, x in enumerate(tax.links, 1)
    ]
