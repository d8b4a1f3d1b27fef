"""The enforcement database: SQLAlchemy 2 tables for policies, rules, designations, actions and the audit log.

The schema is created and changed only by the Alembic migrations in ``overt/enforcement/migrations`` (a test
checks that the migrations produce exactly these tables). Documents (policies, rules, designations) are stored
whole, as canonical JSON, one row per version: history is never overwritten, and every version's content hash is
what the audit log chains.

Tables with a ``Recorded`` base are changed only together with an audit event in the same transaction
(:mod:`overt.enforcement.audit` enforces it on flush). The audit tables themselves are append-only.
Personal data (a requester's name, a handle in a free-text reason) lives in ``personal_data``, referenced by id
from audit events, so that it can be erased on request without breaking the hash chain.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, ForeignKeyConstraint, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that migrations can alter them on every database (SQLite needs names to batch-alter).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Timestamps are stored as ISO 8601 text in UTC with microseconds ("2026-11-29T08:30:00.123456+00:00"):
#: the audit hash covers the exact text, which must read back byte for byte on SQLite and PostgreSQL alike.
Timestamp = String(32)
Id = String(200)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Recorded(Base):
    """Tables whose every change must come with an audit event in the same transaction."""

    __abstract__ = True


# --- the audit log ---------------------------------------------------------------------------------------------


class AuditEvent(Base):
    """One event of the hash-chained, append-only audit log."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(Id)
    reason: Mapped[str] = mapped_column(Text)
    before_ref: Mapped[str | None] = mapped_column(String(300))
    after_ref: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
    personal_ref: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The last event's sequence number and hash, updated with every append: a cut tail no longer matches it."""

    __tablename__ = "audit_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A published point of the chain (sequence number and hash); exported for others to hold us to it."""

    __tablename__ = "audit_log_checkpoints"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(200))


class PersonalData(Base):
    """Personal data an event refers to; erasable on request (the event keeps only the reference)."""

    __tablename__ = "personal_data"

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    data: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Timestamp)
    erased_at: Mapped[str | None] = mapped_column(Timestamp)


# --- policies ------------------------------------------------------------------------------------------------


class Policy(Recorded):
    __tablename__ = "policies"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    current_version: Mapped[int] = mapped_column(Integer)


class StoredVersion:
    """The columns of one stored version of a document: its canonical JSON and hash, who stored it and when."""

    document: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[str] = mapped_column(Timestamp)
    stored_by: Mapped[str] = mapped_column(String(200))


class WrittenVersion(StoredVersion):
    """A stored version of a document people write: also the text exactly as written, and the file it came from."""

    source: Mapped[str] = mapped_column(Text)
    source_path: Mapped[str] = mapped_column(String(1000))


class PolicyVersion(WrittenVersion, Recorded):
    __tablename__ = "policy_versions"

    policy_id: Mapped[str] = mapped_column(ForeignKey("policies.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)


# --- rules ---------------------------------------------------------------------------------------------------


class Rule(Recorded):
    __tablename__ = "rules"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    current_version: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(20))
    enforces: Mapped[str] = mapped_column(String(300))
    action_type: Mapped[str] = mapped_column(String(50))
    author: Mapped[str] = mapped_column(String(200))
    # A request to go live waits here until a second person approves it.
    requested_state: Mapped[str | None] = mapped_column(String(20))
    requested_by: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[str | None] = mapped_column(Timestamp)


class RuleVersion(WrittenVersion, Recorded):
    __tablename__ = "rule_versions"

    rule_id: Mapped[str] = mapped_column(ForeignKey("rules.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class RuleRun(Recorded):
    """One evaluation of a rule version over a scan: a shadow run records what it would do, and does nothing."""

    __tablename__ = "rule_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(Id)
    rule_version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))
    scan: Mapped[str] = mapped_column(String(1000))
    scan_hash: Mapped[str] = mapped_column(String(64))
    matched: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    run_at: Mapped[str] = mapped_column(Timestamp)
    run_by: Mapped[str] = mapped_column(String(200))
    __table_args__ = (
        ForeignKeyConstraint(["rule_id", "rule_version"], ["rule_versions.rule_id", "rule_versions.version"]),
    )


class RuleMatch(Recorded):
    __tablename__ = "rule_matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rule_runs.id"))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(Id)
    evidence: Mapped[str] = mapped_column(Text)
    markets: Mapped[str] = mapped_column(Text)


# --- designations --------------------------------------------------------------------------------------------


class Designation(Recorded):
    __tablename__ = "designations"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(500))
    country: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    current_version: Mapped[int] = mapped_column(Integer)
    # The review state (proposer, approvals, appeal) as canonical JSON, as the workflow functions return it.
    review: Mapped[str] = mapped_column(Text)


