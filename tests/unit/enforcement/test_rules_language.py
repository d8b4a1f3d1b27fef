"""The rule language's static checker: what it accepts, what it rejects and where it says the problem is."""

from __future__ import annotations

import pytest

from overt.enforcement.rules.language import check, check_rule


def messages(subject: str, text: str) -> list[str]:
    return [d.message for d in check(subject, text).diagnostics]


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("cluster", "cluster.score >= 0.6"),
        ("cluster", "cluster.size > 3 and not cluster.flagged or cluster.n_flagged == 0"),
        ("cluster", "0.2 < cluster.score <= 0.9"),
        ("cluster", "cluster.signals.working_hours.offset is not None"),
        ("cluster", "cluster.signals.working_hours.n_mismatch / cluster.signals.working_hours.n_assessed > 0.5"),
        ("cluster", "-cluster.score < -0.5 and cluster.size * 2 + 1 >= 7"),
        ("cluster", "'co_repost' in cluster.traces and 'T0049' not in cluster.techniques"),
        ("cluster", "any_in(cluster.techniques, ['T0049', 'T0049.002'])"),
        ("cluster", "contains(cluster.countries, 'RU')"),
        ("cluster", "cluster.first_at >= '2016-10-01' and cluster.last_at < '2016-10-08T00:00:00+00:00'"),
        ("cluster", "days_between(cluster.first_at, cluster.last_at) > 1.5"),
        ("cluster", "max(cluster.score, cluster.median_member_score) > 0.5 and abs(cluster.score - 0.5) < 1"),
        ("cluster", "cluster.size in [3, 4, 5] and cluster.score in (0.5, 1)"),
        ("account", "coalesce(account.verified, False) and lower(coalesce(account.handle, '')) != 'x'"),
        ("account", "len(account.countries) == 0 and cluster.id is None"),
        ("account", "signals.state_media.score >= 0.5 and signals.working_hours.location_gap_hours > 4"),
        ("account", "'bot' in lower(account.handle)"),
        ("post", "post.kind == 'repost' and account.score > 0.5 and contains(post.hashtags, 'news')"),
        ("post", "cluster.signals.state_media.dominant_country == 'RU'"),
    ],
)
def test_accepts_the_language(subject: str, text: str) -> None:
    assert check(subject, text).diagnostics == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cluster.traces[0] == 'x'", "indexing or slicing ([...]) is not part of the rule language"),
        ("(lambda: True)()", "only the rule language's functions can be called"),
        ("any([x for x in cluster.traces])", "comprehensions are not part of the rule language"),
        ("(n := cluster.size) > 1", "':=' is not part of the rule language"),
        ("f'{cluster.size}' == '3'", "f-strings are not part of the rule language"),
        ("cluster.__class__ is None", "'cluster.__class__': names starting with '_' are not fields"),
        ("cluster.score if cluster.flagged else False", "'x if c else y' is not part of the rule language"),
        ("cluster.size ** 2 > 4", "only + - * / are supported in arithmetic"),
        ("cluster.size % 2 == 0", "only + - * / are supported in arithmetic"),
        ("open('x') == 1", "unknown function 'open'"),
        ("cluster.size.bit_length() > 1", "only the rule language's functions can be called"),
        ("{'a': 1} == 1", "dictionaries are not part of the rule language"),
        ("cluster.size > 1 and", "syntax error: invalid syntax"),
        ("b'x' == 'x'", "literal b'x' is not part of the rule language"),
        ("coalesce(cluster.score, default=0) > 1", "coalesce() takes no keyword arguments"),
    ],
)
def test_rejects_everything_else(text: str, expected: str) -> None:
    found = messages("cluster", text)
    assert any(expected in m for m in found), found


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("cluster", "cluster.score > 'high'", "cannot compare float with str using '>'"),
        ("cluster", "cluster.size and cluster.flagged", "'and' needs true/false operands, but this is int"),
        ("cluster", "'a' + 'b' == 'ab'", "'+' needs numbers, but this is str"),
        ("cluster", "-cluster.traces == []", "unary '-' needs a number, but this is list[str]"),
        (
            "cluster",
            "cluster.score",
            "the condition must be true or false (a bool that is never null), but this is float",
        ),
        ("cluster", "cluster.score == None", "use 'is None' to test for null, not '=='"),
        ("cluster", "cluster.score is 1", "'is' only tests for None"),
        ("cluster", "cluster.flagged > True", "'>' does not order true/false values"),
        ("cluster", "abs(cluster.score, 1) > 0", "abs() takes 1 argument, not 2"),
        ("cluster", "min(cluster.score) > 0", "min() takes 2 or more arguments, not 1"),
        ("cluster", "len(cluster.score) > 0", "len() needs a str or a list, not float"),
        ("cluster", "coalesce(cluster.signals.state_media.share, 'none') > 0", "coalesce() needs a default of the"),
        ("cluster", "contains(cluster.traces, 3)", "cannot look for a int in a list[str]"),
        ("cluster", "cluster.size in 'abc'", "'in' with a str on its right looks for a str in it, but this is int"),
        ("cluster", "1 in cluster.traces", "cannot look for a int in a list[str]"),
        ("cluster", "cluster.first_at > 'yesterday'", "'yesterday' is not an ISO 8601 date or time"),
        ("cluster", "cluster.size in [1, 'a']", "list items must all be text or all be numbers"),
        ("cluster", "cluster.signals.working_hours.offset == cluster.signals.working_hours.offset + 'x'", "'+'"),
        ("account", "account.verified", "but this may be null (bool?)"),
        ("account", "not account.verified", "'not' needs a true/false operand, but this may be null"),
        ("cluster", "cluster", "'cluster' is a group of fields, not a value"),
        ("cluster", "cluster.signals.working_hours == 1", "'cluster.signals.working_hours' is a group of fields"),
        ("cluster", "score > 1", "undefined name 'score'"),
        ("cluster", "account.score > 1", "unknown root 'account' for a cluster rule (it is a root of account rules)"),
        ("account", "acount.score > 1", "unknown root 'acount' for a account rule (did you mean 'account'?)"),
        ("cluster", "clustr.score > 1", "(did you mean 'cluster'?)"),
        ("cluster", "lookup(cluster.id)", "unknown function 'lookup'"),
        ("cluster", "coalese(cluster.score, 0) > 1", "unknown function 'coalese' (did you mean 'coalesce'?)"),
    ],
)
def test_type_and_name_errors(subject: str, text: str, expected: str) -> None:
    found = messages(subject, text)
    assert any(expected in m for m in found), found


