"""Typed certificates from the parts a solve assembles (`pairmatch.certificates` declares them)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..certificates import Certificate, Family, certificate_model
from ..objectives import ObjectiveSpec

__all__ = ["build_certificate", "noted", "optimality_gap"]


def build_certificate(spec: ObjectiveSpec, family: Family, fields: Mapping[str, Any], optimal: bool) -> Certificate:
    """The certificate of ``spec``'s objective solved by ``family``, with its ``optimality_gap``
    (a pydantic ``ValidationError`` if a field the model requires is missing or one it does
    not declare is given)."""
    # A stable matching is judged on the scores themselves (deferred acceptance never rounds them).
    gap = (0.0 if optimal else None) if family == "stable" else optimality_gap(fields, optimal)
    return certificate_model(spec.certificate, family).model_validate({**fields, "optimality_gap": gap})


def optimality_gap(fields: Mapping[str, Any], optimal: bool) -> float | None:
    """How far, at most, the matching's score falls short of the optimum of the scores
    themselves (score units): the rounding bound when the integer problem was solved to
    optimality (0 with an exact scaling); with a CP-SAT bound, the bound's distance plus the
    rounding bound; None when nothing bounds it.

    An earlier phase of a lexicographic objective that was not proved optimal (its objective
    short of its bound) leaves the optimum unknown, so the gap too.

    >>> optimality_gap({"rounding_bound": 0.0}, True)
    0.0
    >>> optimality_gap({"rounding_bound": 0.5, "integer_bound": 130.0, "integer_objective": 120, "scale": 10.0,
    ...                 "phase1_objective": 120, "phase1_bound": 130.0}, False)
    1.5
    >>> optimality_gap({"rounding_bound": 0.0, "integer_bound": 9.0, "integer_objective": 7, "scale": 1.0,
    ...                 "phase1_objective": 2, "phase1_bound": 3.0, "phase2_objective": 7, "phase2_bound": 9.0}, False)
    """
    rounding = float(fields["rounding_bound"])
    if optimal:
        return rounding
    bound = fields.get("integer_bound")
    if bound is None:
        return None
    phase = 1
    while f"phase{phase + 1}_objective" in fields:
        if fields[f"phase{phase}_objective"] < math.floor(float(fields[f"phase{phase}_bound"]) + 1e-9):
            return None
        phase += 1
    return max(0.0, float(bound) - float(fields["integer_objective"])) / float(fields["scale"]) + rounding


def noted(certificate: Certificate, note: Mapping[str, Any]) -> Certificate:
    """``certificate`` with the hand-over and method notes of ``note`` added."""
    return type(certificate).model_validate({**certificate.to_dict(), **note})
