"""The proof that travels with every result, as typed, frozen models.

A certificate is one flat record: fields every certificate has (`Certificate`),
the fields of its objective (`ObjectiveFields` subclasses, named by each row of
`pairmatch.objectives.OBJECTIVES`) and the fields of the path that produced it
(`FAMILIES`: ``dense`` with the assignment or flow backend, ``cpsat`` (dense
with CP-SAT), ``sparse``, ``profiles``, ``stable``). `certificate_model` joins the three into one pydantic model per
objective and family; a certificate missing a field its model requires cannot
be built, so every certificate carries the fields `docs/certificates.md` lists.

Certificates are also read-only mappings (``cert["integer_objective"]``,
``cert.get("gap")``, ``dict(cert)``) over the fields that were set, so readers
of the plain-dictionary form keep working. Nothing here imports the rest of
the package: the solver builds certificates, and every layer above reads them.

Examples
--------
>>> model = certificate_model(MaxminFields, "dense")
>>> model.__name__
'MaxminDenseCertificate'
>>> cert = model.model_validate(
...     {
...         "proof": "bisection",
...         "method": "dense",
...         "backend": "flow",
...         "integer_objective": 7,
...         "resolution": 10,
...         "score_upper_bound": 1.0,
...         "scale": 10.0,
...         "max_pairs": 1,
...         "rounding_bound": 0.1,
...         "pinned_pairs": 0,
...         "pairs_total": 1,
...         "pairs_scored_exactly": 1,
...         "candidate_pairs": 1,
...         "certified_over_all_pairs": True,
...         "pairs": 1,
...         "bottleneck_integer": 7,
...         "next_level_fails": None,
...     }
... )
>>> cert["bottleneck_integer"], cert.get("switched_from"), cert.pairs
(7, None, 1)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "FAMILIES",
    "Certificate",
    "CpsatFields",
    "DenseFields",
    "Family",
    "MaxminFields",
    "ObjectiveFields",
    "ParticipationFields",
    "ProfileFields",
    "Record",
    "RoundRecord",
    "ScoreFields",
    "SparseFields",
    "StableFields",
    "certificate_model",
]

Family = Literal["dense", "cpsat", "sparse", "profiles", "stable"]


class Record(BaseModel, Mapping[str, Any]):
    """A frozen model that reads as a mapping of the fields that were set.

    Fields left at their default because they do not apply (an optional note,
    an LP reduction that did not run) are absent from the mapping, exactly as
    they were absent from the plain dictionaries certificates used to be.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __getitem__(self, key: str) -> Any:
        if key not in self.model_fields_set:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # a mapping iterates over its keys
        return (name for name in type(self).model_fields if name in self.model_fields_set)

    def __len__(self) -> int:
        return len(self.model_fields_set)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (nested records too), the fields that were set only."""
        return self.model_dump(mode="json", exclude_unset=True)


class RoundRecord(Record):
    """One solve-and-certify round of the sparse method."""

    arcs: int
    violating_pairs: int
    max_violation: float
    pairs_scored_exactly: int


class Certificate(Record):
    """Fields every certificate carries (see the tables in ``docs/certificates.md``)."""

    proof: str
    method: Literal["dense", "sparse", "profiles", "stable"]
    backend: str
    integer_objective: int
    resolution: int
    score_upper_bound: float
    scale: float
    max_pairs: int
    rounding_bound: float
    pinned_pairs: int
    # Set when `method="auto"` chose, or one path handed over to another.
    method_requested: str | None = None
    method_reason: str | None = None
    switched_from: str | None = None
    switch_reason: str | None = None


class ObjectiveFields(Record):
    """What one objective adds to its certificates (a row of the objective table names its subclass)."""


class ScoreFields(ObjectiveFields):
    """``max_score``: the integer objective is the whole proof."""


class ParticipationFields(ObjectiveFields):
    """``max_participation``: the number of pairs comes first."""

    pairs: int


class MaxminFields(ParticipationFields):
    """``maxmin``: the weakest pair's level and the next level, at which no matching of full size exists."""

    bottleneck_integer: int | None  # None: no free pair was chosen
    next_level_fails: int | None  # None: no level above, or (feasible only) not proved


class StableFields(ObjectiveFields):
    """``stable``: deferred acceptance's work, blocking pairs and the price of stability."""

    proposer: Literal["mentor", "mentee"]
    rounds: int
    proposals: int
    blocking_pairs: int
    unique_stable_matching: bool
    max_score_integer_objective: int
    cost_of_stability: float


class DenseFields(Record):
    """Every pair scored into memory and solved by one exact backend."""

    pairs_total: int
    pairs_scored_exactly: int
    candidate_pairs: int
    certified_over_all_pairs: bool


class CpsatFields(DenseFields):
    """CP-SAT (quotas, or ``backend="cpsat"``): bound, gap, settings and the phases of a lexicographic objective."""

    integer_bound: float
    gap: float
    num_workers: int
    random_seed: int
    phase1_objective: int
    phase1_bound: float
    phase2_objective: int | None = None
    phase2_bound: float | None = None
    phase3_objective: int | None = None
    phase3_bound: float | None = None
    # Large models: arcs LP duals rule out are left out before CP-SAT runs.
    lp_dual_bound: float | None = None
    lp_objective: float | None = None
    lp_rounds: int | None = None
    arcs_total: int | None = None
    arcs_in_model: int | None = None
    # Share quotas: the LP bound split by the number of pairs.
    split_lp_bound: float | None = None
    split_intervals_solved: int | None = None


class SparseFields(Record):
    """The certified sparse method: candidate graph, pricing rounds and the all-pairs check."""

    end: Literal["certified", "round_budget"]
    certified_over_all_pairs: bool
    candidates_per_person: int
    candidate_arcs: int
    arcs_added: int
    rounds: int
    pairs_total: int
    pairs_cleared_by_bound: int
    pairs_scored_exactly: int
    max_violation: float
    final_max_violation: float
    round_history: tuple[RoundRecord, ...]
    candidate_pairs: int | None


class ProfileFields(Record):
    """The profile method: groups of identical people and the transportation problem between them."""

    end: Literal["certified"]
    certified_over_all_pairs: bool
    mentor_profiles: int
    mentee_profiles: int
    profile_pairs: int
    pairs_total: int
    pairs_cleared_by_bound: int
    pairs_scored_exactly: int


class StableRunFields(Record):
    """Deferred acceptance adds its fields through `StableFields`; the path itself adds none."""


FAMILIES: Mapping[Family, type[Record]] = {
    "dense": DenseFields,
    "cpsat": CpsatFields,
    "sparse": SparseFields,
    "profiles": ProfileFields,
    "stable": StableRunFields,
}


@cache
def certificate_model(objective: type[ObjectiveFields], family: Family) -> type[Certificate]:
    """The certificate model of ``objective``'s fields solved by ``family``: one flat, frozen model."""
    stem = objective.__name__.removesuffix("Fields")
    name = f"{stem}{'' if stem.lower() == family else family.capitalize()}Certificate"
    model: type[Certificate] = type(name, (objective, FAMILIES[family], Certificate), {"__module__": __name__})
    return model
