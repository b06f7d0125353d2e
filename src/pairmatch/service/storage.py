"""Where the service keeps its jobs: a SQL database given by URL or SQLite file path."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from .jobs import SqlJobs, metadata

__all__ = ["DEFAULT_PATH", "open_jobs", "store_url"]

DEFAULT_PATH = "programme.db"
_WRITE = "pairmatch_write"


def store_url(location: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL of ``location`` (a URL, a file path, or None: ``$PAIRMATCH_STORE`` or ``programme.db``)."""
    raw = os.fspath(location or os.environ.get("PAIRMATCH_STORE") or DEFAULT_PATH)
    if "://" in raw:
        return raw
    return "sqlite:///" + str(Path(raw).expanduser().resolve())


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 60000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def connect(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


@contextlib.contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextlib.contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


def open_jobs(location: str | os.PathLike[str] | None = None) -> SqlJobs:
    """The jobs kept at ``location``, creating the table when missing."""
    engine = connect(store_url(location))
    metadata.create_all(engine)
    return SqlJobs(engine, write_transaction, read_transaction)
