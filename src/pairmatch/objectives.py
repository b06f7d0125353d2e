"""The tables the solver is chosen from: objectives, backends and methods.

One frozen row per objective says which backends can run it, whether the
certified sparse and profile paths handle it, the phases CP-SAT solves it in,
the exact routine that solves it without side constraints, and the fields its
certificate adds. `SolveParams`' choices, the command line's ``--objective``
choices, the JSON contract's enum and the solver's dispatch
(`pairmatch.solver.engine`) are all read from these tables, so an objective
is added in one place (see "Recipe: add an objective" in ``docs/architecture.md``).

Examples
--------
>>> [spec.name for spec in OBJECTIVES.values()]
['max_score', 'max_participation', 'maxmin', 'stable']
>>> OBJECTIVES["maxmin"].cpsat_phases, OBJECTIVES["maxmin"].sparse
(('pairs', 'min', 'gain'), False)
>>> BACKENDS["cpsat"].quotas, METHODS["profiles"].name
(True, 'profiles')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .certificates import (
    Family,
    MaxminFields,
    ObjectiveFields,
    ParticipationFields,
    ScoreFields,
    StableFields,
)

__all__ = [
    "BACKENDS",
    "METHODS",
    "OBJECTIVES",
    "Algorithm",
    "BackendSpec",
    "MethodSpec",
    "ObjectiveSpec",
    "Phase",
]

# What one CP-SAT phase maximises: the number of pairs, the weakest pair's gain, or the total gain.
Phase = Literal["pairs", "min", "gain"]
# The exact routine without side constraints: maximum-weight matching (assignment or
# min-cost flow), most pairs then most weight, max-min then most weight, deferred acceptance.
Algorithm = Literal["max_weight", "participation", "maxmin", "deferred_acceptance"]


@dataclass(frozen=True)
class BackendSpec:
    """A solver backend ``SolveParams.backend`` can name.

    Attributes
    ----------
    name : str
    summary : str
        One line for help texts.
    quotas : bool
        Whether it can express quotas (side constraints).
    flow_paths : bool
        Whether the sparse and profile methods (both min-cost flow) may run in its place.
    """

    name: str
    summary: str
    quotas: bool
    flow_paths: bool


@dataclass(frozen=True)
class MethodSpec:
    """How much of the pair space the solver sees (``SolveParams.method``)."""

    name: str
    summary: str


@dataclass(frozen=True)
class ObjectiveSpec:
    """Everything the solver needs to know about one objective.

    Attributes
    ----------
    name : str
        The value of ``SolveParams.objective``.
    summary : str
        What is best under it, in one line (help texts, docs).
    algorithm : Algorithm
        The exact routine without side constraints (see `Algorithm`).
    backends : tuple of str
        Backends that can run it (``auto`` always can; any other is refused).
    cpsat_phases : tuple of Phase
        The CP-SAT phases, each fixing the previous optimum (empty: CP-SAT cannot run it).
    sparse, profiles : bool
        Whether the certified sparse and the profile methods handle it.
    pairs_first : bool
        The number of pairs comes before the score (sparse and profile paths lift each pair's gain).
    side_constraints : bool
        Whether quotas, minimum partners and ``match_all_*`` can hold under it.
    certificate : type of ObjectiveFields
        The fields its certificates add (`pairmatch.certificates`).
    """

    name: str
    summary: str
    algorithm: Algorithm
    backends: tuple[str, ...]
    cpsat_phases: tuple[Phase, ...]
    sparse: bool
    profiles: bool
    pairs_first: bool
    side_constraints: bool
    certificate: type[ObjectiveFields]

    @property
    def families(self) -> tuple[Family, ...]:
        """The paths that can solve it, each with its certificate model (`pairmatch.certificates.FAMILIES`)."""
        if self.algorithm == "deferred_acceptance":
            return ("stable",)
        optional: tuple[tuple[bool, Family], ...] = (
            (bool(self.cpsat_phases), "cpsat"),
            (self.sparse, "sparse"),
            (self.profiles, "profiles"),
        )
        return ("dense", *(family for usable, family in optional if usable))


BACKENDS: Mapping[str, BackendSpec] = {
    spec.name: spec
    for spec in (
        BackendSpec(
            "auto", "linear sum assignment one-to-one, min-cost flow with capacities, CP-SAT with quotas", True, True
        ),
        BackendSpec("assignment", "OR-Tools linear sum assignment (one-to-one, no minimums)", False, False),
        BackendSpec("flow", "OR-Tools min-cost flow (capacities and minimums)", False, True),
        BackendSpec("cpsat", "OR-Tools CP-SAT (quotas and shares)", True, False),
    )
}

METHODS: Mapping[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec("auto", "chosen by size and by how many profiles repeat"),
        MethodSpec("dense", "every pair scored into memory"),
        MethodSpec("sparse", "a candidate graph, certified over all pairs"),
        MethodSpec("profiles", "groups of identical people, a transportation problem between them"),
    )
}

OBJECTIVES: Mapping[str, ObjectiveSpec] = {
    spec.name: spec
    for spec in (
        ObjectiveSpec(
            name="max_score",
            summary="the largest total score",
            algorithm="max_weight",
            backends=("assignment", "flow", "cpsat"),
            cpsat_phases=("gain",),
            sparse=True,
            profiles=True,
            pairs_first=False,
            side_constraints=True,
            certificate=ScoreFields,
        ),
        ObjectiveSpec(
            name="max_participation",
            summary="as many pairs as possible, then the largest total score",
            algorithm="participation",
            backends=("flow", "cpsat"),
            cpsat_phases=("pairs", "gain"),
            sparse=True,
            profiles=True,
            pairs_first=True,
            side_constraints=True,
            certificate=ParticipationFields,
        ),
        ObjectiveSpec(
            name="maxmin",
            summary="among the largest matchings, the weakest pair as strong as possible, then the largest total",
            algorithm="maxmin",
            backends=("flow", "cpsat"),
            cpsat_phases=("pairs", "min", "gain"),
            sparse=False,
            profiles=False,
            pairs_first=True,
            side_constraints=True,
            certificate=MaxminFields,
        ),
        ObjectiveSpec(
            name="stable",
            summary="no mentor and mentee would both rather be paired with each other (deferred acceptance)",
            algorithm="deferred_acceptance",
            # The backend solves the max_score optimum that the cost of stability is measured against.
            backends=("assignment", "flow", "cpsat"),
            cpsat_phases=(),
            sparse=False,
            profiles=False,
            pairs_first=False,
            side_constraints=False,
            certificate=StableFields,
        ),
    )
}
