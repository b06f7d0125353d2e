"""Running chunks of work on a ``concurrent.futures`` executor, including a Dask cluster's.

Scoring, candidate selection and certification split the mentor x mentee
space into row chunks. A `ChunkRunner` maps a function over those chunks,
serially or on an executor, yields results in chunk order and keeps only a
few chunks in flight so results never pile up in memory.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

__all__ = ["ChunkRunner", "as_runner"]


@dataclass(frozen=True)
class ChunkRunner:
    """Where chunks run.

    Attributes
    ----------
    executor : concurrent.futures.Executor or None
        None runs chunks in the calling thread.
    workers : int
        How many chunks run at once (twice as many are kept in flight).
    share : callable, optional
        Turns the shared state (the scorer) into something cheap to send with
        every chunk, e.g. a Dask client's ``scatter(..., broadcast=True)``.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(2) as pool:
    ...     list(ChunkRunner(pool, workers=2).map(lambda state, a, b: state + a * b, 10, [(1, 2), (3, 4)]))
    [12, 22]
    """

    executor: Executor | None = None
    workers: int = 1
    share: Callable[[Any], Any] | None = None

    @classmethod
    def dask(cls, client: Any) -> ChunkRunner:
        """A runner on a ``dask.distributed.Client``: its executor, one chunk per
        worker thread, and the shared state scattered to every worker once."""
        threads = sum(client.nthreads().values()) or 1
        return cls(
            client.get_executor(), workers=int(threads), share=lambda state: client.scatter(state, broadcast=True)
        )

    def map(self, func: Callable[..., Any], state: Any, tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """``func(state, *task)`` for every task, in task order."""
        if self.executor is None:
            for task in tasks:
                yield func(state, *task)
            return
        shared = self.share(state) if self.share is not None else state
        window = 2 * max(1, self.workers)
        pending: deque[Future[Any]] = deque()
        for task in tasks:
            pending.append(self.executor.submit(func, shared, *task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def as_runner(executor: Executor | ChunkRunner | None, workers: int | None = None) -> ChunkRunner:
    """A `ChunkRunner` for an executor (``workers`` defaults to the CPU count), a
    runner as it is, or the serial runner for None."""
    if isinstance(executor, ChunkRunner):
        return executor
    if executor is None:
        return ChunkRunner()
    return ChunkRunner(executor, workers=workers or os.cpu_count() or 2)
