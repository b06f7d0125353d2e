"""Alembic migrations of the service's own tables in the programme store (see `pairmatch.service.storage`).

They keep their own version table (``alembic_version_service``), so the
store's schema and the service's evolve and upgrade independently in the
same database.
"""
