"""The review of a designation: every step, and every rule that refuses one."""

from __future__ import annotations

import pytest

from overt.enforcement.designations import (
    DesignationError,
    ReviewState,
    appeal,
    approve,
    content_hash,
    decide_appeal,
    propose,
    reject,
    revise,
    withdraw,
)

from .test_designations_model import record


@pytest.fixture
def proposed() -> ReviewState:
    return propose(record(), proposer="pat")


@pytest.fixture
def approved(proposed: ReviewState) -> ReviewState:
    return approve(approve(proposed, approver="ann"), approver="bob")


def test_two_distinct_approvers_make_it_approved(proposed: ReviewState) -> None:
    assert proposed.status == "proposed" and proposed.in_force is None
    assert proposed.latest.number == 1 and proposed.latest.content_hash == content_hash(record())
    once = approve(proposed, approver="ann")
    assert once.status == "proposed" and [a.approver for a in once.approvals] == ["ann"]
    twice = approve(once, approver="bob")
    assert twice.status == "approved" and twice.in_force == 1 and twice.approved_by == ("ann", "bob")
    assert all(a.content_hash == proposed.latest.content_hash for a in twice.approvals)
    assert twice.in_force_designation == record()
    assert proposed.status == "proposed"  # the earlier state is unchanged (immutable)


def test_the_proposer_cannot_approve(proposed: ReviewState) -> None:
    with pytest.raises(DesignationError, match="pat proposed designation 'ru-rt-international' and cannot approve it"):
        approve(proposed, approver="pat")


def test_one_person_cannot_approve_twice(proposed: ReviewState) -> None:
    once = approve(proposed, approver="ann")
    with pytest.raises(DesignationError, match="ann has already approved version 1"):
        approve(once, approver=" ann ")


def test_an_incomplete_version_cannot_be_approved() -> None:
    state = propose(record(evidence={}, country=None), proposer="pat")
    with pytest.raises(DesignationError) as caught:
        approve(state, approver="ann")
    assert caught.value.reasons == [
        "country: needed: the label names the state behind the entity (a code such as 'RU')",
        "evidence: a state_controlled_media designation needs ownership or editorial_control with the finding "
        "'indicates_state_control' and a source",
    ]
    assert "not complete enough to approve" in str(caught.value)


def test_only_a_proposed_designation_can_be_approved(approved: ReviewState) -> None:
    with pytest.raises(DesignationError, match="it is approved, and only a proposed one can be"):
        approve(approved, approver="cy")


def test_every_step_names_a_person(proposed: ReviewState) -> None:
    with pytest.raises(DesignationError, match="approver is empty"):
        approve(proposed, approver="  ")
    with pytest.raises(DesignationError, match="proposer is empty"):
        propose(record(), proposer="")


def test_reject_needs_a_reason_and_a_reviewer_other_than_the_proposer(proposed: ReviewState) -> None:
    with pytest.raises(DesignationError, match="a rejection needs a reason"):
        reject(proposed, reviewer="ann", reason=" ")
    with pytest.raises(DesignationError, match="a proposer withdraws their proposal"):
        reject(proposed, reviewer="pat", reason="changed my mind")
    rejected = reject(proposed, reviewer="ann", reason="ownership source is a blog")
    assert rejected.status == "rejected" and rejected.closed_by == "ann"
    assert rejected.latest.rejected == "ownership source is a blog"
    for step in (
        lambda: approve(rejected, approver="bob"),
        lambda: reject(rejected, reviewer="bob", reason="x"),
        lambda: withdraw(rejected, by="pat", reason="x"),
        lambda: revise(rejected, record(entity="RT"), author="pat", reason="x"),
    ):
        with pytest.raises(DesignationError, match="it is rejected"):
            step()


def test_withdraw(proposed: ReviewState, approved: ReviewState) -> None:
    gone = withdraw(proposed, by="pat", reason="duplicate of another proposal")
    assert gone.status == "withdrawn" and gone.closed_reason == "duplicate of another proposal"
    lifted = withdraw(approved, by="lee", reason="outlet closed")
    assert lifted.status == "withdrawn" and lifted.in_force is None and lifted.in_force_designation is None
    with pytest.raises(DesignationError, match="a withdrawal needs a reason"):
        withdraw(proposed, by="pat", reason="")
    with pytest.raises(DesignationError, match="it is withdrawn"):
        withdraw(gone, by="pat", reason="again")


