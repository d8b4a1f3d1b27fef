"""The one vocabulary of enforcement actions, and the DSA statement-of-reasons fields each one produces.

Labels and demotions are actions like removals: each is recorded, explained to the user, appealable, and reported to
the DSA Transparency Database when it applies in the EEA. Nothing that changes what people see is left out of the
vocabulary, so nothing like silent down-ranking can happen outside it.

An :class:`ActionSpec` says which action, where (market codes, default everywhere; optionally only outside the
account's home market), for how long (an ISO 8601 duration of days, weeks, months or years; none = indefinite) and,
for labels, the label's public text. :func:`dsa_fields` turns a spec into the DSA fields.

How each action maps to the DSA schema (:mod:`overt.enforcement.dsa`) and why:

============================  ===================================================  ==================================
action                        DSA field and value                                  why
============================  ===================================================  ==================================
label                         decision_visibility: CONTENT_LABELLED                the content stays, with a label
demote                        decision_visibility: CONTENT_DEMOTED                 shown lower in feeds and search
exclude_from_recommendations  decision_visibility: CONTENT_DEMOTED                 still reachable by followers and
                                                                                   search, so a demotion, not
                                                                                   disabling access
restrict_interaction          decision_visibility: CONTENT_INTERACTION_RESTRICTED  no replies, shares or likes
remove_content                decision_visibility: CONTENT_REMOVED                 gone for everyone in scope
suspend                       decision_account: ACCOUNT_SUSPENDED                  also when indefinite: a suspension
                                                                                   is reviewed, a termination is not
terminate                     decision_account: ACCOUNT_TERMINATED                 always indefinite
block_ads                     decision_provision: PARTIAL_SUSPENSION with a        advertising is one part of the
                              duration, PARTIAL_TERMINATION without one            service; the account keeps the
                                                                                   rest. An end date means the part
                                                                                   comes back (suspension); no end
                                                                                   date means it is withdrawn
                                                                                   (termination)
block_monetisation            decision_monetary: MONETARY_SUSPENSION with a        the same rule for payments
                              duration, MONETARY_TERMINATION without one
============================  ===================================================  ==================================

The end date of each restriction is the application date plus the duration (null for indefinite), in the end-date
field that goes with its decision field. The territorial scope is the EEA countries of the action's markets, minus
the home market for "outside the home market" actions (:func:`overt.enforcement.markets.dsa_territorial_scope`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from overt.enforcement import dsa, markets
from overt.enforcement.documents import did_you_mean
from overt.enforcement.markets import GLOBAL, MarketCode

Target = Literal["content", "account"]


@dataclass(frozen=True)
class ActionType:
    """One kind of action: what it does (in words a user reads), what it targets, and how it reaches the DSA."""

    id: str
    description: str
    target: Target
    #: Subject kinds it can be applied to ("cluster" actions apply to the cluster's member accounts).
    subjects: frozenset[str]
    #: How a successful appeal undoes it.
    reversal: str
    #: The statement-of-reasons decision field it fills.
    dsa_field: str
    #: The value when the action has an end date, and when it has none.
    dsa_value_temporary: str
    dsa_value_indefinite: str
    needs_label_text: bool = False
    #: Whether a duration makes no sense for it (a termination or removal is not temporary).
    indefinite_only: bool = False

    def dsa_value(self, *, temporary: bool) -> str:
        return self.dsa_value_temporary if temporary else self.dsa_value_indefinite


def _action(
    id: str,
    description: str,
    target: Target,
    subjects: str,
    reversal: str,
    dsa_field: str,
    temporary: str,
    indefinite: str | None = None,
    **flags: bool,
) -> ActionType:
    return ActionType(
        id=id,
        description=description,
        target=target,
        subjects=frozenset(subjects.split()),
        reversal=reversal,
        dsa_field=dsa_field,
        dsa_value_temporary=temporary,
        dsa_value_indefinite=indefinite or temporary,
        **flags,
    )


#: Every action type, by id (the order of the shared vocabulary).
ACTIONS: Mapping[str, ActionType] = MappingProxyType(
    {
        a.id: a
        for a in (
            _action(
                "label",
                "Shows a label with public text next to the content or account, for example who controls it. "
                "Nothing is hidden.",
                "content",
                "account post cluster",
                "The label is taken down.",
                "decision_visibility",
                "DECISION_VISIBILITY_CONTENT_LABELLED",
                needs_label_text=True,
            ),
            _action(
                "demote",
                "Shows the content lower in feeds and search results. It stays available to anyone who looks for it.",
                "content",
                "account post cluster",
                "The content is ranked normally again.",
                "decision_visibility",
                "DECISION_VISIBILITY_CONTENT_DEMOTED",
            ),
            _action(
                "exclude_from_recommendations",
                "Stops recommending the content to people who do not follow the account. Followers and search "
                "still reach it.",
                "content",
                "account post cluster",
                "The content is eligible for recommendations again.",
                "decision_visibility",
                "DECISION_VISIBILITY_CONTENT_DEMOTED",
            ),
            _action(
                "restrict_interaction",
                "Turns off replies, shares and likes on the content. It stays visible.",
                "content",
                "account post cluster",
                "Replies, shares and likes are turned back on.",
                "decision_visibility",
                "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
            ),
            _action(
                "remove_content",
                "Removes the content for everyone in the markets concerned.",
                "content",
                "post cluster",
                "The content is restored.",
                "decision_visibility",
                "DECISION_VISIBILITY_CONTENT_REMOVED",
                indefinite_only=True,
            ),
            _action(
                "suspend",
                "Locks the account: it cannot post, and its profile shows that it is suspended.",
                "account",
                "account cluster",
                "The account is unlocked.",
                "decision_account",
                "DECISION_ACCOUNT_SUSPENDED",
            ),
            _action(
                "terminate",
                "Closes the account permanently and removes its profile.",
                "account",
                "account cluster",
                "The account and its content are restored.",
                "decision_account",
                "DECISION_ACCOUNT_TERMINATED",
                indefinite_only=True,
            ),
            _action(
                "block_ads",
                "Stops the account from buying or running ads. It can still post.",
                "account",
                "account cluster",
                "The account can advertise again.",
                "decision_provision",
                "DECISION_PROVISION_PARTIAL_SUSPENSION",
                "DECISION_PROVISION_PARTIAL_TERMINATION",
            ),
            _action(
                "block_monetisation",
                "Stops payments to the account: no revenue share, tips, subscriptions or fundraising.",
                "account",
                "account cluster",
                "Payments resume, including those held during the block.",
                "decision_monetary",
                "DECISION_MONETARY_SUSPENSION",
                "DECISION_MONETARY_TERMINATION",
            ),
        )
    }
)

ACTION_TYPES = tuple(ACTIONS)


def check_action(action_id: object) -> str | None:
    """What is wrong with ``action_id`` as an action type, with a suggestion; None if it is one."""
    if isinstance(action_id, str) and action_id in ACTIONS:
        return None
    hint = did_you_mean(action_id, ACTION_TYPES) if isinstance(action_id, str) else ""
    return f"unknown action '{action_id}'" + (hint or f" (expected one of: {', '.join(ACTION_TYPES)})")


_DURATION = re.compile(r"^P(\d+)([DWMY])$")


@dataclass(frozen=True)
class Duration:
    """A whole number of days or months (weeks are 7 days, years 12 months)."""

    days: int = 0
    months: int = 0

    def end(self, start: date) -> date:
        """``start`` plus the duration; month arithmetic keeps the day, or the month's last day if it is shorter."""
        if self.months:
            index = start.month - 1 + self.months
            year, month = start.year + index // 12, index % 12 + 1
            day = min(start.day, calendar.monthrange(year, month)[1])
            return date(year, month, day)
        return start + timedelta(days=self.days)


