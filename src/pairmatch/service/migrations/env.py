"""Alembic environment of the service's tables: run on the connection (and in the transaction) handed over."""

from __future__ import annotations

from alembic import context

from pairmatch.service.jobs import VERSION_TABLE, metadata


def run_migrations() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,
        transactional_ddl=True,
        # The programme store's own tables are not ours to compare or change.
        include_name=lambda name, kind, parent: kind != "table" or name in metadata.tables,
    )
    with context.begin_transaction():
        context.run_migrations()


try:
    context.config  # noqa: B018 - present only while Alembic runs this file
except AttributeError:  # imported on its own (e.g. while collecting doctests): nothing to run
    pass
else:
    run_migrations()
