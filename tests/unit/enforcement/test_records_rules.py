"""Rules on record, on SQLite and PostgreSQL: versions, the lifecycle with second-person approval, and runs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from overt.enforcement import audit, documents
from overt.enforcement.documents import DocumentError
from overt.enforcement.models import Action, AuditEvent, PersonalData, RuleMatch, RuleRun, RuleVersion
from overt.enforcement.models import Rule as RuleRow
from overt.enforcement.records import rules as records
from overt.enforcement.records.policies import seed_defaults
from overt.enforcement.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "records"
DEMOTE = FIXTURES / "account_rule.yaml"  # high_score_accounts: account.score >= 0.5 -> demote
DEMOTE_V2 = FIXTURES / "account_rule_v2.yaml"  # the same rule at >= 0.8
LABEL = FIXTURES / "label_rule.yaml"  # flagged_accounts: flagged and score < 0.8 -> label
UNKNOWN_CLAUSE = FIXTURES / "unknown_clause_rule.yaml"

SCORES = pa.schema(
    [  # type: ignore[arg-type]  # pyarrow's stubs do not accept (name, type) pairs built in a list
        ("account_id", pa.string()),
        ("handle", pa.string()),
        ("cluster", pa.int64()),
        ("score", pa.float64()),
        ("flagged", pa.bool_()),
        ("coordination", pa.float64()),
        ("ties", pa.int64()),
        ("explanation", pa.string()),
        ("model", pa.string()),
    ]
)


def make_scan(folder: Path) -> Path:
    """A scan folder with scores only: a1 (0.9) and a2 (0.7) in cluster 1 and flagged, a3 (0.2) alone."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"account_id": account, "handle": account.upper(), "cluster": cluster, "score": score,
         "flagged": score >= 0.5, "coordination": 0.5, "ties": 1, "explanation": "", "model": "built-in"}
        for account, cluster, score in (("a1", 1, 0.9), ("a2", 1, 0.7), ("a3", None, 0.2))
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows, schema=SCORES), folder / "scores.parquet")
    (folder / "summary.json").write_text(json.dumps({"scan": "tiny"}), encoding="utf-8")
    return folder


@pytest.fixture
def seeded(store: Store) -> Store:
    """The store with the default policies (rules must cite their clauses)."""
    seed_defaults(store, actor="ops")
    return store


def _add(store: Store, path: Path, *, actor: str = "author", reason: str = "new rule") -> list[records.Added]:
    with store.transaction() as session:
        document = documents.load(path)
        return [
            records.add(session, rule, document, actor=actor, reason=reason)
            for rule in records.check_file(session, document)
        ]


def _promote(store: Store, rule_id: str, to: str, actor: str, reason: str = "reviewed") -> str:
    with store.transaction() as session:
        return records.promote(session, rule_id, to, actor=actor, reason=reason)


def _approve(store: Store, rule_id: str, actor: str, reason: str = "looks right") -> str:
    with store.transaction() as session:
        return records.approve(session, rule_id, actor=actor, reason=reason)


def _head(store: Store, rule_id: str) -> RuleRow:
    with store.reading() as session:
        row = session.get(RuleRow, rule_id)
        assert row is not None
        return row


def _rule_events(store: Store, rule_id: str) -> list[AuditEvent]:
    with store.reading() as session:
        return list(reversed(audit.history(session, subject_kind="rule", subject_id=rule_id)))


def _make_live(store: Store, rule_id: str) -> None:
    _promote(store, rule_id, "shadow", "author")
    _promote(store, rule_id, "live", "requester")
    _approve(store, rule_id, "approver")


def _verified(store: Store) -> audit.Verification:
    with store.reading() as session:
        result = audit.verify(session)
    assert result.ok, result.summary()
    return result


