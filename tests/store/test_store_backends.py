"""The two store backends the store tests run on: a SQLite file and a real PostgreSQL server.

The fixtures (``store_location``, ``postgres_location``) are in ``tests/conftest.py``;
each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import pytest

pytest.importorskip("sqlalchemy")

from support.postgres import ENV, postgres_admin_url


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
