"""MkDocs hooks: parts of pages generated from the repository at build time, so they cannot drift.

A page that contains one of these markers gets it replaced when the site is built:

``<!-- generated: layers -->``
    The module stack, drawn from ``LAYERS`` in ``tests/project/test_layering.py`` (the
    list that test enforces).
``<!-- generated: benchmarks -->``
    Every committed ``benchmarks/results/*.md``, with the plot of the same name
    when there is one.

Run this file to print both, e.g. to check a change before building:

    python docs/scripts/site_hooks.py
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAYERING = ROOT / "tests" / "project" / "test_layering.py"
RESULTS = ROOT / "benchmarks" / "results"
IMAGES = "benchmark-results"  # where the plots go in the built site
LAYERS_MARKER = "<!-- generated: layers -->"
BENCHMARKS_MARKER = "<!-- generated: benchmarks -->"


# --------------------------------------------------------------------------- the module stack


def layers(path: Path = LAYERING) -> list[tuple[list[str], str]]:
    """``(units, what they are)`` per layer, bottom to top, read from ``LAYERS`` and its comments."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.parse(source).body:
        target = (
            node.target
            if isinstance(node, ast.AnnAssign)
            else (node.targets[0] if isinstance(node, ast.Assign) else None)
        )
        if isinstance(target, ast.Name) and target.id == "LAYERS" and isinstance(node.value, ast.List):
            out = []
            for element in node.value.elts:
                units = sorted(ast.literal_eval(element), key=lambda u: (u.startswith("_"), u))
                line = lines[(element.end_lineno or element.lineno) - 1]
                comment = line.split("#", 1)[1].strip() if "#" in line else ""
                out.append((units, comment))
            return out
    raise ValueError(f"{path}: no LAYERS list")


def layers_markdown(stack: list[tuple[list[str], str]] | None = None) -> str:
    """The stack as a text diagram (top layer first) and a table of what each layer holds."""
    stack = layers() if stack is None else stack
    rows = [f"{k}  {' · '.join(units)}" for k, (units, _) in enumerate(stack)][::-1]
    width = max(len(text) for text in rows) + 2
    diagram = ["each layer imports only the layers below it  ▼", "┌" + "─" * width + "┐"]
    for n, text in enumerate(rows):
        diagram.append(f"│ {text.ljust(width - 2)} │")
        diagram.append(("├" if n < len(rows) - 1 else "└") + "─" * width + ("┤" if n < len(rows) - 1 else "┘"))
    table = ["| layer | modules | what they hold |", "|---:|---|---|"]
    for k, (units, what) in enumerate(stack):
        table.append(f"| {k} | {', '.join(f'`{u}`' for u in units)} | {what} |")
    return "```text\n" + "\n".join(diagram) + "\n```\n\n" + "\n".join(table) + "\n"


# --------------------------------------------------------------------------- benchmark results


def result_files(directory: Path = RESULTS) -> list[Path]:
    """The committed result tables: ``latest.md`` first, then the others by name."""
    files = sorted(directory.glob("*.md"))
    return sorted(files, key=lambda p: (p.stem != "latest", p.name))


def benchmarks_markdown(directory: Path = RESULTS) -> str:
    """Every result table, headings moved one level down, each with its plot when it has one."""
    parts = []
    for path in result_files(directory):
        text = path.read_text(encoding="utf-8").strip()
        text = re.sub(r"^(#{1,5}) ", r"#\1 ", text, flags=re.MULTILINE)
        if not text.startswith("#"):
            text = f"## {path.stem}\n\n{text}"
        source = f"*From `benchmarks/results/{path.name}`.*"
        heading, _, rest = text.partition("\n")
        block = f"{heading}\n\n{source}\n{rest}"
        plot = path.with_suffix(".png")
        if plot.exists():
            block += f"\n\n![Plot of {path.name}]({IMAGES}/{plot.name})"
        parts.append(block)
    if not parts:
        return "No benchmark results are committed yet (`benchmarks/results/` is empty).\n"
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------- MkDocs hooks


def on_files(files: Any, config: Any) -> Any:
    """Add the benchmark plots to the site, so the generated page can show them."""
    from mkdocs.structure.files import File

    for path in result_files():
        plot = path.with_suffix(".png")
        if plot.exists():
            files.append(File.generated(config, f"{IMAGES}/{plot.name}", abs_src_path=str(plot)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if LAYERS_MARKER in markdown:
        markdown = markdown.replace(LAYERS_MARKER, layers_markdown())
    if BENCHMARKS_MARKER in markdown:
        markdown = markdown.replace(BENCHMARKS_MARKER, benchmarks_markdown())
    return markdown


if __name__ == "__main__":
    print(layers_markdown())
    print(benchmarks_markdown())
