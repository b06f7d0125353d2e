"""Errors raised by pairmatch. Input validation errors are ``pydantic.ValidationError``."""

from __future__ import annotations

from typing import Any

__all__ = ["InfeasibleProblemError", "MissingExtraError", "PairmatchError", "SolverError", "require"]


class PairmatchError(Exception):
    """Base class of pairmatch's own errors."""


class SolverError(PairmatchError):
    """A solver failed in a way that says nothing about the problem (e.g. overflow)."""


class InfeasibleProblemError(PairmatchError):
    """No matching satisfies the hard rules.

    ``reasons`` is a list of dicts, each with a ``rule`` code, a readable
    ``message`` and the ids of the people involved, so that callers can act on
    it programmatically.
    """

    def __init__(self, reasons: list[dict[str, Any]]) -> None:
        self.reasons = reasons
        lines = "\n".join(f"  - {r['message']}" for r in reasons)
        super().__init__(f"the problem has no feasible matching:\n{lines}")


class MissingExtraError(PairmatchError, ImportError):
    """An optional dependency is needed for this file type or feature."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package {package!r}; "
            f"install it with: pip install 'pairmatch-mentoring[{extra}]'"
        )


def require(module: str, extra: str, purpose: str) -> Any:
    """Import an optional dependency, or raise `MissingExtraError` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(module, extra, purpose) from err
