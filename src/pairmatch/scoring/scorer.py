"""`Scorer`: every score component of any block of pairs, on demand.

The combined score of a pair is ``sum(weight[c] * component[c])`` over the
built-in components (level-coded, `levels`) and the caller's own
(`custom`), always in the same order, so the dense table, chunked and
parallel scoring and single-pair look-ups agree to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import Any

import numpy as np

from ..availability import SLOT_MINUTES
from ..custom_scores import BUILT_IN_COMPONENTS
from ..models import Problem
from .custom import CustomBlocks
from .levels import BuiltinLevels, Index
from .parallel import ChunkRunner, as_runner
from .preferences import PreferenceBlocks

__all__ = ["DEFAULT_CHUNK_CELLS", "Scorer"]

DEFAULT_CHUNK_CELLS = 1 << 22


class Scorer:
    """Precomputed per-person data; scores any block of mentor rows on demand.

    Attributes
    ----------
    components : tuple of str
        The components that count, built-ins first (see `Problem.component_names`).
    weights : dict of str to float
        Weight of each of ``components``.
    builtin : BuiltinLevels
        Level codes and value tables of the built-in components.
    custom : CustomBlocks
        The caller's own components.

    Examples
    --------
    >>> from pairmatch.examples import pilot_problem
    >>> scorer = Scorer(pilot_problem())
    >>> block = scorer.block(slice(0, 1))
    >>> round(float(block["total"][0, 0]), 3)
    0.88
    """

    def __init__(self, problem: Problem) -> None:
        self.problem: Problem | None = problem
        self.components = problem.component_names
        self.weights = problem.component_weights()
        self.builtin = BuiltinLevels(problem)
        self.preferences = PreferenceBlocks(problem, self.builtin)
        self.custom = CustomBlocks(problem)
        self.shape = problem.shape

    def __getstate__(self) -> dict[str, Any]:
        # Chunks shipped to other processes need the arrays, not the problem.
        return {**self.__dict__, "problem": None}

    @property
    def upper_bound(self) -> float:
        """No pair's combined score exceeds this."""
        return self.builtin.upper_bound + self.preferences.upper_bound + self.custom.upper_bound

    @property
    def extra_names(self) -> tuple[str, ...]:
        """Components beyond the built-ins, in order: preferences, rank scores, custom."""
        return (*(c.name for c in self.preferences.components), *(c.name for c in self.custom.components))

    def part_values(self) -> list[np.ndarray] | None:
        """Every value each weighted component can take, weight applied: the built-ins' levels,
        a preference's 0 and 1, a rank score's values, a custom matrix's values, custom entries'
        values and default. A pair's total is the sum of one value of each. None when a custom
        component is a function (its values are known only by scoring the pairs).

        >>> from pairmatch.examples import pilot_problem
        >>> [len(values) > 0 for values in Scorer(pilot_problem()).part_values()]
        [True, True, True]
        """
        builtin = self.builtin
        levels = {
            "focus": builtin.focus_values,
            "borough": builtin.borough_values,
            "availability": builtin.availability_values,
        }
        out = [
            self.weights[name] * np.asarray(values, dtype=float)
            for name, values in levels.items()
            if name in self.weights
        ]
        out.extend(self.preferences.part_values())
        for component in self.custom.components:
            if component.function is not None:
                return None
            if component.matrix is not None:
                values = np.asarray(component.matrix, dtype=float)
            elif component.arcs is not None:
                values = np.r_[component.arcs[2], component.default]
            else:
                assert component.entries is not None
                values = np.array([*(v for _, _, v in component.entries), component.default], dtype=float)
            out.append(float(component.weight) * values)
        return out

    @property
    def block_names(self) -> tuple[str, ...]:
        """The arrays `block` returns: every built-in and other component, ``total``, ``overlap_minutes``."""
        return (*BUILT_IN_COMPONENTS, *self.extra_names, "total", "overlap_minutes")

    @property
    def level_coded(self) -> bool:
        """True when every component is built in, so a pair's total is a function of its level."""
        return not self.custom and not self.preferences

    def _extra_blocks(self, rows: Index, cols: Index) -> Iterator[tuple[str, float, np.ndarray]]:
        """``(name, weight, values)`` of every component beyond the built-ins, in order."""
        for own in self.preferences.components:
            yield own.name, own.weight, self.preferences.block(own.name, rows, cols)
        for component in self.custom.components:
            yield component.name, component.weight, self.custom.block(component, rows, cols)

    def _extra_pairs(self, rows: np.ndarray, cols: np.ndarray) -> Iterator[tuple[str, float, np.ndarray]]:
        for own in self.preferences.components:
            yield own.name, own.weight, self.preferences.pairs(own.name, rows, cols)
        for component in self.custom.components:
            yield component.name, component.weight, self.custom.pairs(component, rows, cols)

    def block(self, rows: Index, cols: Index = slice(None)) -> dict[str, np.ndarray]:
        """Every component, ``total`` and ``overlap_minutes`` for mentors ``rows`` x mentees
        ``cols`` (each a slice or an index array)."""
        builtin = self.builtin
        code = builtin.levels(rows, cols)
        out = {name: np.take(builtin.level_values[name], code) for name in BUILT_IN_COMPONENTS}
        total = np.take(builtin.level_values["total"], code)
        for name, weight, values in self._extra_blocks(rows, cols):
            out[name] = values
            if weight:
                total += weight * values
        out["total"] = total
        out["overlap_minutes"] = builtin.overlap_minutes(rows, cols)
        return out

    def totals(self, rows: Index, cols: Index = slice(None)) -> np.ndarray:
        """Only the combined scores of mentors ``rows`` x mentees ``cols``."""
        total = np.take(self.builtin.level_values["total"], self.builtin.levels(rows, cols))
        for _, weight, values in self._extra_blocks(rows, cols):
            if weight:
                total += weight * values
        return total

    def pair_values(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Components, ``total`` and ``overlap_minutes`` of the pairs ``(rows[k], cols[k])``."""
        builtin = self.builtin
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        code = builtin.pair_levels(rows, cols)
        out = {name: np.take(builtin.level_values[name], code) for name in BUILT_IN_COMPONENTS}
        total = np.take(builtin.level_values["total"], code)
        for name, weight, values in self._extra_pairs(rows, cols):
            out[name] = values
            if weight:
                total += weight * values
        out["total"] = total
        out["overlap_minutes"] = builtin.pair_slot_counts(rows, cols) * SLOT_MINUTES
        return out

    def pair_totals(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Combined scores of the pairs ``(rows[k], cols[k])``."""
        total = np.take(self.builtin.level_values["total"], self.builtin.pair_levels(rows, cols))
        for _, weight, values in self._extra_pairs(rows, cols):
            if weight:
                total += weight * values
        return total

    def chunks(self, chunk_cells: int = DEFAULT_CHUNK_CELLS) -> list[tuple[int, int]]:
        """Row ranges covering all mentors with about ``chunk_cells`` pairs each."""
        n_rows, n_cols = self.shape
        step = max(1, chunk_cells // max(1, n_cols))
        return [(s, min(s + step, n_rows)) for s in range(0, n_rows, step)]

    def map_chunks(
        self,
        func: Callable[[Scorer, int, int], Any],
        chunk_cells: int = DEFAULT_CHUNK_CELLS,
        executor: Executor | ChunkRunner | None = None,
    ) -> Iterator[Any]:
        """``func(scorer, start, stop)`` for every chunk of rows, in chunk order."""
        return as_runner(executor).map(func, self, self.chunks(chunk_cells))