def test_unknown_fields_suggest_the_closest_path_at_the_first_wrong_part() -> None:
    found = messages(
        "cluster",
        "cluster.sigals.working_hours.score > 1 and cluster.signals.working_hours.scor > 1 "
        "and cluster.signals.workinghours.n_mismatch > 1 and cluster.nope > 1",
    )
    assert found == [
        "unknown field 'cluster.sigals.working_hours.score' for a cluster rule: 'cluster' has no 'sigals' "
        "(did you mean 'cluster.signals.working_hours.score'?)",
        "unknown field 'cluster.signals.working_hours.scor' for a cluster rule: 'cluster.signals.working_hours' "
        "has no 'scor' (did you mean 'cluster.signals.working_hours.score'?)",
        "unknown field 'cluster.signals.workinghours.n_mismatch' for a cluster rule: 'cluster.signals' has no "
        "'workinghours' (did you mean 'cluster.signals.working_hours.n_mismatch'?)",
        "unknown field 'cluster.nope' for a cluster rule: 'cluster' has no 'nope'",
    ]


def test_reports_every_problem_not_just_the_first() -> None:
    found = check("cluster", "cluster.scor > 1 and cluster.size > 'x' and foo() and cluster.traces[0]").diagnostics
    assert len(found) == 4


def test_positions_are_characters_not_bytes_and_underline_the_node() -> None:
    # 'é' is two bytes in UTF-8: ast's col_offset of the field is one more than its character column.
    text = "'é' in cluster.traces and cluster.scor > 1"
    (problem,) = check("cluster", text).diagnostics
    assert (problem.line, problem.column, problem.length) == (1, 26, len("cluster.scor"))
    assert text[problem.column : problem.column + problem.length] == "cluster.scor"


def test_multi_line_conditions_need_no_parentheses_and_keep_their_lines() -> None:
    text = "cluster.score >= 0.6\nand cluster.signals.working_hours.location_gap_hours >= 5\n  and cluster.sise > 2\n"
    (problem,) = check("cluster", text).diagnostics
    assert (problem.line, problem.column, problem.length) == (3, 6, len("cluster.sise"))


def test_syntax_errors_are_located() -> None:
    (problem,) = check("cluster", "cluster.score >= = 1").diagnostics
    assert problem.message.startswith("syntax error")
    assert (problem.line, problem.column) == (1, 17)
    (problem,) = check("cluster", "cluster.score >= 0.6\nand (cluster.size > 2").diagnostics
    assert "never closed" in problem.message
    assert (problem.line, problem.column) == (2, 4)


def test_let_names_are_typed_used_and_acyclic() -> None:
    rule = check_rule(
        "cluster",
        {"big": "cluster.size >= 5", "share": "cluster.n_flagged / cluster.size", "spare": "cluster.score"},
        "big and share > 0.5",
    )
    assert [(d.expression, d.message) for d in rule.diagnostics] == [
        (("let", "spare"), "let name 'spare' is never used")
    ]
    assert rule.diagnostics[0].at_name

    rule = check_rule("cluster", {"a": "b and cluster.flagged", "b": "a", "c": "c"}, "a and c")
    cycles = sorted(d.message for d in rule.diagnostics)
    assert cycles == [
        "let name 'a' depends on itself: a -> b -> a",
        "let name 'b' depends on itself: b -> a -> b",
        "let name 'c' depends on itself: c -> c",
    ]

    rule = check_rule("cluster", {"share": "cluster.n_flagged / cluster.size"}, "share")
    assert [d.message for d in rule.diagnostics] == [
        "the condition must be true or false (a bool that is never null), but this is float?"
    ]
    rule = check_rule("cluster", {"big": "cluster.size > 3"}, "bigg")
    assert "undefined name 'bigg' (did you mean 'big'?)" in rule.diagnostics[0].message


def test_a_checked_rule_lists_the_fields_it_reads_in_order() -> None:
    rule = check_rule(
        "account",
        {"far": "signals.working_hours.location_gap_hours >= 5"},
        "far and account.score > 0.5 and cluster.score > 0.5",
    )
    assert rule.ok
    assert rule.fields == ["signals.working_hours.location_gap_hours", "account.score", "cluster.score"]
    assert rule.roots == {"signals", "account", "cluster"}
    assert list(rule.lets) == ["far"]


def test_unknown_subject_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown subject"):
        check("network", "True")
