"""Griffe extension for the API reference: docstrings written for ``help()`` render well as Markdown.

- Some docstrings show a short ``>>>`` example in their description instead of
  a numpydoc ``Examples`` section. Markdown would read such lines as text (and
  ``[...][...]`` in their output as a link), so every paragraph that starts
  with ``>>>`` outside an ``Examples`` section is fenced as code; one that ends
  a section of named items (``Attributes``, ``Parameters``, ...) would be read
  as more items, so it opens an ``Examples`` section instead.
- reStructuredText simple tables (columns under ``=====  =====`` rules) become
  Markdown tables.

Only the rendered page changes; the docstrings, and the doctests run from them, do not.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADER = re.compile(r"^-{3,}\s*$")
_RULE = re.compile(r"^=+( +=+)+\s*$")
# numpydoc sections whose paragraphs are named items: a doctest there would become an item.
_ITEM_SECTIONS = {
    "attributes",
    "parameters",
    "other parameters",
    "returns",
    "yields",
    "receives",
    "raises",
    "warns",
    "methods",
}


def simple_tables(text: str) -> str:
    """``text`` with each reST simple table (header, rules of ``=``) as a Markdown table."""
    lines = text.splitlines()
    out: list[str] = []
    k = 0
    while k < len(lines):
        rule = lines[k]
        ends = [j for j in range(k + 2, len(lines)) if lines[j].strip() == rule.strip()][:2]
        if not _RULE.match(rule) or len(ends) < 2 or ends[0] != k + 2:
            out.append(lines[k])
            k += 1
            continue
        starts = [m.start() for m in re.finditer(r"=+", rule)]
        spans = list(zip(starts, [*starts[1:], None], strict=True))
        out.append(_row(lines[k + 1], spans))
        out.append("|" + "---|" * len(spans))
        out += [_row(line, spans) for line in lines[k + 3 : ends[1]] if line.strip()]
        k = ends[1] + 1
    return "\n".join(out)


def _row(line: str, spans: list[tuple[int, int | None]]) -> str:
    return "| " + " | ".join(line[a:b].strip().replace("|", "\\|") for a, b in spans) + " |"


def fence_doctests(text: str) -> str:
    """``text`` with each ``>>>`` paragraph outside an Examples section in a ``pycon`` fence."""
    lines = text.splitlines()
    out: list[str] = []
    section = ""
    in_fence = False
    k = 0
    while k < len(lines):
        line = lines[k]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and k + 1 < len(lines) and line.strip() and _HEADER.match(lines[k + 1]):
            section = line.strip().lower()
        if not in_fence and section != "examples" and line.lstrip().startswith(">>>"):
            block = []
            while k < len(lines) and lines[k].strip():
                block.append(lines[k])
                k += 1
            if section in _ITEM_SECTIONS:
                out += ["Examples", "--------", *(b.strip() for b in block)]
                section = "examples"
            else:
                out += ["```pycon", *block, "```"]
            continue
        out.append(line)
        k += 1
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence stray doctest paragraphs and convert simple tables in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        if ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
        if "==" in obj.docstring.value:
            obj.docstring.value = simple_tables(obj.docstring.value)
