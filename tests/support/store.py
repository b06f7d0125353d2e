"""One store read or change per call, for tests that check a single value.

The library reads and changes a store inside ``store.reading()`` and
``store.transaction()``; these name the method and run it in its own
transaction, as a coordinator's one-off command does.
"""

from __future__ import annotations

from typing import Any


def read(store: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``Reader.method(*args, **kwargs)`` in one read transaction."""
    with store.reading() as r:
        return getattr(r, method)(*args, **kwargs)


def change(store: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """``Writer.method(*args, **kwargs)`` in one write transaction."""
    with store.transaction() as tx:
        return getattr(tx, method)(*args, **kwargs)
