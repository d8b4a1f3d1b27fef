"""The enforcement commands end to end on a SQLite file: overt policy, overt rules and overt audit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from overt.cli import cli

from .test_records_rules import make_scan

FIXTURES = Path(__file__).parent / "fixtures" / "records"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "overt.db"


def run(db: Path, *args: str, actor: str | None = None) -> Result:
    """``overt ARGS --database sqlite:///DB [--as ACTOR]``; exceptions other than exits propagate."""
    extra = ["--database", f"sqlite:///{db}"] + (["--as", actor] if actor else [])
    return CliRunner().invoke(cli, [*args, *extra], catch_exceptions=False)


def ok(db: Path, *args: str, actor: str | None = None) -> str:
    result = run(db, *args, actor=actor)
    assert result.exit_code == 0, result.output
    return result.output


def fails(db: Path, *args: str, actor: str | None = None) -> str:
    result = run(db, *args, actor=actor)
    assert result.exit_code == 1, result.output
    return result.output


# -- overt policy -------------------------------------------------------------------------------------------------


def test_policy_validate() -> None:
    result = CliRunner().invoke(cli, ["policy", "validate"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("6 policies valid\n")
    assert "ok  political_advertising v1: 4 clauses, 1 market variants" in result.output

    broken = FIXTURES / "broken_policy.yaml"
    result = CliRunner().invoke(cli, ["policy", "validate", str(FIXTURES / "other_policy.yaml"), str(broken)])
    assert result.exit_code == 1
    assert "2 problems found:" in result.stderr
    assert f"{broken}:7:26: allowed_actions.1: unknown action 'shadowban'" in result.stderr
    lines = result.stderr.splitlines()
    source = lines.index(" 7 | allowed_actions: [label, shadowban]")
    assert lines[source + 1] == "   |                          ^^^^^^^^^"
    assert "policies valid" not in result.output


def test_policy_list_and_show_with_market_variants(db: Path) -> None:
    listing = ok(db, "policy", "list")
    assert "political_advertising" in listing and "eu_third_country_sponsors (EU)" in listing
    assert listing.count(" 1 ") >= 6

    election = ok(
        db, "policy", "show", "political_advertising", "--market", "DE", "--on", "2029-08-01",
        "--event", "election:DE:2029-09-23",
    )  # fmt: skip
    assert "in DE on 2029-08-01: in effect" in election
    assert "variant 'eu_third_country_sponsors' applied: DE is within EU" in election
    assert "[third_country_sponsor_blackout]" in election

    quiet = ok(db, "policy", "show", "political_advertising", "--market", "DE", "--on", "2029-08-01")
    assert "variant 'eu_third_country_sponsors' not applied" in quiet
    assert "third_country_sponsor_blackout" not in quiet

    # After the window (the day after polling day) the variant no longer applies either.
    after = ok(
        db, "policy", "show", "political_advertising", "--market", "DE", "--on", "2029-09-24",
        "--event", "election:DE:2029-09-23",
    )  # fmt: skip
    assert "third_country_sponsor_blackout" not in after

    text = ok(db, "policy", "show", "political_advertising")
    assert text.startswith("# political_advertising version 1, stored ")
    assert "id: political_advertising" in text

    assert (
        "expected KIND:MARKET:YYYY-MM-DD"
        in run(db, "policy", "show", "political_advertising", "--market", "DE", "--event", "election:DE:soon").output
    )
    assert "no policy 'nope'" in fails(db, "policy", "show", "nope")


def test_policy_load_history_and_diff(db: Path) -> None:
    v1, v2 = FIXTURES / "test_policy_v1.yaml", FIXTURES / "test_policy_v2.yaml"
    assert ok(db, "policy", "load", str(v1), "--reason", "first draft", actor="alice").split() == [
        "created",
        "test_policy",
        "v1",
    ]
    out = ok(db, "policy", "load", str(v2), str(FIXTURES / "other_policy.yaml"), "--reason", "second", actor="bob")
    assert out.splitlines() == ["new_version  test_policy v2", "created      other_policy v1"]
    assert ok(db, "policy", "load", str(v2), "--reason", "again", actor="bob").split() == [
        "unchanged",
        "test_policy",
        "v2",
    ]

    refused = fails(db, "policy", "load", str(FIXTURES / "test_policy_v1_changed.yaml"), "--reason", "x", actor="eve")
    assert "version 1 is already stored with other content (by alice on " in refused
    broken = fails(db, "policy", "load", str(FIXTURES / "broken_policy.yaml"), "--reason", "x", actor="eve")
    assert "missing field 'summary'" in broken

    history = ok(db, "policy", "history", "test_policy").splitlines()
    assert len(history) == 2
    assert history[0].startswith("v1  ") and "  alice  " in history[0] and ": first draft)" in history[0]
    assert history[1].startswith("v2  ") and "  bob  " in history[1] and ": second)" in history[1]
    assert "no policy 'nope'" in fails(db, "policy", "history", "nope")

    diff = ok(db, "policy", "diff", "test_policy")
    assert diff.startswith("test_policy v1 -> v2: clause: 1 added (second); allowed actions: +suspend")
    assert "+- id: second" in diff and "-version: 1" in diff
    assert ok(db, "policy", "diff", "test_policy", "1", "2") == diff
    backwards = ok(db, "policy", "diff", "test_policy", "2", "1")
    assert backwards.startswith("test_policy v2 -> v1: clause: 1 removed (second)")
    # A file against the current version: what loading it would change.
    against_file = ok(db, "policy", "diff", "test_policy", str(v1))
    assert against_file.startswith("test_policy v2 -> v1:")
    assert "has no version 7" in fails(db, "policy", "diff", "test_policy", "1", "7")


# -- overt rules --------------------------------------------------------------------------------------------------


def test_rules_lifecycle_and_backtest(db: Path, tmp_path: Path) -> None:
    demote, label = str(FIXTURES / "account_rule.yaml"), str(FIXTURES / "label_rule.yaml")
    valid = ok(db, "rules", "validate", demote, label)
    assert "ok  high_score_accounts: account rule enforcing concealed_state_affiliation#hidden_operator" in valid
    assert valid.endswith("2 rule(s) valid\n")
    bad = run(db, "rules", "validate", str(FIXTURES / "unknown_clause_rule.yaml"), demote)
    assert bad.exit_code == 1
    assert "unknown_clause_rule.yaml:6:11: unknown policy clause 'concealed_state_affiliation#hidden_operater'" in (
        bad.stderr
    )
    assert "did you mean 'concealed_state_affiliation#hidden_operator'?" in bad.stderr
    assert "rule(s) valid" not in bad.output

    # A file with a bad rule stores none of the files' rules.
    fails(db, "rules", "add", demote, str(FIXTURES / "unknown_clause_rule.yaml"), "--reason", "x", actor="alice")
    assert "high_score_accounts" not in ok(db, "rules", "list")

    assert ok(db, "rules", "add", demote, label, "--reason", "new", actor="alice").splitlines() == [
        "created      high_score_accounts v1 (draft)",
        "created      flagged_accounts v1 (draft)",
    ]
    assert "cannot go to live directly" in fails(
        db, "rules", "promote", "high_score_accounts", "--to", "live", "--reason", "x", actor="alice"
    )
    assert ok(db, "rules", "promote", "high_score_accounts", "--to", "shadow", "--reason", "try", actor="alice") == (
        "high_score_accounts: shadow\n"
    )
    requested = ok(db, "rules", "promote", "high_score_accounts", "--to", "live", "--reason", "ok", actor="bob")
    assert "request to go live recorded; it stays shadow until someone else approves it" in requested
    listing = ok(db, "rules", "list")
    assert "live, requested by bob" in listing
    assert "bob requested it" in fails(db, "rules", "approve", "high_score_accounts", "--reason", "x", actor="bob")
    assert "alice wrote this version" in fails(
        db, "rules", "approve", "high_score_accounts", "--reason", "x", actor="alice"
    )
    assert ok(db, "rules", "approve", "high_score_accounts", "--reason", "ok", actor="carol") == (
        "high_score_accounts: live\n"
    )
    listing = ok(db, "rules", "list")
    row = next(line for line in listing.splitlines() if "high_score_accounts" in line)
    assert "live" in row and "requested" not in row
    assert "no pending request" in fails(db, "rules", "approve", "high_score_accounts", "--reason", "x", actor="dave")

    scan = make_scan(tmp_path / "scan")
    text = ok(db, "rules", "backtest", "high_score_accounts", label, str(scan))
    assert "Backtest of 2 rule(s)" in text and "evaluated: 3 accounts" in text
    assert "high_score_accounts: account a1 -> demote [unknown] account.score=0.9" in text
    assert "flagged_accounts: account a2 -> label [unknown]" in text
    as_json = json.loads(ok(db, "rules", "backtest", "high_score_accounts", str(scan), "--json"))
    assert as_json["per_rule"] == {"high_score_accounts": {"subjects": 2, "accounts": 2}}
    assert [m["subject_id"] for m in as_json["matches"]] == ["a1", "a2"]
    missing = run(db, "rules", "backtest", "no_such_rule", str(scan))
    assert missing.exit_code == 2 and "neither a rule file nor a stored rule" in missing.output

    # The live rule's run proposes its actions; the draft one does not run.
    assert ok(db, "rules", "run", str(scan), actor="scheduler") == "high_score_accounts v1 (live): 2 match(es)\n"
    assert ok(db, "audit", "verify").startswith("audit log verified:")


# -- overt audit --------------------------------------------------------------------------------------------------


def _seqs(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT max(seq) FROM audit_log").fetchone()[0])


def test_audit_verify_names_an_edited_event(db: Path) -> None:
    ok(db, "policy", "load", str(FIXTURES / "test_policy_v1.yaml"), "--reason", "r", actor="alice")
    verified = ok(db, "audit", "verify")
    assert verified.startswith("audit log verified: 8 events, chain intact up to event 8")
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 4")
    connection.close()
    broken = fails(db, "audit", "verify")
    assert "audit log BROKEN at event 4: event 4 was altered" in broken


def test_audit_verify_names_a_deleted_event(db: Path) -> None:
    ok(db, "policy", "list")
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("DELETE FROM audit_log WHERE seq = 3")
    connection.close()
    assert "audit log BROKEN at event 3: event 3 is missing" in fails(db, "audit", "verify")


def test_audit_checkpoint_export_and_verify_against_it(db: Path, tmp_path: Path) -> None:
    exported = tmp_path / "checkpoints.json"
    out = ok(db, "audit", "checkpoint", "--export", str(exported), actor="auditor")
    assert out.startswith("checkpoint at event 8: ")
    assert "1 checkpoint(s) written to" in out
    points = json.loads(exported.read_text(encoding="utf-8"))
    assert [point["seq"] for point in points] == [8]
    ok(db, "policy", "load", str(FIXTURES / "test_policy_v1.yaml"), "--reason", "after", actor="alice")
    verified = ok(db, "audit", "verify", "--checkpoints", str(exported))
    assert "audit log verified: 9 events" in verified and "1 checkpoint(s) matched" in verified

    # A published checkpoint the database no longer matches: a rewritten chain.
    forged = [{"seq": 8, "hash": "f" * 64, "at": points[0]["at"]}]
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    assert "event 8 differs from checkpoint 8" in fails(
        db, "audit", "verify", "--checkpoints", str(tmp_path / "forged.json")
    )
    (tmp_path / "junk.json").write_text("not json", encoding="utf-8")
    assert "not a checkpoint export" in fails(db, "audit", "verify", "--checkpoints", str(tmp_path / "junk.json"))
    for name, content in (("object.json", {"seq": 8, "hash": "f" * 64}), ("entry.json", [{"seq": "eight"}])):
        (tmp_path / name).write_text(json.dumps(content), encoding="utf-8")
        refused = fails(db, "audit", "verify", "--checkpoints", str(tmp_path / name))
        assert "not a checkpoint export" in refused and "Traceback" not in refused
    assert 'entry 1 is {"seq": "eight"}' in fails(db, "audit", "verify", "--checkpoints", str(tmp_path / "entry.json"))
    assert _seqs(db) == 9


def test_audit_verify_does_not_create_a_schema(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    assert "no database at" in fails(empty, "audit", "verify")
