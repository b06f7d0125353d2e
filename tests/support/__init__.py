"""Helpers shared by several test folders (fixtures live in the ``conftest.py`` files)."""
