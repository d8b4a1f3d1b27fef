"""Rule documents: loading, every problem located in the file, and the golden text users see.

Rewrite the golden file after a deliberate change of wording (then read the diff: it is user-facing)::

    OVERT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/enforcement/test_rules_document.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from overt.enforcement.documents import DocumentError
from overt.enforcement.rules.document import load_rules, parse_rules

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "rules"
GOLDEN = HERE / "golden"
EXAMPLE = Path(__file__).parents[3] / "src" / "overt" / "enforcement" / "rules" / "examples"
CLAUSES = {"concealed_state_affiliation#coordinated_concealment", "concealed_state_affiliation#1.1"}


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OVERT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden {name}: run OVERT_UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8")


def test_every_problem_in_a_file_is_reported_at_its_place() -> None:
    with pytest.raises(DocumentError) as caught:
        load_rules(os.path.relpath(FIXTURES / "errors.yaml"), known_clauses=CLAUSES, action_types=["label", "demote"])
    text = str(caught.value).replace(os.path.relpath(FIXTURES) + os.sep, "")
    golden("rules_errors.txt", text + "\n")
    assert text.startswith("24 problems found:")


RULE = """\
id: offhours
title: Off-hours network
description: Why.
subject: cluster
enforces: concealed_state_affiliation#coordinated_concealment
action: {type: label, label_text: Part of an undisclosed network., outside_home_market: true}
let:
  far: cluster.signals.working_hours.location_gap_hours >= 5
when: |
  far
  and cluster.score >= 0.6
"""


def test_a_valid_rule_loads_compiles_and_serialises_to_json() -> None:
    (rule,) = parse_rules(RULE, "offhours.yaml", known_clauses=CLAUSES)
    assert rule.id == "offhours" and rule.subject == "cluster" and rule.file == "offhours.yaml"
    data = rule.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["action"]["type"] == "label" and data["action"]["outside_home_market"] is True
    row = {"cluster": {"score": 0.7, "signals": {"working_hours": {"location_gap_hours": 7.0}}}}
    assert rule.condition(row)
    assert not rule.condition({"cluster": {"score": 0.7, "signals": {}}})


def test_several_rules_under_rules() -> None:
    body = "\n".join("    " + line if line else line for line in RULE.splitlines())
    text = "rules:\n  - " + body.strip() + "\n  - " + body.strip().replace("id: offhours", "id: offhours_two") + "\n"
    rules = parse_rules(text)
    assert [r.id for r in rules] == ["offhours", "offhours_two"]


def test_the_shipped_example_is_a_valid_rule() -> None:
    (rule,) = load_rules(EXAMPLE / "state_backed_offhours.yaml", known_clauses=CLAUSES)
    assert rule.spec.enforces == "concealed_state_affiliation#coordinated_concealment"
    assert rule.spec.action.type == "label" and rule.spec.action.label_text
    assert set(rule.checked.lets) == {"state_backed", "offhours"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- 1\n- 2\n", "a rule document is a mapping (one rule) or has a 'rules:' list"),
        ("rules: []\n", "'rules' must be a list of one or more rules"),
        ("rules:\n  - 3\n", "a rule is a mapping with id, title, subject, enforces, action, when"),
        (RULE.replace("far:", "abs:").replace("  far\n", "  abs\n"), "let name 'abs' is a function's name"),
        (RULE.replace("far:", "cluster:").replace("  far\n", "  cluster\n"), "let name 'cluster' is a root"),
        (RULE.replace("far:", "Far:"), "let name 'Far' must be a snake_case name"),
        (RULE.replace("subject: cluster", "subject: network"), "subject: Input should be 'account', 'post' or"),
        (RULE.replace("coordinated_concealment", "no clause"), "enforces names a policy clause as"),
        (RULE.replace("concealed_state_affiliation#", "other_policy#"), "no policy 'other_policy' is known"),
        (RULE.replace("label_text: Part of an undisclosed network., ", ""), "a label needs label_text"),
        (RULE.replace("when: |", "when: ''\nx: |"), "must not be empty"),
        (RULE + "extra: 1\n", "unknown field 'extra'"),
        (
            RULE.replace("subject: cluster", "subject: post").replace(
                "{type: label, label_text: Part of an undisclosed network., outside_home_market: true}",
                "{type: suspend}",
            ),
            "action 'suspend' cannot be applied to a post (only to: account, cluster)",
        ),
    ],
)
def test_document_errors(text: str, expected: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_rules(text, "rule.yaml", known_clauses=CLAUSES)
    assert expected in str(caught.value)


def test_block_condition_positions_map_to_the_file() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_rules(RULE.replace("cluster.score >= 0.6", "cluster.score >= 'x'"), "rule.yaml")
    (problem,) = caught.value.problems
    assert (problem.position.line, problem.position.column) == (11, 7) if problem.position else False
    assert problem.length == len("cluster.score >= 'x'")
