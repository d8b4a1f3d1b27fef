"""The tamper-evident audit log: every change to policies, rules, designations and actions, hash-chained.

Each event holds who, when, what, why and references to the state before and after, plus a JSON payload. Its hash
is the SHA-256 of the canonical JSON of all those fields *and the previous event's hash*, so that editing,
deleting, inserting or reordering any event breaks the chain from that event on. A head row (last sequence number
and hash, updated with every append) reveals a cut tail; published checkpoints (:func:`checkpoint`,
:func:`export_checkpoints`) reveal a chain rewritten from scratch by someone who recomputed every hash, because the
published hashes live outside the database.

:func:`record` is the one way to write an event, and the only way to change an audited table: a session hook
refuses to commit changes to any :class:`~overt.enforcement.models.Recorded` table in a transaction without an
event, and refuses any update or delete of an event. (On PostgreSQL a trigger also refuses them; with direct access
to the database anyone can still edit rows, which is what :func:`verify` is for.)

Personal data never enters the chained payload: :func:`record` stores it in ``personal_data`` and chains only its
reference, so :func:`erase` can delete it on request and the chain still verifies.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from overt.enforcement.canonical import canonical_json, content_hash
from overt.enforcement.models import AuditCheckpoint, AuditEvent, AuditHead, PersonalData, Recorded
from overt.errors import OvertError

GENESIS = "0" * 64
HEAD_ID = 1
#: The fields an event's hash covers, in the order verification reads them.
CHAINED = (
    "seq",
    "at",
    "actor",
    "action",
    "subject_kind",
    "subject_id",
    "reason",
    "before_ref",
    "after_ref",
    "payload",
    "personal_ref",
    "prev_hash",
)


class AuditError(OvertError):
    """A change tried to bypass the audit log, or an audit operation was refused."""


def now() -> str:
    """The current time as the audit log stores it: ISO 8601, UTC, microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def event_hash(fields: Mapping[str, Any]) -> str:
    return content_hash({name: fields[name] for name in CHAINED})


def _fields(row: AuditEvent) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CHAINED}


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_kind: str,
    subject_id: str,
    reason: str,
    before: str | None = None,
    after: str | None = None,
    payload: Mapping[str, Any] | None = None,
    personal: Mapping[str, Any] | None = None,
    at: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction (it commits or rolls back with the change).

    ``before``/``after`` reference the subject's state (e.g. ``"policy_versions:cib@3:<sha256>"``); ``payload`` is
    JSON without personal data; ``personal`` is stored apart and only its reference is chained.
    """
    if not actor.strip():
        raise AuditError("every audit event needs an actor (who did it)")
    if not reason.strip():
        raise AuditError(f"{action} on {subject_kind} {subject_id}: every audit event needs a reason (why)")
    # Lock the head so that two writers cannot both append after the same event (PostgreSQL); SQLite transactions
    # are opened with BEGIN IMMEDIATE by the store, which serialises writers the same way. Once locked, the head
    # stays in the session for the rest of the transaction: a batch of events costs one query, not one each.
    head = session.info.get("audit_head")
    if head is None or head not in session:
        query = select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
        head = session.execute(query).scalar_one_or_none()
    seq, prev = (head.seq + 1, head.hash) if head is not None else (1, GENESIS)
    stamp = at or now()
    personal_ref = None
    if personal:
        personal_ref = uuid.uuid4().hex
        session.add(PersonalData(ref=personal_ref, kind=action, data=canonical_json(dict(personal)), created_at=stamp))
    fields: dict[str, Any] = {
        "seq": seq,
        "at": stamp,
        "actor": actor,
        "action": action,
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "reason": reason,
        "before_ref": before,
        "after_ref": after,
        "payload": canonical_json(dict(payload or {})),
        "personal_ref": personal_ref,
        "prev_hash": prev,
    }
    row = AuditEvent(**fields, hash=event_hash(fields))
    session.add(row)
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=seq, hash=row.hash)
        session.add(head)
    else:
        head.seq, head.hash = seq, row.hash
    session.info["audit_head"] = head
    session.info["audit_events"] = session.info.get("audit_events", 0) + 1
    return row


def erase(session: Session, ref: str, *, actor: str, reason: str) -> AuditEvent:
    """Erase the personal data behind ``ref`` (e.g. on a data subject's request); the chain keeps verifying."""
    row = session.get(PersonalData, ref)
    if row is None:
        raise AuditError(f"no personal data with reference {ref}")
    if row.erased_at is not None:
        raise AuditError(f"personal data {ref} was already erased on {row.erased_at}")
    row.data = None
    row.erased_at = now()
    return record(
        session, actor=actor, action="personal_data.erase", subject_kind="personal_data", subject_id=ref, reason=reason
    )


# --- verification --------------------------------------------------------------------------------------------


@dataclass
class Verification:
    """The outcome of :func:`verify`: how many events were checked and, if the chain is broken, where first."""

    events: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    first_bad: int | None = None
    problem: str | None = None
    checkpoints: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit log verified: {self.events} events, chain intact up to event {self.last_seq} "
                f"({self.last_hash[:16]}…), {self.checkpoints} checkpoint(s) matched"
            )
        where = f"event {self.first_bad}" if self.first_bad is not None else "the log"
        return f"audit log BROKEN at {where}: {self.problem}"

    def fail(self, seq: int | None, problem: str) -> Verification:
        if self.problem is None:
            self.first_bad, self.problem = seq, problem
        return self


