"""The benchmark registry for tests: ``benchmarks/`` is a folder of scripts, not a package."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"


def registry() -> ModuleType:
    """``benchmarks/registry.py`` (its families import their helpers from the same folder)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("registry")
