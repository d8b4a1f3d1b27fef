"""Notices to users: every language says every part, the English network-takedown notice (golden), appeal deadlines.

Rewrite the golden after a deliberate change of wording, then review it (the text is what users read)::

    OVERT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/enforcement/test_notices.py
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from overt.enforcement.actions import ACTION_TYPES, ActionSpec
from overt.enforcement.notices import (
    DETECTION_SOURCES,
    NoticeFacts,
    appeal_deadline,
    format_date,
    languages,
    normalise_language,
    render_notice,
)
from overt.enforcement.notices.render import describe_duration, describe_scope, words
from overt.enforcement.requests_policy import ASKS

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("OVERT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden {name}: run OVERT_UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == path.read_text(encoding="utf-8")


CLAUSE = (
    "Several accounts must not act together to hide who is behind them, for example by\n"
    "posting the same material in step while each claims to be unconnected.\n"
)
FACTS = (
    "Between 3 and 28 June 2025 this account posted 41 links to the same three sites, each within two minutes of "
    "the same links from other accounts of the network, mostly between 09:00 and 18:00 Moscow time."
)


def network_takedown(**changes: Any) -> NoticeFacts:
    fields: dict[str, Any] = {
        "decision_id": "D-2025-0042",
        "recipient_handle": "@sunny_valley_news",
        "notice_date": date(2025, 8, 31),
        "applied_on": date(2025, 8, 30),
        "policy_id": "concealed_state_affiliation",
        "policy_version": 1,
        "policy_title": "Concealed state affiliation",
        "clause_id": "coordinated_concealment",
        "clause_text": CLAUSE,
        "facts": FACTS,
        "actions": (
            ActionSpec(type="suspend", duration="P3M"),
            ActionSpec(type="label", markets=("EU", "GB"), label_text="Run for a state: Russia"),
            ActionSpec(type="exclude_from_recommendations", outside_home_market=True),
        ),
        "home_market": "RU",
        "detection_source": "automated",
        "state_actor": True,
        "state_actor_origin": "Russia (Internet Research Agency)",
        "network_accounts": 38,
        "appeal_contact": "https://example.org/appeals",
    }
    fields.update(changes)
    return NoticeFacts(**fields)


def test_english_network_takedown_notice_golden() -> None:
    notice = render_notice(network_takedown(), "en")
    assert notice.language == "en" and not notice.language_fallback
    assert notice.appeal_deadline == date(2026, 3, 1)
    check_golden("notices_network_takedown_en.txt", f"Subject: {notice.subject}\n\n{notice.body}")


def test_languages_shipped() -> None:
    assert languages() == ("de", "en", "es", "fr")
    assert languages("request_reply.txt.j2") == ("de", "en")


@pytest.mark.parametrize("language", ["de", "en", "es", "fr"])
def test_every_language_has_every_word(language: str) -> None:
    w = words(language)
    english = words("en")
    assert set(w) - {"actions"} == set(english)
    assert len(w["months"]) == 12
    assert set(w["detection"]) == set(DETECTION_SOURCES)
    assert set(w["regions"]) == {"GLOBAL", "EU", "EEA"}
    assert set(w["units"]) == {"D", "W", "M", "Y"}
    assert tuple(w["action_names"]) == ACTION_TYPES
    assert set(w["asks"]) == set(ASKS)
    if language != "en":  # English descriptions are the vocabulary's own
        assert tuple(w["actions"]) == ACTION_TYPES


@pytest.mark.parametrize("language", ["de", "en", "es", "fr"])
def test_every_language_renders_every_field(language: str) -> None:
    facts = network_takedown()
    notice = render_notice(facts, language)
    body, w = notice.body, words(language)
    assert notice.language == language and not notice.language_fallback
    assert facts.decision_id in notice.subject and facts.recipient_handle in notice.subject
    for expected in (
        facts.recipient_handle,
        facts.decision_id,
        facts.policy_title,
        "concealed_state_affiliation#coordinated_concealment",
        " ".join(CLAUSE.split()),  # the clause, unwrapped
        FACTS,
        w["detection"]["automated"],
        "Russia (Internet Research Agency)",  # the state-actor statement
        "38",  # one of N accounts
        format_date(date(2026, 3, 1), language),  # the appeal deadline
        format_date(date(2025, 8, 31), language),  # the notice date
        format_date(date(2025, 11, 30), language),  # the suspension's end
        "https://example.org/appeals",
        "Run for a state: Russia",
        *(w["action_names"][a.type] for a in facts.actions),
    ):
        assert expected in body, f"{language}: {expected!r} missing"
    assert "{{" not in body and "{%" not in body and "\n\n\n" not in body


@pytest.mark.parametrize("language", ["de", "en", "es", "fr"])
def test_every_language_says_whether_a_state_is_involved_and_how_it_was_decided(language: str) -> None:
    state = render_notice(network_takedown(), language).body
    no_state = render_notice(
        network_takedown(
            state_actor=False,
            state_actor_origin=None,
            network_accounts=None,
            detection_source="user_report",
            automated_decision=True,
        ),
        language,
    ).body
    assert "Internet Research Agency" not in no_state
    state_lines, no_state_lines = set(state.splitlines()), set(no_state.splitlines())
    # The state-actor statement, the detection sentences and the decision sentence all change.
    assert len(state_lines - no_state_lines) >= 5
    assert words(language)["detection"]["user_report"] in no_state
    assert "38" not in no_state


def test_english_statements_in_detail() -> None:
    body = render_notice(
        network_takedown(state_actor=False, state_actor_origin=None, network_accounts=None, automated_decision=True),
        "en",
    ).body
    assert "We did not find that a state runs this account" in body
    assert "Automated means were used to detect it." in body
    assert "The decision itself was taken by automated means. If you appeal, a person will review it." in body
    assert "accounts that we found acting together" not in body
    own = render_notice(network_takedown(detection_source="own_review"), "en").body
    assert "Automated means were not used to detect it." in own
    assert "A person reviewed the case and took the decision" in own
    flagged = render_notice(network_takedown(detection_source="user_report", automated_detection=True), "en").body
    assert "Automated means were used to detect it." in flagged


def test_no_action_decision() -> None:
    body = render_notice(network_takedown(actions=()), "en").body
    assert "We have decided to take no action against your account." in body
    assert "Where:" not in body


@pytest.mark.parametrize(
    ("requested", "language", "fallback"),
    [("en", "en", False), ("de-AT", "de", False), ("fr_CA", "fr", False), ("ES", "es", False), ("it", "en", True)],
)
def test_language_choice_and_fallback(requested: str, language: str, fallback: bool) -> None:
    notice = render_notice(network_takedown(), requested)
    assert (notice.language, notice.language_fallback) == (language, fallback)
    assert notice.requested_language == requested[:2].lower()
    said = 'You asked for this notice in a language we do not have a translation for yet ("it")'
    assert (said in notice.body) is fallback


@pytest.mark.parametrize("bad", ["", "../en", "english", "e1"])
def test_bad_language_tags_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="not a language code"):
        normalise_language(bad)


@pytest.mark.parametrize(
    ("notified", "deadline"),
    [
        (date(2025, 7, 1), date(2026, 1, 1)),
        (date(2025, 1, 15), date(2025, 7, 15)),
        (date(2025, 8, 31), date(2026, 3, 1)),  # 28 February would be short of six months
        (date(2023, 8, 31), date(2024, 3, 1)),  # leap year: 29 February would still be short
        (date(2025, 12, 31), date(2026, 7, 1)),  # 30 June would be short too
    ],
)
def test_appeal_deadline_is_at_least_six_months(notified: date, deadline: date) -> None:
    assert appeal_deadline(notified) == deadline


def test_longer_appeal_windows_and_too_short_ones() -> None:
    assert appeal_deadline(date(2025, 1, 15), 12) == date(2026, 1, 15)
    with pytest.raises(ValueError, match="at least 6 months"):
        appeal_deadline(date(2025, 1, 15), 5)
    with pytest.raises(ValidationError, match="appeal_months"):
        network_takedown(appeal_months=3)
    assert render_notice(network_takedown(appeal_months=12), "en").appeal_deadline == date(2026, 8, 31)


def test_dates_in_words() -> None:
    day = date(2026, 3, 1)
    assert [format_date(day, lang) for lang in ("en", "de", "fr", "es")] == [
        "1 March 2026",
        "1. März 2026",
        "1er mars 2026",
        "1 de marzo de 2026",
    ]
    assert format_date(date(2026, 12, 24), "fr") == "24 décembre 2026"


def test_scopes_and_durations_in_words() -> None:
    assert describe_scope(ActionSpec(type="demote"), "en", home_market=None) == "everywhere"
    assert describe_scope(ActionSpec(type="demote", markets=("DE",)), "en", home_market=None) == (
        "in this country: Germany"
    )
    assert describe_scope(ActionSpec(type="demote", markets=("DE", "EEA")), "de", home_market=None) == (
        "in diesen Ländern: Germany (DE), Europäischer Wirtschaftsraum (EU, Island, Liechtenstein und Norwegen)"
    )
    abroad = ActionSpec(type="demote", outside_home_market=True)
    assert describe_scope(abroad, "en", home_market="RU") == "everywhere, except in Russia (the account's home country)"
    assert describe_scope(abroad, "es", home_market="RU") == (
        "en todo el mundo, excepto en el país de origen de la cuenta: Russia (RU)"
    )
    start = date(2026, 1, 31)
    assert describe_duration(ActionSpec(type="suspend", duration="P1D"), "en", applied_on=start) == (
        "for 1 day, until 1 February 2026"
    )
    assert describe_duration(ActionSpec(type="suspend", duration="P2W"), "de", applied_on=start) == (
        "für 2 Wochen, bis zum 14. Februar 2026"
    )
    assert describe_duration(ActionSpec(type="suspend", duration="P1M"), "fr", applied_on=start) == (
        "pendant 1 mois, jusqu'au 28 février 2026"
    )
    assert describe_duration(ActionSpec(type="suspend", duration="P1Y"), "es", applied_on=start) == (
        "durante 1 año, hasta el 31 de enero de 2027"
    )
    assert describe_duration(ActionSpec(type="terminate"), "en", applied_on=start) == "with no end date"


def test_plain_text_is_not_html_escaped() -> None:
    body = render_notice(network_takedown(policy_title="Ads & <sponsors>", facts='He said "yes" & left.'), "en").body
    assert "Ads & <sponsors>" in body and 'He said "yes" & left.' in body
    assert "&amp;" not in body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"state_actor": False}, "state_actor_origin is given but state_actor is false"),
        ({"home_market": None}, "give home_market"),
        ({"facts": "  "}, "must not be empty"),
        ({"network_accounts": 1}, "network_accounts"),
        ({"detection_source": "scan"}, "detection_source"),
        ({"applied_on": date(2025, 9, 1)}, "cannot come before"),
        ({"home_market": "XX"}, "unknown market"),
    ],
)
def test_bad_notice_facts_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        network_takedown(**changes)


def test_notice_is_json() -> None:
    notice = render_notice(network_takedown(), "de")
    data = json.loads(json.dumps(notice.to_json()))
    assert data["language"] == "de" and data["appeal_deadline"] == "2026-03-01" and data["notice_date"] == "2025-08-31"
    assert data["subject"].startswith("Entscheidung D-2025-0042")
