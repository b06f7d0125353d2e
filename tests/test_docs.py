"""Notebooks and documentation are tested code: every Python block and cell must run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_markdown_python_blocks_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    blocks = BLOCK.findall(path.read_text(encoding="utf-8"))
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{path.name}[block {number}]", "exec"), {"__name__": "__doc_example__"})


def test_there_is_a_notebook():
    assert NOTEBOOKS, "notebooks/ must hold at least one executed walkthrough"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs_and_runs(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__notebook__"}
    code_cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code_cells
    for number, cell in enumerate(code_cells, 1):
        assert not cell.get("outputs") and cell.get("execution_count") is None, "store notebooks without outputs"
        exec(compile("".join(cell["source"]), f"{path.name}[cell {number}]", "exec"), namespace)
