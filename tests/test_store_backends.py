"""The two store backends the store tests run on: a SQLite file and a real PostgreSQL server.

PostgreSQL comes from ``PAIRMATCH_TEST_POSTGRES_URL`` (``.ci/postgres.sh``
starts a server on loopback and prints it). Without it the PostgreSQL tests
skip on a developer's machine, and fail when ``CI`` is set: CI must run them.
Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid

import pytest

pytest.importorskip("sqlalchemy")

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

BACKENDS = ["sqlite", "postgresql"]
ENV = "PAIRMATCH_TEST_POSTGRES_URL"


def postgres_admin_url() -> str:
    """The server's URL, or skip (fail under CI) when there is none."""
    url = os.environ.get(ENV)
    if not url:
        message = (
            f"{ENV} is not set: start a server with 'bash .ci/postgres.sh' and export its URL "
            f"({ENV}=$(bash .ci/postgres.sh))"
        )
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the PostgreSQL tests")
        pytest.skip(message)
    return url


@pytest.fixture(params=BACKENDS)
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


def fresh_postgres_database():
    admin = make_url(postgres_admin_url())
    name = f"pm_{uuid.uuid4().hex[:16]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def test_postgres_url_is_required_under_ci(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the PostgreSQL tests"):
        postgres_admin_url()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        postgres_admin_url()


def test_store_location_is_fresh(store_location):
    from pairmatch.store import ProgrammeStore, StoreError

    with pytest.raises(StoreError, match="store init"):
        ProgrammeStore.open(store_location)
