"""Outputs follow the recipe in docs/architecture.md: rendered as bytes, written by pairmatch.io.writers only."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pairmatch"
WRITERS = PACKAGE / "io" / "writers.py"
# Files that are not outputs of a command, with the reason they write themselves.
NOT_OUTPUTS = {
    PACKAGE / "service" / "local.py": "the log file of a service started for a notebook or a test",
}


def writes_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            if name in ("writer", "DictWriter") and owner == "csv":
                found.append(f"{path.name}:{node.lineno} csv.{name}")
            elif name in ("write_text", "write_bytes"):
                found.append(f"{path.name}:{node.lineno} {name}")
            elif name == "open" and owner in ("", "io", "builtins") and _mode(node) in ("w", "a", "x"):
                found.append(f"{path.name}:{node.lineno} open for writing")
    return found


def _mode(call: ast.Call) -> str:
    args = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "mode")]
    for arg in args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value[:1]
    return ""


def test_only_the_writers_module_writes_files_or_csv():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == WRITERS or path in NOT_OUTPUTS:
            continue
        offenders += writes_in(path)
    assert offenders == [], "render bytes and write them with pairmatch.io.write_atomically (docs/architecture.md)"


def test_the_check_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import csv\nw = csv.writer(f)\np.write_text('x')\nopen('a', 'w')\nopen('b')\nopen('c', mode='x')\n",
        encoding="utf-8",
    )
    assert [f.split(" ", 1)[1] for f in writes_in(sample)] == [
        "csv.writer",
        "write_text",
        "open for writing",
        "open for writing",
    ]
    assert "csv.writer" in " ".join(writes_in(WRITERS))
