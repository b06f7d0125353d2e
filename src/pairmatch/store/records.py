"""What the programme store hands back: plain frozen records, never live database rows."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .. import display
from ..consent import ConsentOptions, PairState
from ..contract import MatchRequest, MatchResponse
from ..diffs import Snapshot
from ..exceptions import require
from ..matching import solve
from ..models import Problem
from ..rematching import CONTINUITY
from ..result import MatchResult, rounded
from .engine import StoreError

__all__ = [
    "CohortInfo",
    "History",
    "Member",
    "PairingEvent",
    "PairingRecord",
    "ReplayMismatchError",
    "Runs",
    "StoredRun",
]


class ReplayMismatchError(StoreError):
    """Solving a stored request again did not give the stored pairs (e.g. another pairmatch version)."""


@dataclass(frozen=True)
class CohortInfo:
    """A cohort and its counts; ``revision`` changes with every change to its members or pairings.

    ``active_pairs`` counts every current pair, ``proposals`` those of them
    still waiting for an answer (`pairmatch.consent`).
    """

    name: str
    description: str
    created_at: dt.datetime
    revision: int
    members: int
    active_pairs: int
    runs: int
    consent: ConsentOptions = field(default_factory=ConsentOptions)
    proposals: int = 0


@dataclass(frozen=True)
class Member:
    """Someone's membership of a cohort."""

    person_id: str
    side: str
    name: str | None
    joined_at: dt.datetime
    join_reason: str
    left_at: dt.datetime | None
    leave_reason: str | None

    @property
    def active(self) -> bool:
        """True while the person is still in the cohort (they have not left)."""
        return self.left_at is None


@dataclass(frozen=True)
class PairingEvent:
    """Something that happened to a pairing; ``person``: who answered (None: both, or nobody in particular)."""

    kind: str
    at: dt.datetime
    reason: str | None = None
    rating: int | None = None
    run_id: int | None = None
    person: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values (``at`` in ISO 8601)."""
        return {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "rating": self.rating,
            "run_id": self.run_id,
            "person": self.person,
        }


@dataclass(frozen=True)
class PairingRecord:
    """A pair of a cohort, its dates and its events (``ended_at`` None: current).

    ``started_at`` is when the run made it; with consent (`pairmatch.consent`)
    it is proposed until ``accepted_at``, when the second person accepted.
    """

    id: int
    cohort: str
    mentor_id: str
    mentee_id: str
    run_id: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str | None
    ended_run_id: int | None
    locked: bool
    events: tuple[PairingEvent, ...] = ()
    accepted_at: dt.datetime | None = None
    mentor_accepted_at: dt.datetime | None = None
    mentee_accepted_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        """Current: proposed or accepted, not ended."""
        return self.ended_at is None

    @property
    def proposed(self) -> bool:
        """Current and waiting for an answer from one or both people."""
        return self.ended_at is None and self.accepted_at is None

    @property
    def state(self) -> PairState:
        """``proposed``, ``active``, or how it ended: ``declined``, ``expired`` or ``ended``."""
        if self.ended_at is None:
            return "proposed" if self.accepted_at is None else "active"
        ends = [e.kind for e in self.events if e.kind in ("declined", "expired", "ended")]
        return "declined" if ends[-1:] == ["declined"] else "expired" if ends[-1:] == ["expired"] else "ended"

    def overdue(self, now: dt.datetime) -> bool:
        """A proposal whose time to answer ran out before ``now`` (recorded as expired at the next change)."""
        return self.proposed and self.expires_at is not None and self.expires_at <= now

    @property
    def ratings(self) -> tuple[int, ...]:
        """Feedback ratings recorded for this pairing, oldest first."""
        return tuple(e.rating for e in self.events if e.kind == "feedback" and e.rating is not None)

    def to_dict(self) -> dict[str, Any]:
        """The pairing and its events as JSON-ready values (times in ISO 8601, None when unset)."""
        return {
            "id": self.id,
            "cohort": self.cohort,
            "mentor_id": self.mentor_id,
            "mentee_id": self.mentee_id,
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "end_reason": self.end_reason,
            "ended_run_id": self.ended_run_id,
            "locked": self.locked,
            "state": self.state,
            "accepted_at": _iso(self.accepted_at),
            "mentor_accepted_at": _iso(self.mentor_accepted_at),
            "mentee_accepted_at": _iso(self.mentee_accepted_at),
            "expires_at": _iso(self.expires_at),
            "events": [e.to_dict() for e in self.events],
        }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class StoredRun:
    """A recorded solve: the request that was solved, its response and provenance.

    ``request_json`` is exactly what was solved (history rules, pins and the
    re-match continuity included); ``base_request_json`` is the programme as
    the coordinator described it, which the next re-match starts from.
    """

    id: int
    cohort: str
    kind: str
    parent_id: int | None
    created_at: dt.datetime
    status: str
    objective: float
    seed: int
    settings: dict[str, Any]
    certificate: dict[str, Any]
    versions: dict[str, Any]
    move_penalty: float | None
    changes: dict[str, Any] | None
    note: str
    request_json: str = field(repr=False)
    base_request_json: str = field(repr=False)
    response_json: str = field(repr=False)

    @cached_property
    def request(self) -> MatchRequest:
        """The contract request that was solved."""
        return MatchRequest.model_validate_json(self.request_json)

    @cached_property
    def base_request(self) -> MatchRequest:
        return MatchRequest.model_validate_json(self.base_request_json)

    @cached_property
    def response(self) -> MatchResponse:
        """The contract response that was recorded."""
        return MatchResponse.model_validate_json(self.response_json)

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The run's pairs as ``(mentor_id, mentee_id)``."""
        return tuple((p.mentor_id, p.mentee_id) for p in self.response.pairs)

    def problem(self) -> Problem:
        """The problem that was solved."""
        return self.request.to_problem(recorded=True)

    def base_problem(self) -> Problem:
        """The programme the coordinator described (without history rules or re-match pins)."""
        return self.base_request.to_problem(recorded=True)

    @property
    def score(self) -> float:
        """Total score of the pairs without a re-match's continuity bonus (the objective otherwise)."""
        return math.fsum(p.score - p.contributions.get(CONTINUITY, 0.0) for p in self.response.pairs)

    @property
    def continuity_bonus(self) -> float:
        """The re-match continuity bonus in the objective (0 for a match, or a re-match without one)."""
        return math.fsum(p.contributions.get(CONTINUITY, 0.0) for p in self.response.pairs)

    def snapshot(self) -> Snapshot:
        """The run as a `Snapshot` for `pairmatch.diffs.diff` (no solving; scores without continuity bonus)."""
        pairs = tuple(
            (p.mentor_id, p.mentee_id, p.score - p.contributions.get(CONTINUITY, 0.0)) for p in self.response.pairs
        )
        return Snapshot(f"run {self.id}", self.problem(), pairs, math.fsum(s for _, _, s in pairs))

    def solve_again(self) -> MatchResult:
        """Solve the stored request again and check it gives the stored pairs and objective.

        The returned result carries its context, so `explain_pair`,
        `why_not` and `alternatives` work on it.

        Raises
        ------
        ReplayMismatchError
            When the pairs or the objective differ from the stored ones.
        """
        request = self.request
        result = solve(request.to_problem(recorded=True), request.params)
        got = {(p.mentor_id, p.mentee_id) for p in result.pairs}
        stored = set(self.pairs)
        if got != stored:
            extra, missing = sorted(got - stored), sorted(stored - got)
            raise ReplayMismatchError(
                f"solving run {self.id} again gave other pairs ({len(extra)} new, e.g. {extra[:3]}; "
                f"{len(missing)} missing, e.g. {missing[:3]}); it was made with {self.versions.get('pairmatch')}"
            )
        if rounded(result.objective) != rounded(self.objective):
            raise ReplayMismatchError(
                f"solving run {self.id} again gave objective {result.objective:.6f}, stored {self.objective:.6f}"
            )
        return result


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")