def test_revise_resets_approvals_and_records_what_changed(proposed: ReviewState) -> None:
    once = approve(proposed, approver="ann")
    revised = revise(once, record(domains=["rt.com", "swentr.site"]), author="cy", reason="add mirror domain")
    assert revised.approvals == () and revised.status == "proposed"
    assert revised.latest.number == 2 and revised.latest.changes == ("domains: added 'swentr.site'",)
    assert revised.latest.author == "cy" and revised.latest.reason == "add mirror domain"
    # ann approved version 1's evidence; version 2 needs her approval again, and cy wrote it so cannot give one.
    with pytest.raises(DesignationError, match="cy wrote version 2 and cannot approve it"):
        approve(revised, approver="cy")
    done = approve(approve(revised, approver="ann"), approver="bob")
    assert done.status == "approved" and done.in_force == 2
    assert [a.content_hash for a in done.approvals] == [revised.latest.content_hash] * 2


def test_revise_refusals(proposed: ReviewState) -> None:
    with pytest.raises(DesignationError, match="changes nothing"):
        revise(proposed, record(), author="cy", reason="no-op")
    with pytest.raises(DesignationError, match="keeps the designation's id: it is 'ru-rt-international'"):
        revise(proposed, record(id="ru-rt"), author="cy", reason="rename")
    with pytest.raises(DesignationError, match="a revision needs a reason"):
        revise(proposed, record(entity="RT"), author="cy", reason="")


def test_a_revision_of_an_approved_designation_leaves_the_approved_version_in_force(approved: ReviewState) -> None:
    revised = revise(approved, record(entity="RT"), author="cy", reason="rename")
    assert revised.status == "proposed" and revised.in_force == 1 and revised.approved_by == ("ann", "bob")
    assert revised.in_force_designation == record() and revised.designation == record(entity="RT")
    back = reject(revised, reviewer="dee", reason="the outlet calls itself RT International")
    assert back.status == "approved" and back.in_force == 1 and back.versions[1].rejected
    assert back.closed_reason is None


def test_appeal_upheld_keeps_it(approved: ReviewState) -> None:
    opened = appeal(approved, appellant="RT legal", grounds="we are editorially independent")
    assert opened.open_appeal is not None and opened.open_appeal.version == 1
    upheld = decide_appeal(opened, decided_by="eve", outcome="upheld", reason="ownership documented")
    assert upheld.status == "approved" and upheld.open_appeal is None
    assert upheld.appeals[0].outcome == "upheld" and upheld.appeals[0].decided_by == "eve"


def test_appeal_overturned_withdraws_it(approved: ReviewState) -> None:
    opened = appeal(approved, appellant="RT legal", grounds="sold to a private owner in 2024")
    overturned = decide_appeal(opened, decided_by="eve", outcome="overturned", reason="sale confirmed")
    assert overturned.status == "withdrawn" and overturned.in_force is None
    assert overturned.closed_reason == "appeal 1 overturned: sale confirmed"


def test_appeal_refusals(proposed: ReviewState, approved: ReviewState) -> None:
    with pytest.raises(DesignationError, match="only an approved designation can be appealed"):
        appeal(proposed, appellant="RT legal", grounds="x")
    with pytest.raises(DesignationError, match="an appeal needs a reason"):
        appeal(approved, appellant="RT legal", grounds="")
    with pytest.raises(DesignationError, match="has no open appeal to decide"):
        decide_appeal(approved, decided_by="eve", outcome="upheld", reason="x")
    opened = appeal(approved, appellant="RT legal", grounds="independent")
    with pytest.raises(DesignationError, match="already has an open appeal"):
        appeal(opened, appellant="RT legal", grounds="again")
    with pytest.raises(DesignationError, match="ann approved the version under appeal and cannot decide"):
        decide_appeal(opened, decided_by="ann", outcome="overturned", reason="x")
    with pytest.raises(DesignationError, match="pat proposed designation 'ru-rt-international' and cannot decide"):
        decide_appeal(opened, decided_by="pat", outcome="upheld", reason="x")
    with pytest.raises(DesignationError, match="'upheld' or 'overturned', not 'dismissed'"):
        decide_appeal(opened, decided_by="eve", outcome="dismissed", reason="x")  # type: ignore[arg-type]
    with pytest.raises(DesignationError, match="an appeal decision needs a reason"):
        decide_appeal(opened, decided_by="eve", outcome="upheld", reason="")
    with pytest.raises(DesignationError, match=r"open appeal .* decide it first"):
        revise(opened, record(entity="RT"), author="cy", reason="rename")
    with pytest.raises(DesignationError, match="open appeal"):
        withdraw(opened, by="lee", reason="x")


def test_state_round_trips_through_json(approved: ReviewState) -> None:
    opened = appeal(revise(approved, record(entity="RT"), author="cy", reason="rename"), appellant="a", grounds="g")
    data = opened.to_json()
    assert ReviewState.model_validate(data) == opened
    assert data["versions"][1]["changes"] == ["entity: 'RT International' → 'RT'"]
