"""Throwaway PostgreSQL databases for the store and service tests.

The server comes from ``PAIRMATCH_TEST_POSTGRES_URL`` (``.ci/postgres.sh``
starts one on loopback and prints it). Without it the PostgreSQL tests skip on
a developer's machine, and fail when ``CI`` is set: CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

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


def fresh_postgres_database() -> Iterator[str]:
    """Create a database of its own, yield its URL, drop it afterwards."""
    pytest.importorskip("sqlalchemy")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

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