def parse_duration(text: str) -> Duration:
    """``P30D``, ``P2W``, ``P3M`` or ``P1Y`` as a :class:`Duration`; ValueError for anything else."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(
            f"'{text}' is not a duration: write an ISO 8601 period of whole days, weeks, months or years "
            "greater than zero, e.g. P30D, P2W, P3M, P1Y (or leave it out for an indefinite action)"
        )
    count, unit = int(match.group(1)), match.group(2)
    if unit == "D":
        return Duration(days=count)
    if unit == "W":
        return Duration(days=7 * count)
    if unit == "M":
        return Duration(months=count)
    return Duration(months=12 * count)


class ActionSpec(BaseModel):
    """One action as a rule or a reviewer orders it: type, markets, home-market exclusion, duration, label text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    #: Market codes the action applies in (:mod:`overt.enforcement.markets`).
    markets: tuple[MarketCode, ...] = (GLOBAL,)
    #: Apply only to audiences outside the account's home market (e.g. state media demoted abroad).
    outside_home_market: bool = False
    #: ISO 8601 period (P30D, P2W, P3M, P1Y); None = indefinite.
    duration: str | None = None
    #: The label's public text (labels only).
    label_text: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        problem = check_action(value)
        if problem:
            raise PydanticCustomError("unknown_action", problem)
        return value

    @field_validator("markets")
    @classmethod
    def _some_markets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise PydanticCustomError("no_markets", "an action needs at least one market (GLOBAL for everywhere)")
        return value

    @field_validator("duration")
    @classmethod
    def _valid_duration(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_duration(value)
            except ValueError as error:
                raise PydanticCustomError("bad_duration", str(error)) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ActionSpec:
        kind = ACTIONS.get(self.type)
        if kind is None:
            return self
        text = (self.label_text or "").strip()
        if kind.needs_label_text and not text:
            raise PydanticCustomError("label_text", "a label needs label_text: the words people will see")
        if not kind.needs_label_text and self.label_text is not None:
            raise PydanticCustomError("label_text", f"label_text is only for labels, not for {self.type}")
        if kind.indefinite_only and self.duration is not None:
            raise PydanticCustomError(
                "duration", f"{self.type} cannot be temporary; leave out the duration (or suspend instead)"
            )
        return self

    @property
    def kind(self) -> ActionType:
        return ACTIONS[self.type]

    def end_date(self, applied_at: date) -> date | None:
        """When the action ends (None: indefinite)."""
        return parse_duration(self.duration).end(applied_at) if self.duration else None

    def countries(self, *, home_market: str | None = None) -> frozenset[str]:
        """The countries the action applies in."""
        if self.outside_home_market and home_market is None:
            raise ValueError(f"{self.type} applies outside the home market, but no home market was given")
        excluding = [home_market] if self.outside_home_market and home_market else []
        return markets.scope(self.markets, excluding=excluding)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def dsa_fields(spec: ActionSpec, *, home_market: str | None = None, applied_at: date) -> dict[str, Any]:
    """The statement-of-reasons fields ``spec`` produces when applied on ``applied_at``.

    The decision field (decision_visibility is a list, the others one value), its end-date field (ISO date, or None
    for indefinite) and territorial_scope (EEA countries, sorted; empty when the action applies only outside the
    EEA, and then there is no statement to submit). ``home_market`` is required for outside-home-market actions.
    """
    kind = spec.kind
    end = spec.end_date(applied_at)
    value = kind.dsa_value(temporary=end is not None)
    excluding = [home_market] if spec.outside_home_market and home_market else []
    if spec.outside_home_market and home_market is None:
        raise ValueError(f"{spec.type} applies outside the home market, but no home market was given")
    return {
        kind.dsa_field: [value] if kind.dsa_field == "decision_visibility" else value,
        dsa.END_DATE_FIELD[kind.dsa_field]: end.isoformat() if end else None,
        "territorial_scope": markets.dsa_territorial_scope(spec.markets, excluding=excluding),
    }


# Where two actions of one decision fill the same single-valued field, the stronger one is reported.
_STRENGTH = {
    "DECISION_MONETARY_OTHER": 0,
    "DECISION_MONETARY_SUSPENSION": 1,
    "DECISION_MONETARY_TERMINATION": 2,
    "DECISION_PROVISION_PARTIAL_SUSPENSION": 1,
    "DECISION_PROVISION_TOTAL_SUSPENSION": 2,
    "DECISION_PROVISION_PARTIAL_TERMINATION": 3,
    "DECISION_PROVISION_TOTAL_TERMINATION": 4,
    "DECISION_ACCOUNT_SUSPENDED": 1,
    "DECISION_ACCOUNT_TERMINATED": 2,
}


def combine_dsa_fields(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One decision's fields from the fields of its actions (one statement of reasons covers them all).

    Visibility decisions are united (in the schema's order); for the single-valued fields the stronger value wins;
    each end date is the latest of its field (indefinite beats any date, as the database reads a blank end date);
    territorial scopes are united.
    """
    out: dict[str, Any] = {}
    ends: dict[str, list[str | None]] = {}
    scope: set[str] = set()
    visibility: set[str] = set()
    for part in parts:
        for field_name, value in part.items():
            if field_name == "territorial_scope":
                scope.update(value)
            elif field_name == "decision_visibility":
                visibility.update(value)
            elif field_name in dsa.END_DATE_FIELD.values():
                ends.setdefault(field_name, []).append(value)
            elif field_name in out:
                out[field_name] = max(out[field_name], value, key=lambda v: _STRENGTH.get(v, 0))
            else:
                out[field_name] = value
    if visibility:
        out["decision_visibility"] = [v for v in dsa.DECISION_VISIBILITY if v in visibility]
    for field_name, values in ends.items():
        out[field_name] = None if None in values else max(v for v in values if v is not None)
    out["territorial_scope"] = sorted(scope)
    return out
