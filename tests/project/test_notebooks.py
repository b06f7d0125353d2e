"""Notebooks are tested code: stored without outputs, executed top to bottom in a real kernel.

Each notebook runs in a fresh Jupyter kernel (nbclient + ipykernel, in the
test extra) with a temporary working directory, so files it writes stay out of
the repository.
"""

from __future__ import annotations

import ast
import json
import os
import re
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


# A format spec with a width pads a value to a column: ``{p.id:>6}``, ``{score:6.3f}``, ``{name:42}``.
WIDTH = re.compile(r"^(?:.?[<>=^])?[+\- ]?z?#?0?[1-9]")


def padded(source: str) -> list[str]:
    """The f-string fields and ``ljust``/``rjust``/``center`` calls of a cell that pad text to a
    column width: the makings of a table formatted by hand."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            spec = "".join(v.value for v in node.format_spec.values if isinstance(v, ast.Constant))
            if WIDTH.match(spec):
                found.append(f"{ast.unparse(node.value)}:{spec}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("ljust", "rjust", "center")
        ):
            found.append(ast.unparse(node))
    return found


def test_width_pattern_finds_padding():
    assert padded('print(f"{p.id:>6} {s:6.3f} {n:42} {x:<12}")') == ["p.id:>6", "s:6.3f", "n:42", "x:<12"]
    assert padded('print(f"{s:.3f} {n:,} {share:.0%} {x!r}")') == []
    assert padded("print(name.ljust(8))") == ["name.ljust(8)"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_hand_formatted_tables(path):
    """Tables in the notebooks are the objects' own displays and DataFrames, not f-strings padded to columns."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for number, cell in enumerate((c for c in notebook["cells"] if c["cell_type"] == "code"), 1):
        found = padded("".join(cell["source"]))
        assert not found, f"{path.name} cell {number} pads text to columns: {found}; display a DataFrame instead"


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
