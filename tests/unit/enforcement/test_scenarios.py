"""The two enforcement scenarios end to end through the command line, on a SQLite file.

1. The seed scenario: a government entity asks informally, through an employee, for an account that would not be
   seen as a government account; the request conflicts with the concealed-affiliation policy, is escalated, signed
   off twice, declined with reasons, and counted under government requests in the transparency report.
2. A network takedown on a real scan cluster (the repository's IRA sample): the network case, one exception, the
   suspensions with notices and DSA statements, an appeal overturned by someone not involved, the DSA export, the
   transparency report and the audit chain.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from overt.cli import cli

from .test_cli_enforcement import fails, ok

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "examples" / "ira-2016-10"
TODAY = datetime.now(UTC).date()
#: The report period around today (a day either side, so that a run across midnight UTC still counts everything).
PERIOD = ["--from", (TODAY - timedelta(days=1)).isoformat(), "--to", (TODAY + timedelta(days=1)).isoformat()]


def report(db: Path, out: Path) -> dict[str, object]:
    """``overt transparency report`` over :data:`PERIOD`; it must pass its completeness check."""
    output = ok(db, "transparency", "report", *PERIOD, "--out", str(out))
    assert "completeness check passed" in output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["completeness"]["passed"] is True and data["completeness"]["problems"] == []
    return dict(data)


def cells(table: object) -> list[tuple[dict[str, str], int]]:
    assert isinstance(table, dict)
    return [(cell["key"], cell["count"]) for cell in table["cells"]]


# -- 1. the seed scenario -----------------------------------------------------------------------------------------


def test_seed_scenario(tmp_path: Path) -> None:
    db = tmp_path / "overt.db"
    for name, role in (("lena", "legal"), ("omar", "policy_lead"), ("sam", "analyst")):
        ok(db, "people", "set", name, "--role", role, "--reason", "staff", actor="admin")
    intake = ok(
        db, "requests", "intake", "--kind", "government", "--entity", "Ministry of Information of Freedonia",
        "--country", "FR", "--channel", "via_employee", "--ask", "create_account",
        "--description", "Through a friend of an employee: please open an account for our ministry that would not "
        "be seen as a government account.",
        "--contact-name", "A. Official", "--contact-email", "a.official@example.gov", actor="sam",
    )  # fmt: skip
    assert "request recorded as case 1 (escalated)" in intake
    assert "CONFLICT create_account with concealed_state_affiliation#hidden_operator" in intake
    assert "IRREGULAR via_employee" in intake and "recommendation: decline" in intake
    assert "needs 2 sign-offs by different people (legal, policy_lead)" in intake

    # The analyst who took it in may not decide it; nobody may before both sign-offs.
    refused = fails(db, "requests", "decide", "1", "--outcome", "declined", "--reason", "x", actor="sam")
    assert "sam cannot decide protected case 1" in refused
    refused = fails(db, "requests", "decide", "1", "--outcome", "declined", "--reason", "x", actor="omar")
    assert "cannot be decided yet: needs 2 sign-offs by different people, has 0" in refused
    ok(db, "requests", "sign-off", "1", "--recommend", "declined", "--reason", "Concealing that a ministry runs an "
       "account breaks concealed_state_affiliation#hidden_operator.", actor="lena")  # fmt: skip
    refused = fails(db, "requests", "sign-off", "1", "--recommend", "declined", "--reason", "again", actor="lena")
    assert "lena has signed off request 1 already" in refused
    ok(db, "requests", "sign-off", "1", "--recommend", "declined", "--reason", "Agree: decline.", actor="omar")
    reply_file = tmp_path / "reply-draft.txt"
    decided = ok(
        db, "requests", "decide", "1", "--outcome", "declined", "--reason", "Declined: an undisclosed government "
        "account conflicts with concealed_state_affiliation#hidden_operator.",
        "--formal-channel", "authorities@platform.example", "--reply-out", str(reply_file), actor="omar",
    )  # fmt: skip
    assert "request 1: declined" in decided
    reply = reply_file.read_text(encoding="utf-8")
    assert "DRAFT FOR REVIEW" in reply and "We have decided not to grant your request." in reply
    assert "authorities@platform.example" in reply and "through one of our employees" in reply
    shown = ok(db, "requests", "show", "1", actor="lena")
    assert "case 1 [decided]" in shown and "outcome: declined" in shown
    assert "sign-off lena (legal): declined" in shown and "sign-off omar (policy_lead): declined" in shown

    assert "chain intact" in ok(db, "audit", "verify")
    with sqlite3.connect(db) as connection:
        chained = " ".join(row[0] + row[1] for row in connection.execute("SELECT payload, reason FROM audit_log"))
    assert "A. Official" not in chained and "a.official@example.gov" not in chained

    data = report(db, tmp_path / "transparency")
    assert data["requests"] == {
        "received": 1, "decided": 1, "conflicted": 1, "government_received": 1, "government_decided": 1,
        "pending_at_end": 0,
    }  # fmt: skip
    assert cells(data["government_requests"]) == [
        ({"country": "FR", "legal_basis": "none stated", "channel": "via_employee", "outcome": "declined"}, 1)
    ]
    assert cells(data["requests_decided"]) == [
        ({"requester_kind": "government", "country": "FR", "legal_basis": "none stated", "channel": "via_employee",
          "outcome": "declined"}, 1)
    ]  # fmt: skip
    assert cells(data["request_conflicts"]) == [
        ({"requester_kind": "government", "clause": "concealed_state_affiliation#hidden_operator",
          "outcome": "declined"}, 1)
    ]  # fmt: skip
    assert cells(data["request_asks"]) == [
        ({"requester_kind": "government", "ask": "create_account", "outcome": "declined"}, 1)
    ]
    assert cells(data["actions"]) == [] and data["takedowns"] == []
    markdown = (tmp_path / "transparency" / "report.md").read_text(encoding="utf-8")
    assert "Freedonia" not in markdown and "A. Official" not in markdown


# -- 2. a network takedown on a real scan cluster -----------------------------------------------------------------


@pytest.fixture(scope="module")
def real_scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's IRA sample, ingested and scanned as the README does."""
    folder = tmp_path_factory.mktemp("ira")
    dataset, scan = folder / "dataset", folder / "scan"
    inputs = [str(path) for path in sorted(SAMPLE.iterdir())]
    for args in (["ingest", *inputs, "--out", str(dataset)], ["scan", str(dataset), "--out", str(scan)]):
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return scan


