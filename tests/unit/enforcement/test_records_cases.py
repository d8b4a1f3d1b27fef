"""Cases and network cases on record, on SQLite and PostgreSQL.

Cases: opening (every type, priority and source checked), assignment, priorities, moves along the workflow (illegal
moves refused with what is allowed), comments (text in the case, hash in the log), protected cases and the queue.
Network cases: a scan cluster built by hand, its evidence frozen at opening, exceptions, the takedown and the
re-establishment check against a later scan. The helpers here (people, scan folders) serve the other part-2 tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.actions import ActionSpec
from overt.enforcement.canonical import content_hash
from overt.enforcement.models import Action, AuditEvent, Case, CaseAccount, CaseComment, Decision
from overt.enforcement.records import cases, decisions, people, takedowns
from overt.enforcement.records.policies import seed_defaults
from overt.enforcement.store import Store
from overt.errors import InputError

# -- helpers shared by the part-2 record tests --------------------------------------------------------------------

#: Who acts in these tests, with their roles.
PEOPLE = {
    "ana": ["analyst"],
    "ben": ["reviewer"],
    "cleo": ["reviewer"],
    "dana": ["reviewer"],
    "lena": ["legal"],
    "lars": ["legal"],
    "omar": ["policy_lead"],
    "root": ["admin"],
}


@pytest.fixture
def seeded(store: Store) -> Store:
    """The store with the default policies and the people of :data:`PEOPLE`."""
    seed_defaults(store, actor="ops")
    with store.transaction() as session:
        for name, roles in PEOPLE.items():
            people.set_roles(session, name, roles, actor="root", reason="staff")
    return store


def events(session: Session, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.execute(query).scalars())


def payload(event: AuditEvent) -> dict[str, Any]:
    return dict(json.loads(event.payload))


def count(session: Session, model: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def verified(store: Store) -> None:
    with store.reading() as session:
        result = audit.verify(session)
    assert result.ok, result.summary()


def open_case(store: Store, actor: str = "ana", **extra: Any) -> int:
    arguments: dict[str, Any] = {"type": "account", "title": "an account", "actor": actor, "reason": "reported"}
    with store.transaction() as session:
        return cases.open_case(session, **(arguments | extra)).id


CLUSTERS = pa.schema([("cluster", pa.int64()), ("account_id", pa.string()), ("role", pa.string()),
                      ("centrality", pa.float64())])  # fmt: skip
SCORES = pa.schema([("account_id", pa.string()), ("handle", pa.string()), ("cluster", pa.int64()),
                    ("score", pa.float64()), ("explanation", pa.string())])  # fmt: skip
NETWORK = pa.schema([("account_a", pa.string()), ("account_b", pa.string()), ("weight", pa.float64()),
                     ("traces", pa.list_(pa.string()))])  # fmt: skip
ACCOUNTS = pa.schema([("platform", pa.string()), ("account_id", pa.string()), ("handle", pa.string()),
                      ("reported_location", pa.string()), ("declared_lang", pa.string()),
                      ("followers", pa.int64())])  # fmt: skip

#: The network of the tiny scan: cluster 7 (four accounts with followers and languages) and cluster 8 (one).
MEMBERS = {"acct-a": (1000, "de"), "acct-b": (200, "en"), "acct-c": (30, "fr"), "acct-d": (4, "ja")}
TIES = [("acct-a", "acct-b", 0.9), ("acct-a", "acct-c", 0.8), ("acct-b", "acct-c", 0.7), ("acct-c", "acct-d", 0.2),
        ("acct-x", "acct-y", 0.5)]  # fmt: skip


def write(rows: Sequence[dict[str, Any]], schema: pa.Schema, path: Path) -> None:
    pq.write_table(pa.Table.from_pylist(list(rows), schema=schema), path)


def make_dataset(folder: Path, followers: dict[str, int | None] | None = None) -> Path:
    """A dataset folder with only accounts.parquet: followers and declared languages of :data:`MEMBERS`."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = followers or {account: number for account, (number, _) in MEMBERS.items()}
    rows = [
        {"platform": "twitter", "account_id": account, "handle": account.upper(), "reported_location": "Ohio",
         "declared_lang": MEMBERS[account][1], "followers": counts.get(account)}
        for account in MEMBERS
    ]  # fmt: skip
    write(rows, ACCOUNTS, folder / "accounts.parquet")
    return folder