def verify(session: Session, checkpoints: Iterable[Mapping[str, Any]] = ()) -> Verification:
    """Walk the whole chain and report the first event that does not verify.

    Detects an edited event (its hash no longer matches its content), a deleted one (a gap in the sequence), an
    inserted or reordered one (its previous-hash link is broken), a cut tail (the head records a later event), and a
    chain rewritten from scratch (a published checkpoint's hash differs). ``checkpoints`` adds published checkpoints
    (``{"seq": ..., "hash": ...}``) to those stored in the database.
    """
    result = Verification()
    expected_prev, expected_seq = GENESIS, 1
    hashes: dict[int, str] = {}
    wanted = {int(point["seq"]): str(point["hash"]) for point in checkpoints}
    for stored in session.execute(select(AuditCheckpoint)).scalars():
        wanted.setdefault(stored.seq, stored.hash)
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)).scalars()
    # A server-side cursor on PostgreSQL: close it even when the walk stops at a bad event.
    try:
        for row in rows:
            if row.seq != expected_seq:
                if row.seq > expected_seq:
                    missing = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq} to {row.seq - 1}"
                    return result.fail(
                        expected_seq, f"event {missing} is missing: the log jumps from {expected_seq - 1} to {row.seq}"
                    )
                return result.fail(row.seq, f"event {row.seq} appears twice or out of order")
            if row.prev_hash != expected_prev:
                return result.fail(
                    row.seq,
                    f"event {row.seq} does not follow event {row.seq - 1} (its previous-hash link is broken): "
                    "an event was inserted, deleted or reordered before it",
                )
            if event_hash(_fields(row)) != row.hash:
                return result.fail(row.seq, f"event {row.seq} was altered: its content no longer matches its hash")
            if row.seq in wanted:
                hashes[row.seq] = row.hash
            expected_prev, expected_seq = row.hash, row.seq + 1
            result.events += 1
            result.last_seq, result.last_hash = row.seq, row.hash
    finally:
        rows.close()
    head = session.get(AuditHead, HEAD_ID)
    if head is None and result.events:
        return result.fail(None, "the head record is missing: the log cannot show that its tail is complete")
    if head is not None and (head.seq, head.hash) != (result.last_seq, result.last_hash):
        if head.seq > result.last_seq:
            return result.fail(
                result.last_seq + 1,
                f"the log ends at event {result.last_seq} but its head records event {head.seq}: the tail was cut",
            )
        return result.fail(head.seq, f"the head records event {head.seq} with a hash the chain does not have")
    for seq, expected in sorted(wanted.items()):
        if seq > result.last_seq:
            return result.fail(
                result.last_seq + 1,
                f"checkpoint {seq} is beyond the log's last event {result.last_seq}: the tail was cut",
            )
        if hashes.get(seq) != expected:
            return result.fail(seq, f"event {seq} differs from checkpoint {seq}: the chain was rewritten")
        result.checkpoints += 1
    return result


# --- checkpoints ---------------------------------------------------------------------------------------------


def checkpoint(session: Session, *, actor: str, reason: str = "periodic checkpoint") -> AuditCheckpoint:
    """Record the chain's current head as a checkpoint (itself an event), for export and publication."""
    event_row = record(
        session, actor=actor, action="audit.checkpoint", subject_kind="audit_log", subject_id="head", reason=reason
    )
    point = AuditCheckpoint(seq=event_row.seq, hash=event_row.hash, at=event_row.at, actor=actor)
    session.add(point)
    session.flush()
    return point


def export_checkpoints(session: Session) -> list[dict[str, Any]]:
    """Every checkpoint as ``{"seq", "hash", "at"}``, oldest first: publish these, then ``verify`` against them."""
    points = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)).scalars()
    return [{"seq": point.seq, "hash": point.hash, "at": point.at} for point in points]


def history(
    session: Session, *, subject_kind: str | None = None, subject_id: str | None = None, limit: int | None = None
) -> list[AuditEvent]:
    """Events, newest first, optionally for one subject."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if subject_kind is not None:
        query = query.where(AuditEvent.subject_kind == subject_kind)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == subject_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


# --- the guard: nothing bypasses record() ----------------------------------------------------------------------


def _touches_recorded(objects: Iterable[object]) -> bool:
    return any(isinstance(obj, Recorded) for obj in objects)


def install_guard(session_class: type[Session]) -> None:
    """Refuse commits that change audited tables without an event, and any change to an existing event."""

    @event.listens_for(session_class, "before_flush")
    def _before_flush(session: Session, _context: object, _instances: object) -> None:
        for obj in (*session.dirty, *session.deleted):
            if isinstance(obj, AuditEvent | AuditCheckpoint) and (obj in session.deleted or session.is_modified(obj)):
                raise AuditError("the audit log is append-only: events and checkpoints cannot be changed or deleted")
        if _touches_recorded((*session.new, *session.dirty, *session.deleted)):
            session.info["recorded_changes"] = True

    @event.listens_for(session_class, "do_orm_execute")
    def _bulk(state: ORMExecuteState) -> None:
        if (state.is_update or state.is_delete) and any(
            isinstance(mapper.class_, type) and issubclass(mapper.class_, Recorded | AuditEvent | AuditCheckpoint)
            for mapper in state.all_mappers
        ):
            raise AuditError("bulk updates and deletes of audited tables bypass the audit log; change rows one by one")

    @event.listens_for(session_class, "before_commit")
    def _before_commit(session: Session) -> None:
        session.flush()
        if session.info.get("recorded_changes") and not session.info.get("audit_events"):
            raise AuditError(
                "changes to policies, rules, designations or actions must be recorded with audit.record() "
                "in the same transaction"
            )

    def _reset(session: Session, *_args: object) -> None:
        for key in ("recorded_changes", "audit_events", "audit_head"):
            session.info.pop(key, None)

    event.listen(session_class, "after_commit", _reset)
    event.listen(session_class, "after_rollback", _reset)
