"""Notebooks are tested code: stored without outputs, executed top to bottom in a real kernel.

Each notebook runs in a fresh Jupyter kernel (nbclient + ipykernel, in the
test extra) with a temporary working directory, so files it writes stay out of
the repository.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TIMEOUT_S = 600  # per cell; each notebook is meant to finish within about a minute


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ must hold the worked examples"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code
    for number, cell in enumerate(code, 1):
        assert not cell.get("outputs"), f"{path.name} cell {number}: store notebooks without outputs"
        assert cell.get("execution_count") is None, f"{path.name} cell {number}: store notebooks without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # the current Jupyter paths, without a deprecation notice
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(cwd=str(tmp_path), env={**os.environ})
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
