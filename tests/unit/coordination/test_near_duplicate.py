"""The prefix-filtered similarity join finds exactly the pairs a brute-force comparison finds."""

from __future__ import annotations

import itertools

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from overt.coordination import near_duplicate
from overt.engine import DuckDBEngine

VOCAB = [f"w{i}" for i in range(12)]
messages = st.lists(
    st.tuples(st.sets(st.sampled_from(VOCAB), min_size=1, max_size=8), st.integers(0, 300)), min_size=2, max_size=30
)


@settings(max_examples=60, deadline=None)
@given(messages, st.sampled_from([0.5, 0.6, 0.75, 0.8, 0.9, 1.0]), st.sampled_from([10, 60, 200]))
def test_prefix_join_equals_brute_force(rows: list[tuple[set[str], int]], threshold: float, window: int) -> None:
    eng = DuckDBEngine(memory_limit="1GB", threads=1)
    try:
        table = pa.table(
            {
                "post_id": [f"p{i:03d}" for i in range(len(rows))],
                "account_id": [f"a{i % 5}" for i in range(len(rows))],
                "ts": [ts for _, ts in rows],
                "toks": [sorted(toks) for toks, _ in rows],
            }
        )
        eng.register("raw", table)
        eng.create("m", near_duplicate.messages("raw", window, 1))
        eng.create("p", near_duplicate.prefixes("m", threshold))
        found = {(x, y) for x, _, _, y, *_ in eng.rows(near_duplicate.matches("m", "p", window, threshold))}
    finally:
        eng.close()
    expected = set()
    for (i, (a, ta)), (j, (b, tb)) in itertools.combinations(enumerate(rows), 2):
        if abs(ta - tb) <= window and len(a & b) / len(a | b) >= threshold:
            expected.add((f"p{i:03d}", f"p{j:03d}"))
    assert found == expected