def make_scan(folder: Path, dataset: Path | None = None, ties: Sequence[tuple[str, str, float]] = TIES) -> Path:
    """A scan folder by hand, with the columns the real one has where the snapshot reads them."""
    folder.mkdir(parents=True, exist_ok=True)
    members = [(7, account) for account in MEMBERS] + [(8, "acct-x"), (8, "acct-y")]
    write(
        [
            {"cluster": c, "account_id": a, "role": "peer", "centrality": 1.0 - i / 10}
            for i, (c, a) in enumerate(members)
        ],
        CLUSTERS,
        folder / "clusters.parquet",
    )
    write(
        [{"account_id": a, "handle": a.upper(), "cluster": c, "score": 0.9 - i / 10, "explanation": f"score of {a}"}
         for i, (c, a) in enumerate(members)],
        SCORES,
        folder / "scores.parquet",
    )  # fmt: skip
    cluster_scores = pa.schema([("cluster", pa.int64()), ("score", pa.float64()), ("explanation", pa.string())])
    write(
        [{"cluster": 7, "score": 0.87, "explanation": "office hours"}],
        cluster_scores,
        folder / "cluster_scores.parquet",
    )
    moment = pa.timestamp("us", tz="UTC")
    stats = pa.schema([("cluster", pa.int64()), ("size", pa.int64()), ("n_edges", pa.int64()),
                       ("density", pa.float64()), ("traces", pa.list_(pa.string())),
                       ("first_at", moment), ("last_at", moment)])  # fmt: skip
    write(
        [{"cluster": 7, "size": 4, "n_edges": 4, "density": 0.67, "traces": ["co_repost"], "first_at": None,
          "last_at": None}],
        stats,
        folder / "cluster_stats.parquet",
    )  # fmt: skip
    disarm = pa.schema([("cluster", pa.int64()), ("technique_id", pa.string()), ("technique", pa.string()),
                        ("confidence", pa.string()), ("evidence", pa.string())])  # fmt: skip
    write(
        [{"cluster": 7, "technique_id": "T0118", "technique": "Amplify Existing Narrative", "confidence": "strong",
          "evidence": "co-reposts"},
         {"cluster": 7, "technique_id": "T0049", "technique": "Flood Information Space", "confidence": "moderate",
          "evidence": "volume"},
         {"cluster": 8, "technique_id": "T0999", "technique": "Other", "confidence": "weak", "evidence": "-"}],
        disarm,
        folder / "disarm.parquet",
    )  # fmt: skip
    write([{"account_a": a, "account_b": b, "weight": w, "traces": ["co_repost"]} for a, b, w in ties], NETWORK,
          folder / "network.parquet")  # fmt: skip
    summary = {"created": "2026-01-02T03:04:05+00:00", "dataset": str(dataset) if dataset else None,
               "inputs": [{"path": "posts.csv", "sha256": "0" * 64}], "parameters": {"window": 60}}  # fmt: skip
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


@pytest.fixture
def scan(tmp_path: Path) -> Path:
    return make_scan(tmp_path / "scan", make_dataset(tmp_path / "dataset"))


def open_network(store: Store, scan_dir: Path, actor: str = "ana") -> int:
    with store.transaction() as session:
        return takedowns.open_network_case(session, scan_dir, 7, actor=actor, reason="scan cluster").id


SUSPEND = ActionSpec(type="suspend")
FACTS = decisions.Facts(
    text="These accounts reposted the same posts within a minute of each other and kept office hours abroad.",
    detection_source="automated",
    automated_detection=True,
    state_actor=True,
)


def take_down(store: Store, case_id: int, *, actor: str = "ben", deciders: Sequence[str] = ("ana",)) -> int:
    with store.transaction() as session:
        return takedowns_decide(session, case_id, actor=actor, deciders=deciders).id


