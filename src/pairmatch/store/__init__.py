"""The programme store: a running programme's people, cohorts, runs and pairing history.

A reverse-mentoring programme runs for months and then again next year.
The store keeps who took part in which cohort (with join and leave dates
and reasons), every solve (the contract's request and response, parameters,
seed, certificate and package versions), and every pairing with its events
(started, ended with the reason, feedback ratings, locked), so that

- next year's cohort is matched without repeating a pair (`HistoryOptions`),
- a cohort is re-matched with as little disruption as asked
  (`ProgrammeStore.rematch`, built on `pairmatch.rematching.rematch`),
- any recorded run can be solved again, checked and explained
  (`StoredRun.solve_again`).

Where it lives: a SQLite file by default (nothing to install or start;
``programme.db`` in the current folder, or ``$PAIRMATCH_STORE``), or any
SQLAlchemy URL such as ``postgresql://user@host/db`` (psycopg 3) for a
shared deployment. The schema is created and upgraded by Alembic migrations
shipped with the package (`ProgrammeStore.init`, `ProgrammeStore.upgrade`,
``pairmatch store init|upgrade``).

Needs the ``store`` extra (SQLAlchemy, Alembic): ``pip install
'pairmatch-mentoring[store]'``; PostgreSQL also needs ``[postgres]``.
"""

from __future__ import annotations

from .api import ConcurrentChangeError, ProgrammeStore, Proposal, Reader, Writer, package_versions
from .engine import DEFAULT_PATH, StoreError, display_url, head_revision, store_url
from .history import (
    CONTINUITY_COMPONENT,
    FEEDBACK_COMPONENT,
    FEEDBACK_NEUTRAL,
    HistoryOptions,
    PastPairing,
    feedback_value,
    with_history,
)
from .records import CohortInfo, Member, PairingEvent, PairingRecord, ReplayMismatchError, StoredRun

__all__ = [
    "CONTINUITY_COMPONENT",
    "DEFAULT_PATH",
    "FEEDBACK_COMPONENT",
    "FEEDBACK_NEUTRAL",
    "CohortInfo",
    "ConcurrentChangeError",
    "HistoryOptions",
    "Member",
    "PairingEvent",
    "PairingRecord",
    "PastPairing",
    "ProgrammeStore",
    "Proposal",
    "Reader",
    "ReplayMismatchError",
    "StoreError",
    "StoredRun",
    "Writer",
    "display_url",
    "feedback_value",
    "head_revision",
    "package_versions",
    "store_url",
    "with_history",
]
