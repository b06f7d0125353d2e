"""Scoring weights and solver parameters (frozen, validated)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .custom_scores import MAX_VALUE
from .objectives import BACKENDS, METHODS, OBJECTIVES

__all__ = ["COMPONENTS", "SolveParams", "Weights"]

COMPONENTS = ("focus", "borough", "availability")

# The choices come from the tables in `pairmatch.objectives` (so do the JSON schema's enums);
# a type checker sees plain strings, pydantic checks the values.
if TYPE_CHECKING:
    Objective = str
    Backend = str
    Method = str
else:
    Objective = Literal[tuple(OBJECTIVES)]
    Backend = Literal[tuple(BACKENDS)]
    Method = Literal[tuple(METHODS)]
OnRoundBudget = Literal["dense", "stop"]


class Weights(BaseModel):
    """Weight of each score component in the combined score.

    The combined score of a pair is ``focus * F + borough * B + availability * A``
    (plus any custom components, each with its own weight) with every built-in
    component in [0, 1]. Weights need not sum to 1; scaling all of them by
    ``c`` scales every score and the objective by ``c``. A weight of 0 leaves
    the component out (a `Problem` needs at least one positive weight).

    >>> Weights(focus=2, borough=1, availability=1).total
    4.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    focus: float = Field(0.5, ge=0, allow_inf_nan=False)
    borough: float = Field(0.3, ge=0, allow_inf_nan=False)
    availability: float = Field(0.2, ge=0, allow_inf_nan=False)

    @field_validator("focus", "borough", "availability")
    @classmethod
    def _finite_sums(cls, value: float) -> float:
        # The same cap as a custom component's weight, so totals over millions of pairs stay
        # finite (checked here, not as a schema maximum, which published contracts lack).
        if value > MAX_VALUE:
            raise ValueError(f"a weight is at most {MAX_VALUE:g}, as a custom component's is")
        return value

    @property
    def total(self) -> float:
        """The sum of the weights."""
        return math.fsum(self.as_dict().values())

    def as_dict(self) -> dict[str, float]:
        """Each built-in component's weight, by name."""
        return {name: float(getattr(self, name)) for name in COMPONENTS}


class SolveParams(BaseModel):
    """How to solve.

    Attributes
    ----------
    objective : {"max_score", "max_participation", "maxmin", "stable"}
        ``max_score`` maximises the total score; ``max_participation`` first
        matches as many people as possible, then maximises the score;
        ``maxmin`` makes the weakest pair as good as possible, then maximises
        the total; ``stable`` finds a stable matching (no mentor and mentee
        would both rather be paired with each other) for the people's own
        rankings where they have them and preferences derived from the scores
        elsewhere (``stable_preferences``), by deferred acceptance, and
        reports the score it costs against the ``max_score`` optimum.
    proposer : {"mentor", "mentee"}
        The proposing side of the ``stable`` objective (it gets its best
        stable matching).
    mentee_weights : dict of str to float, optional
        For ``stable``: mentees rank mentors by their own weighting of the
        components (by name). Without it both sides rank by the same scores,
        and then there is exactly one stable matching whichever side proposes.
    stable_preferences : {"auto", "rankings", "scores"}
        For ``stable``: what each side prefers by. ``auto`` takes the people's
        own rankings (`pairmatch.models.Person.ranking`) on a side where
        someone ranks and the scores on the other; ``rankings`` requires both
        sides' rankings; ``scores`` ignores the rankings. With rankings a
        partner not ranked is unacceptable and ties never block (weak
        stability).
    backend : {"auto", "assignment", "flow", "cpsat"}
        ``auto`` picks OR-Tools linear sum assignment for plain one-to-one
        problems, min-cost flow for capacities, CP-SAT for side constraints.
    exact : bool
        Scale scores to integers exactly whenever they allow it (integer
        scores, a few decimals, thirds; see `pairmatch.solver.scaling`), so
        ``optimal`` means optimal for the scores themselves. ``False`` always
        scales by ``resolution``.
    resolution : int
        Integer units given to the largest possible pair score when scores
        become integers for the OR-Tools solvers and no exact scaling exists
        (or ``exact`` is off); the result's ``optimality_gap`` and its
        certificate's ``rounding_bound`` bound the effect of that rounding.
    time_limit_s, num_workers, seed
        CP-SAT limits; ``seed`` is also recorded in the result.
    method : {"auto", "dense", "sparse", "profiles"}
        ``dense`` scores every pair into memory; ``sparse`` keeps the best
        ``candidates_per_person`` partners of each person, solves that graph
        and certifies the result against all pairs; ``profiles`` groups people
        whose score rows are identical and solves a transportation problem
        between the groups (needs repeated profiles and no person-specific
        rules); ``auto`` picks by size and by how many profiles repeat. The
        certificate's ``method`` always names the path that produced the answer.
    candidates_per_person : int
        Starting candidate count of the sparse method (widened as needed).
    max_rounds : int
        Most solve-and-certify rounds of the sparse method.
    on_round_budget : {"dense", "stop"}
        What the sparse method does when ``max_rounds`` pass without a
        certificate: ``dense`` switches to the dense method if the problem has
        at most ``dense_max_pairs`` pairs (recorded in the certificate), else
        stops; ``stop`` returns its best matching with status ``feasible`` and a
        certificate saying why it ended.
    dense_max_pairs : int
        Largest ``n_mentors * n_mentees`` that ``auto`` and ``on_round_budget``
        may hand to the dense method (it holds every pair in memory, about 50
        bytes each).
    cpsat_reduce_above, cpsat_start_candidates : int
        CP-SAT models with more arcs than ``cpsat_reduce_above`` are first
        reduced by LP duals, starting from each person's
        ``cpsat_start_candidates`` best arcs (the answer and its proof are
        the same either way; these only trade time).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    objective: Objective = "max_score"
    backend: Backend = "auto"
    exact: bool = True
    resolution: int = Field(1_000_000, ge=1, le=10**9)
    time_limit_s: float = Field(60.0, gt=0, allow_inf_nan=False)
    num_workers: int = Field(1, ge=1)
    seed: int = Field(0, ge=0)
    method: Method = "auto"
    candidates_per_person: int = Field(16, ge=1)
    max_rounds: int = Field(30, ge=1)
    on_round_budget: OnRoundBudget = "dense"
    dense_max_pairs: int = Field(25_000_000, ge=0)
    cpsat_reduce_above: int = Field(20_000, ge=0)
    cpsat_start_candidates: int = Field(8, ge=1)
    proposer: Literal["mentor", "mentee"] = "mentor"
    mentee_weights: dict[str, float] | None = None
    stable_preferences: Literal["auto", "rankings", "scores"] = "auto"

    @field_validator("mentee_weights")
    @classmethod
    def _non_negative(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and any(not math.isfinite(w) or w < 0 for w in value.values()):
            raise ValueError("mentee_weights must be finite and >= 0")
        return value

    @model_validator(mode="after")
    def _backend_runs_objective(self) -> Self:
        spec = OBJECTIVES[self.objective]
        if self.backend != "auto" and self.backend not in spec.backends:
            raise ValueError(
                f"backend {self.backend!r} cannot solve objective {self.objective!r}; "
                f"use one of {', '.join(('auto', *spec.backends))}"
            )
        return self
