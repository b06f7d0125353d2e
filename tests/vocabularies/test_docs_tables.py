"""The docs' tables of accepted names are the data's: regenerated, they are what is committed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_name_tables_are_the_generated_ones():
    spec = importlib.util.spec_from_file_location(
        "write_vocabulary_tables", DOCS / "scripts" / "write_vocabulary_tables.py"
    )
    assert spec is not None
    assert spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for page, text in script.pages().items():
        assert (DOCS / page).read_text(encoding="utf-8") == text, (
            f"docs/{page} is out of date: run python docs/scripts/write_vocabulary_tables.py"
        )