def test_add_same_and_changed_content(seeded: Store) -> None:
    assert _add(seeded, DEMOTE) == [records.Added("high_score_accounts", 1, "created")]
    head = _head(seeded, "high_score_accounts")
    assert (head.state, head.current_version, head.author, head.subject) == ("draft", 1, "author", "account")
    assert (head.enforces, head.action_type) == ("concealed_state_affiliation#hidden_operator", "demote")
    (created,) = _rule_events(seeded, "high_score_accounts")
    assert (created.action, created.actor, created.reason, created.before_ref) == (
        "rule.create",
        "author",
        "new rule",
        None,
    )

    assert _add(seeded, DEMOTE, actor="someone") == [records.Added("high_score_accounts", 1, "unchanged")]
    assert len(_rule_events(seeded, "high_score_accounts")) == 1

    _make_live(seeded, "high_score_accounts")
    assert _head(seeded, "high_score_accounts").state == "live"
    # A changed condition is a new rule for whoever approved the old one: back to draft, approval again.
    assert _add(seeded, DEMOTE_V2, actor="editor") == [records.Added("high_score_accounts", 2, "new_version")]
    head = _head(seeded, "high_score_accounts")
    assert (head.state, head.current_version, head.author) == ("draft", 2, "editor")
    assert (head.requested_state, head.requested_by) == (None, None)
    versioned = _rule_events(seeded, "high_score_accounts")[-1]
    with seeded.reading() as session:
        v1, v2 = (session.get(RuleVersion, ("high_score_accounts", n)) for n in (1, 2))
        assert v1 is not None and v2 is not None
        assert "0.5" in json.loads(v1.document)["when"] and "0.8" in json.loads(v2.document)["when"]
        assert v2.source == DEMOTE_V2.read_text(encoding="utf-8")
    assert versioned.action == "rule.version"
    assert versioned.before_ref == f"rule_versions:high_score_accounts@1:{v1.content_hash}"
    assert versioned.after_ref == f"rule_versions:high_score_accounts@2:{v2.content_hash}"
    assert json.loads(versioned.payload) == {
        "version": 2,
        "state": "draft",
        "was": "live",
        "enforces": "concealed_state_affiliation#hidden_operator",
    }
    _verified(seeded)


def test_lifecycle_and_second_person_approval(seeded: Store) -> None:
    _add(seeded, DEMOTE)
    rule = "high_score_accounts"
    with pytest.raises(records.RuleStoreError, match=r"is draft: it cannot go to live directly .*runs in shadow"):
        _promote(seeded, rule, "live", "author")
    with pytest.raises(records.RuleStoreError, match="is already draft"):
        _promote(seeded, rule, "draft", "author")
    with pytest.raises(
        records.RuleStoreError, match="unknown state 'active' \\(one of: draft, shadow, live, retired\\)"
    ):
        _promote(seeded, rule, "active", "author")
    with pytest.raises(records.RuleStoreError, match="no rule 'nope' \\(stored: high_score_accounts\\)"):
        _promote(seeded, "nope", "shadow", "author")
    with pytest.raises(records.RuleStoreError, match="has no pending request to go live"):
        _approve(seeded, rule, "approver")

    assert _promote(seeded, rule, "shadow", "author") == "shadow"
    # Going live only files a request: the rule stays in shadow.
    assert _promote(seeded, rule, "live", "requester", reason="shadow results look right") == "shadow"
    head = _head(seeded, rule)
    assert (head.state, head.requested_state, head.requested_by) == ("shadow", "live", "requester")
    request = _rule_events(seeded, rule)[-1]
    assert (request.action, request.actor, request.reason) == (
        "rule.request_live",
        "requester",
        "shadow results look right",
    )

    with pytest.raises(records.RuleStoreError, match="needs a second person to go live: requester requested it;"):
        _approve(seeded, rule, "requester")
    with pytest.raises(records.RuleStoreError, match="needs a second person to go live: author wrote this version;"):
        _approve(seeded, rule, "author")
    assert _head(seeded, rule).state == "shadow"

    assert _approve(seeded, rule, "approver", reason="checked the shadow run") == "live"
    head = _head(seeded, rule)
    assert (head.state, head.requested_state, head.requested_by) == ("live", None, None)
    live = _rule_events(seeded, rule)[-1]
    assert (live.action, live.actor) == ("rule.live", "approver")
    assert live.reason == "checked the shadow run (requested by requester)"
    assert (live.before_ref, live.after_ref) == (f"rules:{rule}@1:shadow", f"rules:{rule}@1:live")

    # Stepping back needs one person; retiring is final.
    assert _promote(seeded, rule, "shadow", "requester") == "shadow"
    assert _promote(seeded, rule, "retired", "requester") == "retired"
    for target in ("draft", "shadow", "live"):
        with pytest.raises(records.RuleStoreError, match="is retired; retired rules do not come back"):
            _promote(seeded, rule, target, "anyone")
    with pytest.raises(records.RuleStoreError, match="is retired; give a new rule a new id"):
        _add(seeded, DEMOTE_V2)
    actions = [e.action for e in _rule_events(seeded, rule)]
    assert actions == ["rule.create", "rule.shadow", "rule.request_live", "rule.live", "rule.shadow", "rule.retired"]
    _verified(seeded)


