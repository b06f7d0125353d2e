"""The immutable outcome of a solve, in native Python types only."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from . import display
from .certificates import Certificate, status_text
from .constraints import rule_names
from .custom_scores import CONTINUITY
from .exceptions import PairmatchError, require
from .scoring.views import FRAME_LIMIT, long_frame, long_scores
from .solver import Outcome, SolveContext
from .text import printable
from .unmatched import Unmatched, unmatched_people

__all__ = ["SCORE_DECIMALS", "MatchResult", "Pair", "Unmatched", "register_plots", "rounded"]

Status = Literal["optimal", "feasible"]

# Scores are written with this many decimals in files and JSON: enough to tell
# any two built-in scores apart (they are multiples of 0.0025 times a weight)
# and free of float noise such as 0.8799999999999999.
SCORE_DECIMALS = 6


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _plain(value: Any) -> Any:
    """Mapping proxies and tuples -> dicts and lists, for JSON."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_PLOTS: dict[str, Callable[[MatchResult], Any]] = {}


def register_plots(factory: Callable[[MatchResult], Any]) -> None:
    """Install what `MatchResult.plot` returns for a result: the drawing code lives above
    this layer (`pairmatch.report.plots`, installed when pairmatch is imported)."""
    _PLOTS["factory"] = factory


