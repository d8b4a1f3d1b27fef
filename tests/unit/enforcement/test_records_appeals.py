"""Appeals on record, on SQLite and PostgreSQL: the window, what can be appealed, who may decide, and what
upholding and overturning do to the actions and to the original case."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from overt.enforcement.actions import ActionSpec
from overt.enforcement.models import Action, Appeal, Case, Notice
from overt.enforcement.records import appeals, cases
from overt.enforcement.store import Store

from .test_records_cases import events, open_case, payload, seeded, verified
from .test_records_decisions import decide, order

__all__ = ["seeded"]

LABEL = ActionSpec(type="label", label_text="Run by a ministry")
DEMOTE = ActionSpec(type="demote", markets=("DE",))


def decided(store: Store, *, restricted_to: tuple[str, ...] = ()) -> tuple[int, int]:
    """A case assigned to ana, decided by ben with dana: acct-1 labelled and demoted, acct-2 labelled."""
    case_id = open_case(store, restricted_to=list(restricted_to))
    with store.transaction() as session:
        assigner, assignee = ("root", "ana") if not restricted_to else ("lena", "lena")
        cases.assign(session, case_id, assignee, actor=assigner, reason="review")
    actor, deciders = ("ben", ("dana",)) if not restricted_to else ("lena", ("omar",))
    orders = [order("acct-1", LABEL), order("acct-1", DEMOTE), order("acct-2", LABEL)]
    return case_id, decide(store, case_id, orders, actor=actor, deciders=deciders)


def file(store: Store, decision_id: int, account: str, *, on: date | None = None) -> int:
    with store.transaction() as session:
        return appeals.file(session, decision_id, account, "I run this account myself.", actor="intake", on=on).id


def rule(store: Store, appeal_id: int, outcome: str, actor: str = "cleo") -> None:
    with store.transaction() as session:
        appeals.decide(session, appeal_id, outcome, actor=actor, reason="the evidence was reviewed again")


def state(store: Store, case_id: int) -> str:
    with store.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.state


def statuses(store: Store, decision_id: int) -> list[tuple[str, str, str]]:
    with store.reading() as session:
        rows = session.execute(select(Action).where(Action.decision_id == decision_id)).scalars()
        return sorted((a.subject_id, a.action_type, a.status) for a in rows)


def test_the_appeal_window(seeded: Store) -> None:
    case_id, decision_id = decided(seeded)
    with seeded.reading() as session:
        notice = session.execute(select(Notice).where(Notice.account_id == "acct-1")).scalar_one()
    last = date.fromisoformat(notice.appeal_until)
    assert last >= date.fromisoformat(notice.created_at[:10]) + timedelta(days=180)
    with pytest.raises(appeals.AppealError, match=f"window for decision {decision_id} closed on {last.isoformat()}"):
        file(seeded, decision_id, "acct-1", on=last + timedelta(days=1))
    appeal_id = file(seeded, decision_id, "acct-1", on=last)
    with seeded.reading() as session:
        row = session.get(Appeal, appeal_id)
        assert row is not None and (row.decision_id, row.account_id, row.outcome) == (decision_id, "acct-1", None)
        filed = events(session, "appeal.file")[-1]
    assert payload(filed) | {"filed_at": None} == {
        "appeal": appeal_id, "decision": decision_id, "case": case_id,
        "filed_at": None, "notice_at": notice.created_at, "deadline": last.isoformat(),
    }  # fmt: skip
    assert "acct-1" not in filed.payload and "myself" not in filed.payload and filed.personal_ref is not None


def test_only_accounts_acted_on_and_one_open_appeal_each(seeded: Store) -> None:
    _, decision_id = decided(seeded)
    with pytest.raises(appeals.AppealError, match=f"decision {decision_id} took no action on acct-9"):
        file(seeded, decision_id, "acct-9")
    with pytest.raises(appeals.AppealError, match="no decision 999"):
        file(seeded, 999, "acct-1")
    with pytest.raises(appeals.AppealError, match="states its grounds"), seeded.transaction() as session:
        appeals.file(session, decision_id, "acct-1", "  ", actor="intake")
    first = file(seeded, decision_id, "acct-1")
    with pytest.raises(appeals.AppealError, match=f"already open \\(case {first}\\)"):
        file(seeded, decision_id, "acct-1")
    file(seeded, decision_id, "acct-2")  # another account's appeal of the same decision
    with seeded.reading() as session:
        assert [(a.account_id, a.outcome) for a in appeals.listing(session, open_only=True)] == [
            ("acct-1", None), ("acct-2", None),
        ]  # fmt: skip


@pytest.mark.parametrize("reviewer", ["ben", "dana", "ana"])  # applied the actions, co-decided, was assigned
def test_the_reviewer_must_not_be_involved(seeded: Store, reviewer: str) -> None:
    case_id, decision_id = decided(seeded)
    appeal_id = file(seeded, decision_id, "acct-1")
    with pytest.raises(appeals.AppealError, match=f"{reviewer} was involved in decision {decision_id}"):
        rule(seeded, appeal_id, "overturned", actor=reviewer)
    assert state(seeded, case_id) == "appealed"
    assert all(status == "in_effect" for _, _, status in statuses(seeded, decision_id))


def test_upheld_keeps_the_actions(seeded: Store) -> None:
    case_id, decision_id = decided(seeded)
    before = statuses(seeded, decision_id)
    appeal_id = file(seeded, decision_id, "acct-1")
    assert state(seeded, case_id) == "appealed" and state(seeded, appeal_id) == "open"
    rule(seeded, appeal_id, "upheld")
    assert statuses(seeded, decision_id) == before
    assert state(seeded, case_id) == "decided" and state(seeded, appeal_id) == "decided"
    with seeded.reading() as session:
        decided_event = payload(events(session, "appeal.decide")[-1])
        row = session.get(Appeal, appeal_id)
        assert row is not None and (row.outcome, row.decided_by) == ("upheld", "cleo")
        assert events(session, "action.reverse") == []
    assert (decided_event["outcome"], decided_event["reversed_actions"]) == ("upheld", [])
    with pytest.raises(appeals.AppealError, match="was decided already \\(upheld\\)"):
        rule(seeded, appeal_id, "overturned")
    # A decided appeal no longer blocks a new one for the same account.
    file(seeded, decision_id, "acct-1")


def test_overturned_reverses_only_that_account(seeded: Store) -> None:
    case_id, decision_id = decided(seeded)
    first = file(seeded, decision_id, "acct-1")
    second = file(seeded, decision_id, "acct-2")
    rule(seeded, first, "overturned")
    assert statuses(seeded, decision_id) == [
        ("acct-1", "demote", "reversed"), ("acct-1", "label", "reversed"), ("acct-2", "label", "in_effect"),
    ]  # fmt: skip
    # The other appeal is still open: the original case stays appealed until it is decided too.
    assert state(seeded, case_id) == "appealed"
    with seeded.reading() as session:
        reversed_events = events(session, "action.reverse")
        decided_event = payload(events(session, "appeal.decide")[-1])
        acct1 = session.execute(select(Action.id).where(Action.subject_id == "acct-1")).scalars().all()
    assert sorted(payload(e)["action"] for e in reversed_events) == sorted(acct1)
    assert {payload(e)["appeal"] for e in reversed_events} == {first}
    assert all(payload(e)["decision"] == decision_id for e in reversed_events)
    assert sorted(decided_event["reversed_actions"]) == sorted(acct1)
    assert decided_event["outcome"] == "overturned"
    rule(seeded, second, "upheld")
    assert state(seeded, case_id) == "decided"
    verified(seeded)


def test_appeal_outcomes_and_reasons_are_checked(seeded: Store) -> None:
    _, decision_id = decided(seeded)
    appeal_id = file(seeded, decision_id, "acct-1")
    with pytest.raises(appeals.AppealError, match="unknown outcome 'partly'"):
        rule(seeded, appeal_id, "partly")
    with pytest.raises(appeals.AppealError, match="gives its reasons"), seeded.transaction() as session:
        appeals.decide(session, appeal_id, "upheld", actor="cleo", reason=" ")
    with pytest.raises(appeals.AppealError, match="no appeal 999"):
        rule(seeded, 999, "upheld")


def test_an_appeal_of_a_protected_case_is_protected(seeded: Store) -> None:
    case_id, decision_id = decided(seeded, restricted_to=("legal", "policy_lead"))
    appeal_id = file(seeded, decision_id, "acct-2")
    with seeded.reading() as session:
        appeal_case = session.get(Case, appeal_id)
        assert appeal_case is not None
        assert (appeal_case.type, appeal_case.parent_id, appeal_case.queue) == ("appeal", case_id, "appeals")
        assert cases.restricted_roles(appeal_case) == {"legal", "policy_lead"}
    from overt.enforcement.records.people import PeopleError

    with pytest.raises(PeopleError, match="cannot decide protected case"):
        rule(seeded, appeal_id, "overturned", actor="cleo")
    with pytest.raises(appeals.AppealError, match="omar was involved"):
        rule(seeded, appeal_id, "overturned", actor="omar")
    rule(seeded, appeal_id, "overturned", actor="lars")  # legal, and no part in the decision
    assert statuses(seeded, decision_id)[-1] == ("acct-2", "label", "reversed")
