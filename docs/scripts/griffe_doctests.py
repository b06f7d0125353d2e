"""Griffe extension for the API reference: doctest examples outside an "Examples" section render as code.

Some docstrings show a short ``>>>`` example in their description instead of a
numpydoc ``Examples`` section. Markdown would read such lines as text (and
``[...][...]`` in their output as a link), so this extension fences every
paragraph that starts with ``>>>`` outside an ``Examples`` section. Only the
rendered page changes; the docstrings, and the doctests run from them, do not.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADER = re.compile(r"^-{3,}\s*$")


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
            out += ["```pycon", *block, "```"]
            continue
        out.append(line)
        k += 1
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence stray doctest paragraphs in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