def takedowns_decide(session: Session, case_id: int, *, actor: str, deciders: Sequence[str]) -> Decision:
    return decisions.take_down(
        session,
        case_id,
        enforces="concealed_state_affiliation#coordinated_concealment",
        specs=[SUSPEND],
        facts=FACTS,
        origin="Russia (Internet Research Agency)",
        targets=["US", "DE", "US"],
        deciders=deciders,
        actor=actor,
        reason="coordinated network",
    )


# -- opening ------------------------------------------------------------------------------------------------------


def test_open_every_type_and_the_event(seeded: Store) -> None:
    ids = {kind: open_case(seeded, type=kind, title=f"a {kind} case") for kind in cases.TYPES}
    with seeded.reading() as session:
        for kind, case_id in ids.items():
            case = session.get(Case, case_id)
            assert case is not None
            assert (case.type, case.state, case.queue, case.priority, case.detection_source) == (
                kind, "open", kind, "normal", "own_review",
            )  # fmt: skip
        opened = events(session, "case.open")
    assert [payload(e)["type"] for e in opened] == list(cases.TYPES)
    assert payload(opened[0]) | {"case": 0} == {
        "case": 0, "type": "network", "state": "open", "queue": "network", "priority": "normal",
        "detection_source": "own_review", "snapshot": None, "restricted_to": [], "parent": None,
    }  # fmt: skip
    verified(seeded)


@pytest.mark.parametrize(
    ("field", "value", "listed"),
    [
        ("type", "complaint", "types: network, account, content, user_report, sensitive_request"),
        ("priority", "asap", "priorities: low, normal, high, urgent"),
        ("detection_source", "rumour", "sources: automated, user_report, trusted_flagger, government, own_review"),
        ("restricted_to", ["legal", "boss"], "unknown role(s) boss"),
    ],
)
def test_open_refuses_unknown_values(seeded: Store, field: str, value: object, listed: str) -> None:
    with pytest.raises(cases.CaseError, match=re.escape(listed)):
        open_case(seeded, **{field: value})
    with seeded.reading() as session:
        assert count(session, Case) == 0


def test_every_priority_and_source_is_accepted(seeded: Store) -> None:
    for priority in cases.PRIORITIES:
        for source in cases.SOURCES:
            open_case(seeded, priority=priority, detection_source=source)
    with seeded.reading() as session:
        rows = session.execute(select(Case.priority, Case.detection_source)).all()
    assert sorted(rows) == sorted((p, s) for p in cases.PRIORITIES for s in cases.SOURCES)


# -- moves, assignment, priority ----------------------------------------------------------------------------------


def test_moves_along_the_workflow(seeded: Store) -> None:
    case_id = open_case(seeded)
    for to in ("in_review", "escalated", "in_review", "escalated", "closed"):
        with seeded.transaction() as session:
            cases.move(session, case_id, to, actor="ana", reason=f"to {to}")
    with seeded.reading() as session:
        moves = [(payload(e)["from"], payload(e)["to"]) for e in events(session, "case.transition")]
    assert moves == [("open", "in_review"), ("in_review", "escalated"), ("escalated", "in_review"),
                     ("in_review", "escalated"), ("escalated", "closed")]  # fmt: skip
    with (
        pytest.raises(cases.CaseError, match=r"case \d+ is closed: it can move to nothing .*not to in_review"),
        seeded.transaction() as session,
    ):
        cases.move(session, case_id, "in_review", actor="ana", reason="reopen")


@pytest.mark.parametrize(
    ("path", "to", "allowed"),
    [
        ((), "decided", "in_review, escalated, closed"),
        ((), "appealed", "in_review, escalated, closed"),
        ((), "open", "in_review, escalated, closed"),
        (("in_review",), "open", "escalated, closed"),
        (("escalated",), "escalated", "in_review, closed"),
        (("in_review",), "nonsense", "escalated, closed"),
    ],
)
def test_illegal_moves_are_refused_with_the_allowed_list(
    seeded: Store, path: tuple[str, ...], to: str, allowed: str
) -> None:
    case_id = open_case(seeded)
    for step in path:
        with seeded.transaction() as session:
            cases.move(session, case_id, step, actor="ana", reason="next")
    state = path[-1] if path else "open"
    with (
        pytest.raises(cases.CaseError, match=f"is {state}: it can move to {allowed}, not to {to}"),
        seeded.transaction() as session,
    ):
        cases.move(session, case_id, to, actor="ana", reason="try")
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.state == state


