"""Read access to pair scores: one declared interface, a dense and an on-demand version.

Later stages (rules, unmatched reasons, explanations, reports) read single
pairs, rows and columns of the scores through `ScoreView`. `ScoreTable`
holds every pair in memory (the dense solver path); `LazyScores` computes
rows and columns on demand through the same `Scorer` (the certified sparse
path, where ``n_mentors x n_mentees`` would not fit), so both give
identical numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import display
from ..exceptions import PairmatchError, require
from ..models import Problem
from .parallel import ChunkRunner
from .scorer import DEFAULT_CHUNK_CELLS, Scorer

__all__ = ["FRAME_LIMIT", "LazyScores", "ScoreTable", "ScoreView", "long_scores", "score_table"]

FRAME_LIMIT = 1_000_000
"""Most rows a long-form score frame holds unless the caller asks for more (a whole table at
32,900 a side would be 10^9 rows)."""
_STAT_CELLS = 1 << 16  # cells read for a large table's summary


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
    problem : Problem or None
        The problem scored (`score` sets it): names the rows and columns in displays and frames.
    """

    components: dict[str, np.ndarray]
    weights: dict[str, float]
    total: np.ndarray
    overlap_minutes: np.ndarray = field(repr=False)
    problem: Problem | None = field(default=None, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentors, n_mentees)``."""
        return (int(self.total.shape[0]), int(self.total.shape[1]))

    def breakdown(self, i: int, j: int) -> dict[str, float]:
        """Component values (those that count) of pair (mentor ``i``, mentee ``j``)."""
        return {name: float(self.components[name][i, j]) for name in self.weights}

    def pair_values(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Every component, ``total`` and ``overlap_minutes`` of the pairs ``(rows[k], cols[k])``."""
        out = {name: arr[rows, cols] for name, arr in self.components.items()}
        out["total"] = self.total[rows, cols]
        out["overlap_minutes"] = self.overlap_minutes[rows, cols]
        return out

    def total_rows(self, index: np.ndarray) -> np.ndarray:
        """Combined scores of mentors ``index`` with every mentee: ``(len(index), n_mentees)``."""
        return self.total[np.asarray(index, dtype=np.int64)]

    def total_cols(self, index: np.ndarray) -> np.ndarray:
        """Combined scores of mentees ``index`` with every mentor: ``(len(index), n_mentors)``."""
        return self.total[:, np.asarray(index, dtype=np.int64)].T

    # -- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        m, n = self.shape
        weights = ", ".join(f"{k} {display.number(w)}" for k, w in self.weights.items())
        return display.short_repr("ScoreTable", f"{m:,} mentors x {n:,} mentees", f"weights {weights}")

    def _labels(self, side: int, index: Sequence[int]) -> list[str]:
        people = None if self.problem is None else (self.problem.mentors, self.problem.mentees)[side]
        return [people[k].label if people is not None else f"#{k}" for k in index]

    def _repr_html_(self) -> str:
        """A heat map of the combined scores when both sides have at most `display.HEAT_MAX`
        people; otherwise each component's range and mean, from an even sample of cells."""
        m, n = self.shape
        weights = display.fields([("weights", self.weights), ("pairs", f"{m:,} x {n:,} = {m * n:,}")])
        title = f"ScoreTable: {m:,} mentors x {n:,} mentees"
        if m <= display.HEAT_MAX and n <= display.HEAT_MAX:
            top = float(self.total.max()) if self.total.size else 1.0
            grid = display.heat_table(
                self._labels(0, range(m)),
                self._labels(1, range(n)),
                self.total,
                vmax=top or 1.0,
                caption="Combined score",
            )
            return display.card(title, weights, grid)
        if not m * n:
            return display.card(title, weights, lines=["No pairs: one side is empty."])
        rows = np.unique(np.linspace(0, m - 1, min(m, 64)).astype(np.int64))
        cols = np.unique(np.linspace(0, n - 1, min(n, _STAT_CELLS // len(rows))).astype(np.int64))
        sample = {**{c: self.components[c] for c in self.weights}, "total": self.total}
        stats = []
        for name, arr in sample.items():
            cells = arr[np.ix_(rows, cols)]
            stats.append((name, float(cells.min()), float(cells.mean()), float(cells.max())))
        shown = len(rows) * len(cols)
        note = f"from an even sample of {shown:,} of {m * n:,} pairs" if shown < m * n else "over every pair"
        return display.card(
            title, weights, display.table(("component", "min", "mean", "max"), stats), lines=[f"Statistics {note}."]
        )

    def to_frame(
        self,
        mentors: Sequence[int] | None = None,
        mentees: Sequence[int] | None = None,
        *,
        allowed: np.ndarray | None = None,
        allowed_only: bool = False,
        limit: int = FRAME_LIMIT,
    ) -> Any:
        """Scores in long form, one row per pair: ``mentor_id``, ``mentor_name``, ``mentee_id``,
        ``mentee_name``, each component that counts, ``total`` (and ``allowed`` when given).

        Parameters
        ----------
        mentors, mentees : sequence of int, optional
            Rows and columns to include (default: all).
        allowed : bool ndarray, optional
            ``(n_mentors, n_mentees)``, e.g. the candidate graph's ``allowed`` array; adds the
            ``allowed`` column. `MatchResult.score_frame` fills it from the rules.
        allowed_only : bool
            Keep allowed pairs only (needs ``allowed``).
        limit : int
            Most rows returned (`FRAME_LIMIT`); a larger selection raises `PairmatchError`
            instead of building a frame of 10^9 rows: select mentors or mentees, or raise it.

        Examples
        --------
        >>> import pairmatch as pm
        >>> frame = pm.score(pm.pilot_problem()).to_frame()
        >>> list(frame.columns), len(frame)
        (['mentor_id', 'mentor_name', 'mentee_id', 'mentee_name', 'focus', 'borough', 'availability', 'total'], 9)
        """
        pandas = require("pandas", "io", "ScoreTable.to_frame()")
        if allowed_only and allowed is None:
            raise PairmatchError("allowed_only needs the allowed array (or use MatchResult.score_frame)")
        blocked = None if allowed is None else (lambda r, c: (~np.asarray(allowed)[r, c]).astype(np.uint8))
        columns = long_scores(self, mentors, mentees, blocked=blocked, allowed_only=allowed_only, limit=limit)
        return long_frame(pandas, columns, self.problem)


def long_scores(
    view: ScoreView,
    mentors: Sequence[int] | None = None,
    mentees: Sequence[int] | None = None,
    *,
    blocked: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    allowed_only: bool = False,
    limit: int = FRAME_LIMIT,
) -> dict[str, np.ndarray]:
    """Columns of a long-form score frame: ``mentor`` and ``mentee`` positions, each component
    that counts, ``total`` and, with ``blocked`` (rule bits of pairs), ``allowed`` and ``blocked``.

    Reads the selection in blocks of about a million pairs and stops as soon as more than
    ``limit`` rows are found (raising `PairmatchError`), so memory and time stay bounded.
    """
    m, n = view.shape
    rows_sel = np.arange(m) if mentors is None else np.asarray(mentors, dtype=np.int64)
    cols_sel = np.arange(n) if mentees is None else np.asarray(mentees, dtype=np.int64)
    if not allowed_only and len(rows_sel) * len(cols_sel) > limit:
        raise PairmatchError(
            f"the selection has {len(rows_sel) * len(cols_sel):,} pairs, more than limit={limit:,}: "
            "select mentors or mentees, keep allowed pairs only, or raise the limit"
        )
    names = list(view.weights)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("mentor", "mentee", *names, "total", "blocked")}
    found = 0
    step = max(1, (1 << 20) // max(1, len(cols_sel)))
    for start in range(0, len(rows_sel), step):
        r = np.repeat(rows_sel[start : start + step], len(cols_sel))
        c = np.tile(cols_sel, len(rows_sel[start : start + step]))
        bits = blocked(r, c) if blocked is not None else np.zeros(len(r), dtype=np.uint8)
        if allowed_only:
            keep = bits == 0
            r, c, bits = r[keep], c[keep], bits[keep]
        found += len(r)
        if found > limit:
            raise PairmatchError(
                f"more than limit={limit:,} pairs are selected: select mentors or mentees, or raise the limit"
            )
        values = view.pair_values(r, c)
        for key, arr in (("mentor", r), ("mentee", c), ("blocked", bits), *((k, values[k]) for k in (*names, "total"))):
            parts[key].append(np.asarray(arr))
    out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    if blocked is None:
        del out["blocked"]
    else:
        out["allowed"] = out["blocked"] == 0
    return out


def long_frame(pandas: Any, columns: dict[str, np.ndarray], problem: Problem | None) -> Any:
    """The DataFrame of `long_scores` columns, ids and names beside the positions."""
    data: dict[str, Any] = {}
    for side, key in ((0, "mentor"), (1, "mentee")):
        index = columns[key].astype(np.int64)
        if problem is None:
            data[f"{key}_id"] = index
            data[f"{key}_name"] = np.full(len(index), "", dtype=object)
            continue
        people = (problem.mentors, problem.mentees)[side]
        ids = np.array([p.id for p in people], dtype=object)
        names = np.array([p.name or "" for p in people], dtype=object)
        data[f"{key}_id"], data[f"{key}_name"] = ids[index], names[index]
    skip = {"mentor", "mentee", "blocked", "allowed"}
    data.update({k: v for k, v in columns.items() if k not in skip})
    if "allowed" in columns:
        data["allowed"] = columns["allowed"]
    return pandas.DataFrame(data)


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
    return ScoreTable(
        components=out, weights=dict(scorer.weights), total=total, overlap_minutes=overlap, problem=scorer.problem
    )


@dataclass(frozen=True)
class LazyScores:
    """`ScoreView` computed on demand through a `Scorer`: nothing is held but the scorer."""

    scorer: Scorer

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_mentors, n_mentees)``."""
        return self.scorer.shape

    @property
    def weights(self) -> Mapping[str, float]:
        """Weight of every component that counts, in display order (the scorer's)."""
        return self.scorer.weights

    def breakdown(self, i: int, j: int) -> dict[str, float]:
        """Component values (those that count) of pair (mentor ``i``, mentee ``j``)."""
        return _breakdown(self.pair_values(np.array([i]), np.array([j])), self.scorer.weights)

    def pair_values(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Every component, ``total`` and ``overlap_minutes`` of the pairs ``(rows[k], cols[k])``, scored now."""
        return self.scorer.pair_values(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))

    def total_rows(self, index: np.ndarray) -> np.ndarray:
        """Combined scores of mentors ``index`` with every mentee: ``(len(index), n_mentees)``, scored now."""
        return self.scorer.totals(np.asarray(index, dtype=np.int64))

    def total_cols(self, index: np.ndarray) -> np.ndarray:
        """Combined scores of mentees ``index`` with every mentor: ``(len(index), n_mentors)``, scored now."""
        return self.scorer.totals(slice(None), np.asarray(index, dtype=np.int64)).T
