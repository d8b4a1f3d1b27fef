"""Decisions on record, on SQLite and PostgreSQL: the clause and the policy's allowed actions in each market, the
outcome, the notices (per account, in its language), the DSA statements (EEA only, never with personal data) and
the ``action.apply`` and ``decision.make`` events, all in one transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from overt.enforcement.actions import ActionSpec
from overt.enforcement.models import Action, AuditEvent, Case, Decision, Notice, Statement
from overt.enforcement.records import decisions
from overt.enforcement.records.notify import Settings, makers
from overt.enforcement.store import Store

from .test_records_cases import count, events, open_case, payload, seeded, verified

__all__ = ["seeded"]

ON = date(2026, 3, 2)
HIDDEN = "concealed_state_affiliation#hidden_operator"
FACTS = decisions.Facts(
    text="The account posted as a private citizen while a ministry decided what it posted.",
    detection_source="user_report",
    automated_detection=False,
    state_actor=True,
)


def order(account: str, spec: ActionSpec, **extra: Any) -> decisions.Order:
    return decisions.Order(spec=spec, subject_kind="account", subject_id=account, **extra)


def decide(
    store: Store,
    case_id: int,
    orders: Sequence[decisions.Order],
    *,
    enforces: str = HIDDEN,
    outcome: str = "action",
    facts: decisions.Facts = FACTS,
    actor: str = "ben",
    deciders: Sequence[str] = ("dana",),
) -> int:
    notices, statements = makers(Settings(platform="Example"))
    with store.transaction() as session:
        return decisions.decide(
            session,
            case_id,
            enforces=enforces,
            outcome=outcome,
            facts=facts,
            orders=orders,
            deciders=deciders,
            actor=actor,
            reason="evidence holds",
            notices=notices,
            statements=statements,
            on=ON,
        ).id


def test_decide_records_everything(seeded: Store) -> None:
    case_id = open_case(seeded, detection_source="user_report")
    label = ActionSpec(type="label", label_text="Run by a ministry")
    demote = ActionSpec(type="demote", markets=("DE", "FR"), duration="P30D")
    decision_id = decide(seeded, case_id, [order("acct-1", label), order("acct-1", demote), order("acct-2", label)])
    with seeded.reading() as session:
        row = session.get(Decision, decision_id)
        assert row is not None
        assert (row.policy_id, row.policy_version, row.clause, row.outcome) == (
            "concealed_state_affiliation", 1, "hidden_operator", "action",
        )  # fmt: skip
        assert json.loads(row.decided_by) == ["ben", "dana"]
        taken = session.execute(select(Action).where(Action.decision_id == decision_id)).scalars().all()
        assert sorted((a.subject_id, a.action_type, a.status, a.case_id) for a in taken) == [
            ("acct-1", "demote", "in_effect", case_id), ("acct-1", "label", "in_effect", case_id),
            ("acct-2", "label", "in_effect", case_id),
        ]  # fmt: skip
        case = session.get(Case, case_id)
        assert case is not None and case.state == "decided"
        applied = events(session, "action.apply")
        made = events(session, "decision.make")[-1]
        notices = session.execute(select(Notice).order_by(Notice.account_id)).scalars().all()
        statements = session.execute(select(Statement).order_by(Statement.account_id)).scalars().all()
    assert len(applied) == 3
    for event in applied:
        facts = payload(event)
        assert {k: facts[k] for k in ("decision", "case", "detection_source", "automated_detection",
                                      "automated_decision", "state_actor", "enforces", "policy_version")} == {
            "decision": decision_id, "case": case_id, "detection_source": "user_report",
            "automated_detection": False, "automated_decision": False, "state_actor": True,
            "enforces": HIDDEN, "policy_version": 1,
        }  # fmt: skip
        assert facts["markets"] == (["DE", "FR"] if facts["type"] == "demote" else ["GLOBAL"])
        assert facts["dsa"]["territorial_scope"]
    assert payload(made) | {"actions": []} == {
        "decision": decision_id, "case": case_id, "case_type": "account", "policy_id": "concealed_state_affiliation",
        "policy_version": 1, "clause": "hidden_operator", "outcome": "action", "actions": [],
        "detection_source": "user_report", "automated_detection": False, "automated_decision": False,
        "state_actor": True, "deciders": 2,
    }  # fmt: skip
    assert sorted(payload(made)["actions"]) == sorted(a.id for a in taken)
    # One notice and one statement per account (acct-1's two actions in one of each).
    assert [(n.account_id, n.language) for n in notices] == [("acct-1", "en"), ("acct-2", "en")]
    assert all('reads: "Run by a ministry"' in n.body for n in notices)
    assert notices[0].body.startswith("Hello acct-1,") and notices[1].body.startswith("Hello acct-2,")
    assert [s.account_id for s in statements] == ["acct-1", "acct-2"]
    first = json.loads(statements[0].payload)
    assert first["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert first["source_type"] == "SOURCE_ARTICLE_16"
    assert "DECISION_VISIBILITY_CONTENT_DEMOTED" in first["decision_visibility"]
    assert first["decision_facts"] == FACTS.text and first["automated_detection"] == "No"
    verified(seeded)


def test_the_clause_must_exist(seeded: Store) -> None:
    case_id = open_case(seeded)
    label = [order("acct-1", ActionSpec(type="label", label_text="State media"))]
    with pytest.raises(decisions.DecisionError, match="policy 'concealed_state_affiliation' has no clause 'nope'"):
        decide(seeded, case_id, label, enforces="concealed_state_affiliation#nope")
    with pytest.raises(decisions.DecisionError, match="no stored policy 'made_up'"):
        decide(seeded, case_id, label, enforces="made_up#x")
    with seeded.reading() as session:
        assert count(session, Decision) == count(session, Action) == 0


def test_actions_must_be_allowed_in_each_market(seeded: Store) -> None:
    # State media: only a label everywhere; demotion only outside the home market, under the variant's clause.
    label = ActionSpec(type="label", label_text="Russia state-affiliated media")
    demote = ActionSpec(type="demote")
    demote_abroad = ActionSpec(type="demote", outside_home_market=True)
    refusals = [
        (order("outlet", demote), "state_affiliated_media#disclosure_label", "does not allow demote in GLOBAL"),
        (order("outlet", demote, home_market="RU"), "state_affiliated_media#disclosure_label",
         "does not allow demote in GLOBAL"),
        (order("outlet", demote_abroad), "state_affiliated_media#no_amplification_abroad",
         "does not apply in GLOBAL"),  # no home market: the variant cannot apply
        # Not limited to outside the home market: it would demote the outlet at home too.
        (order("outlet", demote, home_market="RU"), "state_affiliated_media#no_amplification_abroad",
         "does not apply in RU"),
        (order("outlet", ActionSpec(type="suspend")), "state_affiliated_media#disclosure_label",
         "does not allow suspend"),
    ]  # fmt: skip
    for refused, enforces, message in refusals:
        case_id = open_case(seeded)
        with pytest.raises(decisions.DecisionError, match=message):
            decide(seeded, case_id, [refused], enforces=enforces)
    with seeded.reading() as session:
        assert count(session, Decision) == count(session, Action) == 0

    labelled = decide(
        seeded, open_case(seeded), [order("outlet", label)], enforces="state_affiliated_media#disclosure_label"
    )
    demoted = decide(
        seeded,
        open_case(seeded),
        [order("outlet", demote_abroad, home_market="RU")],
        enforces="state_affiliated_media#no_amplification_abroad",
    )
    with seeded.reading() as session:
        rows = session.execute(select(Action).order_by(Action.id)).scalars().all()
        statement = session.execute(select(Statement).where(Statement.decision_id == demoted)).scalar_one()
    assert [(a.decision_id, a.action_type, a.status) for a in rows] == [
        (labelled, "label", "in_effect"), (demoted, "demote", "in_effect"),
    ]  # fmt: skip
    assert json.loads(rows[1].spec)["home_market"] == "RU"
    assert "RU" not in json.loads(statement.payload)["territorial_scope"]
    with seeded.reading() as session:
        label_statement = session.execute(select(Statement).where(Statement.decision_id == labelled)).scalar_one()
    assert json.loads(label_statement.payload)["category_specification_other"] == (
        "State-affiliated and state-controlled media (state_affiliated_media#disclosure_label)"
    )


def test_outcome_and_orders_must_agree(seeded: Store) -> None:
    case_id = open_case(seeded)
    with pytest.raises(decisions.DecisionError, match="an 'action' decision takes at least one action"):
        decide(seeded, case_id, [])
    with pytest.raises(decisions.DecisionError, match="a 'no_action' decision takes none"):
        decide(seeded, case_id, [order("acct-1", ActionSpec(type="suspend"))], outcome="no_action")
    with pytest.raises(decisions.DecisionError, match="unknown outcome 'maybe'"):
        decide(seeded, case_id, [], outcome="maybe")
    blank = decisions.Facts(text=" ", detection_source="own_review", automated_detection=False)
    with pytest.raises(decisions.DecisionError, match="states its facts"):
        decide(seeded, case_id, [], outcome="no_action", facts=blank)
    nothing = decide(seeded, case_id, [], outcome="no_action")
    with seeded.reading() as session:
        made = payload(events(session, "decision.make")[-1])
        assert (made["decision"], made["outcome"], made["actions"]) == (nothing, "no_action", [])
        assert count(session, Action) == count(session, Notice) == count(session, Statement) == 0
        case = session.get(Case, case_id)
        assert case is not None and case.state == "decided"
    with pytest.raises(decisions.DecisionError, match="is decided; only an open, in-review or escalated case"):
        decide(seeded, case_id, [], outcome="no_action")


def test_notices_in_the_account_language(seeded: Store) -> None:
    case_id = open_case(seeded)
    suspend = ActionSpec(type="suspend")
    orders = [
        order("acct-de", suspend, language="de", handle="Kiezreporter"),
        order("acct-ja", suspend, language="ja"),
        order("acct-none", suspend),
    ]
    decision_id = decide(seeded, case_id, orders)
    with seeded.reading() as session:
        notices = {n.account_id: n for n in session.execute(select(Notice)).scalars()}
        created = {payload(e)["notice"]: payload(e) for e in events(session, "notice.create")}
    assert {a: n.language for a, n in notices.items()} == {"acct-de": "de", "acct-ja": "en", "acct-none": "en"}
    assert {a: created[n.id]["fallback"] for a, n in notices.items()} == {
        "acct-de": False, "acct-ja": True, "acct-none": False,
    }  # fmt: skip
    german = notices["acct-de"]
    assert "Kiezreporter" in german.body and str(decision_id) in german.body
    assert german.body != notices["acct-none"].body.replace("acct-none", "Kiezreporter")
    # The appeal deadline is at least six months after the notice.
    assert all(date.fromisoformat(n.appeal_until) >= date.fromisoformat(n.created_at[:10]).replace(day=1) for n in
               notices.values())  # fmt: skip
    for event in created.values():
        assert event["appeal_until"] == notices["acct-de"].appeal_until and event["decision"] == decision_id


def test_statements_only_for_the_eea(seeded: Store) -> None:
    us_only = decide(seeded, open_case(seeded), [order("acct-us", ActionSpec(type="suspend", markets=("US",)))])
    eu = decide(seeded, open_case(seeded), [order("acct-eu", ActionSpec(type="suspend", markets=("DE", "US")))])
    with seeded.reading() as session:
        statements = session.execute(select(Statement)).scalars().all()
        created = [payload(e) for e in events(session, "statement.create")]
        notices = session.execute(select(Notice.account_id).order_by(Notice.account_id)).scalars().all()
    assert [(s.decision_id, s.account_id) for s in statements] == [(eu, "acct-eu")]
    assert json.loads(statements[0].payload)["territorial_scope"] == ["DE"]
    assert [(c["decision"], c["statements"]) for c in created] == [(eu, 1)]
    assert notices == ["acct-eu", "acct-us"]  # everyone acted on is told, wherever they are
    assert us_only != eu


@pytest.mark.parametrize(
    "facts_text",
    [
        "The account was run together with @ministry_press and posted its texts.",
        "The account's operator wrote to press-office@ministry.example to agree the posts.",
    ],
)
def test_a_statement_with_personal_data_refuses_the_whole_decision(seeded: Store, facts_text: str) -> None:
    case_id = open_case(seeded)
    with seeded.reading() as session:
        before = count(session, AuditEvent)
    leaky = decisions.Facts(text=facts_text, detection_source="own_review", automated_detection=False)
    with pytest.raises(decisions.DecisionError, match="statements of reasons would not validate"):
        decide(seeded, case_id, [order("acct-1", ActionSpec(type="suspend"))], facts=leaky)
    with seeded.reading() as session:
        assert count(session, AuditEvent) == before
        for model in (Decision, Action, Notice, Statement):
            assert count(session, model) == 0
        case = session.get(Case, case_id)
        assert case is not None and case.state == "open"
    verified(seeded)
    # The same decision outside the EEA makes no statement, so nothing stops it.
    decide(seeded, case_id, [order("acct-1", ActionSpec(type="suspend", markets=("US",)))], facts=leaky)