def test_a_decided_case_only_closes(seeded: Store) -> None:
    case_id = open_case(seeded)
    with seeded.transaction() as session:
        case = cases.get(session, case_id)
        cases.set_state(session, case, "decided", actor="ben", reason="decision 1")
    with (
        pytest.raises(cases.CaseError, match="is decided: it can move to closed, not to in_review"),
        seeded.transaction() as session,
    ):
        cases.move(session, case_id, "in_review", actor="ana", reason="again")
    with seeded.transaction() as session:
        cases.move(session, case_id, "closed", actor="ana", reason="done")


def test_assign_and_prioritise(seeded: Store) -> None:
    case_id = open_case(seeded)
    with seeded.transaction() as session:
        cases.assign(session, case_id, "ben", actor="ana", reason="ben reviews")
        cases.prioritise(session, case_id, "urgent", actor="ana", reason="many reports")
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None and (case.assignee, case.priority) == ("ben", "urgent")
        assigned = events(session, "case.assign")[-1]
        assert payload(assigned)["assignee_set"] is True
        assert "ben" not in assigned.payload  # the assignee's name is in the case and the ref, not the payload
        assert assigned.before_ref != assigned.after_ref
        assert payload(events(session, "case.prioritise")[-1])["priority"] == "urgent"
    with pytest.raises(cases.CaseError, match="unknown priority 'asap'"), seeded.transaction() as session:
        cases.prioritise(session, case_id, "asap", actor="ana", reason="x")
    with seeded.transaction() as session:
        cases.assign(session, case_id, None, actor="ana", reason="back to the queue")
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.assignee is None
        assert payload(events(session, "case.assign")[-1])["assignee_set"] is False
    with pytest.raises(cases.CaseError, match="no case 999"), seeded.transaction() as session:
        cases.assign(session, 999, "ben", actor="ana", reason="x")


# -- comments -----------------------------------------------------------------------------------------------------


def test_comment_text_stays_in_the_case_and_the_log_holds_its_hash(seeded: Store) -> None:
    case_id = open_case(seeded)
    text = "Spoke to Jane Roe (jane.roe@example.org): she runs acct-4711 herself."
    with seeded.transaction() as session:
        row = cases.comment(session, case_id, text, actor="ben")
        comment_id = row.id
    with seeded.reading() as session:
        stored = session.get(CaseComment, comment_id)
        assert stored is not None and (stored.text, stored.author, stored.case_id) == (text, "ben", case_id)
        assert [c.id for c in cases.comments(session, case_id)] == [comment_id]
        event = events(session, "case.comment")[-1]
        assert payload(event)["comment"] == comment_id
        assert payload(event)["text_hash"] == content_hash(text)
        for any_event in events(session):
            assert "jane" not in (any_event.payload + any_event.reason).lower()
    with pytest.raises(cases.CaseError, match="an empty comment"), seeded.transaction() as session:
        cases.comment(session, case_id, "  \n", actor="ben")
    verified(seeded)


# -- protected cases ----------------------------------------------------------------------------------------------


def test_protected_case_refuses_people_without_the_role(seeded: Store) -> None:
    case_id = open_case(seeded, restricted_to=["legal", "policy_lead"])
    refusals: list[tuple[str, Any]] = [
        ("assign", lambda s: cases.assign(s, case_id, "lena", actor="ana", reason="x")),
        ("comment on", lambda s: cases.comment(s, case_id, "a note", actor="ana")),
        ("move", lambda s: cases.move(s, case_id, "in_review", actor="ana", reason="x")),
        ("reprioritise", lambda s: cases.prioritise(s, case_id, "high", actor="root", reason="x")),
        (
            "decide",
            lambda s: decisions.decide(
                s,
                case_id,
                enforces="concealed_state_affiliation#hidden_operator",
                outcome="no_action",
                facts=FACTS,
                orders=[],
                deciders=[],
                actor="ben",
                reason="x",
            ),
        ),
    ]
    for what, step in refusals:
        refusal = f"cannot {what} protected case {case_id}: it needs the role legal or policy_lead"
        with pytest.raises(people.PeopleError, match=refusal), seeded.transaction() as session:
            step(session)
    # Holders may act; a protected case is assigned only to a holder.
    with (
        pytest.raises(people.PeopleError, match="ana cannot be assigned protected case"),
        seeded.transaction() as session,
    ):
        cases.assign(session, case_id, "ana", actor="lena", reason="x")
    with seeded.transaction() as session:
        cases.assign(session, case_id, "omar", actor="lena", reason="policy reviews")
        cases.comment(session, case_id, "looked at it", actor="omar")
        cases.move(session, case_id, "in_review", actor="omar", reason="reviewing")
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None and (case.assignee, case.state) == ("omar", "in_review")
        assert count(session, Decision) == 0


