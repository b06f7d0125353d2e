"""Files shipped with the package: sample programmes and the coordinator guide."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["guide_text", "sample_path"]


def _data() -> Path:
    return Path(str(resources.files("pairmatch.datasets")))


def sample_path(programme: str, name: str = "") -> Path:
    """Path of a shipped sample file: ``programme`` is ``"pilot"`` or ``"synthetic-200"``.

    >>> sample_path("pilot", "mentors.csv").name
    'mentors.csv'
    """
    base = _data() / "samples" / programme
    if not base.is_dir():
        raise FileNotFoundError(f"no sample programme {programme!r}")
    return base / name if name else base


def guide_text() -> str:
    """The coordinator guide (column layout, settings, commands), as shipped with the package.

    >>> guide_text().splitlines()[0]
    '# Coordinator guide: spreadsheets in, explained matches out'
    """
    return (_data() / "guide" / "coordinator-guide.md").read_text(encoding="utf-8")
