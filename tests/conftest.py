"""Shared test configuration: importable helpers, hypothesis profiles and the store fixtures.

Tests mirror the package's layers (``vocabularies/``, ``inputs/``, ``scoring/``,
``solver/``, ``results/``, ``files/``, ``store/``, ``service/``, ``project/``);
what several folders need lives here or in ``support/``.

Hypothesis runs the ``dev`` profile locally (quick) and the ``ci`` profile when
``CI`` is set (more examples, derandomised so a run is reproducible);
``HYPOTHESIS_PROFILE`` picks one explicitly. A test that sets ``max_examples``
itself keeps its own number.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # ``strategies`` and ``support`` import the same way from every folder
    sys.path.insert(0, _HERE)

from support.postgres import fresh_postgres_database  # noqa: E402

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path):
    """A location for a new, empty store: a SQLite file path or a fresh PostgreSQL database URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "programme.db")
        return
    yield from fresh_postgres_database()


@pytest.fixture
def postgres_location():
    """The URL of a fresh PostgreSQL database."""
    yield from fresh_postgres_database()