def test_protect_rules(seeded: Store) -> None:
    case_id = open_case(seeded)
    # An unprotected case can be protected by whoever works on it.
    with seeded.transaction() as session:
        cases.protect(session, case_id, ["legal"], actor="ana", reason="names a minister")
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None and cases.restricted_roles(case) == {"legal"}
        assert payload(events(session, "case.protect")[-1])["restricted_to"] == ["legal"]
    # Once protected, only a holder of the roles or an admin changes it.
    with (
        pytest.raises(people.PeopleError, match=f"ana cannot change who may act on case {case_id}"),
        seeded.transaction() as session,
    ):
        cases.protect(session, case_id, [], actor="ana", reason="x")
    with pytest.raises(cases.CaseError, match="unknown role"), seeded.transaction() as session:
        cases.protect(session, case_id, ["legal", "judge"], actor="lena", reason="x")
    with seeded.transaction() as session:
        cases.protect(session, case_id, ["legal", "policy_lead"], actor="lena", reason="policy too")
    with seeded.transaction() as session:
        cases.protect(session, case_id, [], actor="root", reason="no longer sensitive")
    with seeded.transaction() as session:
        cases.comment(session, case_id, "open again", actor="ana")
    verified(seeded)


# -- the queue ----------------------------------------------------------------------------------------------------


def test_queue_is_urgent_first_then_oldest(seeded: Store) -> None:
    made = [
        open_case(seeded, title=title, priority=priority, type=kind)
        for title, priority, kind in (
            ("normal-1", "normal", "account"), ("urgent-1", "urgent", "content"), ("low-1", "low", "account"),
            ("urgent-2", "urgent", "account"), ("high-1", "high", "user_report"), ("normal-2", "normal", "account"),
            ("closed", "urgent", "account"),
        )
    ]  # fmt: skip
    with seeded.transaction() as session:
        cases.move(session, made[-1], "closed", actor="ana", reason="duplicate")
        cases.assign(session, made[3], "ben", actor="ana", reason="ben")

    def titles(**filters: Any) -> list[str]:
        with seeded.reading() as session:
            return [case.title for case in cases.queue(session, **filters)]

    assert titles() == ["urgent-1", "urgent-2", "high-1", "normal-1", "normal-2", "low-1"]
    assert titles(name="account") == ["urgent-2", "normal-1", "normal-2", "low-1"]
    assert titles(types=["content", "user_report"]) == ["urgent-1", "high-1"]
    assert titles(assignee="ben") == ["urgent-2"]
    assert titles(states=["closed"]) == ["closed"]


# -- network cases ------------------------------------------------------------------------------------------------


