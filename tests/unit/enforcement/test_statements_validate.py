"""The local validator of DSA statements of reasons: every field and every conditional rule, valid and invalid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from overt.enforcement.statements import schema
from overt.enforcement.statements.validate import Problem, ean13_ok, validate, validate_batch

FIXTURE = Path(__file__).parent / "fixtures" / "statements" / "valid_statement.json"
DROP = object()  # marks a field to remove


def base() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def changed(**changes: Any) -> dict[str, Any]:
    statement = base()
    for name, value in changes.items():
        if value is DROP:
            statement.pop(name, None)
        else:
            statement[name] = value
    return statement


def found(statement: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in validate(statement)]


INCOMPATIBLE_OFF = {
    "incompatible_content_ground": DROP,
    "incompatible_content_explanation": DROP,
}
ILLEGAL = {
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": "Section 5 of the Act on Foreign Agents",
    "illegal_content_explanation": "The content is an undeclared broadcast of a sanctioned outlet.",
    **INCOMPATIBLE_OFF,
}
NEED_A_DECISION = (
    "at least one of decision_visibility, decision_monetary, decision_provision, decision_account is required"
)
NO_DECISIONS = {
    "decision_visibility": DROP,
    "end_date_visibility_restriction": DROP,
    "decision_account": DROP,
    "end_date_account_restriction": DROP,
}

# (id, changes, expected problems). Each conditional rule has a valid and an invalid case.
CASES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("fixture is valid", {}, []),
    # at least one decision field
    ("monetary alone is a decision", {**NO_DECISIONS, "decision_monetary": "DECISION_MONETARY_SUSPENSION"}, []),
    (
        "provision alone is a decision",
        {**NO_DECISIONS, "decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION"},
        [],
    ),
    (
        "no decision at all",
        NO_DECISIONS,
        [("decision_visibility", NEED_A_DECISION)],
    ),
    (
        "empty visibility list is no decision",
        {**NO_DECISIONS, "decision_visibility": []},
        [("decision_visibility", NEED_A_DECISION)],
    ),
    # decision values
    (
        "unknown visibility code",
        {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTD"]},
        [
            (
                "decision_visibility",
                "'DECISION_VISIBILITY_CONTENT_DEMOTD' is not an allowed value "
                "(did you mean 'DECISION_VISIBILITY_CONTENT_DEMOTED'?)",
            )
        ],
    ),
    (
        "visibility must be a list",
        {"decision_visibility": "DECISION_VISIBILITY_CONTENT_LABELLED"},
        [("decision_visibility", "must be a list of codes")],
    ),
    (
        "visibility code twice",
        {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED", "DECISION_VISIBILITY_CONTENT_LABELLED"]},
        [("decision_visibility", "DECISION_VISIBILITY_CONTENT_LABELLED is listed twice")],
    ),
    (
        "account code must be one code",
        {"decision_account": ["DECISION_ACCOUNT_SUSPENDED"]},
        [("decision_account", "must be one code, not list")],
    ),
    # decision_visibility_other
    (
        "visibility other with its text",
        {"decision_visibility": ["DECISION_VISIBILITY_OTHER"], "decision_visibility_other": "Hidden from trends"},
        [],
    ),
    (
        "visibility other without its text",
        {"decision_visibility": ["DECISION_VISIBILITY_OTHER"]},
        [("decision_visibility_other", "is required when decision_visibility is DECISION_VISIBILITY_OTHER")],
    ),
    (
        "visibility other text without the code",
        {"decision_visibility_other": "Hidden from trends"},
        [("decision_visibility_other", "is only allowed when decision_visibility is DECISION_VISIBILITY_OTHER")],
    ),
    # decision_monetary_other
    (
        "monetary other with its text",
        {"decision_monetary": "DECISION_MONETARY_OTHER", "decision_monetary_other": "Tips held for review"},
        [],
    ),
    (
        "monetary other without its text",
        {"decision_monetary": "DECISION_MONETARY_OTHER"},
        [("decision_monetary_other", "is required when decision_monetary is DECISION_MONETARY_OTHER")],
    ),
    (
        "monetary other text without the code",
        {"decision_monetary": "DECISION_MONETARY_SUSPENSION", "decision_monetary_other": "Tips held"},
        [("decision_monetary_other", "is only allowed when decision_monetary is DECISION_MONETARY_OTHER")],
    ),
    # end dates
    ("indefinite restrictions", {"end_date_visibility_restriction": DROP, "end_date_account_restriction": None}, []),
    ("end date on the application date", {"end_date_account_restriction": "2025-07-02"}, []),
    (
        "end date before the application date",
        {"end_date_account_restriction": "2025-07-01"},
        [("end_date_account_restriction", "2025-07-01 is before the application date 2025-07-02")],
    ),
    (
        "end date without its decision",
        {"end_date_monetary_restriction": "2025-09-01"},
        [("end_date_monetary_restriction", "is set but decision_monetary is not: an end date needs its restriction")],
    ),
    (
        "end date in another format",
        {"end_date_account_restriction": "2025-08-01-12"},
        [("end_date_account_restriction", "'2025-08-01-12' is not a date in the form YYYY-MM-DD")],
    ),
    (
        "end date after 2038",
        {"end_date_account_restriction": "2038-01-02"},
        [("end_date_account_restriction", "2038-01-02 is after 2038-01-01, the latest date the database accepts")],
    ),
    # decision grounds
    ("illegal content with its legal ground", ILLEGAL, []),
    (
        "illegal content without legal ground and explanation",
        {**ILLEGAL, "illegal_content_legal_ground": DROP, "illegal_content_explanation": "  "},
        [
            ("illegal_content_legal_ground", "is required when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT"),
            ("illegal_content_explanation", "is required when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT"),
        ],
    ),
    (
        "illegal content with incompatible fields",
        {**ILLEGAL, "incompatible_content_ground": "Policy x", "incompatible_content_illegal": "Yes"},
        [
            (
                "incompatible_content_ground",
                "is only allowed when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT",
            ),
            (
                "incompatible_content_illegal",
                "is only allowed when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT",
            ),
        ],
    ),
    (
        "incompatible content with its ground and explanation",
        {"incompatible_content_ground": "Policy p, clause c", "incompatible_content_explanation": "Why it breaks c."},
        [],
    ),
    (
        "incompatible content without ground and explanation",
        INCOMPATIBLE_OFF,
        [
            ("incompatible_content_ground", "is required when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT"),
            (
                "incompatible_content_explanation",
                "is required when decision_ground is DECISION_GROUND_INCOMPATIBLE_CONTENT",
            ),
        ],
    ),
    (
        "incompatible content with a legal ground",
        {"illegal_content_legal_ground": "Section 5"},
        [("illegal_content_legal_ground", "is only allowed when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT")],
    ),
    ("incompatible and also illegal", {"incompatible_content_illegal": "Yes"}, []),
    (
        "incompatible_content_illegal must be Yes or No",
        {"incompatible_content_illegal": True},
        [("incompatible_content_illegal", 'must be "Yes" or "No", not True')],
    ),
    ("no decision ground", {"decision_ground": DROP}, [("decision_ground", "is required")]),
    (
        "unknown decision ground",
        {"decision_ground": "DECISION_GROUND_ILLEGAL"},
        [
            (
                "decision_ground",
                "'DECISION_GROUND_ILLEGAL' is not an allowed value (did you mean 'DECISION_GROUND_ILLEGAL_CONTENT'?)",
            )
        ],
    ),
    (
        "reference url must be http(s)",
        {"decision_ground_reference_url": "example.org/policies"},
        [("decision_ground_reference_url", "'example.org/policies' is not an http(s) URL")],
    ),
    (
        "reference url limit",
        {"decision_ground_reference_url": "https://example.org/" + "p" * 481},
        [("decision_ground_reference_url", "is 501 characters long; the limit is 500")],
    ),
    # categories and keywords
    (
        "keyword of an additional category",
        {
            "category_addition": ["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"],
            "category_specification": ["KEYWORD_MISINFORMATION_DISINFORMATION", "KEYWORD_INAUTHENTIC_ACCOUNTS"],
        },
        [],
    ),
    (
        "keyword of another category",
        {"category_specification": ["KEYWORD_INAUTHENTIC_ACCOUNTS"]},
        [
            (
                "category_specification",
                "KEYWORD_INAUTHENTIC_ACCOUNTS specifies STATEMENT_CATEGORY_SCAMS_AND_FRAUD, which is neither the "
                "category nor an additional category",
            )
        ],
    ),
    (
        "additional category repeats the category",
        {"category_addition": ["STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"]},
        [
            (
                "category_addition",
                "repeats the category STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
            )
        ],
    ),
    (
        "retired v1 category",
        {"category": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", "category_specification": DROP},
        [
            (
                "category",
                "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE was replaced by STATEMENT_CATEGORY_OTHER_VIOLATION_TC "
                "on 1 July 2025",
            )
        ],
    ),
    (
        "retired v1 keyword",
        {"category_specification": ["KEYWORD_DISINFORMATION"]},
        [
            (
                "category_specification",
                "KEYWORD_DISINFORMATION was replaced by KEYWORD_MISINFORMATION_DISINFORMATION on 1 July 2025",
            )
        ],
    ),
    (
        "ungrouped v2 keyword",
        {"category_specification": ["KEYWORD_STALKING"]},
        [
            (
                "category_specification",
                "KEYWORD_STALKING belongs to no v2 category; use KEYWORD_CYBER_STALKING or KEYWORD_OTHER",
            )
        ],
    ),
    ("no category", {"category": DROP}, [("category", "is required")]),
    (
        "keyword other with its text",
        {"category_specification": ["KEYWORD_OTHER"], "category_specification_other": "State-run persona network"},
        [],
    ),
    (
        "keyword other without its text",
        {"category_specification": ["KEYWORD_OTHER"]},
        [("category_specification_other", "is required when category_specification is KEYWORD_OTHER")],
    ),
    (
        "keyword other text without the keyword",
        {"category_specification_other": "State-run persona network"},
        [("category_specification_other", "is only allowed when category_specification is KEYWORD_OTHER")],
    ),
    # content types
    (
        "content type other with its text",
        {"content_type": ["CONTENT_TYPE_OTHER"], "content_type_other": "Livestream"},
        [],
    ),
    (
        "content type other without its text",
        {"content_type": ["CONTENT_TYPE_OTHER", "CONTENT_TYPE_TEXT"]},
        [("content_type_other", "is required when content_type is CONTENT_TYPE_OTHER")],
    ),
    (
        "content type other text without the code",
        {"content_type_other": "Livestream"},
        [("content_type_other", "is only allowed when content_type is CONTENT_TYPE_OTHER")],
    ),
    ("no content type", {"content_type": []}, [("content_type", "is required")]),
    (
        "unknown content type",
        {"content_type": ["CONTENT_TYPE_POST"]},
        [("content_type", "'CONTENT_TYPE_POST' is not an allowed value (did you mean 'CONTENT_TYPE_PRODUCT'?)")],
    ),
    # dates
    ("content date on the earliest day", {"content_date": "2000-01-01"}, []),
    (
        "content date before 2000",
        {"content_date": "1999-12-31"},
        [("content_date", "1999-12-31 is before 2000-01-01, the earliest date the database accepts")],
    ),
    ("content date on the application date", {"content_date": "2025-07-02"}, []),
    (
        "content date after the application date",
        {"content_date": "2025-07-03"},
        [
            (
                "content_date",
                "2025-07-03 is after the application date 2025-07-02: content cannot be restricted before it exists",
            )
        ],
    ),
    (
        "application date before 2020",
        {
            "application_date": "2019-12-31",
            "content_date": "2019-01-01",
            **NO_DECISIONS,
            "decision_account": "DECISION_ACCOUNT_TERMINATED",
        },
        [("application_date", "2019-12-31 is before 2020-01-01, the earliest date the database accepts")],
    ),
    (
        "application date with an hour (the v1 format)",
        {"application_date": "2025-07-02-10"},
        [("application_date", "'2025-07-02-10' is not a date in the form YYYY-MM-DD")],
    ),
    (
        "impossible date",
        {"content_date": "2025-02-30"},
        [("content_date", "'2025-02-30' is not a date in the form YYYY-MM-DD")],
    ),
    ("no application date", {"application_date": DROP}, [("application_date", "is required")]),
    # territorial scope
    ("the whole EEA", {"territorial_scope": sorted(schema.FIELDS["territorial_scope"].values)}, []),
    ("empty territorial scope", {"territorial_scope": []}, [("territorial_scope", "is required")]),
    (
        "EL for Greece",
        {"territorial_scope": ["EL"]},
        [("territorial_scope", "the DSA database uses GR for Greece, not EL")],
    ),
    (
        "country outside the EEA",
        {"territorial_scope": ["DE", "CH"]},
        [("territorial_scope", "CH is not an EEA country")],
    ),
    ("country twice", {"territorial_scope": ["DE", "DE"]}, [("territorial_scope", "country DE is listed twice")]),
    # language
    ("no language", {"content_language": DROP}, []),
    (
        "lower-case language",
        {"content_language": "de"},
        [("content_language", "language codes are upper case: 'DE', not 'de'")],
    ),
    (
        "unknown language",
        {"content_language": "XX"},
        [("content_language", "'XX' is not an ISO 639-1 language code the database accepts")],
    ),
    # source
    (
        "notifier named for an Article 16 notice",
        {"source_type": "SOURCE_ARTICLE_16", "source_identity": "A rights holder"},
        [],
    ),
    (
        "notifier named for our own initiative",
        {"source_identity": "A rights holder"},
        [("source_identity", "is not allowed with SOURCE_VOLUNTARY: there is no notifier to name")],
    ),
    ("no source type", {"source_type": DROP}, [("source_type", "is required")]),
    # automation
    (
        "automated detection must be Yes or No",
        {"automated_detection": "yes"},
        [("automated_detection", 'must be "Yes" or "No", not \'yes\'')],
    ),
    (
        "v1 automated decision value",
        {"automated_decision": "Yes"},
        [("automated_decision", "'Yes' is not an allowed value")],
    ),
    ("partially automated", {"automated_decision": "AUTOMATED_DECISION_PARTIALLY"}, []),
    # account type
    ("no account type", {"account_type": DROP}, []),
    (
        "unknown account type",
        {"account_type": "ACCOUNT_TYPE_GOVERNMENT"},
        [
            (
                "account_type",
                "'ACCOUNT_TYPE_GOVERNMENT' is not an allowed value (did you mean 'ACCOUNT_TYPE_PRIVATE'?)",
            )
        ],
    ),
    # facts and text limits
    ("facts at the limit", {"decision_facts": "x" * 5000}, []),
    (
        "facts over the limit",
        {"decision_facts": "x" * 5001},
        [("decision_facts", "is 5001 characters long; the limit is 5000")],
    ),
    ("blank facts", {"decision_facts": " \n"}, [("decision_facts", "is required")]),
    ("facts must be text", {"decision_facts": 42}, [("decision_facts", "must be text, not int")]),
    (
        "explanation over the limit",
        {"incompatible_content_explanation": "x" * 2001},
        [("incompatible_content_explanation", "is 2001 characters long; the limit is 2000")],
    ),
    # puid
    ("puid at the limit", {"puid": "a" * 500}, []),
    ("no puid", {"puid": DROP}, [("puid", "is required")]),
    ("puid over the limit", {"puid": "a" * 501}, [("puid", "is 501 characters long; the limit is 500")]),
    (
        "puid with other characters",
        {"puid": "overt/D1 #2"},
        [("puid", "may hold only letters a-z and A-Z, digits, '-' and '_'; found ' ', '#', '/'")],
    ),
    (
        "puid with a newline",
        {"puid": "overt-D1\n"},
        [("puid", "may hold only letters a-z and A-Z, digits, '-' and '_'; found '\\n'")],
    ),
    # content_id
    ("EAN-13 content id", {"content_id": {"EAN-13": "4006381333931"}}, []),
    (
        "EAN-13 with a wrong check digit",
        {"content_id": {"EAN-13": "4006381333932"}},
        [("content_id", "'4006381333932' is not an EAN-13 code (13 digits with a valid check digit)")],
    ),
    (
        "other content id key",
        {"content_id": {"ISBN": "9783161484100"}},
        [("content_id", "'ISBN' is not an accepted identifier (only EAN-13)")],
    ),
    # unknown fields and personal data
    (
        "field outside the schema",
        {"account_handle": "x"},
        [("account_handle", "is not a field of the v2 statement of reasons (did you mean 'account_type'?)")],
    ),
    (
        "v1 field",
        {"url": "https://example.org"},
        [("url", "is not a field of the v2 statement of reasons")],
    ),
    (
        "handle in the facts",
        {"decision_facts": "Posted with @anna_k in step."},
        [("decision_facts", "contains personal data: handle '@***k'; remove it before export")],
    ),
    (
        "e-mail in the explanation",
        {"incompatible_content_explanation": "Run from press.office@ministry.example."},
        [
            (
                "incompatible_content_explanation",
                "contains personal data: e-mail address 'p***e'; remove it before export",
            )
        ],
    ),
]


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert found(changed(**changes)) == expected


def test_every_conditional_rule_has_a_valid_and_an_invalid_case() -> None:
    # The "other" fields and ground fields are the conditional rules of the schema; each must appear in CASES both
    # in a case without problems and in a case with a problem on that field.
    conditional = [*schema.OTHER_FIELD, *(f for fields in schema.GROUND_FIELDS.values() for f in fields)]
    for name in conditional:
        valid = [c for c in CASES if name in c[1] and c[1][name] is not DROP and not c[2]]
        invalid = [c for c in CASES if any(field == name for field, _ in c[2])]
        assert valid, name
        assert invalid, name


def test_problems_carry_the_puid_and_read_well() -> None:
    problems = validate(changed(decision_ground=DROP))
    assert problems == [Problem(field="decision_ground", message="is required", puid="overt-D0001-0123456789abcdef")]
    assert str(problems[0]) == "puid overt-D0001-0123456789abcdef: decision_ground: is required"


def test_not_an_object() -> None:
    assert found([]) == [("statement", "must be an object, not list")]  # type: ignore[arg-type]


def test_personal_data_check_can_be_left_to_the_caller() -> None:
    statement = changed(decision_facts="Posted with @anna_k in step.")
    assert validate(statement, personal_data=False) == []


def test_ean13_check_digit() -> None:
    assert ean13_ok("4006381333931")
    assert ean13_ok("0000000000000")
    assert not ean13_ok("400638133393")
    assert not ean13_ok("400638133393a")


def test_batch_adds_duplicate_and_known_puids() -> None:
    one, two, three = base(), changed(puid="overt-D0002-aa"), base()
    problems = validate_batch([one, two, three], known_puids={"overt-D0002-aa"})
    assert [(p.index, p.field, p.message) for p in problems] == [
        (1, "puid", "was already submitted; a PUID may not be reused"),
        (2, "puid", "is also used by statement 0; a PUID must be unique within the platform"),
    ]
    assert problems[1].puid == "overt-D0001-0123456789abcdef"


def test_batch_limit_is_100() -> None:
    statements = [changed(puid=f"p{i}") for i in range(100)]
    assert validate_batch(statements) == []
    statements.append(changed(puid="p100"))
    assert [(p.field, p.message) for p in validate_batch(statements)] == [
        ("statements", "a batch holds at most 100 statements, not 101")
    ]
    assert validate_batch(statements, limit=None) == []


def test_batch_reports_each_statement_with_its_position() -> None:
    problems = validate_batch([base(), changed(puid="b", category=DROP)])
    assert [(p.index, p.puid, p.field) for p in problems] == [(1, "b", "category")]
    assert str(problems[0]) == "statement 1, puid b: category: is required"
