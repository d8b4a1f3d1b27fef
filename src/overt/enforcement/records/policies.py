"""Policies on record: every version stored whole, with the text it was written in, and audited.

A version, once stored, never changes: loading a document whose version is already stored with other content is an
error (bump the version), and loading the same content again changes nothing. A new version keeps the old ones
(``overt policy diff`` compares any two). A new database receives the shipped default set on first open, as
version 1 of each policy, recorded in the audit log like any other change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt import __version__
from overt.enforcement import audit
from overt.enforcement.documents import Document
from overt.enforcement.models import Policy as PolicyRow
from overt.enforcement.models import PolicyVersion
from overt.enforcement.policies import DEFAULTS_DIR, Policy, load_policy_documents
from overt.errors import OvertError

Outcome = Literal["created", "new_version", "unchanged"]


class PolicyStoreError(OvertError):
    """A policy version that cannot be stored as given."""


@dataclass(frozen=True)
class Stored:
    """What happened to one policy document on loading."""

    id: str
    version: int
    outcome: Outcome


def _ref(row: PolicyVersion) -> str:
    return f"policy_versions:{row.policy_id}@{row.version}:{row.content_hash}"


def store_policy(session: Session, policy: Policy, document: Document, *, actor: str, reason: str) -> Stored:
    """Store one policy version (in the caller's transaction, with its audit event)."""
    digest = policy.content_hash()
    existing = session.get(PolicyVersion, (policy.id, policy.version))
    if existing is not None:
        if existing.content_hash == digest:
            return Stored(policy.id, policy.version, "unchanged")
        raise PolicyStoreError(
            f"{document.path}: policy '{policy.id}' version {policy.version} is already stored with other content "
            f"(by {existing.stored_by} on {existing.stored_at[:10]}); stored versions never change: "
            f"give this one version {_next_version(session, policy.id)}"
        )
    head = session.get(PolicyRow, policy.id)
    expected = 1 if head is None else head.current_version + 1
    if policy.version != expected:
        # Versions are consecutive, so that a missing number can only mean a version that was never stored.
        where = f"is at version {head.current_version}" if head is not None else "is not stored yet"
        raise PolicyStoreError(
            f"{document.path}: policy '{policy.id}' {where}; version {policy.version} does not follow: "
            f"give it version {expected}"
        )
    previous = session.get(PolicyVersion, (policy.id, head.current_version)) if head is not None else None
    row = PolicyVersion(
        policy_id=policy.id,
        version=policy.version,
        effective_from=policy.effective_from,
        effective_to=policy.effective_to,
        document=policy.canonical_json(),
        source=document.text,
        source_path=str(document.path),
        content_hash=digest,
        stored_at=audit.now(),
        stored_by=actor,
    )
    if head is None:
        session.add(PolicyRow(id=policy.id, title=policy.title, current_version=policy.version))
    else:
        head.title, head.current_version = policy.title, policy.version
    session.add(row)
    session.flush()
    outcome: Outcome = "created" if head is None else "new_version"
    audit.record(
        session,
        actor=actor,
        action="policy.create" if head is None else "policy.version",
        subject_kind="policy",
        subject_id=policy.id,
        reason=reason,
        before=_ref(previous) if previous is not None else None,
        after=_ref(row),
        payload={
            "version": policy.version,
            "title": policy.title,
            "effective_from": policy.effective_from.isoformat(),
            "effective_to": policy.effective_to.isoformat() if policy.effective_to else None,
            "clauses": [clause.id for clause in policy.clauses],
            "variants": [variant.id for variant in policy.variants],
        },
    )
    return Stored(policy.id, policy.version, outcome)


def _next_version(session: Session, policy_id: str) -> int:
    head = session.get(PolicyRow, policy_id)
    return (head.current_version if head else 0) + 1


def load_into(session: Session, paths: Iterable[str | Path], *, actor: str, reason: str) -> list[Stored]:
    """Validate every document first (all problems at once), then store them all or none."""
    loaded = load_policy_documents(*paths)
    return [store_policy(session, policy, document, actor=actor, reason=reason) for policy, document in loaded]


def seed_defaults(store: Any, *, actor: str) -> list[Stored]:
    """On a database without policies, store the shipped default set (version 1 of each)."""
    with store.transaction() as session:
        if session.execute(select(PolicyRow.id).limit(1)).first() is not None:
            return []
        return load_into(
            session, [DEFAULTS_DIR], actor=actor, reason=f"the default policy set shipped with overt {__version__}"
        )


def current(session: Session) -> list[tuple[PolicyRow, PolicyVersion]]:
    """Every stored policy with its current version."""
    rows = session.execute(
        select(PolicyRow, PolicyVersion)
        .join(
            PolicyVersion,
            (PolicyVersion.policy_id == PolicyRow.id) & (PolicyVersion.version == PolicyRow.current_version),
        )
        .order_by(PolicyRow.id)
    )
    return [(head, version) for head, version in rows]


def version(session: Session, policy_id: str, number: int | None = None) -> PolicyVersion:
    """One stored version (the current one by default)."""
    head = session.get(PolicyRow, policy_id)
    if head is None:
        known = ", ".join(session.execute(select(PolicyRow.id).order_by(PolicyRow.id)).scalars())
        raise PolicyStoreError(f"no policy '{policy_id}' (stored: {known or 'none'})")
    wanted = head.current_version if number is None else number
    row = session.get(PolicyVersion, (policy_id, wanted))
    if row is None:
        raise PolicyStoreError(f"policy '{policy_id}' has no version {wanted} (current: {head.current_version})")
    return row


def versions(session: Session, policy_id: str) -> list[PolicyVersion]:
    """Every stored version of a policy, oldest first."""
    query = select(PolicyVersion).where(PolicyVersion.policy_id == policy_id).order_by(PolicyVersion.version)
    return list(session.execute(query).scalars())


def policy_of(row: PolicyVersion) -> Policy:
    """The stored version as a :class:`Policy` (re-validated: a stored document is checked like a file)."""
    return Policy.model_validate_json(row.document)


def policy_set(session: Session) -> dict[str, Policy]:
    """The current version of every stored policy, by id."""
    return {head.id: policy_of(row) for head, row in current(session)}