def test_network_takedown_on_a_real_cluster(real_scan: Path, tmp_path: Path) -> None:
    db = tmp_path / "overt.db"
    clusters = f"{real_scan}/clusters.parquet"
    scores = f"{real_scan}/scores.parquet"
    ((cluster, size),) = duckdb.sql(
        f"SELECT cluster, count(*) FROM '{clusters}' GROUP BY cluster ORDER BY count(*) DESC, cluster LIMIT 1"
    ).fetchall()
    assert size >= 4
    ranked = [
        row[0]
        for row in duckdb.sql(
            f"SELECT c.account_id FROM '{clusters}' c JOIN '{scores}' s USING (account_id) "
            f"WHERE c.cluster = {cluster} ORDER BY s.score, c.account_id"
        ).fetchall()
    ]
    excepted, appellant = ranked[0], ranked[-1]
    acted = sorted(set(ranked) - {excepted})

    for name, role in (("ana", "analyst"), ("ben", "reviewer"), ("cleo", "reviewer")):
        ok(db, "people", "set", name, "--role", role, "--reason", "staff", actor="admin")
    opened = ok(db, "cases", "network", str(real_scan), "--cluster", str(cluster), "--reason", "scan", actor="ana")
    assert re.search(rf"case 1 opened: Network: cluster {cluster} of scan \w+ \({size} accounts", opened)
    ok(db, "cases", "except", "1", excepted, "--reason", "reviewed apart: hashtag games", actor="ana")
    taken = ok(
        db, "cases", "takedown", "1", "--decider", "ana", "--enforces",
        "concealed_state_affiliation#coordinated_concealment", "--action", "suspend", "--state-actor",
        "--origin", "Russia (Internet Research Agency)", "--target", "US",
        "--facts", "These accounts reposted the same posts within a minute of each other for weeks and kept a "
        "weekday office schedule hours away from the US locations they claim.",
        "--reason", "coordinated network concealing its operator", actor="ben",
    )  # fmt: skip
    assert "case 1: takedown decision 1" in taken
    notices_out = tmp_path / "notices"
    assert f"{len(acted)} notice(s) written" in ok(db, "cases", "notices", "1", "--out", str(notices_out))
    assert "appeal 2 filed against decision 1" in ok(
        db, "appeals", "file", "1", appellant, "--grounds", "I run this account myself.", actor="intake"
    )
    refused = fails(db, "appeals", "decide", "2", "--outcome", "overturned", "--reason", "x", actor="ben")
    assert "ben was involved in decision 1" in refused
    refused = fails(db, "appeals", "decide", "2", "--outcome", "overturned", "--reason", "x", actor="ana")
    assert "ana was involved in decision 1" in refused
    ok(db, "appeals", "decide", "2", "--outcome", "overturned", "--reason", "Run by one person.", actor="cleo")
    shown = ok(db, "cases", "show", "1", actor="ben")
    assert f"accounts: 1 excepted, {size - 1} member" in shown
    assert f"{len(acted)} action(s) ({len(acted) - 1} in effect, 1 reversed)" in shown

    with sqlite3.connect(db) as connection:
        actions = dict(connection.execute("SELECT subject_id, status FROM actions").fetchall())
        statements = sorted(row[0] for row in connection.execute("SELECT account_id FROM statements"))
        case_state = connection.execute("SELECT state FROM cases WHERE id = 1").fetchone()[0]
    assert actions == {account: "reversed" if account == appellant else "in_effect" for account in acted}
    assert statements == acted  # one per member acted on; none for the excepted account
    assert case_state == "decided"

    dsa = tmp_path / "dsa"
    exported = ok(db, "dsa", "export", *PERIOD, "--out", str(dsa))
    assert f"{len(acted)} statement(s) of reasons" in exported
    validated = CliRunner().invoke(cli, ["dsa", "validate", str(dsa)], catch_exceptions=False)
    assert validated.exit_code == 0 and "every batch, the CSV and the manifest validate" in validated.output
    assert "chain intact" in ok(db, "audit", "verify")

    data = report(db, tmp_path / "transparency")
    assert cells(data["actions"]) == [
        ({"policy": "concealed_state_affiliation", "clause": "concealed_state_affiliation#coordinated_concealment",
          "action_type": "suspend", "detection_source": "automated", "automated_decision": "no",
          "markets": "GLOBAL"}, len(acted))
    ]  # fmt: skip
    assert cells(data["reversals"]) == [
        ({"policy": "concealed_state_affiliation", "clause": "concealed_state_affiliation#coordinated_concealment",
          "action_type": "suspend", "markets": "GLOBAL", "cause": "appeal", "applied": "in_period"}, 1)
    ]  # fmt: skip
    appeals = data["appeals"]
    assert isinstance(appeals, dict)
    assert (appeals["filed"], appeals["decided"], appeals["upheld"], appeals["overturned"]) == (1, 1, 0, 1)
    (takedown,) = data["takedowns"]  # type: ignore[misc]
    assert (takedown["accounts"], takedown["excepted"], takedown["actions"]) == (len(acted), 1, len(acted))
    assert (takedown["origin"], takedown["targets"], takedown["case"], takedown["cluster"]) == (
        "Russia (Internet Research Agency)", ["US"], "1", str(cluster),
    )  # fmt: skip
    assert takedown["techniques"] and all(t["id"].startswith("T") for t in takedown["techniques"])


