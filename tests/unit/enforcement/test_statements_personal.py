"""Personal data in the free text of statements of reasons: tricky positives and negatives."""

from __future__ import annotations

import pytest

from overt.enforcement.statements.personal import Finding, find_personal_data, mask

POSITIVES = [
    ("contact anna.k@example.org now", "email", "anna.k@example.org"),
    ("(press.office+dsa@ministry.gov.example)", "email", "press.office+dsa@ministry.gov.example"),
    ("the account @anna_k posted", "handle", "@anna_k"),
    ("@Anna.K. wrote", "handle", "@Anna.K"),
    ("reposted by @user2025", "handle", "@user2025"),
    ("see https://x.com/anna_k/status/123", "profile_url", "https://x.com/anna_k/status/123"),
    ("channel t.me/rus_news_channel.", "profile_url", "t.me/rus_news_channel"),
    (
        "https://www.facebook.com/profile.php?id=1000123",
        "profile_url",
        "https://www.facebook.com/profile.php?id=1000123",
    ),
    ("youtube.com/@StateTV", "profile_url", "youtube.com/@StateTV"),
    ("https://mastodon.example/@anna", "profile_url", "https://mastodon.example/@anna"),
    ("https://forum.example.com/users/bob", "profile_url", "https://forum.example.com/users/bob"),
    ("https://www.linkedin.com/in/jane-doe-123", "profile_url", "https://www.linkedin.com/in/jane-doe-123"),
    ("call +49 30 1234567", "phone", "+49 30 1234567"),
    ("+1 (555) 123-4567", "phone", "+1 (555) 123-4567"),
    ("+7 495 123-45-67", "phone", "+7 495 123-45-67"),
    ("+44 20 7946 0958", "phone", "+44 20 7946 0958"),
    ("+33612345678", "phone", "+33612345678"),
    ("0049 30 1234567", "phone", "0049 30 1234567"),
    ("Berlin 030 1234 5678", "phone", "030 1234 5678"),
    ("Paris 06 12 34 56 78", "phone", "06 12 34 56 78"),
    ("Paris 06.12.34.56.78", "phone", "06.12.34.56.78"),
    ("mobile 0612345678", "phone", "0612345678"),
    ("tel. 0171/1234567", "phone", "0171/1234567"),
    ("(555) 123-4567", "phone", "(555) 123-4567"),
    ("555-123-4567", "phone", "555-123-4567"),
]


@pytest.mark.parametrize(("text", "kind", "match"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_finds(text: str, kind: str, match: str) -> None:
    findings = find_personal_data(text)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [(kind, match)]


NEGATIVES = [
    "on 2025-07-01 and 01.07.2025 and 1/7/2025 and 07/01/2025",
    "on 01.07.2025 12:00 UTC and on 01.07.2025 14 accounts posted",
    "at 2025-07-01T10:00:00Z, between 09:00 and 17:00 UTC+3",
    "in 2024 and 2025, 1,234 accounts, 12 345 followers, 1.000.000 views, 1200000 posts",
    "rule T0049 (DISARM), case CIB-2025-07, scan 0a3f9c1e22, hash 0123456789abcdef",
    "score 0.87, ratio 1:2, version 1.2.3, order 012/2025, price 0,99, week 0",
    "cluster 00042 with 38 accounts",
    "meet @ 10, an email@ sign, user@localhost, @2025",
    "policy https://x.com/en/tos and https://example.org/policies/concealed_state_affiliation",
    "https://transparency.dsa.ec.europa.eu/page/api-documentation",
    "The accounts posted the same 214 texts within 90 seconds of each other.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_alone(text: str) -> None:
    assert find_personal_data(text) == []


def test_several_in_order_without_overlaps() -> None:
    text = "Run by press@gov.example (@press), see x.com/press or +49 30 1234567."
    kinds = [f.kind for f in find_personal_data(text)]
    # The e-mail's "@gov" is not a handle; the profile link's "press" is not reported twice.
    assert kinds == ["email", "handle", "profile_url", "phone"]


def test_findings_are_masked() -> None:
    (finding,) = find_personal_data("write to anna.k@example.org")
    assert finding == Finding(kind="email", start=9, end=27, masked="a***g")
    assert finding.describe() == "e-mail address 'a***g'"
    assert "anna" not in finding.describe()


def test_mask_hides_short_texts_completely() -> None:
    assert mask("@ab") == "***"
    assert mask("@abcd") == "@***d"
