"""The review of a designation, as pure functions over an immutable state: the lead stores the state and audits
each step; nothing here reads a clock or a database.

::

    propose ─► proposed ─(approve by two people)─► approved ─(appeal, decide_appeal: overturned)─► withdrawn
                 │  ▲                                 │  (appeal upheld: stays approved)
                 │  └──────────── revise ◄────────────┤  (the approved version stays in force meanwhile)
                 ├─ reject ─► rejected                └─ withdraw ─► withdrawn
                 └─ withdraw ─► withdrawn

The rules, each enforced by the step it concerns and refused with a :class:`DesignationError` that names it:

- Two people approve, and neither is the proposer: a label is a public claim about someone, so no one person
  decides it, and nobody checks their own work. The author of a revision cannot approve it for the same reason.
- Only a version complete enough to approve can be approved (:func:`approval_gaps`).
- An approval is of one version (its content hash). A revision starts a new version and clears the approvals:
  the approvers approved specific evidence, not whatever the record later says. A revision of an approved
  designation leaves the approved version in force (``in_force``) until the revision is approved; rejecting the
  revision returns to the version in force.
- Rejecting needs a reason and is a reviewer's decision, not the proposer's (a proposer withdraws instead).
- An appeal is against the version in force; it is decided by someone who neither approved that version nor
  proposed the designation, with a reason. Overturned, the designation is withdrawn; upheld, it stays. While an
  appeal is open the record cannot be revised, so the appeal is decided on what it contests.
- Rejected and withdrawn designations are closed: a new proposal starts a new review.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from overt.enforcement.designations.errors import DesignationError
from overt.enforcement.designations.history import content_hash, diff
from overt.enforcement.designations.model import Designation, approval_gaps

Status = Literal["proposed", "approved", "rejected", "withdrawn"]
#: How many distinct people (none of them the proposer) must approve a version.
APPROVALS_NEEDED = 2


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Version(_Frozen):
    """One version of the record: its content and hash, who wrote it, why, and what changed from the previous."""

    number: int
    designation: Designation
    content_hash: str
    author: str
    reason: str
    changes: tuple[str, ...] = ()
    rejected: str | None = None  # the rejection reason, when this version was rejected


class Approval(_Frozen):
    """One person's approval of one version (by number and content hash)."""

    approver: str
    version: int
    content_hash: str


class Appeal(_Frozen):
    """An appeal against the version in force, and its decision once made."""

    number: int
    appellant: str
    grounds: str
    version: int
    outcome: Literal["open", "upheld", "overturned"] = "open"
    decided_by: str | None = None
    reason: str | None = None


class ReviewState(_Frozen):
    """Where the review of one designation stands; every step returns a new state.

    ``approvals`` are those of the latest version; ``in_force`` is the number of the approved version whose label
    applies (None when none does) and ``approved_by`` who approved it.
    """

    id: str
    status: Status
    proposer: str
    versions: tuple[Version, ...]
    approvals: tuple[Approval, ...] = ()
    in_force: int | None = None
    approved_by: tuple[str, ...] = ()
    appeals: tuple[Appeal, ...] = ()
    closed_by: str | None = None
    closed_reason: str | None = None

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def designation(self) -> Designation:
        """The latest version's record (the one under review, or in force when nothing is pending)."""
        return self.latest.designation

    @property
    def in_force_designation(self) -> Designation | None:
        """The record whose label applies now, if any."""
        if self.in_force is None:
            return None
        return self.versions[self.in_force - 1].designation

    @property
    def open_appeal(self) -> Appeal | None:
        return next((appeal for appeal in self.appeals if appeal.outcome == "open"), None)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _person(name: str, role: str) -> str:
    person = name.strip()
    if not person:
        raise DesignationError(f"{role} is empty: every step names the person who takes it")
    return person


def _reason(text: str, step: str) -> str:
    reason = text.strip()
    if not reason:
        raise DesignationError(f"{step} needs a reason: it is recorded and shown to the entity")
    return reason


def _require(state: ReviewState, allowed: tuple[Status, ...], step: str) -> None:
    if state.status not in allowed:
        wanted = " or ".join(allowed)
        raise DesignationError(
            f"cannot {step} designation '{state.id}': it is {state.status}, and only a {wanted} one can be"
        )


def propose(designation: Designation, *, proposer: str, reason: str = "proposed") -> ReviewState:
    """Open the review of a well-formed designation (it may still have gaps: see :func:`approval_gaps`)."""
    person = _person(proposer, "proposer")
    version = Version(
        number=1,
        designation=designation,
        content_hash=content_hash(designation),
        author=person,
        reason=_reason(reason, "a proposal"),
    )
    return ReviewState(id=designation.id, status="proposed", proposer=person, versions=(version,))


def approve(state: ReviewState, *, approver: str) -> ReviewState:
    """Record one approval of the latest version; the second distinct approval makes it approved and in force."""
    person = _person(approver, "approver")
    _require(state, ("proposed",), "approve")
    version = state.latest
    if person == state.proposer:
        raise DesignationError(
            f"{person} proposed designation '{state.id}' and cannot approve it: "
            f"{APPROVALS_NEEDED} people other than the proposer must approve"
        )
    if person == version.author:
        raise DesignationError(
            f"{person} wrote version {version.number} and cannot approve it: nobody checks their own work"
        )
    if any(approval.approver == person for approval in state.approvals):
        raise DesignationError(
            f"{person} has already approved version {version.number}: the next approval must come from someone else"
        )
    gaps = approval_gaps(version.designation)
    if gaps:
        raise DesignationError(
            f"version {version.number} of designation '{state.id}' is not complete enough to approve:",
            [str(gap) for gap in gaps],
        )
    approvals = (*state.approvals, Approval(approver=person, version=version.number, content_hash=version.content_hash))
    if len(approvals) < APPROVALS_NEEDED:
        return state.model_copy(update={"approvals": approvals})
    return state.model_copy(
        update={
            "approvals": approvals,
            "status": "approved",
            "in_force": version.number,
            "approved_by": tuple(approval.approver for approval in approvals),
        }
    )


