"""Actions on record, on SQLite and PostgreSQL: propose, apply, reverse, decline; every step audited."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from overt.enforcement import audit
from overt.enforcement.actions import ActionSpec
from overt.enforcement.models import Action, AuditEvent, PersonalData
from overt.enforcement.records import actions as records
from overt.enforcement.store import Store

SOURCE = records.Source(policy_id="concealed_state_affiliation", policy_version=1, clause="hidden_operator")
DEMOTE = ActionSpec(type="demote", markets=("DE", "US"), duration="P1M")
SUSPEND_ABROAD = ActionSpec(type="suspend", markets=("EU",), outside_home_market=True)


def _propose(store: Store, spec: ActionSpec = DEMOTE, **extra: object) -> int:
    arguments: dict[str, object] = {
        "spec": spec,
        "subject_kind": "account",
        "subject_id": "acct-4711",
        "source": SOURCE,
        "actor": "analyst",
        "reason": "network member",
    } | extra
    with store.transaction() as session:
        return records.propose(session, **arguments).id  # type: ignore[arg-type]


def _action(store: Store, action_id: int) -> Action:
    with store.reading() as session:
        row = session.get(Action, action_id)
        assert row is not None
        return row


def _events(store: Store, action_id: int) -> list[AuditEvent]:
    with store.reading() as session:
        return list(reversed(audit.history(session, subject_kind="action", subject_id=str(action_id))))


def _verified(store: Store) -> None:
    with store.reading() as session:
        result = audit.verify(session)
    assert result.ok, result.summary()


def test_propose_apply_reverse(store: Store) -> None:
    action_id = _propose(store)
    row = _action(store, action_id)
    assert (row.status, row.action_type, row.subject_kind, row.subject_id) == (
        "proposed",
        "demote",
        "account",
        "acct-4711",
    )
    assert (row.policy_id, row.policy_version, row.clause) == ("concealed_state_affiliation", 1, "hidden_operator")
    assert (row.proposed_by, row.applied_at, row.ends_at, json.loads(row.dsa)) == ("analyst", None, None, {})
    assert json.loads(row.spec)["home_market"] is None

    with store.transaction() as session:
        records.apply(session, action_id, actor="reviewer", reason="evidence holds", on=date(2026, 1, 31))
    row = _action(store, action_id)
    assert row.status == "in_effect" and row.applied_at is not None
    assert row.ends_at == "2026-02-28"  # a month after 31 January: the month's last day
    assert json.loads(row.dsa) == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED"],
        "end_date_visibility_restriction": "2026-02-28",
        "territorial_scope": ["DE"],  # the US is outside the EEA
    }

    with store.transaction() as session:
        records.reverse(session, action_id, actor="appeals", reason="appeal upheld")
    row = _action(store, action_id)
    assert (row.status, row.reversed_by) == ("reversed", "appeals") and row.reversed_at is not None

    propose, apply, reverse = _events(store, action_id)
    assert [e.action for e in (propose, apply, reverse)] == ["action.propose", "action.apply", "action.reverse"]
    assert [e.actor for e in (propose, apply, reverse)] == ["analyst", "reviewer", "appeals"]
    # Each step's before is the previous step's after: the log shows the action's whole path.
    assert propose.before_ref is None
    assert apply.before_ref == propose.after_ref and reverse.before_ref == apply.after_ref
    assert len({propose.after_ref, apply.after_ref, reverse.after_ref}) == 3
    assert json.loads(apply.payload)["dsa"]["end_date_visibility_restriction"] == "2026-02-28"
    assert json.loads(apply.payload)["enforces"] == "concealed_state_affiliation#hidden_operator"
    assert json.loads(reverse.payload)["undo"]
    # The subject's id is personal data: referenced from the event, never chained.
    for event in (propose, apply, reverse):
        assert "acct-4711" not in event.payload + event.reason + (event.after_ref or "") + (event.before_ref or "")
    with store.reading() as session:
        personal = session.get(PersonalData, propose.personal_ref)
        assert personal is not None and json.loads(personal.data or "") == {"subject_id": "acct-4711"}
    _verified(store)


def test_an_indefinite_action_has_no_end(store: Store) -> None:
    action_id = _propose(store, SUSPEND_ABROAD, home_market="DE")
    with store.transaction() as session:
        records.apply(session, action_id, actor="reviewer", reason="ok", on=date(2026, 3, 1))
    row = _action(store, action_id)
    assert row.ends_at is None
    fields = json.loads(row.dsa)
    assert fields["decision_account"] == "DECISION_ACCOUNT_SUSPENDED"
    assert fields["end_date_account_restriction"] is None
    assert "DE" not in fields["territorial_scope"] and "FR" in fields["territorial_scope"]


def test_decline(store: Store) -> None:
    action_id = _propose(store)
    with store.transaction() as session:
        records.decline(session, action_id, actor="reviewer", reason="not convinced")
    assert _action(store, action_id).status == "declined"
    assert [e.action for e in _events(store, action_id)] == ["action.propose", "action.decline"]
    _verified(store)


def test_illegal_steps_are_refused_and_change_nothing(store: Store) -> None:
    action_id = _propose(store)
    with (
        store.transaction() as session,
        pytest.raises(
            records.ActionError,
            match=f"action {action_id} is proposed; only an action that is in effect can be reversed",
        ),
    ):
        records.reverse(session, action_id, actor="x", reason="y")
    with store.transaction() as session:
        records.decline(session, action_id, actor="reviewer", reason="no")
    with (
        store.transaction() as session,
        pytest.raises(
            records.ActionError, match=f"action {action_id} is declined; only an action that is proposed can be applied"
        ),
    ):
        records.apply(session, action_id, actor="x", reason="y")
    with (
        store.transaction() as session,
        pytest.raises(records.ActionError, match="is declined; only an action that is proposed can be declined"),
    ):
        records.decline(session, action_id, actor="x", reason="y")
    with store.transaction() as session, pytest.raises(records.ActionError, match="no action 999"):
        records.apply(session, 999, actor="x", reason="y")

    applied = _propose(store)
    with store.transaction() as session:
        records.apply(session, applied, actor="reviewer", reason="ok")
        records.reverse(session, applied, actor="appeals", reason="upheld")
    with (
        store.transaction() as session,
        pytest.raises(records.ActionError, match="is reversed; only an action that is in effect"),
    ):
        records.reverse(session, applied, actor="appeals", reason="again")
    with store.transaction() as session, pytest.raises(records.ActionError, match="needs an actor"):
        records.apply(session, _propose(store), actor=" ", reason="y")
    assert _action(store, action_id).status == "declined"
    _verified(store)


def test_an_action_must_fit_its_subject(store: Store) -> None:
    with pytest.raises(
        records.ActionError, match="suspend cannot be applied to a post \\(only to: account, cluster\\)"
    ):
        _propose(store, ActionSpec(type="suspend"), subject_kind="post")
    with store.reading() as session:
        assert session.execute(select(Action)).first() is None


def test_an_outside_home_market_action_needs_the_home_market(store: Store) -> None:
    action_id = _propose(store, SUSPEND_ABROAD)
    with store.transaction() as session, pytest.raises(records.ActionError, match="no home market was given"):
        records.apply(session, action_id, actor="reviewer", reason="ok")
    assert _action(store, action_id).status == "proposed"


def test_an_action_row_without_an_event_is_refused(store: Store) -> None:
    row = Action(
        action_type="demote", subject_kind="account", subject_id="x", policy_id="p", policy_version=1, clause="c",
        spec="{}", dsa="{}", status="in_effect", reason="sneaky", proposed_by="mallory", proposed_at=audit.now(),
    )  # fmt: skip
    with pytest.raises(audit.AuditError, match=r"audit\.record"), store.transaction() as session:
        session.add(row)
    with store.reading() as session:
        assert session.execute(select(Action)).first() is None


def test_an_action_changed_without_an_event_is_refused(store: Store) -> None:
    action_id = _propose(store)
    with store.sessions() as session:
        row = session.get(Action, action_id)
        assert row is not None
        row.status = "in_effect"
        with pytest.raises(audit.AuditError, match=r"audit\.record"):
            session.commit()
    assert _action(store, action_id).status == "proposed"


def test_listing(store: Store) -> None:
    first, second = _propose(store), _propose(store, subject_id="other")
    with store.transaction() as session:
        records.apply(session, first, actor="reviewer", reason="ok")
    with store.reading() as session:
        assert [a.id for a in records.listing(session)] == [second, first]
        assert [a.id for a in records.listing(session, status=["in_effect"])] == [first]
        assert [a.id for a in records.listing(session, subject_id="other")] == [second]
        assert [a.id for a in records.listing(session, limit=1)] == [second]
