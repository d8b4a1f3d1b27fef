"""Build one statement of reasons (v2 schema) from a decision and the DSA fields of its actions.

The lead's decision records hold what was decided, under which policy clause, on what facts and with which actions;
:class:`DecisionFacts` is what this module needs of them, and :func:`statement_from` turns it into the request body
the Commission's database takes. Who calls it: the DSA export (``overt dsa export``) for every decision in the period.

Choices made here, and why:

- **PUID** (:func:`derive_puid`): ``overt-<decision>-<hash>``, the hash being the first 16 hex digits of SHA-256 (or
  of HMAC-SHA-256 with ``puid_key``) over platform, decision and subject. It is stable (re-exporting the same
  decision gives the same PUID, so the database refuses a duplicate instead of counting it twice), unique per
  subject of a network decision, and it does not spell out the account id. Characters outside the PUID alphabet in
  the decision id become "_". With a secret ``puid_key``, nobody can test guessed account ids against the hash.
- **Grounds**: our policies are terms and conditions, so the default is DECISION_GROUND_INCOMPATIBLE_CONTENT with
  ``incompatible_content_ground`` naming policy, version and clause and ``incompatible_content_explanation`` quoting
  the clause's public text followed by why this content breaks it. A decision on illegal content instead gives
  ``legal_ground`` and ``legal_explanation`` (DECISION_GROUND_ILLEGAL_CONTENT); a terms decision on content that is
  also illegal sets ``also_illegal`` (incompatible_content_illegal "Yes").
- **source_type** from the detection source: user_report → SOURCE_ARTICLE_16, trusted_flagger →
  SOURCE_TRUSTED_FLAGGER, government → SOURCE_TYPE_OTHER_NOTIFICATION (an authority's request outside Article 9),
  automated and own_review → SOURCE_VOLUNTARY (our own initiative). The notifier is never named unless
  ``source_identity`` is given explicitly (Article 17(3)(b): only where strictly necessary).
- **No statement** (``Built.statement`` None, with the reason) when the actions restrict nothing in the EEA (their
  territorial scope is empty) or when the decision took no action.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from overt.enforcement import dsa
from overt.enforcement.policies.model import Policy

DetectionSource = Literal["automated", "user_report", "trusted_flagger", "government", "own_review"]

#: Detection source → source_type (the shared vocabulary's mapping).
SOURCE_TYPE_OF: Mapping[str, str] = {
    "user_report": "SOURCE_ARTICLE_16",
    "trusted_flagger": "SOURCE_TRUSTED_FLAGGER",
    "government": "SOURCE_TYPE_OTHER_NOTIFICATION",
    "automated": "SOURCE_VOLUNTARY",
    "own_review": "SOURCE_VOLUNTARY",
}
ACCOUNT_TYPE_OF: Mapping[str, str] = {"business": "ACCOUNT_TYPE_BUSINESS", "private": "ACCOUNT_TYPE_PRIVATE"}

_NOT_PUID = re.compile(r"[^A-Za-z0-9_-]+")
_DECISION_KEYS = (*dsa.DECISION_FIELDS, *dsa.END_DATE_FIELD.values(), "territorial_scope")


def derive_puid(platform: str, decision_id: str, subject: str, *, key: bytes | None = None) -> str:
    """A stable PUID for one subject of one decision: ``overt-<decision>-<16 hex digits>``.

    The decision id is kept readable (cut to 400 characters, characters outside the PUID alphabet replaced by "_"),
    so that whoever reads the database can find the decision; the hash tells apart the subjects of one decision.
    """
    message = "\x1f".join((platform, decision_id, subject)).encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest() if key else hashlib.sha256(message).hexdigest()
    readable = _NOT_PUID.sub("_", decision_id).strip("_")[:400] or "decision"
    return f"overt-{readable}-{digest[:16]}"


class DecisionFacts(BaseModel):
    """What a statement of reasons needs to know about one decision on one subject (an account or a post)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Our platform's name or id (part of the PUID hash; not exported).
    platform: str
    decision_id: str
    #: The account or post the statement is about (hashed into the PUID; never exported as such).
    subject_id: str
    policy_id: str
    policy_version: int
    policy_title: str | None = None
    clause: str
    #: The clause's published text, quoted in the explanation.
    clause_text: str
    #: Why this content breaks the clause, in words for the public (no personal data).
    explanation: str
    #: "terms": terms and conditions (our policies); "illegal": a legal ground (then legal_ground, legal_explanation).
    ground: Literal["terms", "illegal"] = "terms"
    legal_ground: str | None = None
    legal_explanation: str | None = None
    #: For terms decisions: whether the content is also illegal (None: not said).
    also_illegal: bool | None = None
    #: The public page of the policy (decision_ground_reference_url).
    reference_url: str | None = None
    category: str
    keywords: tuple[str, ...] = ()
    #: What KEYWORD_OTHER stands for, when it is among the keywords.
    keyword_other: str | None = None
    category_addition: tuple[str, ...] = ()
    content_types: tuple[str, ...]
    content_type_other: str | None = None
    #: ISO 639-1 code of the content's language, either case (canonical data stores "en").
    content_language: str | None = None
    content_date: date
    application_date: date
    #: The facts and circumstances relied on (decision_facts), in words for the public.
    facts: str
    detection_source: DetectionSource
    #: Who notified, only where strictly necessary (Article 17(3)(b)); never for our own initiative.
    source_identity: str | None = None
    automated_detection: bool
    #: True: fully automated, False: not automated, or one of the AUTOMATED_DECISION_* codes (e.g. PARTIALLY).
    automated_decision: bool | str
    account_type: Literal["business", "private"] | None = None

    @field_validator("automated_decision")
    @classmethod
    def _known_automation(cls, value: bool | str) -> bool | str:
        if isinstance(value, str) and value not in dsa.AUTOMATED_DECISION:
            raise ValueError(f"'{value}' is not one of {', '.join(dsa.AUTOMATED_DECISION)}")
        return value

    @property
    def policy_ref(self) -> str:
        return f"{self.policy_id}#{self.clause}"


