"""Read access to pair scores: one declared interface, a dense and an on-demand version.

Later stages (rules, unmatched reasons, explanations, reports) read single
pairs, rows and columns of the scores through `ScoreView`. `ScoreTable`
holds every pair in memory (the dense solver path); `LazyScores` computes
rows and columns on demand through the same `Scorer` (the certified sparse
path, where ``n_mentors x n_mentees`` would not fit), so both give
identical numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .parallel import ChunkRunner
from .scorer import DEFAULT_CHUNK_CELLS, Scorer

__all__ = ["LazyScores", "ScoreTable", "ScoreView", "score_table"]


@runtime_checkable
class ScoreView(Protocol):
    """What every consumer of pair scores may read."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentors, n_mentees)``."""
        ...

    @property
    def weights(self) -> Mapping[str, float]:
        """Weight of every component that counts, in display order."""
        ...

    def breakdown(self, i: int, j: int) -> dict[str, float]:
        """Component values (those that count) of pair (mentor ``i``, mentee ``j``)."""
        ...

    def pair_values(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Every component, ``total`` and ``overlap_minutes`` of the pairs ``(rows[k], cols[k])``."""
        ...

    def total_rows(self, index: np.ndarray) -> np.ndarray:
        """Combined scores of mentors ``index`` with every mentee: ``(len(index), n_mentees)``."""
        ...

    def total_cols(self, index: np.ndarray) -> np.ndarray:
        """Combined scores of mentees ``index`` with every mentor: ``(len(index), n_mentors)``."""
        ...


def _breakdown(values: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> dict[str, float]:
    return {name: float(values[name][0]) for name in weights}


@dataclass(frozen=True)
class ScoreTable:
    """Every pair scored, in memory.

    Attributes
    ----------
    components : dict of str to ndarray
        ``(n_mentors, n_mentees)`` float64 arrays, read-only: the built-in
        components (each in [0, 1], also when their weight is 0, because rules
        read them) and the caller's own.
    weights : dict of str to float
        Weight of each component that counts in ``total``.
    total : ndarray
        The combined score.
    overlap_minutes : ndarray
        Common weekly minutes per pair (int32), behind the availability score.
    """

    components: dict[str, np.ndarray]
    weights: dict[str, float]
    total: np.ndarray
    overlap_minutes: np.ndarray = field(repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.total.shape[0]), int(self.total.shape[1]))

    def breakdown(self, i: int, j: int) -> dict[str, float]:
        return {name: float(self.components[name][i, j]) for name in self.weights}

    def pair_values(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        out = {name: arr[rows, cols] for name, arr in self.components.items()}
        out["total"] = self.total[rows, cols]
        out["overlap_minutes"] = self.overlap_minutes[rows, cols]
        return out

    def total_rows(self, index: np.ndarray) -> np.ndarray:
        return self.total[np.asarray(index, dtype=np.int64)]

    def total_cols(self, index: np.ndarray) -> np.ndarray:
        return self.total[:, np.asarray(index, dtype=np.int64)].T


def _score_chunk(scorer: Scorer, start: int, stop: int) -> dict[str, np.ndarray]:
    return scorer.block(slice(start, stop))


def score_table(
    scorer: Scorer, chunk_cells: int = DEFAULT_CHUNK_CELLS, executor: Executor | ChunkRunner | None = None
) -> ScoreTable:
    """Score all pairs, chunk by chunk, into one `ScoreTable`.

    ``executor`` runs the chunks (threads, processes, or a Dask cluster via
    `ChunkRunner.dask`); the result is identical to the serial one.
    """
    shape = scorer.shape
    names = scorer.block_names
    out = {name: np.empty(shape, dtype=np.int32 if name == "overlap_minutes" else np.float64) for name in names}
    blocks = scorer.map_chunks(_score_chunk, chunk_cells, executor)
    for (start, stop), block in zip(scorer.chunks(chunk_cells), blocks, strict=True):
        for name in out:
            out[name][start:stop] = block[name]
    for arr in out.values():
        arr.setflags(write=False)
    total, overlap = out.pop("total"), out.pop("overlap_minutes")
    return ScoreTable(components=out, weights=dict(scorer.weights), total=total, overlap_minutes=overlap)


@dataclass(frozen=True)
class LazyScores:
    """`ScoreView` computed on demand through a `Scorer`: nothing is held but the scorer."""

    scorer: Scorer

    @property
    def shape(self) -> tuple[int, int]:
        return self.scorer.shape

    @property
    def weights(self) -> Mapping[str, float]:
        return self.scorer.weights

    def breakdown(self, i: int, j: int) -> dict[str, float]:
        return _breakdown(self.pair_values(np.array([i]), np.array([j])), self.scorer.weights)

    def pair_values(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        return self.scorer.pair_values(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))

    def total_rows(self, index: np.ndarray) -> np.ndarray:
        return self.scorer.totals(np.asarray(index, dtype=np.int64))

    def total_cols(self, index: np.ndarray) -> np.ndarray:
        return self.scorer.totals(slice(None), np.asarray(index, dtype=np.int64)).T
