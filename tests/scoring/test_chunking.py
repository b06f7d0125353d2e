"""Chunked, column-subset, pairwise and executor scoring all equal the plain table exactly."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pairmatch import score, synthetic_problem
from pairmatch.availability import window_slots
from pairmatch.scoring import BUILT_IN_COMPONENTS as COMPONENTS
from pairmatch.scoring import ChunkRunner, Scorer, score_table

from strategies import problems

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_tables_equal(a, b) -> None:
    for name in COMPONENTS:
        assert np.array_equal(a.components[name], b.components[name]), name
    assert np.array_equal(a.total, b.total)
    assert np.array_equal(a.overlap_minutes, b.overlap_minutes)


def reference_total(problem, i: int, j: int) -> tuple[float, float, float]:
    """Components of one pair straight from the definitions (no profiles, no levels)."""
    mentor, mentee = problem.mentors[i], problem.mentees[j]
    tax, geo = problem.taxonomy, problem.geography
    focus = max((tax.relatedness(a, b) for a in mentor.focus_areas for b in mentee.focus_areas), default=0.0)
    borough = max((geo.score(a, b) for a in mentor.boroughs for b in mentee.boroughs), default=0.0)
    common = len(window_slots(mentor.availability) & window_slots(mentee.availability)) * 30
    return focus, borough, min(common / problem.meeting_minutes, 1.0)


@PROPS
@given(problem=problems(mentors=(1, 9), mentees=(1, 9)), cells=st.integers(1, 40))
def test_chunked_scoring_equals_unchunked_exactly(problem, cells):
    scorer = Scorer(problem)
    assert_tables_equal(score_table(scorer, chunk_cells=cells), score_table(scorer))


@PROPS
@given(problem=problems(mentors=(1, 7), mentees=(1, 7)), data=st.data())
def test_blocks_columns_and_pairs_read_the_same_numbers(problem, data):
    scorer = Scorer(problem)
    table = score_table(scorer)
    m, n = scorer.shape
    start = data.draw(st.integers(0, m - 1))
    stop = data.draw(st.integers(start + 1, m))
    cols = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n)))
    block = scorer.block(slice(start, stop), cols)
    assert np.array_equal(block["total"], table.total[start:stop][:, cols])
    assert np.array_equal(block["overlap_minutes"], table.overlap_minutes[start:stop][:, cols])
    rows = np.repeat(np.arange(m), n)
    every = np.tile(np.arange(n), m)
    values = scorer.pair_values(rows, every)
    assert np.array_equal(values["total"], table.total.ravel())
    for name in COMPONENTS:
        assert np.array_equal(values[name], table.components[name].ravel())
    for i in range(m):
        for j in range(n):
            expected = reference_total(problem, i, j)
            assert [table.components[c][i, j] for c in COMPONENTS] == pytest.approx(expected, abs=1e-12)


def test_level_totals_are_the_weighted_sum_in_float64():
    problem = synthetic_problem(40, 35, seed=5)
    table = score(problem)
    w = problem.weights.as_dict()
    expected = np.zeros(table.shape)
    for name in COMPONENTS:
        expected += w[name] * table.components[name]
    assert np.array_equal(table.total, expected)  # bit for bit, not approximately


def test_thread_and_process_executors_equal_serial():
    problem = synthetic_problem(60, 50, seed=2)
    serial = score_table(Scorer(problem), chunk_cells=300)
    with ThreadPoolExecutor(2) as pool:
        assert_tables_equal(score_table(Scorer(problem), chunk_cells=300, executor=pool), serial)
    with ProcessPoolExecutor(2) as pool:
        assert_tables_equal(score(problem, executor=pool), score_table(Scorer(problem)))
        assert_tables_equal(score_table(Scorer(problem), chunk_cells=300, executor=pool), serial)


def test_dask_client_executor_equals_serial():
    distributed = pytest.importorskip("distributed")
    problem = synthetic_problem(50, 45, seed=4)
    serial = score_table(Scorer(problem), chunk_cells=200)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        scattered = score_table(Scorer(problem), chunk_cells=200, executor=ChunkRunner.dask(client))
        plain = score_table(Scorer(problem), chunk_cells=200, executor=client.get_executor())
    assert_tables_equal(scattered, serial)
    assert_tables_equal(plain, serial)


def _without_timings(result):
    return result.to_json(include_runtime=False)


def test_sparse_solve_on_a_dask_cluster_equals_serial():
    distributed = pytest.importorskip("distributed")
    from pairmatch import SolveParams, solve

    problem = synthetic_problem(70, 60, seed=6, mentor_capacity=2)
    params = SolveParams(method="sparse", candidates_per_person=1)
    serial = solve(problem, params)
    with ThreadPoolExecutor(2) as pool:
        threads = solve(problem, params, executor=pool)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = solve(problem, params, executor=ChunkRunner.dask(client))
    assert serial.certificate["method"] == "sparse"
    assert serial.certificate["certified_over_all_pairs"] is True
    assert _without_timings(on_dask) == _without_timings(serial) == _without_timings(threads)
    assert dict(on_dask.certificate) == dict(serial.certificate)  # no timings in certificates