def test_the_author_who_requests_is_refused_for_both_reasons(seeded: Store) -> None:
    _add(seeded, DEMOTE)
    _promote(seeded, "high_score_accounts", "shadow", "author")
    _promote(seeded, "high_score_accounts", "live", "author")
    with pytest.raises(records.RuleStoreError, match="author requested it and author wrote this version"):
        _approve(seeded, "high_score_accounts", "author")


def test_a_pending_request_lapses_when_the_rule_steps_back(seeded: Store) -> None:
    _add(seeded, DEMOTE)
    _promote(seeded, "high_score_accounts", "shadow", "author")
    _promote(seeded, "high_score_accounts", "live", "requester")
    _promote(seeded, "high_score_accounts", "draft", "author")
    with pytest.raises(records.RuleStoreError, match="no pending request"):
        _approve(seeded, "high_score_accounts", "approver")
    assert _head(seeded, "high_score_accounts").state == "draft"


def test_rules_must_cite_stored_clauses(seeded: Store) -> None:
    with seeded.reading() as session, pytest.raises(DocumentError) as caught:
        records.check_file(session, documents.load(UNKNOWN_CLAUSE))
    rendered = str(caught.value)
    assert "concealed_state_affiliation#hidden_operater" in rendered
    assert "hidden_operator" in rendered  # the closest stored clause is suggested
    assert f"{UNKNOWN_CLAUSE}:6:11: unknown policy clause" in rendered


def test_without_stored_policies_no_clause_can_be_cited(store: Store) -> None:
    with store.reading() as session, pytest.raises(DocumentError, match="hidden_operator"):
        records.check_file(session, documents.load(DEMOTE))


