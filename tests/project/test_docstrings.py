"""Every public name has a docstring: the API reference explains each one.

The reference pages render docstrings, so a reader of them sees every public name
explained only if each has one. Public means listed in a module's ``__all__`` and
defined there (not re-exported), in a module whose dotted path has no part starting
with ``_``; for a public class, so are the methods and properties its body defines
whose names do not start with ``_``. The test measures the share documented and
fails below the floor, listing every name that lacks a docstring.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pairmatch

FLOOR = 1.0  # the share of public names that must have a docstring


def public_modules():
    yield pairmatch
    for info in pkgutil.walk_packages(pairmatch.__path__, prefix="pairmatch."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield importlib.import_module(info.name)


def has_doc(obj) -> bool:
    """Whether ``obj`` has its own docstring (a dataclass's generated signature is none)."""
    doc = (obj.__doc__ or "").strip()
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return False
    return bool(doc)


def members(cls):
    """The public methods and properties defined in the body of ``cls``, by name."""
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, property):
            yield name, attr.fget
        elif isinstance(attr, staticmethod | classmethod):
            yield name, attr.__func__
        elif inspect.isfunction(attr):
            yield name, attr


def public_names():
    """Every public name, dotted, with the object whose docstring explains it."""
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or obj.__module__ != module.__name__:
                continue
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for member, func in members(obj):
                    yield f"{module.__name__}.{name}.{member}", func


def test_every_public_name_has_a_docstring():
    names = dict(public_names())
    missing = sorted(name for name, obj in names.items() if not has_doc(obj))
    coverage = 1 - len(missing) / len(names)
    assert coverage >= FLOOR, f"docstring coverage {coverage:.1%} of {len(names)} names; missing:\n" + "\n".join(
        missing
    )
