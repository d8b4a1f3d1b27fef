"""The signal registry and the shared tables."""

from __future__ import annotations

import pytest

from overt.signals import DEFAULT_SIGNALS, make_signal, signal_names
from overt.signals.base import has_clusters

from .conftest import Engine


def test_unknown_signal_is_named_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown signal 'nope'; known: working_hours"):
        make_signal("nope")


def test_defaults_are_registered_and_content_is_opt_in() -> None:
    assert set(DEFAULT_SIGNALS) < set(signal_names())
    assert "content" not in DEFAULT_SIGNALS


def test_fixture_builds_posts_accounts_and_clusters(engine: Engine) -> None:
    eng = engine(
        posts=[{"account_id": "a", "created_at": "2024-03-04 09:15", "text": "hi"}],
        accounts=[{"account_id": "a", "handle": "alice"}],
        clusters={"a": 0},
    )
    assert eng.rows("SELECT account_id, text, kind FROM posts") == [("a", "hi", "post")]
    assert eng.rows("SELECT handle FROM accounts") == [("alice",)]
    assert has_clusters(eng)
    assert not has_clusters(engine(posts=[{"account_id": "b", "created_at": "2024-03-04 09:15"}]))
