"""`top_per_group` keeps each group's k largest values, ties to the earlier index, on every key range."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pairmatch.solver._graph import top_per_group


def oracle(groups: np.ndarray, values: np.ndarray, k: int) -> list[int]:
    """Each group's members sorted by (-value, index), the first k of each."""
    kept = []
    for group in set(groups.tolist()):
        members = sorted(np.flatnonzero(groups == group).tolist(), key=lambda x: (-values[x], x))
        kept += members[:k]
    return sorted(kept)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    size=st.integers(0, 60),
    k=st.integers(1, 5),
    wide=st.booleans(),
    floats=st.booleans(),
)
def test_each_groups_k_largest_ties_to_the_earlier_index(data, size, k, wide, floats):
    """Small value ranges (many ties), huge ones (no single sort key fits: the two-key sort),
    negative values and float values all keep the same pairs."""
    groups = data.draw(hnp.arrays(np.int64, size, elements=st.integers(0, 7)))
    bound = 2**62 if wide else 5
    if floats:
        values = data.draw(hnp.arrays(np.float64, size, elements=st.floats(-5, 5, allow_nan=False)))
    else:
        values = data.draw(hnp.arrays(np.int64, size, elements=st.integers(-bound, bound)))
    assert sorted(top_per_group(groups, values, k).tolist()) == oracle(groups, values, k)
