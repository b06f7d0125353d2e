"""Alembic migrations of the programme store, run programmatically (see `pairmatch.store.engine`)."""
