"""Alembic environment: migrations run on the connection (and inside the transaction) the store hands over."""

from __future__ import annotations

from alembic import context

from pairmatch.store.schema import Base


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    # Batch mode lets SQLite alter tables by copying them; other backends alter in place.
    context.configure(
        connection=connection, target_metadata=Base.metadata, render_as_batch=True, transactional_ddl=True
    )
    with context.begin_transaction():
        context.run_migrations()


try:
    context.config  # noqa: B018 - present only while Alembic runs this file
except AttributeError:  # imported on its own (e.g. while collecting doctests): nothing to run
    pass
else:
    run_migrations()