def reject(state: ReviewState, *, reviewer: str, reason: str) -> ReviewState:
    """Reject the latest version with a reason: the review closes, or a rejected revision falls back to the version
    in force."""
    person = _person(reviewer, "reviewer")
    _require(state, ("proposed",), "reject")
    why = _reason(reason, "a rejection")
    if person == state.proposer:
        raise DesignationError(
            f"{person} proposed designation '{state.id}' and cannot reject it: a proposer withdraws their proposal"
        )
    versions = (*state.versions[:-1], state.latest.model_copy(update={"rejected": why}))
    if state.in_force is not None:
        return state.model_copy(
            update={
                "versions": versions,
                "status": "approved",
                "approvals": (),
                "closed_by": None,
                "closed_reason": None,
            }
        )
    return state.model_copy(
        update={"versions": versions, "status": "rejected", "closed_by": person, "closed_reason": why}
    )


def withdraw(state: ReviewState, *, by: str, reason: str) -> ReviewState:
    """Withdraw a proposed or approved designation: its label, if any, no longer applies."""
    person = _person(by, "the person withdrawing")
    _require(state, ("proposed", "approved"), "withdraw")
    if state.open_appeal is not None:
        raise DesignationError(
            f"designation '{state.id}' has an open appeal (no. {state.open_appeal.number}): decide it "
            "(overturning withdraws the designation) rather than withdrawing around it"
        )
    return state.model_copy(
        update={
            "status": "withdrawn",
            "in_force": None,
            "approvals": (),
            "closed_by": person,
            "closed_reason": _reason(reason, "a withdrawal"),
        }
    )


def revise(state: ReviewState, designation: Designation, *, author: str, reason: str) -> ReviewState:
    """A new version of the record; it clears the approvals, because they were given to the previous evidence."""
    person = _person(author, "author")
    _require(state, ("proposed", "approved"), "revise")
    if designation.id != state.id:
        raise DesignationError(
            f"a revision keeps the designation's id: it is '{state.id}', the revision says '{designation.id}'"
        )
    appeal = state.open_appeal
    if appeal is not None:
        raise DesignationError(
            f"designation '{state.id}' has an open appeal (no. {appeal.number}) against version {appeal.version}: "
            "decide it first, so that it is decided on the version it contests"
        )
    changes = diff(state.designation, designation)
    if not changes:
        raise DesignationError(f"the revision of designation '{state.id}' changes nothing")
    version = Version(
        number=state.latest.number + 1,
        designation=designation,
        content_hash=content_hash(designation),
        author=person,
        reason=_reason(reason, "a revision"),
        changes=tuple(change.render() for change in changes),
    )
    return state.model_copy(update={"versions": (*state.versions, version), "status": "proposed", "approvals": ()})


def appeal(state: ReviewState, *, appellant: str, grounds: str) -> ReviewState:
    """Open an appeal against the version in force."""
    person = _person(appellant, "appellant")
    if state.in_force is None:
        raise DesignationError(
            f"designation '{state.id}' is {state.status} and has no version in force: only an approved "
            "designation can be appealed"
        )
    if state.open_appeal is not None:
        raise DesignationError(
            f"designation '{state.id}' already has an open appeal (no. {state.open_appeal.number}): one at a time"
        )
    opened = Appeal(
        number=len(state.appeals) + 1,
        appellant=person,
        grounds=_reason(grounds, "an appeal"),
        version=state.in_force,
    )
    return state.model_copy(update={"appeals": (*state.appeals, opened)})


def decide_appeal(
    state: ReviewState, *, decided_by: str, outcome: Literal["upheld", "overturned"], reason: str
) -> ReviewState:
    """Decide the open appeal: ``upheld`` keeps the designation, ``overturned`` withdraws it."""
    person = _person(decided_by, "the person deciding the appeal")
    opened = state.open_appeal
    if opened is None:
        raise DesignationError(f"designation '{state.id}' has no open appeal to decide")
    if outcome not in ("upheld", "overturned"):
        raise DesignationError(f"an appeal is 'upheld' or 'overturned', not '{outcome}'")
    if person in state.approved_by:
        raise DesignationError(
            f"{person} approved the version under appeal and cannot decide the appeal: an appeal is decided by "
            "someone who was not an approver"
        )
    if person == state.proposer:
        raise DesignationError(f"{person} proposed designation '{state.id}' and cannot decide the appeal against it")
    why = _reason(reason, "an appeal decision")
    decided = opened.model_copy(update={"outcome": outcome, "decided_by": person, "reason": why})
    appeals = tuple(decided if item.number == opened.number else item for item in state.appeals)
    if outcome == "upheld":
        return state.model_copy(update={"appeals": appeals})
    return state.model_copy(
        update={
            "appeals": appeals,
            "status": "withdrawn",
            "in_force": None,
            "approvals": (),
            "closed_by": person,
            "closed_reason": f"appeal {opened.number} overturned: {why}",
        }
    )
