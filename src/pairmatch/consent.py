"""Consent: a new pair is *proposed* until both people accept it.

A programme may ask both people of every new pair before the pair starts
(`ConsentOptions.required`). A proposed pair is current: a re-match keeps
it like any working pair, and nobody else is offered to either person.
Then, for each proposal:

- both **accept** (in any order): the pair becomes active;
- either **declines**: the proposal ends and both people are free for the
  next re-match, which does not propose that pair again in the same cohort
  (unless `ConsentOptions.repropose_declined`); a later cohort may pair them,
  since they were never paired;
- nobody answers within `ConsentOptions.expires_after_days`: the proposal
  **expires**, with the same consequences as a decline.

The programme store keeps each step with its time; `pairmatch.rematching`
frees the people of declined and expired proposals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .exceptions import PairmatchError

__all__ = [
    "CONSENT_EVENTS",
    "PAIR_STATES",
    "Answer",
    "ConsentError",
    "ConsentEvent",
    "ConsentOptions",
    "PairState",
    "ProposalState",
    "answer",
]

PairState = Literal["proposed", "active", "declined", "expired", "ended"]
PAIR_STATES: tuple[PairState, ...] = ("proposed", "active", "declined", "expired", "ended")
"""A pairing's state: waiting for answers, active, or over (declined, expired, or ended otherwise)."""

CONSENT_EVENTS = ("proposed", "accepted", "declined", "expired")
"""The events of a proposal, besides ``started`` (both accepted) and ``ended``."""


class ConsentOptions(BaseModel):
    """Whether a cohort's new pairs wait for both people to accept, and for how long.

    Attributes
    ----------
    required : bool
        New pairs are proposed until both people accept (default: pairs start at once).
    expires_after_days : int or None
        A proposal not accepted by both within this many days expires (None: never).
    repropose_declined : bool
        A re-match may propose a declined or expired pair again in the same
        cohort (default: it does not; later cohorts always may).

    Examples
    --------
    >>> import datetime as dt
    >>> options = ConsentOptions(required=True, expires_after_days=14)
    >>> options.expires_at(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)).date()
    datetime.date(2026, 3, 15)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    required: bool = False
    expires_after_days: int | None = Field(None, ge=1, le=366)
    repropose_declined: bool = False

    def expires_at(self, proposed_at: dt.datetime) -> dt.datetime | None:
        """When a proposal made at ``proposed_at`` expires (None: never, or no consent needed)."""
        if not self.required or self.expires_after_days is None:
            return None
        return proposed_at + dt.timedelta(days=self.expires_after_days)


class ConsentError(PairmatchError, ValueError):
    """An answer the proposal cannot take: not waiting any more, expired, or from someone else."""


class ProposalState(BaseModel):
    """A proposed pair and the answers so far (times in UTC or with their offset).

    Examples
    --------
    >>> import datetime as dt
    >>> p = ProposalState(mentor_id="M1", mentee_id="O1", proposed_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    >>> p.waiting_for
    ('M1', 'O1')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mentor_id: str = Field(min_length=1)
    mentee_id: str = Field(min_length=1)
    proposed_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    mentor_accepted_at: AwareDatetime | None = None
    mentee_accepted_at: AwareDatetime | None = None

    @property
    def waiting_for(self) -> tuple[str, ...]:
        """Who has not accepted yet."""
        return tuple(
            pid
            for pid, at in ((self.mentor_id, self.mentor_accepted_at), (self.mentee_id, self.mentee_accepted_at))
            if at is None
        )


@dataclass(frozen=True)
class ConsentEvent:
    """One step of a proposal: ``accepted``, ``declined`` or ``started`` (``person`` None: both)."""

    kind: str
    at: dt.datetime
    person: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Answer:
    """A proposal after an answer: its state, each side's acceptance and the events to record."""

    state: PairState
    mentor_accepted_at: dt.datetime | None
    mentee_accepted_at: dt.datetime | None
    events: tuple[ConsentEvent, ...]


def answer(
    proposal: ProposalState, *, accept: bool, at: dt.datetime, by: str | None = None, reason: str = ""
) -> Answer:
    """The proposal after ``by`` (None: both people) accepts or declines it at ``at``.

    The pair starts (state ``active``) when both have accepted; a decline
    ends the proposal (state ``declined``). An answer after ``expires_at``,
    from someone outside the pair, or an acceptance given twice is refused.

    Raises
    ------
    ConsentError

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    >>> p = ProposalState(mentor_id="M1", mentee_id="O1", proposed_at=t)
    >>> first = answer(p, accept=True, by="O1", at=t)
    >>> first.state, [e.kind for e in first.events]
    ('proposed', ['accepted'])
    >>> p = p.model_copy(update={"mentee_accepted_at": t})
    >>> second = answer(p, accept=True, by="M1", at=t)
    >>> second.state, [(e.kind, e.person) for e in second.events]
    ('active', [('accepted', 'M1'), ('started', None)])
    >>> answer(p, accept=False, by="M1", at=t).state
    'declined'
    """
    pair = f"{proposal.mentor_id} - {proposal.mentee_id}"
    if by is not None and by not in (proposal.mentor_id, proposal.mentee_id):
        raise ConsentError(f"{by!r} is neither {proposal.mentor_id} nor {proposal.mentee_id}: only they answer {pair}")
    if not proposal.waiting_for:
        raise ConsentError(f"{pair} is not waiting for an answer: both have accepted")
    if proposal.expires_at is not None and proposal.expires_at <= at:
        raise ConsentError(
            f"the proposal of {pair} expired on {proposal.expires_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC "
            "without both answers; the next re-match records it and proposes new partners"
        )
    note = reason or None
    if not accept:
        return Answer(
            "declined",
            proposal.mentor_accepted_at,
            proposal.mentee_accepted_at,
            (ConsentEvent("declined", at, by, note),),
        )
    sides = [pid for pid in (proposal.mentor_id, proposal.mentee_id) if by is None or pid == by]
    fresh = [pid for pid in sides if pid in proposal.waiting_for]
    if not fresh:
        raise ConsentError(f"{by or 'both'} already accepted {pair}")
    mentor_at = at if proposal.mentor_id in fresh else proposal.mentor_accepted_at
    mentee_at = at if proposal.mentee_id in fresh else proposal.mentee_accepted_at
    events = [ConsentEvent("accepted", at, by, note)]
    if mentor_at is not None and mentee_at is not None:
        events.append(ConsentEvent("started", at, None, "both accepted"))
        return Answer("active", mentor_at, mentee_at, tuple(events))
    return Answer("proposed", mentor_at, mentee_at, tuple(events))