def test_run_records_shadow_and_proposes_live_actions(seeded: Store, tmp_path: Path) -> None:
    scan = make_scan(tmp_path / "scan")
    _add(seeded, DEMOTE)
    _add(seeded, LABEL)
    _promote(seeded, "high_score_accounts", "shadow", "author")
    _make_live(seeded, "flagged_accounts")
    with seeded.transaction() as session:
        outcomes = records.run(session, scan, actor="scheduler")
    runs = {row.rule_id: (row, result) for row, result in outcomes}
    assert sorted(runs) == ["flagged_accounts", "high_score_accounts"]
    fingerprint = records.scan_fingerprint(scan)

    with seeded.reading() as session:
        stored_runs = {row.rule_id: row for row in session.execute(select(RuleRun)).scalars()}
        shadow, live = stored_runs["high_score_accounts"], stored_runs["flagged_accounts"]
        assert (shadow.mode, shadow.matched, shadow.rule_version, shadow.run_by) == ("shadow", 2, 1, "scheduler")
        assert (live.mode, live.matched) == ("live", 1)
        assert shadow.scan_hash == live.scan_hash == fingerprint
        matches = {(m.run_id, m.subject_kind, m.subject_id): m for m in session.execute(select(RuleMatch)).scalars()}
        assert set(matches) == {
            (shadow.id, "account", "a1"),
            (shadow.id, "account", "a2"),
            (live.id, "account", "a2"),
        }
        assert json.loads(matches[(shadow.id, "account", "a1")].evidence) == {"account.score": 0.9}
        assert json.loads(matches[(shadow.id, "account", "a1")].markets) == ["unknown"]

        # Only the live rule acts: one proposal per match, citing the rule version and the policy in force.
        (action,) = session.execute(select(Action)).scalars()
        assert (action.action_type, action.subject_kind, action.subject_id, action.status) == (
            "label",
            "account",
            "a2",
            "proposed",
        )
        assert (action.rule_id, action.rule_version) == ("flagged_accounts", 1)
        assert (action.policy_id, action.policy_version, action.clause) == (
            "concealed_state_affiliation",
            1,
            "coordinated_concealment",
        )
        events = list(reversed(audit.history(session)))
        propose = [e for e in events if e.action == "action.propose"]
        assert len(propose) == 1
        (event,) = propose
        assert "a2" not in event.payload and "a2" not in event.reason and "a2" not in (event.after_ref or "")
        assert json.loads(event.payload)["rule"] == ["flagged_accounts", 1]
        personal = session.get(PersonalData, event.personal_ref)
        assert personal is not None and json.loads(personal.data or "{}") == {"subject_id": "a2"}
        run_events = {e.subject_id: e for e in events if e.action.startswith("rule.run.")}
        assert run_events["high_score_accounts"].action == "rule.run.shadow"
        assert "shadow rules do nothing" in run_events["high_score_accounts"].reason
        assert run_events["flagged_accounts"].action == "rule.run.live"
        assert run_events["flagged_accounts"].after_ref == f"rule_runs:{live.id}"
        assert all("a1" not in e.payload and "a2" not in e.payload for e in run_events.values())
    _verified(seeded)


def test_a_second_run_on_the_same_scan_proposes_nothing_twice(seeded: Store, tmp_path: Path) -> None:
    scan = make_scan(tmp_path / "scan")
    _add(seeded, LABEL)
    _make_live(seeded, "flagged_accounts")
    for _ in range(2):
        with seeded.transaction() as session:
            records.run(session, scan, actor="scheduler")
    with seeded.reading() as session:
        assert len(list(session.execute(select(Action)).scalars())) == 1
        assert len(list(session.execute(select(RuleRun)).scalars())) == 2
        assert audit.verify(session).ok


def test_run_skips_draft_and_retired_rules(seeded: Store, tmp_path: Path) -> None:
    scan = make_scan(tmp_path / "scan")
    _add(seeded, DEMOTE)
    _add(seeded, LABEL)
    _promote(seeded, "flagged_accounts", "retired", "author")
    with seeded.transaction() as session:
        assert records.run(session, scan, actor="scheduler") == []
    with seeded.reading() as session:
        assert session.execute(select(RuleRun)).first() is None


def test_a_live_run_proposes_nothing_the_policy_does_not_allow(seeded: Store, tmp_path: Path) -> None:
    scan = make_scan(tmp_path / "scan")
    _add(seeded, FIXTURES / "disallowed_action_rule.yaml")
    _make_live(seeded, "restrict_high_scores")
    with seeded.transaction() as session:
        ((run_row, result),) = records.run(session, scan, actor="scheduler")
    assert run_row.matched == 2 and all(match.blocked for match in result.matches)
    with seeded.reading() as session:
        assert session.execute(select(Action)).first() is None
    event = _rule_events(seeded, "restrict_high_scores")[-1]
    assert event.action == "rule.run.live"
    assert event.reason.endswith(": 2 match(es), 2 not acted on: the policy does not allow the action there")
    assert json.loads(event.payload)["blocked"] == 2
    _verified(seeded)
