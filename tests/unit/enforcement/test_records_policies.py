"""Policies on record, on SQLite and PostgreSQL: defaults seeded once, versions immutable, loads all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from overt.enforcement import audit
from overt.enforcement.documents import DocumentError
from overt.enforcement.models import AuditEvent, PolicyVersion
from overt.enforcement.models import Policy as PolicyRow
from overt.enforcement.policies import DEFAULTS_DIR, load_policies
from overt.enforcement.records import policies as records
from overt.enforcement.store import Store, open_store

FIXTURES = Path(__file__).parent / "fixtures" / "records"
V1 = FIXTURES / "test_policy_v1.yaml"
V2 = FIXTURES / "test_policy_v2.yaml"
V1_CHANGED = FIXTURES / "test_policy_v1_changed.yaml"
OTHER = FIXTURES / "other_policy.yaml"
BROKEN = FIXTURES / "broken_policy.yaml"
DEFAULT_IDS = sorted(policy.id for policy in load_policies(DEFAULTS_DIR))


def _load(store: Store, *paths: Path, actor: str = "policy-lead", reason: str = "adopted") -> list[records.Stored]:
    with store.transaction() as session:
        return records.load_into(session, paths, actor=actor, reason=reason)


def _events(store: Store) -> list[AuditEvent]:
    with store.reading() as session:
        return list(reversed(audit.history(session)))


def _verified(store: Store) -> audit.Verification:
    with store.reading() as session:
        result = audit.verify(session)
    assert result.ok, result.summary()
    return result


def test_defaults_are_seeded_once_on_first_open(database_url: str) -> None:
    first = open_store(database_url, actor="ops")
    try:
        events = _events(first)
        assert [e.action for e in events] == ["schema.upgrade"] + ["policy.create"] * 6
        assert sorted(e.subject_id for e in events[1:]) == DEFAULT_IDS
        assert {e.actor for e in events} == {"ops"}
        assert all(e.reason.startswith("the default policy set shipped with overt") for e in events[1:])
        with first.reading() as session:
            assert [head.id for head, _ in records.current(session)] == DEFAULT_IDS
            assert {row.version for _, row in records.current(session)} == {1}
    finally:
        first.close()
    again = open_store(database_url, actor="someone-else")
    try:
        assert len(_events(again)) == 7
        with again.transaction() as session:
            # Seeding checks for any stored policy, not for the defaults: a second call is a no-op.
            assert session.execute(select(func.count()).select_from(PolicyRow)).scalar_one() == 6
        assert records.seed_defaults(again, actor="x") == []
        assert _verified(again).events == 7
    finally:
        again.close()


def test_a_new_version_keeps_the_old_one(store: Store) -> None:
    assert _load(store, V1, reason="first adoption") == [records.Stored("test_policy", 1, "created")]
    assert _load(store, V2, reason="second clause") == [records.Stored("test_policy", 2, "new_version")]
    with store.reading() as session:
        assert [row.version for row in records.versions(session, "test_policy")] == [1, 2]
        old, new = records.version(session, "test_policy", 1), records.version(session, "test_policy")
        assert new.version == 2
        assert records.policy_of(old).clause_ids() == {"first"}
        assert records.policy_of(new).clause_ids() == {"first", "second"}
        assert new.source == V2.read_text(encoding="utf-8")
        assert new.source_path == str(V2)
        assert (new.stored_by, str(new.effective_from)) == ("policy-lead", "2026-01-01")
        head = session.get(PolicyRow, "test_policy")
        assert head is not None and head.current_version == 2
        with pytest.raises(records.PolicyStoreError, match="has no version 3 \\(current: 2\\)"):
            records.version(session, "test_policy", 3)
        with pytest.raises(records.PolicyStoreError, match="no policy 'nope' \\(stored: test_policy\\)"):
            records.version(session, "nope")
    created, versioned = (e for e in _events(store) if e.subject_kind == "policy")
    assert (created.action, created.before_ref) == ("policy.create", None)
    assert created.after_ref == f"policy_versions:test_policy@1:{old.content_hash}"
    assert versioned.action == "policy.version"
    assert versioned.before_ref == f"policy_versions:test_policy@1:{old.content_hash}"
    assert versioned.after_ref == f"policy_versions:test_policy@2:{new.content_hash}"
    assert versioned.reason == "second clause"
    assert '"clauses":["first","second"]' in versioned.payload
    _verified(store)


def test_a_changed_document_with_the_same_version_is_refused(store: Store) -> None:
    _load(store, V1)
    before = len(_events(store))
    with pytest.raises(records.PolicyStoreError) as caught:
        _load(store, V1_CHANGED)
    message = str(caught.value)
    assert str(V1_CHANGED) in message
    assert "policy 'test_policy' version 1 is already stored with other content" in message
    assert "stored versions never change: give this one version 2" in message
    with store.reading() as session:
        assert records.version(session, "test_policy").document == records.version(session, "test_policy", 1).document
        assert records.policy_of(records.version(session, "test_policy")).title == "Test policy"
    assert len(_events(store)) == before


def test_versions_must_follow_each_other(store: Store, tmp_path: Path) -> None:
    with pytest.raises(
        records.PolicyStoreError, match="is not stored yet; version 2 does not follow: give it version 1"
    ):
        _load(store, V2)
    _load(store, V1)
    _load(store, V2)
    v4 = tmp_path / "test_policy_v4.yaml"
    v4.write_text(V2.read_text(encoding="utf-8").replace("version: 2", "version: 4"), encoding="utf-8")
    with pytest.raises(records.PolicyStoreError, match="is at version 2; version 4 does not follow: give it version 3"):
        _load(store, v4)


def test_identical_content_is_unchanged_and_writes_no_event(store: Store) -> None:
    _load(store, V1, OTHER)
    before = _events(store)
    assert _load(store, OTHER, V1) == [
        records.Stored("other_policy", 1, "unchanged"),
        records.Stored("test_policy", 1, "unchanged"),
    ]
    assert [e.seq for e in _events(store)] == [e.seq for e in before]


def test_an_invalid_file_stores_nothing(store: Store) -> None:
    with pytest.raises(DocumentError) as caught:
        _load(store, OTHER, V1, BROKEN)
    rendered = str(caught.value)
    assert f"{BROKEN}:2:1: missing field 'summary'" in rendered
    assert f"{BROKEN}:7:26: allowed_actions.1: unknown action 'shadowban'" in rendered
    with store.reading() as session:
        assert records.current(session) == []
    assert [e.action for e in _events(store)] == ["schema.upgrade"]


def test_a_refused_version_rolls_back_the_whole_load(store: Store) -> None:
    # Validation passes for both files; the second is refused while storing, and the first must not stay stored.
    _load(store, V1)
    with pytest.raises(records.PolicyStoreError):
        _load(store, OTHER, V1_CHANGED)
    with store.reading() as session:
        assert [head.id for head, _ in records.current(session)] == ["test_policy"]
    assert [e.action for e in _events(store)] == ["schema.upgrade", "policy.create"]


def test_policy_of_round_trips_the_document(store: Store) -> None:
    records.seed_defaults(store, actor="ops")
    originals = {policy.id: policy for policy in load_policies(DEFAULTS_DIR)}
    with store.reading() as session:
        stored = records.policy_set(session)
        rows = dict(records.current(session))
    assert stored == originals
    for head, row in rows.items():
        assert row.content_hash == originals[head.id].content_hash()
        assert row.document == originals[head.id].canonical_json()


def test_the_log_verifies_after_everything(store: Store) -> None:
    records.seed_defaults(store, actor="ops")
    _load(store, V1)
    _load(store, V2)
    _load(store, V2)
    with pytest.raises(DocumentError):
        _load(store, BROKEN)
    with pytest.raises(records.PolicyStoreError):
        _load(store, V1_CHANGED)
    result = _verified(store)
    assert result.events == 1 + 6 + 2
    with store.reading() as session:
        assert session.execute(select(func.count()).select_from(PolicyVersion)).scalar_one() == 8
