"""Designations on record, on SQLite and PostgreSQL: review steps stored as versions and audited; seeding."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from overt.enforcement import audit
from overt.enforcement.designations import (
    Designation,
    DesignationError,
    ReviewState,
    load_designations,
    seed_reviews,
)
from overt.enforcement.models import AuditEvent, DesignationVersion
from overt.enforcement.models import Designation as DesignationRow
from overt.enforcement.records import designations as records
from overt.enforcement.store import Store

RT = Path(__file__).parent / "fixtures" / "designations" / "rt_international.yaml"
INCOMPLETE = Path(__file__).parent / "fixtures" / "designations" / "incomplete.yaml"


@pytest.fixture(scope="module")
def rt() -> Designation:
    (designation,) = load_designations(RT)
    return designation


def _step(store: Store, name: str, actor: str, reason: str = "reviewed", **extra: object) -> ReviewState:
    with store.transaction() as session:
        return records.step(session, "ru-rt-international", name, actor=actor, reason=reason, **extra)


def _create(store: Store, designation: Designation) -> None:
    with store.transaction() as session:
        records.create(session, designation, actor="proposer", reason="state-controlled broadcaster")


def _versions(store: Store, designation_id: str) -> list[DesignationVersion]:
    with store.reading() as session:
        query = select(DesignationVersion).where(DesignationVersion.designation_id == designation_id)
        return list(session.execute(query.order_by(DesignationVersion.version)).scalars())


def _events(store: Store) -> list[AuditEvent]:
    with store.reading() as session:
        return list(reversed(audit.history(session, subject_kind="designation")))


def _verified(store: Store) -> audit.Verification:
    with store.reading() as session:
        result = audit.verify(session)
    assert result.ok, result.summary()
    return result


def test_create_and_approve_by_two_other_people(store: Store, rt: Designation) -> None:
    _create(store, rt)
    with store.reading() as session:
        row = session.get(DesignationRow, "ru-rt-international")
        assert row is not None
        assert (row.kind, row.entity, row.country, row.status, row.current_version) == (
            "state_controlled_media",
            "RT International",
            "RU",
            "proposed",
            1,
        )
    (version,) = _versions(store, "ru-rt-international")
    assert (version.version, version.stored_by) == (1, "proposer")
    assert json.loads(version.document) == rt.to_json()

    with pytest.raises(
        DesignationError, match="proposer proposed designation 'ru-rt-international' and cannot approve"
    ):
        _step(store, "approve", "proposer")
    assert _step(store, "approve", "reviewer-1").status == "proposed"
    with pytest.raises(DesignationError, match="reviewer-1 has already approved version 1"):
        _step(store, "approve", "reviewer-1")
    state = _step(store, "approve", "reviewer-2")
    assert (state.status, state.in_force, state.approved_by) == ("approved", 1, ("reviewer-1", "reviewer-2"))
    with store.reading() as session:
        assert records.load(session, "ru-rt-international") == state
        row = session.get(DesignationRow, "ru-rt-international")
        assert row is not None and row.status == "approved"
    assert len(_versions(store, "ru-rt-international")) == 1  # approvals do not change the record

    events = _events(store)
    assert [(e.action, e.actor) for e in events] == [
        ("designation.propose", "proposer"),
        ("designation.approve", "reviewer-1"),
        ("designation.approve", "reviewer-2"),
    ]
    last = json.loads(events[-1].payload)
    assert (last["status"], last["approvals"], last["in_force"]) == ("approved", ["reviewer-1", "reviewer-2"], 1)
    assert events[0].before_ref is None
    assert events[1].before_ref == events[0].after_ref == f"designations:ru-rt-international@1:{version.content_hash}"
    _verified(store)


def test_refusals_store_nothing(store: Store, rt: Designation) -> None:
    _create(store, rt)
    with pytest.raises(DesignationError, match="exists already; revise it instead"):
        _create(store, rt)
    with pytest.raises(DesignationError, match="unknown step 'promote' \\(one of: approve, reject"):
        _step(store, "promote", "x")
    with pytest.raises(DesignationError, match="no designation 'nope'"), store.transaction() as session:
        records.step(session, "nope", "approve", actor="x", reason="y")
    with pytest.raises(DesignationError, match="only an approved designation can be appealed"):
        _step(store, "appeal", "entity")
    assert len(_events(store)) == 1
    assert len(_versions(store, "ru-rt-international")) == 1


def test_an_incomplete_record_cannot_be_approved(store: Store) -> None:
    (incomplete,) = load_designations(INCOMPLETE)
    with store.transaction() as session:
        records.create(session, incomplete, actor="proposer", reason="press office")
    with pytest.raises(DesignationError, match="not complete enough to approve"), store.transaction() as session:
        records.step(session, incomplete.id, "approve", actor="reviewer-1", reason="ok")


def test_appeal_decide_and_revise(store: Store, rt: Designation) -> None:
    _create(store, rt)
    _step(store, "approve", "reviewer-1")
    _step(store, "approve", "reviewer-2")
    state = _step(store, "appeal", "rt-legal", reason="we are editorially independent")
    assert state.open_appeal is not None and state.open_appeal.version == 1
    revised = rt.model_copy(update={"notes": "Revised after new funding evidence."})
    with pytest.raises(DesignationError, match=r"has an open appeal .* decide it first"):
        _step(store, "revise", "editor", designation=revised)
    with pytest.raises(DesignationError, match="reviewer-1 approved the version under appeal"):
        _step(store, "decide_appeal", "reviewer-1", outcome="upheld")
    state = _step(store, "decide_appeal", "appeals-panel", reason="funding evidence stands", outcome="upheld")
    assert (state.status, state.in_force, state.appeals[0].outcome) == ("approved", 1, "upheld")

    state = _step(store, "revise", "editor", reason="new funding evidence", designation=revised)
    assert (state.status, state.latest.number, state.in_force) == ("proposed", 2, 1)
    assert [v.version for v in _versions(store, "ru-rt-international")] == [1, 2]
    v1, v2 = _versions(store, "ru-rt-international")
    assert json.loads(v2.document)["notes"] == "Revised after new funding evidence."
    assert (v2.stored_by, v2.content_hash != v1.content_hash) == ("editor", True)
    with pytest.raises(DesignationError, match="editor wrote version 2 and cannot approve it"):
        _step(store, "approve", "editor")
    _step(store, "approve", "reviewer-1")
    state = _step(store, "approve", "reviewer-3")
    assert (state.status, state.in_force) == ("approved", 2)
    with store.reading() as session:
        row = session.get(DesignationRow, "ru-rt-international")
        assert row is not None and (row.status, row.current_version) == ("approved", 2)

    actions = [e.action for e in _events(store)]
    assert actions == [
        "designation.propose",
        "designation.approve",
        "designation.approve",
        "designation.appeal",
        "designation.decide_appeal",
        "designation.revise",
        "designation.approve",
        "designation.approve",
    ]
    revise = _events(store)[5]
    assert revise.before_ref == f"designations:ru-rt-international@1:{v1.content_hash}"
    assert revise.after_ref == f"designations:ru-rt-international@2:{v2.content_hash}"
    _verified(store)


def test_an_overturned_appeal_withdraws(store: Store, rt: Designation) -> None:
    _create(store, rt)
    _step(store, "approve", "reviewer-1")
    _step(store, "approve", "reviewer-2")
    _step(store, "appeal", "rt-legal", reason="ownership changed")
    state = _step(store, "decide_appeal", "appeals-panel", reason="ownership changed", outcome="overturned")
    assert (state.status, state.in_force) == ("withdrawn", None)
    with pytest.raises(DesignationError, match="it is withdrawn"):
        _step(store, "approve", "reviewer-3")
    _verified(store)


def test_seed_stores_the_shipped_proposals_once(store: Store) -> None:
    started = time.perf_counter()
    with store.transaction() as session:
        added, existing = records.seed(session, actor="ops")
    seconds = time.perf_counter() - started
    assert (added, existing) == (918, 0)
    with store.reading() as session:
        assert session.execute(select(func.count()).select_from(DesignationRow)).scalar_one() == 918
        assert session.execute(select(func.count()).select_from(DesignationVersion)).scalar_one() == 918
        statuses = set(session.execute(select(DesignationRow.status)).scalars())
        assert statuses == {"proposed"}
        assert len(records.listing(session, kind="state_controlled_media")) == 525
    events = _events(store)
    assert len(events) == 918 and {e.action for e in events} == {"designation.propose"}
    proposer = seed_reviews()[0].proposer
    # The person who ran the seed acts; the list is named as the proposer in every reason.
    assert {e.actor for e in events} == {"ops"}
    assert all(f"(proposer: {proposer})" in e.reason for e in events)
    with store.transaction() as session:
        assert records.seed(session, actor="ops") == (0, 918)
    assert _verified(store).events == 1 + 918
    # Reported by the storage tests' author; a generous bound, so a slow machine does not fail it.
    print(f"seeded 918 designations on {store.engine.dialect.name} in {seconds:.2f} s")
    assert seconds < 30
