"""The immutable outcome of a solve, in native Python types only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

__all__ = ["MatchResult", "Pair", "Unmatched"]

Status = Literal["optimal", "feasible"]


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _plain(value: Any) -> Any:
    """Mapping proxies and tuples -> dicts and lists, for JSON."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Pair:
    """One proposed match.

    ``components`` holds the raw component values in [0, 1] and
    ``contributions`` the weighted parts that add up to ``score``.
    """

    mentor_id: str
    mentee_id: str
    score: float
    components: Mapping[str, float]
    contributions: Mapping[str, float]
    pinned: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", _frozen(self.components))
        object.__setattr__(self, "contributions", _frozen(self.contributions))

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"mentor_id": self.mentor_id, "mentee_id": self.mentee_id,
                                  "score": self.score, "pinned": self.pinned}
        record.update({f"{k}_score": v for k, v in self.components.items()})
        return record


@dataclass(frozen=True)
class Unmatched:
    """Someone left without a partner, and why (``code`` is machine-readable)."""

    person_id: str
    side: Literal["mentor", "mentee"]
    code: str
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """Proposed matches with their scores, status and proof of optimality.

    Attributes
    ----------
    pairs : tuple of Pair
        In the input order of mentors, then of mentees.
    unmatched : tuple of Unmatched
        Everyone with no partner, mentors first.
    objective : float
        Sum of the pairs' scores in the original float units.
    status : {"optimal", "feasible"}
        ``optimal`` only when the solver proved it.
    objective_name : str
        Which objective was optimised (see `SolveParams`).
    solver : str
        Backend that produced the matching.
    runtime_s : float
        Wall time of scoring and solving.
    certificate : mapping
        Evidence for the status: the solver's proof, integer objective,
        scaling resolution and rounding bound, and bound/gap where relevant.
    seed : int
    """

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    objective: float
    status: Status
    objective_name: str
    solver: str
    runtime_s: float
    certificate: Mapping[str, Any]
    seed: int = 0
    # Scored arrays the solver used, kept so explanations read the same numbers.
    _context: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "certificate", _frozen(self.certificate))

    @property
    def context(self) -> Any:
        """What the solver saw (problem, score table, candidate graph, parameters),
        for explanations and reports; None for a result built by hand or from JSON."""
        return self._context

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    def partners_of(self, person_id: str) -> tuple[str, ...]:
        """Ids of everyone matched with ``person_id``."""
        return tuple(
            p.mentee_id if p.mentor_id == person_id else p.mentor_id
            for p in self.pairs
            if person_id in (p.mentor_id, p.mentee_id)
        )

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per pair (ids, score, pinned flag, each component)."""
        return [p.to_record() for p in self.pairs]

    def to_dict(self, *, include_runtime: bool = True) -> dict[str, Any]:
        out = {
            "status": self.status,
            "objective": self.objective,
            "objective_name": self.objective_name,
            "solver": self.solver,
            "seed": self.seed,
            "certificate": _plain(self.certificate),
            "pairs": [_plain(p.__dict__) for p in self.pairs],
            "unmatched": [dict(u.__dict__) for u in self.unmatched],
        }
        if include_runtime:
            out["runtime_s"] = self.runtime_s
        return out

    def to_json(self, *, indent: int | None = 2, include_runtime: bool = True) -> str:
        """The whole result as JSON (pass ``include_runtime=False`` for reproducible output)."""
        return json.dumps(self.to_dict(include_runtime=include_runtime), indent=indent, sort_keys=False)

    def summary(self) -> str:
        """A readable table of the pairs, the unmatched and the status.

        >>> from pairmatch import solve
        >>> from pairmatch.datasets import pilot_problem
        >>> print(solve(pilot_problem()).summary().splitlines()[0])
        3 pairs, objective 2.5100, status optimal (ortools.linear_sum_assignment)
        """
        head = (f"{self.n_pairs} pairs, objective {self.objective:.4f}, "
                f"status {self.status} ({self.solver})")
        rows = [("mentor", "mentee", "score", *(p for p in (self.pairs[0].components if self.pairs else {})))]
        for p in self.pairs:
            rows.append((p.mentor_id + (" *" if p.pinned else ""), p.mentee_id, f"{p.score:.3f}",
                         *(f"{v:.2f}" for v in p.components.values())))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        table = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines = [head, "", *table]
        if any(p.pinned for p in self.pairs):
            lines.append("(* pinned pair)")
        if self.unmatched:
            lines += ["", f"{len(self.unmatched)} unmatched:"]
            lines += [f"  {u.side} {u.person_id}: {u.reason}" for u in self.unmatched]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
