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
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CONSENT_EVENTS", "PAIR_STATES", "ConsentOptions", "PairState"]

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