class DesignationVersion(StoredVersion, Recorded):
    __tablename__ = "designation_versions"

    designation_id: Mapped[str] = mapped_column(ForeignKey("designations.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


# --- actions -------------------------------------------------------------------------------------------------


class Action(Recorded):
    """An enforcement action (a label and a demotion as much as a suspension), from proposal to reversal."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_type: Mapped[str] = mapped_column(String(50))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(Id)
    policy_id: Mapped[str] = mapped_column(Id)
    policy_version: Mapped[int] = mapped_column(Integer)
    clause: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[str | None] = mapped_column(Id)
    rule_version: Mapped[int | None] = mapped_column(Integer)
    designation_id: Mapped[str | None] = mapped_column(Id)
    decision_id: Mapped[int | None] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(Integer)
    spec: Mapped[str] = mapped_column(Text)
    dsa: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[str] = mapped_column(Timestamp)
    applied_at: Mapped[str | None] = mapped_column(Timestamp)
    ends_at: Mapped[str | None] = mapped_column(Timestamp)
    reversed_at: Mapped[str | None] = mapped_column(Timestamp)
    reversed_by: Mapped[str | None] = mapped_column(String(200))


# --- people, cases, requests, decisions, notices, appeals, statements (enforcement part 2) -----------------------


class Person(Recorded):
    """Someone who acts in overt, with roles (analyst, reviewer, policy_lead, legal, admin)."""

    __tablename__ = "people"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    roles: Mapped[str] = mapped_column(Text)  # JSON list
    added_at: Mapped[str] = mapped_column(Timestamp)
    added_by: Mapped[str] = mapped_column(String(200))


class Case(Recorded):
    """One piece of work: a network, an account, content, a user report, a sensitive request, a designation
    review or an appeal, from opening to closing."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    queue: Mapped[str] = mapped_column(String(100))
    priority: Mapped[str] = mapped_column(String(10))
    assignee: Mapped[str | None] = mapped_column(String(200))
    #: JSON list of roles; empty: anyone may act. Only people with one of these roles may act on the case.
    restricted_to: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    subject_kind: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[str | None] = mapped_column(Id)
    #: Frozen evidence (network cases: the cluster, its members, edges and scores as scanned), canonical JSON.
    snapshot: Mapped[str | None] = mapped_column(Text)
    snapshot_hash: Mapped[str | None] = mapped_column(String(64))
    detection_source: Mapped[str] = mapped_column(String(30))
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[str] = mapped_column(Timestamp)
    updated_at: Mapped[str] = mapped_column(Timestamp)


class CaseComment(Recorded):
    __tablename__ = "case_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(Timestamp)
    text: Mapped[str] = mapped_column(Text)


class CaseAccount(Recorded):
    """An account in a network case: acted on, excepted (with the reason), or linked later (re-establishment)."""

    __tablename__ = "case_accounts"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    account_id: Mapped[str] = mapped_column(Id, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # member | excepted | linked_later
    note: Mapped[str | None] = mapped_column(Text)
    followers: Mapped[int | None] = mapped_column(Integer)
    home_market: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str | None] = mapped_column(String(16))
    added_at: Mapped[str] = mapped_column(Timestamp)


class Request(Recorded):
    """A sensitive request (government, political or other) behind a case of type sensitive_request."""

    __tablename__ = "requests"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    requester_kind: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(500))
    country: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(20))
    asks: Mapped[str] = mapped_column(Text)  # JSON list
    legal_basis: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    attachments: Mapped[str] = mapped_column(Text)  # JSON list of {name, sha256, bytes}
    assessment: Mapped[str] = mapped_column(Text)  # JSON: conflicts, recommendation, escalation rule
    outcome: Mapped[str | None] = mapped_column(String(20))
    reply: Mapped[str | None] = mapped_column(Text)
    #: Who asked, and how to reach them: personal data, kept apart from the audit chain (personal_data.ref).
    contact_ref: Mapped[str | None] = mapped_column(String(64))


class SignOff(Recorded):
    __tablename__ = "sign_offs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    person: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    recommendation: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[str] = mapped_column(Timestamp)


class Decision(Recorded):
    """A decision on a case: the policy clause it applies, the facts, the actions, and how it came about."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    policy_id: Mapped[str] = mapped_column(Id)
    policy_version: Mapped[int] = mapped_column(Integer)
    clause: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    facts: Mapped[str] = mapped_column(Text)
    detection_source: Mapped[str] = mapped_column(String(30))
    automated_detection: Mapped[bool] = mapped_column()
    automated_decision: Mapped[bool] = mapped_column()
    state_actor: Mapped[bool] = mapped_column()
    decided_by: Mapped[str] = mapped_column(Text)  # JSON list
    decided_at: Mapped[str] = mapped_column(Timestamp)


class Notice(Recorded):
    """The notice a decision sends to one account (in its language where a template exists)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    account_id: Mapped[str] = mapped_column(Id)
    language: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Timestamp)
    appeal_until: Mapped[str] = mapped_column(String(10))


class Appeal(Recorded):
    """An appeal against a decision, for one account, behind a case of type appeal."""

    __tablename__ = "appeals"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    account_id: Mapped[str] = mapped_column(Id)
    grounds: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[str] = mapped_column(Timestamp)
    outcome: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[str | None] = mapped_column(Timestamp)
    reason: Mapped[str | None] = mapped_column(Text)


class Statement(Recorded):
    """A DSA statement of reasons for a decision's actions on one subject."""

    __tablename__ = "statements"

    puid: Mapped[str] = mapped_column(String(500), primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    account_id: Mapped[str] = mapped_column(Id)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Timestamp)
