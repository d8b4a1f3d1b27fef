"""What a notice and a request reply are made from, and what they are: plain models, JSON in and out.

:class:`NoticeFacts` holds everything a decision's notice says to the user it concerns (Article 17 DSA: the
restriction and its scope and duration, the facts, the ground relied on, the use of automated means, the redress
available). :class:`RequestReplyFacts` holds what the draft reply to a sensitive-request requester says. The
renderer (:mod:`overt.enforcement.notices.render`) turns them into :class:`Notice` and :class:`RequestReply`.

The recipient's handle is personal data: it is in the notice (the notice goes to that person) and never in the
audit chain, where the lead records only the decision id and the notice's language and date.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from overt.enforcement import actions
from overt.enforcement.actions import ActionSpec
from overt.enforcement.markets import MarketCode
from overt.enforcement.requests_policy import Ask, Channel, Conflict

DetectionSource = Literal["automated", "user_report", "trusted_flagger", "government", "own_review"]
DETECTION_SOURCES: tuple[str, ...] = ("automated", "user_report", "trusted_flagger", "government", "own_review")

#: The shortest appeal window we allow: appeals stay open at least six months after the notice (Article 20(1) DSA).
MIN_APPEAL_MONTHS = 6


def appeal_deadline(notice_date: date, months: int = MIN_APPEAL_MONTHS) -> date:
    """The last day (inclusive) an appeal can be filed against a decision notified on ``notice_date``.

    ``months`` calendar months after the notice. Where the target month is too short for the notice's day
    (31 August + 6 months), the deadline is the first day of the following month (1 March), not the month's last
    day: the window must be *at least* the full months. The appeals workflow uses this same function.
    """
    if months < MIN_APPEAL_MONTHS:
        raise ValueError(f"appeals stay open at least {MIN_APPEAL_MONTHS} months, not {months}")
    end = actions.Duration(months=months).end(notice_date)
    return end + timedelta(days=1) if end.day < notice_date.day else end


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _filled(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("empty", "must not be empty")
    return value.strip()


class NoticeFacts(_Model):
    """Everything one decision's notice tells the user it concerns."""

    decision_id: str
    #: The account the notice is about and goes to (personal data: kept out of the audit chain).
    recipient_handle: str
    notice_date: date
    #: When the actions took effect (their end dates count from it); the notice date if not given.
    applied_on: date | None = None
    policy_id: str
    policy_version: int = Field(ge=1)
    policy_title: str
    clause_id: str
    #: The clause as users read it.
    clause_text: str
    #: What we found, in plain text, as the reviewer wrote it for the user.
    facts: str
    #: The actions taken (none: the decision was to take no action).
    actions: tuple[ActionSpec, ...] = ()
    #: The account's home market; needed when an action applies only outside it.
    home_market: MarketCode | None = None
    detection_source: DetectionSource
    #: Whether automated means detected it (None: yes exactly when the source is "automated").
    automated_detection: bool | None = None
    #: Whether the decision itself was taken by automated means, without a person deciding.
    automated_decision: bool = False
    #: Whether we found the account to be run by or for a state.
    state_actor: bool = False
    #: Which state or operation, as assessed ("Russia (Internet Research Agency)"); only with ``state_actor``.
    state_actor_origin: str | None = None
    #: For a network takedown: how many accounts we found acting together (this one included).
    network_accounts: int | None = Field(default=None, ge=2)
    #: Where to appeal: a web address or an e-mail address.
    appeal_contact: str
    appeal_months: int = Field(default=MIN_APPEAL_MONTHS, ge=MIN_APPEAL_MONTHS)

    @field_validator("decision_id", "recipient_handle", "policy_title", "clause_id", "clause_text", "facts")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        return _filled(value)

    @field_validator("appeal_contact")
    @classmethod
    def _contact(cls, value: str) -> str:
        return _filled(value)

    @model_validator(mode="after")
    def _consistent(self) -> NoticeFacts:
        if self.state_actor_origin is not None and not self.state_actor:
            raise PydanticCustomError("state_actor", "state_actor_origin is given but state_actor is false")
        if any(a.outside_home_market for a in self.actions) and self.home_market is None:
            raise PydanticCustomError(
                "home_market", "an action applies outside the account's home market: give home_market"
            )
        if self.applied_on is not None and self.applied_on > self.notice_date:
            raise PydanticCustomError("applied_on", "the notice cannot come before the actions take effect")
        return self

    @property
    def detected_automatically(self) -> bool:
        if self.automated_detection is None:
            return self.detection_source == "automated"
        return self.automated_detection

    @property
    def appeal_deadline(self) -> date:
        return appeal_deadline(self.notice_date, self.appeal_months)


