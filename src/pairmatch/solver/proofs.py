"""Typed certificates from the parts a solve assembles (`pairmatch.certificates` declares them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..certificates import Certificate, Family, certificate_model
from ..objectives import ObjectiveSpec

__all__ = ["build_certificate", "noted"]


def build_certificate(spec: ObjectiveSpec, family: Family, fields: Mapping[str, Any]) -> Certificate:
    """The certificate of ``spec``'s objective solved by ``family`` (a pydantic
    ``ValidationError`` if a field the model requires is missing or one it does not declare is given)."""
    return certificate_model(spec.certificate, family).model_validate(dict(fields))


def noted(certificate: Certificate, note: Mapping[str, Any]) -> Certificate:
    """``certificate`` with the hand-over and method notes of ``note`` added."""
    return type(certificate).model_validate({**certificate.to_dict(), **note})
