"""The people who act, and their roles: who may act on protected cases and who may sign off government requests.

Roles (DESIGN.md): ``analyst``, ``reviewer``, ``policy_lead``, ``legal``, ``admin``. Until the web service brings
logins, the CLI's ``--as NAME`` names the person; the roles recorded here are what protected cases and sign-offs
check. Adding a person or changing roles is an audit event like any other change.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.models import Person
from overt.errors import OvertError

ROLES = ("analyst", "reviewer", "policy_lead", "legal", "admin")


class PeopleError(OvertError):
    """An unknown person or role, or a role the step needs and the person does not have."""


def roles_of(session: Session, name: str) -> frozenset[str]:
    row = session.get(Person, name)
    return frozenset(json.loads(row.roles)) if row is not None else frozenset()


def set_roles(session: Session, name: str, roles: list[str], *, actor: str, reason: str) -> Person:
    """Add a person or replace their roles."""
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise PeopleError(f"unknown role(s) {', '.join(unknown)} (roles: {', '.join(ROLES)})")
    if not name.strip():
        raise PeopleError("a person needs a name")
    row = session.get(Person, name)
    before = sorted(json.loads(row.roles)) if row is not None else None
    if row is None:
        row = Person(name=name, added_at=audit.now(), added_by=actor)
        session.add(row)
    row.roles = json.dumps(sorted(set(roles)))
    audit.record(
        session,
        actor=actor,
        action="person.roles",
        subject_kind="person",
        subject_id=name,
        reason=reason,
        payload={"roles": sorted(set(roles)), "before": before},
    )
    return row


def require(session: Session, name: str, any_of: frozenset[str] | set[str], what: str) -> None:
    """Refuse unless ``name`` has one of the roles ``any_of`` (admins do not bypass this: roles are explicit)."""
    if not any_of:
        return
    held = roles_of(session, name)
    if not held & set(any_of):
        having = ", ".join(sorted(held)) or "no role"
        raise PeopleError(
            f"{name} cannot {what}: it needs the role {' or '.join(sorted(any_of))} ({name} has {having})"
        )


def listing(session: Session) -> list[Person]:
    return list(session.execute(select(Person).order_by(Person.name)).scalars())
