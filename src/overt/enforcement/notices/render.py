"""Render notices and request replies from the templates, in the reader's language where we have one.

Each language is a folder under ``templates/`` named by its ISO 639-1 code: ``notice.txt.j2`` (the notice to a user),
optionally ``request_reply.txt.j2`` (the draft reply to a requester), and ``words.yaml`` (the words for values
computed here: dates, detection sources, action names and descriptions, places, durations, asks). A template sets
``subject`` at its top level; the rest of its output is the body. Templates are plain text, rendered strictly (an
unknown name is an error, so a typo fails the tests rather than leaving a gap in what a user reads).

Where no template exists for the language asked for, the English one is used and the text says so, in English.
Dates are written out from ``words.yaml`` (never ``strftime``: the text must not depend on the server's locale).
Country names come from :func:`overt.enforcement.markets.name`, which has English names only; the other languages
show them with their ISO code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from overt.enforcement import markets
from overt.enforcement.actions import ACTIONS, ActionSpec
from overt.enforcement.markets import GLOBAL
from overt.enforcement.notices.model import Notice, NoticeFacts, RequestReply, RequestReplyFacts

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "en"
NOTICE_TEMPLATE = "notice.txt.j2"
REPLY_TEMPLATE = "request_reply.txt.j2"

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        # Plain-text templates are not escaped (an "&" in a policy title must stay "&"); were an HTML template ever
        # added, it would be.
        autoescape=select_autoescape(enabled_extensions=("html", "htm"), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def normalise_language(language: str) -> str:
    """The primary ISO 639 code of a language tag: "de-AT", "de_DE" and "DE" are "de"; ValueError if it is none."""
    primary = language.strip().replace("_", "-").split("-")[0].lower()
    if not _LANGUAGE.match(primary):
        raise ValueError(f"'{language}' is not a language code (expected an ISO 639-1 code such as en, de, fr, es)")
    return primary


def languages(template: str = NOTICE_TEMPLATE) -> tuple[str, ...]:
    """The languages that have ``template`` (and words), sorted."""
    return tuple(
        sorted(
            folder.name
            for folder in TEMPLATES.iterdir()
            if (folder / template).is_file() and (folder / "words.yaml").is_file()
        )
    )


@cache
def words(language: str) -> Mapping[str, Any]:
    """The words of ``language`` (``templates/<language>/words.yaml``)."""
    loaded = yaml.safe_load((TEMPLATES / language / "words.yaml").read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"templates/{language}/words.yaml is not a mapping")
    return loaded


def _choose(language: str, template: str) -> tuple[str, str, bool]:
    requested = normalise_language(language)
    chosen = requested if requested in languages(template) else DEFAULT_LANGUAGE
    return requested, chosen, chosen != requested


# -- values in words ----------------------------------------------------------------------------------------------


def format_date(day: date, language: str) -> str:
    """``day`` written out in ``language``: "1 March 2026", "1. März 2026", "1er mars 2026", "1 de marzo de 2026"."""
    w = words(language)
    number = w.get("day_one") if day.day == 1 and w.get("day_one") else str(day.day)
    return str(w["date"]).format(day=number, month=w["months"][day.month - 1], year=day.year)


def _place(code: str, language: str) -> str:
    w = words(language)
    if code in w["regions"]:
        return str(w["regions"][code])
    english = markets.name(code)
    # Country names are English (GeoNames); other languages add the code so the reader can be sure which it is.
    return english if language == "en" else f"{english} ({code})"


def describe_scope(spec: ActionSpec, language: str, *, home_market: str | None) -> str:
    """Where an action applies, in words: everywhere, or in these countries, minus the home market if so."""
    w = words(language)
    if GLOBAL in spec.markets:
        where = str(w["everywhere"])
    else:
        places = ", ".join(_place(code, language) for code in spec.markets)
        single = len(spec.markets) == 1 and markets.is_country(spec.markets[0])
        where = str(w["one_country" if single else "countries"]).format(places=places)
    if spec.outside_home_market and home_market is not None:
        where = str(w["except_home"]).format(scope=where, home=_place(home_market, language))
    return where


def describe_duration(spec: ActionSpec, language: str, *, applied_on: date) -> str:
    """How long an action lasts, in words: "for 30 days, until 31 July 2025", or that it has no end date."""
    w = words(language)
    end = spec.end_date(applied_on)
    if spec.duration is None or end is None:
        return str(w["indefinite"])
    count, unit = int(spec.duration[1:-1]), spec.duration[-1]
    singular, plural = w["units"][unit]
    amount = f"{count} {singular if count == 1 else plural}"
    return str(w["temporary"]).format(amount=amount, end=format_date(end, language))


def describe_action(spec: ActionSpec, language: str, *, home_market: str | None, applied_on: date) -> dict[str, Any]:
    """One action for a template: name, what it does, where, how long, and the label's text (or None)."""
    w = words(language)
    description = ACTIONS[spec.type].description if language == "en" else w["actions"][spec.type]
    return {
        "type": spec.type,
        "name": w["action_names"][spec.type],
        "description": description,
        "scope": describe_scope(spec, language, home_market=home_market),
        "duration": describe_duration(spec, language, applied_on=applied_on),
        "label_text": spec.label_text,
    }


