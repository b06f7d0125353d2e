"""Where the service keeps its jobs: a ``jobs`` table in the programme store.

The store is a SQLite file (default ``programme.db`` or ``$PAIRMATCH_STORE``)
or a database URL (PostgreSQL for a shared deployment), opened with the
store's own engine settings: writers take turns, reads see one snapshot. A
location with no store yet becomes a new programme store; a store at an
older schema revision must be upgraded first (``pairmatch store upgrade``),
as for every other use of it. The service's own table is then brought to
its newest revision by its own migrations.
"""

from __future__ import annotations

import os
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from ..store import StoreError, display_url, head_revision, store_url
from ..store.engine import connect, migrate, read_transaction, store_revision, write_transaction
from .jobs import VERSION_TABLE, SqlJobs

__all__ = ["jobs_head_revision", "jobs_revision", "migrate_jobs", "open_jobs"]


def _config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("pairmatch.service") / "migrations"))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def jobs_head_revision() -> str:
    """The newest revision of the service's tables."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def jobs_revision(conn: Connection) -> str | None:
    """The revision of the service's tables in the database on ``conn`` (None: not created yet)."""
    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def migrate_jobs(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the service's tables to ``revision`` in one transaction; returns ``(before, after)``."""
    with write_transaction(engine) as conn:
        before = jobs_revision(conn)
        command.upgrade(_config(conn), revision)
        after = jobs_revision(conn)
    return before, after


def open_jobs(location: str | os.PathLike[str] | None = None) -> SqlJobs:
    """The jobs kept in the programme store at ``location`` (see the module docstring).

    Raises `StoreError` when the location cannot be opened or holds a store
    at an older revision.
    """
    url = store_url(location)
    try:
        found = store_revision(url)  # a foreign, damaged or newer database is refused unchanged
    except StoreError:
        raise
    except OperationalError as err:
        raise StoreError(f"cannot open the store at {display_url(url)}: {err.orig}") from err
    if found is not None and found != head_revision():
        raise StoreError(
            f"the store at {display_url(url)} has schema revision {found}, this pairmatch needs "
            f"{head_revision()}; upgrade it with: pairmatch store upgrade --store {display_url(url)}"
        )
    engine = connect(url)
    try:
        if found is None:
            migrate(engine)
        migrate_jobs(engine)
    except OperationalError as err:
        engine.dispose()
        raise StoreError(f"cannot open the store at {display_url(url)}: {err.orig}") from err
    except StoreError:
        engine.dispose()
        raise
    return SqlJobs(engine, write_transaction, read_transaction)
