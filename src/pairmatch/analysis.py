"""The compatibility graph and what it tells: infeasibility certificates.

Infeasibility reasons (`diagnose`) are dicts with a ``rule`` code, a readable
``message`` and the ids involved. Hall violators come from a minimum cut
(König's theorem for bipartite graphs, generalised to capacities): a set
``S`` of people who need ``need`` partners in total while everyone they may
be paired with can take only ``can_take``; ``need > can_take`` is checkable
by anyone.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from .constraints import Candidates, build_candidates
from .models import Problem
from .scoring import Scorer, score_table
from .solver import diagnose, hall_violator
from .solver.diagnosis import Diagnosis

__all__ = ["Diagnosis", "compatibility_graph", "diagnose", "hall_violator"]

SIDES = ("mentor", "mentee")


def compatibility_graph(problem: Problem, candidates: Candidates | None = None) -> nx.Graph:
    """Bipartite networkx graph of candidate pairs; nodes are person ids with a ``side``
    and ``min_partners`` / ``max_partners`` attributes, edges carry no weight.

    >>> from pairmatch.examples import pilot_problem
    >>> compatibility_graph(pilot_problem()).number_of_edges()
    9
    """
    if candidates is None:
        scorer = Scorer(problem)
        candidates = build_candidates(problem, score_table(scorer), scorer)
    graph = nx.Graph()
    for side, people in zip(SIDES, (problem.mentors, problem.mentees), strict=True):
        for p in people:
            graph.add_node(
                p.id, side=side, bipartite=side == "mentee", min_partners=p.min_partners, max_partners=p.max_partners
            )
    rows, cols = np.nonzero(candidates.allowed)
    graph.add_edges_from((problem.mentors[i].id, problem.mentees[j].id) for i, j in zip(rows, cols, strict=True))
    return graph
