"""The ``pairmatch`` console command: answers Ctrl-C while pairmatch is still loading.

Importing pairmatch loads OR-Tools, NumPy and pydantic, about a second; Ctrl-C
then would print a traceback and, with ``--format json``, no JSON document.
This module lives outside the package because importing anything inside it
runs that import first; it imports nothing heavy itself.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable, Sequence

__all__ = ["main"]

EXIT_INTERRUPTED = 130  # as pairmatch.cli exits on Ctrl-C
MESSAGE = "interrupted; nothing was written"


def _load() -> Callable[[Sequence[str]], int]:
    from pairmatch.cli import main as run

    return run


def _wants_json(argv: Sequence[str]) -> bool:
    # pairmatch.cli.common.wants_json, which cannot be imported yet.
    return "--format=json" in argv or any(a == "--format" and b == "json" for a, b in itertools.pairwise(argv))


def main() -> int:
    """Load the command line and run it; exit 130 with one message if interrupted while loading."""
    argv = sys.argv[1:]
    try:
        run = _load()
    except KeyboardInterrupt:
        try:
            if _wants_json(argv):
                # The document pairmatch.cli prints for an interrupted run.
                document = {"error": "interrupted", "message": MESSAGE, "outputs": [], "exit_code": EXIT_INTERRUPTED}
                print(json.dumps(document, indent=2, ensure_ascii=False))
            print(f"pairmatch: {MESSAGE}", file=sys.stderr)
        except BrokenPipeError:
            pass
        return EXIT_INTERRUPTED
    return run(argv)