def rounded(value: float) -> float:
    """A score at the written precision (`SCORE_DECIMALS`)."""
    return round(float(value), SCORE_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class Pair:
    """One proposed match.

    ``components`` holds the value of every component that counts (the
    built-ins in [0, 1] and any custom ones) and ``contributions`` the
    weighted parts that add up to ``score``. In a re-match, ``score`` (what
    was optimised) includes the continuity bonus for keeping a working pair;
    `base_score` is the pair's own score without it, the one every table,
    diff and stability report shows, with `bonus` beside it.
    """

    mentor_id: str
    mentee_id: str
    score: float
    components: Mapping[str, float]
    contributions: Mapping[str, float]
    pinned: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", _frozen(self.components))
        object.__setattr__(self, "contributions", _frozen(self.contributions))

    @property
    def bonus(self) -> float:
        """The re-match continuity bonus inside ``score`` (0 outside a re-match)."""
        return float(self.contributions.get(CONTINUITY, 0.0))

    @property
    def base_score(self) -> float:
        """The pair's own score: ``score`` without the re-match continuity bonus."""
        return self.score - self.bonus if CONTINUITY in self.contributions else self.score

    def to_record(self) -> dict[str, Any]:
        """Ids, score, pinned flag and each component, at the written precision."""
        record: dict[str, Any] = {
            "mentor_id": self.mentor_id,
            "mentee_id": self.mentee_id,
            "score": rounded(self.score),
            "pinned": self.pinned,
        }
        record.update({f"{k}_score": rounded(v) for k, v in self.components.items()})
        return record

    def __repr__(self) -> str:
        parts = (f"{k} {display.number(v)}" for k, v in self.components.items())
        pinned = "pinned" if self.pinned else ""
        return display.short_repr(
            "Pair", f"{self.mentor_id!r} - {self.mentee_id!r}", f"score {display.number(self.score)}", *parts, pinned
        )


@dataclass(frozen=True)
class MatchResult:
    """Proposed matches with their scores, status and proof of optimality.

    Attributes
    ----------
    pairs : tuple of Pair
        Sorted by mentor, then mentee, in input order.
    unmatched : tuple of Unmatched
        Everyone with no partner, mentors first.
    objective : float
        Sum of the pairs' scores in the original float units.
    status : {"optimal", "feasible"}
        ``optimal`` only when the solver proved it, for the scores as the
        solver's integers; `optimality_gap` says how far rounding may have
        moved that from the scores themselves (0: not at all), and
        `status_text` says it in words (``optimal within 0.0194``).
    objective_name : str
        Which objective was optimised (see `SolveParams`).
    solver : str
        Backend that produced the matching.
    runtime_s : float
        Wall time of scoring and solving.
    certificate : Certificate or mapping
        Evidence for the status: the solver's proof, integer objective,
        scaling and rounding bound, bound and gap where relevant, and the
        ``method`` that produced it. A typed `pairmatch.certificates.Certificate`
        (which reads as a mapping too) for a result of `pairmatch.solve`; a
        read-only mapping for one loaded from JSON. Never timings, so it is
        identical between runs.
    seed : int
    timings : mapping of str to float
        Seconds per stage (scoring, solving, certifying, ...).
    context : SolveContext or None
        What the solver saw (problem, scores, candidate graph, parameters), for
        explanations and reports; None for a result built by hand.
    """

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]
    objective: float
    status: Status
    objective_name: str
    solver: str
    runtime_s: float
    certificate: Mapping[str, Any]
    seed: int = 0
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)
    context: SolveContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.certificate, Certificate):  # a typed certificate is frozen already
            object.__setattr__(self, "certificate", _frozen(self.certificate))
        object.__setattr__(self, "timings", _frozen(self.timings))

    @classmethod
    def from_outcome(cls, outcome: Outcome, runtime_s: float | None = None) -> MatchResult:
        """Dress the solver's `Outcome` as a result: pairs with their score breakdown
        (read from the solver's own score view) and every unmatched person's reason."""
        ctx = outcome.context
        problem = ctx.problem
        index = np.array([(i, j) for i, j, _ in outcome.pairs], dtype=np.int64).reshape(-1, 2)
        values = ctx.scores.pair_values(index[:, 0], index[:, 1])
        weights = dict(ctx.scores.weights)
        columns = {name: values[name].tolist() for name in weights}
        totals = values["total"].tolist()
        pairs = []
        for k, (i, j, pinned) in enumerate(outcome.pairs):
            components = {name: columns[name][k] for name in weights}
            pairs.append(
                Pair(
                    problem.mentors[i].id,
                    problem.mentees[j].id,
                    totals[k],
                    components,
                    {name: weights[name] * v for name, v in components.items()},
                    pinned,
                )
            )
        timings = dict(outcome.timings)
        return cls(
            pairs=tuple(pairs),
            unmatched=unmatched_people(ctx, [(int(i), int(j)) for i, j, _ in outcome.pairs]),
            objective=math.fsum(totals),
            status="optimal" if outcome.optimal else "feasible",
            objective_name=ctx.params.objective,
            solver=outcome.solver,
            runtime_s=float(runtime_s if runtime_s is not None else sum(timings.values())),
            certificate=outcome.certificate,
            seed=ctx.params.seed,
            timings=timings,
            context=ctx,
        )

    @property
    def optimality_gap(self) -> float | None:
        """How far, at most, the objective falls short of the optimum of the scores themselves
        (score units): 0 for an exact solve, the rounding bound when the scores could not be
        scaled to integers exactly, a bound's distance for a ``feasible`` result that has one,
        None when nothing bounds it (or the certificate predates the field).

        >>> from pairmatch import solve
        >>> from pairmatch.examples import pilot_problem
        >>> solve(pilot_problem()).optimality_gap
        0.0
        """
        gap = self.certificate.get("optimality_gap")
        return None if gap is None else float(gap)

    @property
    def status_text(self) -> str:
        """The status in words: ``optimal``, ``optimal within X``, ``feasible``, or
        ``feasible, within X of the optimum`` (see `optimality_gap`)."""
        return status_text(self.status, self.optimality_gap)

    @property
    def n_pairs(self) -> int:
        """The number of pairs matched."""
        return len(self.pairs)

    @cached_property
    def _partners(self) -> dict[str, tuple[str, ...]]:
        partners: dict[str, list[str]] = {}
        for p in self.pairs:
            partners.setdefault(p.mentor_id, []).append(p.mentee_id)
            partners.setdefault(p.mentee_id, []).append(p.mentor_id)
        return {pid: tuple(ids) for pid, ids in partners.items()}

    def partners_of(self, person_id: str) -> tuple[str, ...]:
        """Ids of everyone matched with ``person_id`` (a map built once per result)."""
        return self._partners.get(person_id, ())

    def solved_context(self, needs: str, hint: str = "") -> SolveContext:
        """The solver's context, or a `PairmatchError` saying that ``needs`` (e.g. "explanations
        need") a result returned by `pairmatch.solve` in this process (such a result loaded from
        JSON has none); ``hint`` ends the message."""
        if self.context is None:
            raise PairmatchError(f"{needs} a result returned by pairmatch.solve() in this Python process{hint}")
        return self.context

    def _names(self) -> dict[str, str]:
        if self.context is None:
            return {}
        problem = self.context.problem
        return {p.id: p.name for p in (*problem.mentors, *problem.mentees) if p.name}

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per pair (ids, score, pinned flag, each component)."""
        return [p.to_record() for p in self.pairs]

    def to_dict(self, *, include_runtime: bool = True) -> dict[str, Any]:
        """The whole result as plain data; scores at `SCORE_DECIMALS` decimals.

        Without ``include_runtime`` the output holds no wall-clock figure, so
        two runs of the same problem give identical dictionaries.
        """
        out: dict[str, Any] = {
            "status": self.status,
            "status_text": self.status_text,
            "optimality_gap": self.optimality_gap,
            "objective": rounded(self.objective),
            "objective_name": self.objective_name,
            "solver": self.solver,
            "seed": self.seed,
            "certificate": _plain(self.certificate),
            "pairs": [
                {
                    "mentor_id": p.mentor_id,
                    "mentee_id": p.mentee_id,
                    "score": rounded(p.score),
                    "components": {k: rounded(v) for k, v in p.components.items()},
                    "contributions": {k: rounded(v) for k, v in p.contributions.items()},
                    "pinned": p.pinned,
                }
                for p in self.pairs
            ],
            "unmatched": [dict(u.__dict__) for u in self.unmatched],
        }
        if include_runtime:
            out["runtime_s"] = self.runtime_s
            out["timings"] = dict(self.timings)
        return out

    def to_json(self, *, indent: int | None = 2, include_runtime: bool = True) -> str:
        """The whole result as JSON (pass ``include_runtime=False`` for reproducible output)."""
        return json.dumps(self.to_dict(include_runtime=include_runtime), indent=indent, ensure_ascii=False)

    def to_frame(self) -> Any:
        """The pairs as a pandas DataFrame: ids, names, score, each component's value
        and its weighted contribution, pinned flag (needs the ``io`` extra).

        >>> from pairmatch import solve
        >>> from pairmatch.examples import pilot_problem
        >>> frame = solve(pilot_problem()).to_frame()
        >>> list(frame.columns[:5]), len(frame)
        (['mentor_id', 'mentor_name', 'mentee_id', 'mentee_name', 'score'], 3)
        """
        pandas = require("pandas", "io", "MatchResult.to_frame()")
        names = self._names()
        components = list(self.pairs[0].components) if self.pairs else []
        rows = [
            {
                "mentor_id": p.mentor_id,
                "mentor_name": names.get(p.mentor_id, ""),
                "mentee_id": p.mentee_id,
                "mentee_name": names.get(p.mentee_id, ""),
                "score": p.score,
                **{c: p.components[c] for c in components},
                **{f"{c}_contribution": p.contributions[c] for c in components},
                "pinned": p.pinned,
            }
            for p in self.pairs
        ]
        columns = [
            "mentor_id",
            "mentor_name",
            "mentee_id",
            "mentee_name",
            "score",
            *components,
            *(f"{c}_contribution" for c in components),
            "pinned",
        ]
        return pandas.DataFrame(rows, columns=columns)

    def unmatched_frame(self) -> Any:
        """Everyone without a partner as a pandas DataFrame (id, name, side, code, reason)."""
        pandas = require("pandas", "io", "MatchResult.unmatched_frame()")
        names = self._names()
        return pandas.DataFrame(
            [
                {
                    "person_id": u.person_id,
                    "name": names.get(u.person_id, ""),
                    "side": u.side,
                    "code": u.code,
                    "reason": u.reason,
                }
                for u in self.unmatched
            ],
            columns=["person_id", "name", "side", "code", "reason"],
        )

    def _columns(self) -> tuple[list[str], bool]:
        """The components a table of the pairs shows, and whether a re-match's continuity bonus
        gets a column of its own (it is part of the objective, never inside a pair's score)."""
        components = list(self.pairs[0].components) if self.pairs else []
        if CONTINUITY not in components:
            return components, False
        return [c for c in components if c != CONTINUITY], True

    def summary(self) -> str:
        """A readable table of the pairs (names beside ids), the unmatched and the status.

        >>> from pairmatch import solve
        >>> from pairmatch.examples import pilot_problem
        >>> print(solve(pilot_problem()).summary().splitlines()[0])
        3 pairs, objective 2.5100, status optimal (ortools.linear_sum_assignment)
        """
        names = self._names()

        def who(pid: str) -> str:
            return printable(f"{names[pid]} ({pid})" if pid in names else pid)

        head = f"{self.n_pairs} pairs, objective {self.objective:.4f}, status {self.status_text} ({self.solver})"
        components, bonus = self._columns()
        if bonus:
            score = math.fsum(p.base_score for p in self.pairs)
            head += f"\n(score {score:.4f} + continuity bonus {self.objective - score:.4f})"
        rows = [("mentor", "mentee", "score", *components, *(["continuity bonus"] if bonus else []))]
        for p in self.pairs:
            rows.append(
                (
                    who(p.mentor_id) + (" *" if p.pinned else ""),
                    who(p.mentee_id),
                    f"{p.base_score:.3f}",
                    *(f"{p.components[c]:.2f}" for c in components),
                    *([f"{p.bonus:.3f}"] if bonus else []),
                )
            )
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        table = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines = [head, "", *table]
        if any(p.pinned for p in self.pairs):
            lines.append("(* pinned pair)")
        if self.unmatched:
            lines += ["", f"{len(self.unmatched)} unmatched:"]
            lines += [f"  {u.side} {who(u.person_id)}: {u.reason}" for u in self.unmatched]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def score_frame(
        self,
        mentors: Sequence[str] | None = None,
        mentees: Sequence[str] | None = None,
        *,
        allowed_only: bool = True,
        limit: int = FRAME_LIMIT,
    ) -> Any:
        """Pair scores in long form, read from the solver's own arrays (needs the ``io`` extra).

        Columns: ``mentor_id``, ``mentor_name``, ``mentee_id``, ``mentee_name``, each component
        that counts, ``total``, ``allowed`` (the rules allow the pair), ``blocked_by`` (the rules
        that do not, ``"; "``-separated) and ``matched``.

        Parameters
        ----------
        mentors, mentees : sequence of str, optional
            Ids to include (default: everyone).
        allowed_only : bool
            Only pairs the rules allow (the candidates), the default.
        limit : int
            Most rows (`pairmatch.scoring.FRAME_LIMIT`); more raise `PairmatchError` rather than
            build a frame of 10^9 rows at 32,900 a side: select people, or raise it.

        Examples
        --------
        >>> import pairmatch as pm
        >>> frame = pm.solve(pm.pilot_problem()).score_frame()
        >>> len(frame), int(frame["matched"].sum()), list(frame.columns[-4:])
        (9, 3, ['total', 'allowed', 'blocked_by', 'matched'])
        """
        pandas = require("pandas", "io", "MatchResult.score_frame()")
        ctx = self.solved_context("a score frame needs")
        problem = ctx.problem
        m_ix, e_ix = problem.mentor_index(), problem.mentee_index()
        rows = None if mentors is None else [m_ix[x] for x in mentors]
        cols = None if mentees is None else [e_ix[x] for x in mentees]
        columns = long_scores(
            ctx.scores, rows, cols, blocked=ctx.candidates.blocked_pairs, allowed_only=allowed_only, limit=limit
        )
        out = long_frame(pandas, columns, problem)
        bits = columns["blocked"].astype(np.int64)
        codes, inverse = np.unique(bits, return_inverse=True)
        words = np.array(["; ".join(rule_names(int(c))) for c in codes.tolist()], dtype=object)
        out["blocked_by"] = words[inverse] if len(bits) else np.zeros(0, dtype=object)
        n = problem.shape[1]
        keys = columns["mentor"].astype(np.int64) * n + columns["mentee"].astype(np.int64)
        chosen = np.array([m_ix[p.mentor_id] * n + e_ix[p.mentee_id] for p in self.pairs], dtype=np.int64)
        out["matched"] = np.isin(keys, chosen)
        return out

    # -- display -------------------------------------------------------------------------------

    def _name(self, person_id: str) -> str:
        if self.context is None:
            return ""
        try:
            return self.context.problem.person(person_id).name or ""
        except KeyError:
            return ""

    def __repr__(self) -> str:
        return display.short_repr(
            "MatchResult",
            display.plural(self.n_pairs, "pair"),
            f"objective {display.number(self.objective, 4)}",
            self.status_text,
            f"{self.objective_name!r} by {self.solver}",
            f"{len(self.unmatched):,} unmatched",
        )

    def _repr_html_(self) -> str:
        """Status, objective and certificate on top, then the pairs with names, scores and
        components, then the unmatched with their reasons (each table a bounded preview)."""
        components, bonus = self._columns()
        pairs = (
            (
                p.mentor_id,
                self._name(p.mentor_id),
                p.mentee_id,
                self._name(p.mentee_id),
                p.base_score,
                *(p.components[c] for c in components),
                *([p.bonus] if bonus else []),
                "yes" if p.pinned else "",
            )
            for p in self.pairs
        )
        unmatched = ((u.person_id, self._name(u.person_id), u.side, u.reason) for u in self.unmatched)
        head = (
            "mentor",
            "mentor name",
            "mentee",
            "mentee name",
            "score",
            *components,
            *(["continuity bonus"] if bonus else []),
            "pinned",
        )
        return display.card(
            f"MatchResult: {display.plural(self.n_pairs, 'pair')}, objective {display.number(self.objective, 4)}, "
            f"{self.status_text}",
            display.fields([("certificate", self.certificate)]),
            display.table(head, pairs, total=self.n_pairs, caption="Pairs", what="pair"),
            display.table(
                ("person", "name", "side", "reason"),
                unmatched,
                total=len(self.unmatched),
                caption=f"Unmatched ({len(self.unmatched):,})",
                what="person",
            )
            if self.unmatched
            else "",
            lines=[
                f"objective {self.objective_name}, solver {self.solver}, seed {self.seed}, "
                f"{display.number(self.runtime_s, 2)} s"
            ],
        )

    @property
    def plot(self) -> Any:
        """Pictures of this result as matplotlib figures, shown inline in a notebook and saved
        with ``savefig``: ``plot.map()`` (coverage on the London map), ``plot.scores()`` (score
        distribution), ``plot.components()`` (what each component contributes); see
        `pairmatch.report.plots.ResultPlots`. Drawing needs the ``report`` extra."""
        factory = _PLOTS.get("factory")
        if factory is None:  # pragma: no cover - pairmatch's own import installs it
            raise PairmatchError("result plots are installed by importing pairmatch")
        return factory(self)