# -- 3. state media abroad, decided by hand -----------------------------------------------------------------------


def test_state_media_is_labelled_everywhere_and_demoted_only_abroad(tmp_path: Path) -> None:
    db = tmp_path / "overt.db"
    for kind in ("label", "demote"):
        ok(db, "cases", "open", "--type", "account", "--title", f"{kind} state outlet", "--subject",
           "account:outlet-1", "--reason", "designated outlet", actor="ana")  # fmt: skip
    facts = ["--facts", "The outlet is funded and editorially controlled by a state.", "--reason", "designated"]
    refused = fails(db, "cases", "decide", "2", "--enforces", "state_affiliated_media#disclosure_label",
                    "--action", "demote", *facts, actor="ben")  # fmt: skip
    assert "does not allow demote in GLOBAL" in refused
    refused = fails(db, "cases", "decide", "2", "--enforces", "state_affiliated_media#no_amplification_abroad",
                    "--action", "demote", "--home-market", "RU", *facts, actor="ben")  # fmt: skip
    assert "does not apply in RU" in refused  # not limited to audiences abroad: it would demote at home too
    ok(db, "cases", "decide", "1", "--enforces", "state_affiliated_media#disclosure_label", "--action", "label",
       "--label-text", "Russia state-affiliated media", *facts, actor="ben")  # fmt: skip
    ok(db, "cases", "decide", "2", "--enforces", "state_affiliated_media#no_amplification_abroad", "--action",
       "demote", "--outside-home-market", "--home-market", "ru", *facts, actor="ben")  # fmt: skip
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT action_type, status, spec FROM actions ORDER BY id").fetchall()
        scopes = [json.loads(p)["territorial_scope"] for (p,) in connection.execute("SELECT payload FROM statements")]
    assert [(kind, status) for kind, status, _ in rows] == [("label", "in_effect"), ("demote", "in_effect")]
    assert json.loads(rows[1][2])["home_market"] == "RU" and json.loads(rows[1][2])["outside_home_market"] is True
    assert len(scopes) == 2 and all("RU" not in scope for scope in scopes)
