"""The policy check of sensitive requests: conflicts with the shipped default policies, escalation and sign-offs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from overt.enforcement.policies import Policy, load_defaults
from overt.enforcement.requests_policy import (
    ASKS,
    CONCEALMENT_PHRASES,
    Assessment,
    PolicyGapError,
    RequestFacts,
    SignOff,
    SignOffRule,
    assess,
    find_phrases,
)

POLICIES = {p.id: p for p in load_defaults()}
SEED_DESCRIPTION = (
    "The main purpose is for promoting content that showcase the best side of the country: "
    "an account that would not be seen as a government account."
)


def request(**changes: Any) -> RequestFacts:
    fields: dict[str, Any] = {
        "requester_kind": "government",
        "entity_name": "Ministry of Culture and Tourism",
        "country": "CN",
        "channel": "legal_order",
        "asks": ["verify_account"],
        "description": "",
    }
    fields.update(changes)
    return RequestFacts(**fields)


def cites(assessment: Assessment) -> list[tuple[str, str]]:
    return [(c.ask, c.policy) for c in assessment.conflicts]


def test_the_seed_scenario_conflicts_with_concealed_affiliation_and_is_escalated() -> None:
    seed = request(channel="via_employee", asks=["create_account"], description=SEED_DESCRIPTION)
    result = assess(seed, POLICIES)
    assert cites(result) == [("create_account", "concealed_state_affiliation#hidden_operator")]
    [conflict] = result.conflicts
    assert "would not be seen as its own" in conflict.why and "not be seen as" in conflict.why
    assert conflict.policy_title == "Concealed state affiliation" and conflict.policy_version == 1
    assert conflict.clause_text.startswith("An account must not present itself as independent")
    assert "\n" not in conflict.clause_text
    assert result.concealment_language == ("not be seen as",)
    assert result.recommendation == "decline"
    assert result.escalate and result.escalate_to == ("legal", "policy_lead")
    assert result.sign_offs == SignOffRule(count=2, distinct_people=True, roles=("legal", "policy_lead"))
    assert [f.kind for f in result.irregularities] == ["via_employee"]
    assert result.irregularities[0].policy == "sensitive_requests#formal_channels"
    assert result.conflicts_payload() == [
        {"ask": "create_account", "policy": "concealed_state_affiliation#hidden_operator", "why": conflict.why}
    ]
    assert result.declined_asks() == ("create_account",)
    json.dumps(result.to_json())  # the lead stores it


def test_a_formal_legal_order_with_a_legal_basis_has_no_conflict_but_is_escalated() -> None:
    order = request(
        country="DE",
        entity_name="Landgericht Hamburg",
        asks=["remove_content"],
        legal_basis="§ 130 StGB (Volksverhetzung), order 324 O 12/25",
        description="Remove the post at the address given; it is illegal in Germany.",
    )
    result = assess(order, POLICIES)
    assert result.conflicts == ()
    assert result.recommendation == "review"
    assert result.escalate and result.sign_offs.roles == ("legal", "policy_lead")
    assert result.irregularities == ()
    [note] = result.notes
    assert note.kind == "check_legal_basis" and note.policy == "sensitive_requests#local_scope"
    assert "§ 130 StGB" in note.why


def test_remove_content_without_a_legal_basis_is_noted() -> None:
    result = assess(request(asks=["remove_content"], legal_basis="   "), POLICIES)
    assert result.conflicts == () and result.recommendation == "review"
    assert [(n.kind, n.policy) for n in result.notes] == [("no_legal_basis", "sensitive_requests#legal_basis")]


@pytest.mark.parametrize(
    ("description", "phrase"),
    [
        ("Wir möchten ein Konto, das nicht als Regierungskonto erkennbar ist.", "nicht als regierungskonto erkennbar"),
        ("Un compte qui ne soit pas vu comme un compte du gouvernement.", "ne soit pas vu comme"),
        ("Una cuenta que no se vea como del gobierno, de forma anónima.", "no se vea como"),
        ("Ein anonymes Konto für die Tourismuswerbung", "anonymes"),
        ("An account without disclosure of the ministry", "without disclosure"),
        ("An undisclosed account for the embassy", "undisclosed"),
        ("Нужен аккаунт без указания министерства", "без указания"),
        ("我们需要一个不被视为政府账号的账号", "不被视为"),
    ],
)
def test_concealment_is_found_in_several_languages(description: str, phrase: str) -> None:
    result = assess(request(asks=["create_account"], description=description), POLICIES)
    assert phrase in result.concealment_language
    assert cites(result) == [("create_account", "concealed_state_affiliation#hidden_operator")]
    assert result.recommendation == "decline"


def test_phrases_are_matched_without_case_or_accents_and_each_passage_once() -> None:
    assert find_phrases("UNE CAMPAGNE ANONYME, anonyme", {"fr": [r"\banonyme\b"]}) == ("anonyme",)
    assert find_phrases("Sin divulgación", {"es": [r"\bsin divulgacion\b"]}) == ("sin divulgacion",)
    assert find_phrases("nothing here", {"en": [r"\banonymous\b"]}) == ()
    # Words that contain a phrase without meaning it: "disclosure" in Russian contains "hidden".
    assert find_phrases("с полным раскрытием, official account", CONCEALMENT_PHRASES) == ()
    assert find_phrases("скрытый аккаунт", CONCEALMENT_PHRASES) == ("скрытый",)


def test_an_openly_run_government_account_is_not_a_conflict() -> None:
    result = assess(request(asks=["create_account"], description="An official account of the ministry."), POLICIES)
    assert result.conflicts == () and result.recommendation == "review"
    assert result.escalate  # still a government request


def test_concealment_language_from_a_private_requester_creating_an_account_is_not_a_conflict() -> None:
    result = assess(
        request(requester_kind="other", channel="other", asks=["create_account"], description="an anonymous blog"),
        POLICIES,
    )
    assert result.conflicts == ()
    assert [n.kind for n in result.notes] == ["concealment_language"]
    assert not result.escalate
    assert result.sign_offs == SignOffRule(count=2, distinct_people=True, roles=())


def test_a_political_requester_asking_for_an_account_not_seen_as_its_own() -> None:
    result = assess(
        request(requester_kind="political", asks=["create_account"], description="not be seen as the party's"),
        POLICIES,
    )
    assert cites(result) == [("create_account", "government_and_political_accounts#account_label")]
    assert result.escalate and "political speech" in result.escalation_reasons[0]


def test_conceal_affiliation_conflicts_for_everyone_and_more_for_the_powerful() -> None:
    private = assess(request(requester_kind="other", channel="other", asks=["conceal_affiliation"]), POLICIES)
    assert cites(private) == [("conceal_affiliation", "concealed_state_affiliation#hidden_operator")]
    government = assess(request(asks=["conceal_affiliation"]), POLICIES)
    assert cites(government) == [
        ("conceal_affiliation", "concealed_state_affiliation#hidden_operator"),
        ("conceal_affiliation", "government_and_political_accounts#account_label"),
        ("conceal_affiliation", "sensitive_requests#no_special_treatment"),
    ]
    assert government.declined_asks() == ("conceal_affiliation",)


def test_remove_affiliation_label_points_to_the_designation_review() -> None:
    result = assess(request(requester_kind="other", channel="other", asks=["remove_affiliation_label"]), POLICIES)
    assert cites(result) == [
        ("remove_affiliation_label", "state_affiliated_media#disclosure_label"),
        ("remove_affiliation_label", "government_and_political_accounts#account_label"),
    ]
    assert "state_affiliated_media#designation_review" in result.conflicts[0].why
    assert result.recommendation == "decline"


@pytest.mark.parametrize("ask", ["demote_topic", "boost_topic"])
def test_an_undisclosed_topic_change_conflicts(ask: str) -> None:
    result = assess(request(requester_kind="other", channel="other", asks=[ask]), POLICIES)
    assert cites(result) == [(ask, "sensitive_requests#no_silent_restriction")]
    assert "undisclosed visibility change" in result.conflicts[0].why
    assert result.escalate  # a topic change is escalated whoever asks
    disclosed = assess(request(requester_kind="other", channel="other", asks=[ask], public_disclosure=True), POLICIES)
    assert disclosed.conflicts == () and disclosed.recommendation == "review"
    quietly = request(
        requester_kind="other", channel="other", asks=[ask], public_disclosure=True, description="please do it quietly"
    )
    [conflict] = assess(quietly, POLICIES).conflicts
    assert "quietly" in conflict.why


def test_irregular_channels_are_flagged_and_escalated_for_any_requester() -> None:
    result = assess(request(requester_kind="other", channel="informal", asks=["verify_account"]), POLICIES)
    assert [f.kind for f in result.irregularities] == ["informal_channel"]
    assert result.conflicts == () and result.recommendation == "review"
    assert result.escalate and result.escalation_reasons == (
        "the request came through an irregular channel (informal)",
    )


def test_a_plain_request_needs_two_sign_offs_without_escalation() -> None:
    result = assess(request(requester_kind="other", channel="other", asks=["verify_account"]), POLICIES)
    assert not result.escalate and result.escalate_to == () and result.escalation_reasons == ()
    assert result.sign_offs.count == 2 and result.sign_offs.roles == ()


def test_requests_about_elections_or_journalists_are_escalated() -> None:
    result = assess(
        request(requester_kind="other", channel="other", asks=["remove_content"], description="Posts on the Wahlen"),
        POLICIES,
    )
    assert result.escalate and "wahlen" in result.escalation_reasons[0]


def test_without_a_clause_on_channels_the_irregularity_cites_none() -> None:
    base = POLICIES["sensitive_requests"]
    older = Policy.model_validate(
        {**base.model_dump(), "clauses": [c for c in base.model_dump()["clauses"] if c["id"] != "formal_channels"]}
    )
    policies = {**POLICIES, "sensitive_requests": older}
    result = assess(request(channel="via_employee"), policies)
    assert result.irregularities[0].policy is None


def test_a_missing_clause_is_an_error_not_a_silent_review() -> None:
    only_media = {"state_affiliated_media": POLICIES["state_affiliated_media"]}
    with pytest.raises(PolicyGapError, match=r"concealed_state_affiliation#hidden_operator"):
        assess(request(asks=["create_account"], description=SEED_DESCRIPTION), only_media)
    # Of several clauses that say no, those present are cited.
    result = assess(request(requester_kind="other", channel="other", asks=["remove_affiliation_label"]), only_media)
    assert cites(result) == [("remove_affiliation_label", "state_affiliated_media#disclosure_label")]


def test_every_conflict_cites_a_clause_of_the_defaults() -> None:
    everything = request(asks=list(ASKS), description=SEED_DESCRIPTION + " quietly")
    result = assess(everything, POLICIES)
    cited = {c.policy for c in result.conflicts}
    known = set().union(*(p.cites() for p in POLICIES.values()))
    assert cited <= known
    assert {c.ask for c in result.conflicts} == {
        "create_account",
        "conceal_affiliation",
        "remove_affiliation_label",
        "demote_topic",
        "boost_topic",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"country": "EU"}, "is a region"),
        ({"country": "XK1"}, "unknown market"),
        ({"asks": []}, "at least 1 item"),
        ({"asks": ["hide_topic"]}, "asks.0"),
        ({"requester_kind": "embassy"}, "requester_kind"),
        ({"channel": "email"}, "channel"),
        ({"entity_name": ""}, "entity_name"),
    ],
)
def test_bad_request_facts_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        request(**changes)


def test_request_facts_are_normalised() -> None:
    facts = request(asks=["create_account", "create_account", "verify_account"], legal_basis="  ")
    assert facts.asks == ("create_account", "verify_account")
    assert facts.legal_basis is None


def test_sign_off_rule_is_enforceable() -> None:
    rule = SignOffRule(roles=("legal", "policy_lead"))
    assert rule.problems([SignOff("u1", "legal"), SignOff("u2", "policy_lead")]) == []
    assert rule.problems([SignOff("u2", "policy_lead"), SignOff("u1", "legal"), SignOff("u3", "reviewer")]) == []
    same_person = rule.problems([SignOff("u1", "legal"), SignOff("u1", "policy_lead")])
    assert len(same_person) == 2 and "different people, has 1" in same_person[0]
    two_lawyers = rule.problems([SignOff("u1", "legal"), SignOff("u2", "legal")])
    assert two_lawyers == ["needs sign-offs in the roles legal, policy_lead, each by a different person (has: legal)"]
    assert len(rule.problems([])) == 2
    plain = SignOffRule()
    assert plain.problems([SignOff("u1", "reviewer"), SignOff("u2", "analyst")]) == []
    assert plain.problems([SignOff("u1", "reviewer")]) == ["needs 2 sign-offs by different people, has 1"]