class Notice(_Model):
    """A rendered notice: subject and plain-text body in one language, ready to send to ``recipient_handle``."""

    decision_id: str
    recipient_handle: str
    #: The language of the text.
    language: str
    #: The language asked for (differs from ``language`` when there is no template for it).
    requested_language: str
    language_fallback: bool
    subject: str
    body: str
    notice_date: date
    appeal_deadline: date

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


ReplyOutcome = Literal["declined", "granted", "partially_granted"]


class RequestReplyFacts(_Model):
    """What the draft reply to a sensitive request says: the outcome, what we will do, and why we decline the rest."""

    case_id: str
    #: The requesting body, as the reply addresses it.
    entity_name: str
    received_on: date
    channel: Channel
    asks: tuple[Ask, ...] = Field(min_length=1)
    legal_basis: str | None = None
    outcome: ReplyOutcome
    #: The asks granted (granted: all asks when empty; declined: must be empty).
    granted_asks: tuple[Ask, ...] = ()
    #: What we will do, one line each, in plain text (required when anything is granted).
    will_do: tuple[str, ...] = ()
    #: The policy conflicts found (:func:`overt.enforcement.requests_policy.assess`): reasons to decline.
    conflicts: tuple[Conflict, ...] = ()
    #: The reasons recorded with the decision, in plain text.
    reasons: str = ""
    #: Where requests should be sent (named in the reply when the request came informally).
    formal_channel: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> RequestReplyFacts:
        granted = set(self.granted_asks)
        if not granted <= set(self.asks):
            raise PydanticCustomError("granted_asks", "granted_asks must be among the asks")
        if self.outcome == "declined" and granted:
            raise PydanticCustomError("granted_asks", "a declined request grants no asks")
        if self.outcome == "partially_granted" and not (granted and granted < set(self.asks)):
            raise PydanticCustomError(
                "granted_asks", "a partially granted request grants some asks but not all: list them in granted_asks"
            )
        if self.outcome != "declined" and not [line for line in self.will_do if line.strip()]:
            raise PydanticCustomError("will_do", "say what we will do for the asks granted")
        # A conflict is a policy saying no; a reply must not grant what the policy forbids.
        forbidden = sorted({c.ask for c in self.conflicts} & set(self.granted_for_reply()))
        if forbidden:
            raise PydanticCustomError(
                "conflicts",
                "asks that conflict with policy cannot be granted: {asks}",
                {"asks": ", ".join(forbidden)},
            )
        if any(c.ask not in self.asks for c in self.conflicts):
            raise PydanticCustomError("conflicts", "a conflict concerns an ask the request does not make")
        return self

    def granted_for_reply(self) -> tuple[str, ...]:
        """The asks granted (all of them for "granted" when none are listed)."""
        if self.outcome == "granted" and not self.granted_asks:
            return tuple(self.asks)
        return tuple(self.granted_asks)

    def declined_for_reply(self) -> tuple[str, ...]:
        granted = set(self.granted_for_reply())
        return tuple(a for a in self.asks if a not in granted)


class RequestReply(_Model):
    """A draft reply to a requester, marked DRAFT: legal and policy review it before anyone sends it."""

    case_id: str
    language: str
    requested_language: str
    language_fallback: bool
    subject: str
    body: str
    draft: bool = True

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