def test_network_case_freezes_the_scan(seeded: Store, scan: Path) -> None:
    case_id = open_network(seeded, scan)
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.snapshot is not None
        frozen = json.loads(case.snapshot)
        assert case.snapshot_hash == content_hash(frozen)
        assert payload(events(session, "case.open")[-1])["snapshot"] == case.snapshot_hash
        assert (case.type, case.priority, case.detection_source, case.subject_kind) == (
            "network", "high", "automated", "cluster",
        )  # fmt: skip
        assert case.subject_id == f"{frozen['scan']['fingerprint'][:12]}:7"
        assert "(4 accounts, score 0.87)" in case.title
        listed = {(m.account_id, m.status, m.followers, m.language) for m in takedowns.members(session, case_id)}
    assert listed == {(a, "member", n, lang) for a, (n, lang) in MEMBERS.items()}
    assert [m["account_id"] for m in frozen["members"]] == ["acct-a", "acct-b", "acct-c", "acct-d"]
    assert frozen["members"][0] | {"centrality": 0} == {
        "account_id": "acct-a", "role": "peer", "centrality": 0, "handle": "ACCT-A", "score": 0.9,
        "explanation": "score of acct-a", "followers": 1000, "reported_location": "Ohio", "declared_lang": "de",
    }  # fmt: skip
    assert [t["technique_id"] for t in frozen["techniques"]] == ["T0049", "T0118"]
    assert [(t["account_a"], t["account_b"]) for t in frozen["ties"]] == [
        ("acct-a", "acct-b"), ("acct-a", "acct-c"), ("acct-b", "acct-c"), ("acct-c", "acct-d"),
    ]  # fmt: skip
    assert frozen["score"] == {"score": 0.87, "explanation": "office hours"}
    assert frozen["stats"]["size"] == 4 and frozen["scan"]["parameters"] == {"window": 60}

    # The scan folder changes afterwards (a re-run, a deleted member): the case keeps what it was opened on.
    write([{"cluster": 7, "account_id": "acct-a", "role": "peer", "centrality": 1.0}], CLUSTERS,
          scan / "clusters.parquet")  # fmt: skip
    (scan / "summary.json").write_text(json.dumps({"created": "later"}), encoding="utf-8")
    with seeded.reading() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.snapshot is not None
        assert content_hash(json.loads(case.snapshot)) == case.snapshot_hash
        assert json.loads(case.snapshot) == frozen
        assert len(takedowns.members(session, case_id)) == 4
    decision_id = take_down(seeded, case_id)
    with seeded.reading() as session:
        acted = set(session.execute(select(Action.subject_id).where(Action.decision_id == decision_id)).scalars())
    assert acted == set(MEMBERS)