class History(display.DisplayList):
    """Pairings (a list of `PairingRecord`) that show themselves as a table in a notebook;
    `to_frame` gives `columns` (times as timezone-aware timestamps, ratings ``"; "``-separated)."""

    title = "Pairings"
    what = "pairing"
    columns = (
        "id",
        "cohort",
        "mentor_id",
        "mentor_name",
        "mentee_id",
        "mentee_name",
        "state",
        "run_id",
        "started_at",
        "accepted_at",
        "ended_at",
        "end_reason",
        "locked",
        "ratings",
    )

    def __init__(self, items: Any = (), names: dict[str, str] | None = None) -> None:
        super().__init__(items)
        self.names = dict(names or {})

    def _cells(self, p: PairingRecord, when: Any, flag: Any) -> tuple[Any, ...]:
        name = self.names.get
        return (
            p.id,
            p.cohort,
            p.mentor_id,
            name(p.mentor_id, ""),
            p.mentee_id,
            name(p.mentee_id, ""),
            p.state,
            p.run_id,
            when(p.started_at),
            when(p.accepted_at),
            when(p.ended_at),
            p.end_reason or "",
            flag(p.locked),
            "; ".join(map(str, p.ratings)),
        )

    def row(self, item: PairingRecord) -> tuple[Any, ...]:
        """One value per entry of `columns`: times as text, ratings ``"; "``-separated."""
        return self._cells(item, _when, lambda locked: "yes" if locked else "")

    def to_frame(self) -> Any:
        """The pairings as a pandas DataFrame (needs the ``io`` extra)."""
        pandas = require("pandas", "io", "History.to_frame()")
        return display.frame(pandas, self.columns, (self._cells(p, lambda t: t, bool) for p in self))


class Runs(display.DisplayList):
    """Recorded runs (a list of `StoredRun`) that show themselves as a table; `to_frame` gives `columns`."""

    title = "Runs"
    what = "run"
    columns = ("id", "cohort", "kind", "parent_id", "created_at", "status", "objective", "seed", "move_penalty", "note")

    def _cells(self, r: StoredRun, when: Any) -> tuple[Any, ...]:
        return (
            r.id,
            r.cohort,
            r.kind,
            r.parent_id,
            when(r.created_at),
            r.status,
            r.objective,
            r.seed,
            r.move_penalty,
            r.note,
        )

    def row(self, item: StoredRun) -> tuple[Any, ...]:
        """One value per entry of `columns`, the time as text."""
        return self._cells(item, _when)

    def to_frame(self) -> Any:
        """The runs as a pandas DataFrame (needs the ``io`` extra)."""
        pandas = require("pandas", "io", "Runs.to_frame()")
        return display.frame(pandas, self.columns, (self._cells(r, lambda t: t) for r in self))