def _paragraph(text: str) -> str:
    # Clause texts are wrapped in YAML; a notice reads better with each paragraph on one line.
    return "\n".join(" ".join(part.split()) for part in re.split(r"\n\s*\n", text.strip()))


def _render(language: str, template: str, context: Mapping[str, Any]) -> tuple[str, str]:
    module = _environment().get_template(f"{language}/{template}").make_module(dict(context))
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"template {language}/{template} does not set a subject")
    body = re.sub(r"\n{3,}", "\n\n", str(module)).strip() + "\n"
    return subject, body


# -- the two documents --------------------------------------------------------------------------------------------


def render_notice(facts: NoticeFacts, language: str) -> Notice:
    """The notice of ``facts`` in ``language`` (a language tag), or in English when there is no template for it."""
    requested, chosen, fallback = _choose(language, NOTICE_TEMPLATE)
    applied_on = facts.applied_on or facts.notice_date
    context = {
        "requested_language": requested,
        "fallback": fallback,
        "handle": facts.recipient_handle,
        "decision_id": facts.decision_id,
        "notice_date": format_date(facts.notice_date, chosen),
        "policy_id": facts.policy_id,
        "policy_version": facts.policy_version,
        "policy_title": facts.policy_title,
        "clause_id": facts.clause_id,
        "clause_text": _paragraph(facts.clause_text),
        "facts": facts.facts.strip(),
        "actions": [
            describe_action(spec, chosen, home_market=facts.home_market, applied_on=applied_on)
            for spec in facts.actions
        ],
        "detection": words(chosen)["detection"][facts.detection_source],
        "automated_detection": facts.detected_automatically,
        "automated_decision": facts.automated_decision,
        "state_actor": facts.state_actor,
        "state_actor_origin": facts.state_actor_origin,
        "network_accounts": facts.network_accounts,
        "appeal_contact": facts.appeal_contact,
        "appeal_months": facts.appeal_months,
        "appeal_deadline": format_date(facts.appeal_deadline, chosen),
    }
    subject, body = _render(chosen, NOTICE_TEMPLATE, context)
    return Notice(
        decision_id=facts.decision_id,
        recipient_handle=facts.recipient_handle,
        language=chosen,
        requested_language=requested,
        language_fallback=fallback,
        subject=subject,
        body=body,
        notice_date=facts.notice_date,
        appeal_deadline=facts.appeal_deadline,
    )


def render_request_reply(facts: RequestReplyFacts, language: str) -> RequestReply:
    """The draft reply to a sensitive request, marked DRAFT, in ``language`` or English (see the module)."""
    requested, chosen, fallback = _choose(language, REPLY_TEMPLATE)
    w = words(chosen)
    declined = [
        {
            "ask": w["asks"][ask],
            "conflicts": [
                {
                    "policy": c.policy,
                    "policy_title": c.policy_title,
                    "clause_text": _paragraph(c.clause_text),
                }
                for c in facts.conflicts
                if c.ask == ask
            ],
        }
        for ask in facts.declined_for_reply()
    ]
    context = {
        "requested_language": requested,
        "fallback": fallback,
        "case_id": facts.case_id,
        "entity_name": facts.entity_name,
        "received_on": format_date(facts.received_on, chosen),
        "informal": facts.channel in ("informal", "via_employee"),
        "via_employee": facts.channel == "via_employee",
        "formal_channel": facts.formal_channel,
        "legal_basis": facts.legal_basis,
        "asks": [w["asks"][ask] for ask in facts.asks],
        "outcome": facts.outcome,
        "will_do": [line.strip() for line in facts.will_do if line.strip()],
        "declined": declined,
        "reasons": facts.reasons.strip(),
    }
    subject, body = _render(chosen, REPLY_TEMPLATE, context)
    return RequestReply(
        case_id=facts.case_id,
        language=chosen,
        requested_language=requested,
        language_fallback=fallback,
        subject=subject,
        body=body,
    )
