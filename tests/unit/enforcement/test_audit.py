"""The audit log verifies when untouched and names the first bad event after every kind of tampering.

Tampering is done the way an insider would: with SQL straight on the database, bypassing overt (on PostgreSQL
after disabling the append-only trigger, as a superuser could).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from overt.enforcement import audit
from overt.enforcement.models import AuditEvent, Policy
from overt.enforcement.store import Store, open_store


def _fill(store: Store, count: int = 6) -> None:
    with store.transaction() as session:
        for index in range(count):
            audit.record(
                session,
                actor=f"analyst{index % 2}",
                action="note.add",
                subject_kind="case",
                subject_id=str(index),
                reason=f"reason {index} — ünïcode ✓",
                payload={"n": index, "tags": ["a", "b"]},
            )


def _tamper(store: Store, *statements: str | tuple[str, dict[str, object]]) -> None:
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        for statement in statements:
            sql, params = statement if isinstance(statement, tuple) else (statement, {})
            connection.execute(text(sql), params)


def _verify(store: Store, checkpoints: list[dict[str, object]] | None = None) -> audit.Verification:
    with store.reading() as session:
        return audit.verify(session, checkpoints or ())


def test_untouched_log_verifies(store: Store) -> None:
    _fill(store)
    result = _verify(store)
    assert result.ok, result.summary()
    # The schema upgrade is itself the first event.
    assert (result.events, result.last_seq) == (7, 7)
    assert "7 events" in result.summary()


@pytest.mark.parametrize("column", ["at", "actor", "action", "subject_id", "reason", "payload", "before_ref"])
def test_an_edited_event_is_named(store: Store, column: str) -> None:
    _fill(store)
    value = "'{}'" if column == "payload" else "'forged'"
    _tamper(store, f"UPDATE audit_log SET {column} = {value} WHERE seq = 4")
    result = _verify(store)
    assert not result.ok
    assert result.first_bad == 4
    assert "altered" in result.problem


def test_a_deleted_event_is_named(store: Store) -> None:
    _fill(store)
    _tamper(store, "DELETE FROM audit_log WHERE seq = 3")
    result = _verify(store)
    assert (result.ok, result.first_bad) == (False, 3)
    assert "missing" in result.problem


def test_swapped_events_are_named(store: Store) -> None:
    _fill(store)
    # Swap the contents of events 3 and 5, keeping the sequence numbers and hashes in place.
    with store.engine.connect() as connection:
        rows = {
            row.seq: row
            for row in connection.execute(text("SELECT seq, actor, subject_id, reason, payload FROM audit_log"))
        }
    three, five = rows[3], rows[5]

    def assign(target: int, row: Any) -> tuple[str, dict[str, object]]:
        sql = "UPDATE audit_log SET actor = :a, subject_id = :s, reason = :r, payload = :p WHERE seq = :seq"
        return sql, {"a": row.actor, "s": row.subject_id, "r": row.reason, "p": row.payload, "seq": target}

    _tamper(store, assign(3, five), assign(5, three))
    result = _verify(store)
    assert (result.ok, result.first_bad) == (False, 3)


def test_renumbered_rows_are_named(store: Store) -> None:
    _fill(store)
    # Reorder by exchanging sequence numbers: each row keeps its content and hash but sits at the other's place.
    _tamper(
        store,
        "UPDATE audit_log SET seq = -1 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = -1",
    )
    result = _verify(store)
    assert (result.ok, result.first_bad) == (False, 4)


def test_an_inserted_event_is_caught(store: Store) -> None:
    _fill(store)
    # Make room at 4 and forge a well-formed event there, chained to event 3 with a correct hash.
    with store.engine.connect() as connection:
        prev = connection.execute(text("SELECT hash FROM audit_log WHERE seq = 3")).scalar_one()
    forged = {
        "seq": 4,
        "at": "2026-01-01T00:00:00.000000+00:00",
        "actor": "mallory",
        "action": "note.add",
        "subject_kind": "case",
        "subject_id": "x",
        "reason": "inserted",
        "before_ref": None,
        "after_ref": None,
        "payload": "{}",
        "personal_ref": None,
        "prev_hash": prev,
    }
    digest = audit.event_hash(forged)
    shift = [
        "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 4",
        "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100",
    ]
    insert = (
        "INSERT INTO audit_log (seq, at, actor, action, subject_kind, subject_id, reason, payload, prev_hash, hash) "
        f"VALUES (4, '{forged['at']}', 'mallory', 'note.add', 'case', 'x', 'inserted', '{{}}', '{prev}', '{digest}')"
    )
    _tamper(store, *shift, insert)
    result = _verify(store)
    # The forged event itself is well formed; the first event that no longer verifies is the one displaced by it.
    assert (result.ok, result.first_bad) == (False, 5)


def test_a_cut_tail_is_caught(store: Store) -> None:
    _fill(store)
    _tamper(store, "DELETE FROM audit_log WHERE seq >= 6")
    result = _verify(store)
    assert (result.ok, result.first_bad) == (False, 6)
    assert "tail was cut" in result.problem


def test_a_rewritten_chain_is_caught_by_a_published_checkpoint(store: Store) -> None:
    _fill(store, 3)
    with store.transaction() as session:
        audit.checkpoint(session, actor="auditor")
    with store.reading() as session:
        published = audit.export_checkpoints(session)
    assert [point["seq"] for point in published] == [5]
    _fill(store, 2)
    # An insider edits event 2 and recomputes every hash after it, the head and the stored checkpoint too.
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            connection.execute(text("ALTER TABLE audit_log_checkpoints DISABLE TRIGGER USER"))
        _rewrite(connection)
    assert _verify(store).ok  # the database alone can no longer tell
    result = _verify(store, published)
    assert (result.ok, result.first_bad) == (False, 5)
    assert "rewritten" in result.problem


def _rewrite(connection: Connection) -> None:
    connection.execute(text("UPDATE audit_log SET reason = 'rewritten' WHERE seq = 2"))
    prev = audit.GENESIS
    for row in connection.execute(text("SELECT * FROM audit_log ORDER BY seq")).mappings().all():
        fields = {name: row[name] for name in audit.CHAINED} | {"prev_hash": prev}
        digest = audit.event_hash(fields)
        connection.execute(
            text("UPDATE audit_log SET prev_hash = :prev, hash = :hash WHERE seq = :seq"),
            {"prev": prev, "hash": digest, "seq": row["seq"]},
        )
        connection.execute(
            text("UPDATE audit_log_checkpoints SET hash = :hash WHERE seq = :seq"), {"hash": digest, "seq": row["seq"]}
        )
        prev = digest
    connection.execute(text("UPDATE audit_log_head SET hash = :hash"), {"hash": prev})


def test_erasing_personal_data_keeps_the_chain_valid(store: Store) -> None:
    with store.transaction() as session:
        event = audit.record(
            session,
            actor="intake",
            action="request.receive",
            subject_kind="request",
            subject_id="r1",
            reason="received",
            personal={"requester": "Jane Doe", "email": "jane@example.org"},
        )
        ref = event.personal_ref
    assert ref is not None
    with store.transaction() as session:
        audit.erase(session, ref, actor="dpo", reason="erasure request under GDPR art. 17")
    with store.reading() as session:
        events = session.execute(select(AuditEvent)).scalars().all()
    assert all("Jane" not in e.payload and "jane@" not in e.payload for e in events)
    assert _verify(store).ok
    with store.transaction() as session, pytest.raises(audit.AuditError, match="already erased"):
        audit.erase(session, ref, actor="dpo", reason="again")


def test_changes_without_an_event_are_refused(store: Store) -> None:
    with pytest.raises(audit.AuditError, match=r"audit\.record"), store.transaction() as session:
        session.add(Policy(id="p", title="t", current_version=1))
    with store.reading() as session:
        assert session.get(Policy, "p") is None


def test_events_cannot_be_changed_through_overt(store: Store) -> None:
    _fill(store, 1)
    with store.sessions() as session:
        row = session.execute(select(AuditEvent).where(AuditEvent.seq == 2)).scalar_one()
        row.reason = "changed"
        with pytest.raises(audit.AuditError, match="append-only"):
            session.commit()


def test_an_event_needs_an_actor_and_a_reason(store: Store) -> None:
    with store.transaction() as session:
        with pytest.raises(audit.AuditError, match="actor"):
            audit.record(session, actor=" ", action="a", subject_kind="k", subject_id="i", reason="r")
        with pytest.raises(audit.AuditError, match="reason"):
            audit.record(session, actor="a", action="a", subject_kind="k", subject_id="i", reason="")


def test_postgres_refuses_updates_to_the_log(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    opened = open_store(database_url, seed=False)
    try:
        with pytest.raises(Exception, match="append-only"), opened.engine.begin() as connection:
            connection.execute(text("UPDATE audit_log SET reason = 'x' WHERE seq = 1"))
    finally:
        opened.close()


def test_concurrent_writers_keep_one_chain(store: Store) -> None:
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for index in range(10):
                with store.transaction() as session:
                    audit.record(session, actor=name, action="w", subject_kind="t", subject_id=str(index), reason="r")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = _verify(store)
    assert result.ok, result.summary()
    assert result.events == 31


Operation = tuple[str, str]
operations = st.lists(
    st.tuples(st.sampled_from(["record", "personal", "checkpoint", "erase"]), st.text(min_size=1, max_size=30)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_of_valid_operations_verifies(
    tmp_path_factory: pytest.TempPathFactory, ops: list[Operation]
) -> None:
    path: Path = tmp_path_factory.mktemp("prop") / "overt.db"
    opened = open_store(f"sqlite:///{path}", seed=False)
    refs: list[str] = []
    apply: dict[str, Callable[[str], None]] = {}

    def do_record(value: str, personal: bool = False) -> None:
        with opened.transaction() as session:
            event = audit.record(
                session,
                actor=value.strip() or "x",
                action="op",
                subject_kind="s",
                subject_id=value,
                reason=value.strip() or "x",
                payload={"v": value},
                personal={"v": value} if personal else None,
            )
            if event.personal_ref:
                refs.append(event.personal_ref)

    def do_checkpoint(_value: str) -> None:
        with opened.transaction() as session:
            audit.checkpoint(session, actor="auditor")

    def do_erase(value: str) -> None:
        if refs:
            with opened.transaction() as session:
                audit.erase(session, refs.pop(), actor="dpo", reason=value.strip() or "x")

    apply.update(
        record=do_record, personal=lambda value: do_record(value, True), checkpoint=do_checkpoint, erase=do_erase
    )
    try:
        for name, value in ops:
            apply[name](value)
        with opened.reading() as session:
            published = audit.export_checkpoints(session)
            result = audit.verify(session, published)
        assert result.ok, result.summary()
    finally:
        opened.close()
