"""The installed version of pairmatch (distribution ``pairmatch-mentoring``) and of the packages
that shape a result, recorded for audit in reports and the programme store."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__", "package_versions"]

try:
    __version__ = version("pairmatch-mentoring")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

# The runtime dependencies and the optional packages whose versions can change a result or a file.
_PACKAGES = ("ortools", "numpy", "networkx", "pydantic", "matplotlib", "pandas", "openpyxl", "sqlalchemy", "alembic")


def package_versions() -> dict[str, str]:
    """Versions of Python, the platform, pairmatch and the packages that shape a result.

    >>> versions = package_versions()
    >>> versions["pairmatch"] == __version__ and "ortools" in versions
    True
    """
    out = {"python": platform.python_version(), "platform": platform.platform(), "pairmatch": __version__}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