def policy_fields(policy: Policy, clause_id: str) -> dict[str, Any]:
    """The :class:`DecisionFacts` fields that come from a policy clause: ids, version, title, the clause's public
    text, and the DSA category and keywords (the clause's own, else the policy's)."""
    clause = policy.clause(clause_id)
    if clause is None:
        raise ValueError(f"policy {policy.id} v{policy.version} has no clause '{clause_id}'")
    classification = clause.dsa or policy.dsa
    return {
        "policy_id": policy.id,
        "policy_version": policy.version,
        "policy_title": policy.title,
        "clause": clause.id,
        "clause_text": clause.text,
        "category": classification.category,
        "keywords": tuple(classification.keywords),
    }


@dataclass(frozen=True)
class Built:
    """A statement (request body of the v2 API), or None and the reason there is none."""

    statement: dict[str, Any] | None
    skipped: str | None = None


def _automated_decision(value: bool | str) -> str:
    if isinstance(value, str):
        return value
    return "AUTOMATED_DECISION_FULLY" if value else "AUTOMATED_DECISION_NOT_AUTOMATED"


def _ground_fields(facts: DecisionFacts) -> dict[str, Any]:
    if facts.ground == "illegal":
        return {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": facts.legal_ground,
            "illegal_content_explanation": facts.legal_explanation,
        }
    title = f"{facts.policy_title} ({facts.policy_id})" if facts.policy_title else facts.policy_id
    clause_text = " ".join(facts.clause_text.split())
    fields: dict[str, Any] = {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": f"Policy {title}, version {facts.policy_version}, clause {facts.clause}",
        "incompatible_content_explanation": f'The clause says: "{clause_text}" {facts.explanation.strip()}',
    }
    if facts.also_illegal is not None:
        fields["incompatible_content_illegal"] = "Yes" if facts.also_illegal else "No"
    return fields


def statement_from(
    decision: DecisionFacts, action_fields: Mapping[str, Any], *, puid_key: bytes | None = None
) -> Built:
    """The statement of reasons for ``decision`` with the DSA fields of its actions, or why there is none.

    ``action_fields`` is :func:`overt.enforcement.actions.combine_dsa_fields` of the decision's actions (decision
    fields, end dates, territorial_scope). Optional fields that do not apply are left out rather than sent as null.
    The result is not validated here: :func:`overt.enforcement.statements.validate.validate` does that, so that a
    wrong input is reported with every other problem instead of stopping at the first.
    """
    unknown = sorted(set(action_fields) - set(_DECISION_KEYS))
    if unknown:
        raise ValueError(f"not DSA fields of an action: {', '.join(unknown)}")
    scope = list(action_fields.get("territorial_scope") or [])
    if not any(action_fields.get(name) for name in dsa.DECISION_FIELDS):
        return Built(None, f"decision {decision.decision_id} restricts nothing, so it needs no statement of reasons")
    eea = sorted(code for code in scope if code in dsa.EEA_COUNTRIES)
    if not eea:
        return Built(
            None,
            f"decision {decision.decision_id} applies only outside the EEA, so it needs no statement of reasons",
        )

    statement: dict[str, Any] = {}
    for name in dsa.DECISION_FIELDS:
        value = action_fields.get(name)
        if value:
            statement[name] = list(value) if name == "decision_visibility" else value
            end = action_fields.get(dsa.END_DATE_FIELD[name])
            if end:
                statement[dsa.END_DATE_FIELD[name]] = end
    if decision.account_type:
        statement["account_type"] = ACCOUNT_TYPE_OF[decision.account_type]
    statement["decision_facts"] = decision.facts.strip()
    statement.update(_ground_fields(decision))
    if decision.reference_url:
        statement["decision_ground_reference_url"] = decision.reference_url
    statement["content_type"] = list(decision.content_types)
    if decision.content_type_other:
        statement["content_type_other"] = decision.content_type_other
    statement["category"] = decision.category
    if decision.category_addition:
        statement["category_addition"] = list(decision.category_addition)
    if decision.keywords:
        statement["category_specification"] = list(decision.keywords)
    if decision.keyword_other:
        statement["category_specification_other"] = decision.keyword_other
    statement["territorial_scope"] = eea
    if decision.content_language:
        statement["content_language"] = decision.content_language.upper()
    statement["content_date"] = decision.content_date.isoformat()
    statement["application_date"] = decision.application_date.isoformat()
    statement["source_type"] = SOURCE_TYPE_OF[decision.detection_source]
    if decision.source_identity:
        statement["source_identity"] = decision.source_identity
    statement["automated_detection"] = "Yes" if decision.automated_detection else "No"
    statement["automated_decision"] = _automated_decision(decision.automated_decision)
    statement["puid"] = derive_puid(decision.platform, decision.decision_id, decision.subject_id, key=puid_key)
    return Built(statement)