def test_network_case_refuses_a_missing_cluster_or_folder(seeded: Store, scan: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cluster 99 does not exist"), seeded.transaction() as session:
        takedowns.open_network_case(session, scan, 99, actor="ana", reason="x")
    with pytest.raises(InputError, match="not a scan folder"), seeded.transaction() as session:
        takedowns.open_network_case(session, tmp_path, 7, actor="ana", reason="x")
    with seeded.reading() as session:
        assert count(session, Case) == count(session, CaseAccount) == 0


def test_except_then_take_down(seeded: Store, scan: Path) -> None:
    case_id = open_network(seeded, scan)
    for account, message in (("acct-x", "acct-x is not a member"), ("acct-zzz", "acct-zzz is not a member")):
        with pytest.raises(cases.CaseError, match=message), seeded.transaction() as session:
            takedowns.except_account(session, case_id, account, actor="ana", reason="x")
    with seeded.transaction() as session:
        takedowns.except_account(session, case_id, "acct-d", actor="ana", reason="a journalist who replied")
    # Excepted already:
    with pytest.raises(cases.CaseError, match="acct-d is not a member"), seeded.transaction() as session:
        takedowns.except_account(session, case_id, "acct-d", actor="ana", reason="again")
    with seeded.reading() as session:
        row = session.get(CaseAccount, (case_id, "acct-d"))
        assert row is not None and (row.status, row.note) == ("excepted", "a journalist who replied")
        excepted = events(session, "case.except")[-1]
        assert payload(excepted) == {"case": case_id, "excepted": 1} and "acct-d" not in excepted.payload
        assert excepted.personal_ref is not None

    decision_id = take_down(seeded, case_id)
    with seeded.reading() as session:
        taken = session.execute(select(Action).where(Action.decision_id == decision_id)).scalars().all()
        assert sorted((a.subject_id, a.action_type, a.status) for a in taken) == [
            ("acct-a", "suspend", "in_effect"), ("acct-b", "suspend", "in_effect"), ("acct-c", "suspend", "in_effect"),
        ]  # fmt: skip
        assert count(session, Decision) == 1
        case = session.get(Case, case_id)
        assert case is not None and case.state == "decided"
        (executed,) = events(session, "takedown.execute")
        frozen = json.loads(case.snapshot or "{}")
    assert payload(executed) == {
        "case": case_id,
        "decision": decision_id,
        "scan": frozen["scan"]["fingerprint"],
        "cluster": 7,
        "accounts": 3,
        "excepted": 1,
        "followers": 1230,
        "origin": "Russia (Internet Research Agency)",
        "targets": ["DE", "US"],
        "detection_source": "automated",
        "techniques": ["T0049", "T0118"],
        "policy": "concealed_state_affiliation#coordinated_concealment",
        "actions": sorted(a.id for a in taken),
    }
    with (
        pytest.raises(cases.CaseError, match="is decided: exceptions are made before the decision"),
        seeded.transaction() as session,
    ):
        takedowns.except_account(session, case_id, "acct-a", actor="ana", reason="too late")
    with pytest.raises(decisions.DecisionError, match="only an open, in-review or escalated case is decided"):
        take_down(seeded, case_id)
    verified(seeded)


def test_takedown_followers_unknown_is_null(seeded: Store, tmp_path: Path) -> None:
    counts: dict[str, int | None] = {"acct-a": 10, "acct-b": None, "acct-c": 5, "acct-d": 1}
    scan_dir = make_scan(tmp_path / "scan", make_dataset(tmp_path / "dataset", counts))
    case_id = open_network(seeded, scan_dir)
    take_down(seeded, case_id)
    with seeded.reading() as session:
        (executed,) = events(session, "takedown.execute")
    assert payload(executed)["followers"] is None and payload(executed)["accounts"] == 4


def test_takedown_needs_a_network_case_and_members(seeded: Store, scan: Path) -> None:
    account_case = open_case(seeded)
    with pytest.raises(decisions.DecisionError, match="is a account case; a takedown acts on a network case"):
        take_down(seeded, account_case)
    with pytest.raises(cases.CaseError, match="only network cases have members"), seeded.transaction() as session:
        takedowns.except_account(session, account_case, "acct-a", actor="ana", reason="x")
    case_id = open_network(seeded, scan)
    with seeded.transaction() as session:
        for account in MEMBERS:
            takedowns.except_account(session, case_id, account, actor="ana", reason="all fine")
    with pytest.raises(decisions.DecisionError, match="has no member left to act on"):
        take_down(seeded, case_id)


def test_relink_flags_new_neighbours_once(seeded: Store, scan: Path, tmp_path: Path) -> None:
    case_id = open_network(seeded, scan)
    with seeded.transaction() as session:
        takedowns.except_account(session, case_id, "acct-d", actor="ana", reason="reviewed apart")
    take_down(seeded, case_id)
    later = make_scan(
        tmp_path / "later",
        ties=[
            ("acct-a", "new-1", 0.6), ("new-1", "acct-b", 0.4),  # tied to two disrupted accounts
            ("acct-c", "new-2", 0.3),
            ("acct-d", "new-3", 0.9),  # tied only to the excepted account: not re-establishment
            ("acct-a", "acct-d", 0.5),  # the excepted account itself is known already
            ("new-4", "new-5", 1.0),  # strangers to the network
        ],
    )  # fmt: skip
    with seeded.transaction() as session:
        found = takedowns.relink(session, case_id, later, actor="ana")
    assert found == ["new-1", "new-2"]
    with seeded.reading() as session:
        row = session.get(CaseAccount, (case_id, "new-1"))
        assert row is not None and row.status == "linked_later"
        assert row.note is not None and "tied to 2 disrupted account(s)" in row.note and "weight 1.00" in row.note
        relinked = events(session, "case.relink")[-1]
        assert payload(relinked)["linked"] == 2 and "new-1" not in relinked.payload
    with seeded.transaction() as session:
        assert takedowns.relink(session, case_id, later, actor="ana") == []
    with seeded.reading() as session:
        assert payload(events(session, "case.relink")[-1])["linked"] == 0
        statuses = {row.account_id: row.status for row in takedowns.members(session, case_id, ("linked_later",))}
    assert statuses == {"new-1": "linked_later", "new-2": "linked_later"}
    verified(seeded)
