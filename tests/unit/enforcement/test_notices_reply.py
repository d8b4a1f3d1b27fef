"""Draft replies to sensitive-request requesters: marked DRAFT, policy reasons quoted, nothing forbidden granted."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from overt.enforcement.notices import RequestReplyFacts, render_request_reply
from overt.enforcement.policies import load_defaults
from overt.enforcement.requests_policy import RequestFacts, assess

POLICIES = {p.id: p for p in load_defaults()}
SEED = RequestFacts(
    requester_kind="government",
    entity_name="Ministry of Culture and Tourism",
    country="CN",
    channel="via_employee",
    asks=("create_account", "verify_account"),
    description="We would like an account that would not be seen as a government account.",
)
CONFLICTS = assess(SEED, POLICIES).conflicts
HIDDEN_OPERATOR = POLICIES["concealed_state_affiliation"].clause("hidden_operator")


def reply(**changes: Any) -> RequestReplyFacts:
    fields: dict[str, Any] = {
        "case_id": "C-2025-0007",
        "entity_name": SEED.entity_name,
        "received_on": date(2025, 7, 1),
        "channel": SEED.channel,
        "asks": SEED.asks,
        "outcome": "declined",
        "conflicts": CONFLICTS,
        "reasons": "An account run by a ministry must say so.",
        "formal_channel": "requests@example.org",
    }
    fields.update(changes)
    return RequestReplyFacts(**fields)


def test_declined_seed_request_in_english() -> None:
    draft = render_request_reply(reply(), "en")
    assert draft.draft and draft.language == "en" and not draft.language_fallback
    assert draft.subject == "Your request of 1 July 2025 (our reference C-2025-0007)"
    body = draft.body
    assert body.startswith("DRAFT FOR REVIEW BY LEGAL AND POLICY.")
    assert "To: Ministry of Culture and Tourism" in body
    assert "We have decided not to grant your request." in body
    assert "- We will not create an account." in body
    assert "- We will not verify an account.\n  See our reasons below." in body
    assert '"Concealed state affiliation" (concealed_state_affiliation#hidden_operator)' in body
    assert HIDDEN_OPERATOR is not None and f'"{" ".join(HIDDEN_OPERATOR.text.split())}"' in body
    assert "Our reasons:\nAn account run by a ministry must say so." in body
    assert "through one of our employees" in body and "requests@example.org" in body
    assert "What we will do:" not in body


def test_partially_granted_says_what_will_be_done_and_what_not() -> None:
    facts = reply(
        outcome="partially_granted",
        granted_asks=("verify_account",),
        will_do=("We will verify the ministry's own account, which carries a government label.", "  "),
    )
    body = render_request_reply(facts, "en").body
    assert "We have decided to grant part of your request." in body
    assert "What we will do:\n- We will verify the ministry's own account" in body
    assert "- We will not create an account." in body
    assert "- We will not verify" not in body


def test_granted_formal_request_has_no_informal_paragraph() -> None:
    facts = reply(
        channel="legal_order",
        asks=("remove_content",),
        legal_basis="§ 130 StGB",
        outcome="granted",
        conflicts=(),
        will_do=("We will restrict the post in Germany only.",),
    )
    body = render_request_reply(facts, "en").body
    assert "Thank you for your request of 1 July 2025, made under § 130 StGB." in body
    assert "We have decided to grant your request." in body
    assert "employees" not in body and "informally" not in body
    assert "What we will not do" not in body


def test_german_reply_and_english_fallback() -> None:
    german = render_request_reply(reply(), "de-DE")
    assert german.language == "de" and not german.language_fallback
    assert german.subject == "Ihre Anfrage vom 1. Juli 2025 (unser Zeichen C-2025-0007)"
    assert german.body.startswith("ENTWURF ZUR PRÜFUNG")
    assert "DRAFT FOR REVIEW BY LEGAL AND POLICY" in german.body
    assert "- Ihrer Bitte, ein Konto einzurichten, kommen wir nicht nach." in german.body
    assert "concealed_state_affiliation#hidden_operator" in german.body
    french = render_request_reply(reply(), "fr")
    assert french.language == "en" and french.language_fallback and french.requested_language == "fr"
    assert 'The requester\'s language, "fr", has no reply template yet' in french.body
    assert french.body.startswith("DRAFT FOR REVIEW")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outcome": "granted", "will_do": ("We will create it.",)}, "cannot be granted: create_account"),
        (
            {"outcome": "partially_granted", "granted_asks": SEED.asks, "will_do": ("x",)},
            "grants some asks but not all",
        ),
        ({"outcome": "partially_granted", "granted_asks": ("verify_account",)}, "say what we will do"),
        ({"granted_asks": ("verify_account",)}, "a declined request grants no asks"),
        ({"granted_asks": ("boost_topic",), "outcome": "partially_granted", "will_do": ("x",)}, "among the asks"),
        ({"asks": ("verify_account",)}, "an ask the request does not make"),
        ({"outcome": "withdrawn"}, "outcome"),
    ],
)
def test_inconsistent_replies_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        reply(**changes)
