"""A policy document: the rule users read, the clauses decisions cite, the actions it allows, and market variants.

A policy is written in YAML by a policy team and stored whole, one row per version (``version`` starts at 1 and
goes up with every change). Its parts:

- ``summary``: the rule as users see it; ``clauses``: the numbered or named parts a decision cites, written as
  ``<policy_id>#<clause_id>`` (``concealed_state_affiliation#coordinated_concealment``). Clause ids are
  lower_snake_case slugs or dotted numbers ("2.1").
- ``allowed_actions``: the action types (:mod:`overt.enforcement.actions`) a decision under this policy may take;
  a clause may narrow them for itself.
- ``dsa``: the DSA statement-of-reasons category and keywords (:mod:`overt.enforcement.dsa`); a clause may override.
- ``variants``: changes for some markets, each with a public ``rationale``: a variant exists on purpose and in the
  open. A variant can be dated, can hold only in a ``window`` around an event (``{before: election, months: 3}``),
  or only for audiences outside the account's home market (``outside_home_market: true``). It adds, replaces or
  removes clauses and adds or removes allowed actions.

Dates are inclusive: a policy is in effect from ``effective_from`` through ``effective_to`` (none = open-ended).
Checks that need more than one field (duplicate clause ids, a variant replacing a clause that does not exist, dates
in the wrong order, a keyword of another DSA category) are in :func:`cross_problems`, which works on the raw
document too, so that a file with type errors still gets every other problem reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from overt.enforcement import actions, dsa
from overt.enforcement.documents import did_you_mean
from overt.enforcement.markets import MarketCode

if TYPE_CHECKING:
    from overt.enforcement.policies.resolve import EffectivePolicy, Event

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")

_POLICY_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_CLAUSE_ID = re.compile(r"^(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)*|\d+(?:\.\d+)*)$")


def _policy_id(value: str) -> str:
    if not _POLICY_ID.match(value):
        raise PydanticCustomError(
            "policy_id", "'{value}' is not lower_snake_case (e.g. concealed_state_affiliation)", {"value": value}
        )
    return value


def _slug(value: str) -> str:
    if not _POLICY_ID.match(value):
        message = "'{value}' is not lower_snake_case (e.g. eu_election_period)"
        raise PydanticCustomError("slug", message, {"value": value})
    return value


def _clause_id(value: str) -> str:
    if not _CLAUSE_ID.match(value):
        raise PydanticCustomError(
            "clause_id",
            "'{value}' is not a clause id: use a lower_snake_case slug or a dotted number (e.g. fake_personas, 2.1)",
            {"value": value},
        )
    return value


def _action_id(value: str) -> str:
    problem = actions.check_action(value)
    if problem:
        raise PydanticCustomError("action", problem)
    return value


def _category(value: str) -> str:
    problem = dsa.check_category(value)
    if problem:
        raise PydanticCustomError("dsa_category", problem)
    return value


def _keyword(value: str) -> str:
    problem = dsa.check_keyword(value)
    if problem:
        raise PydanticCustomError("dsa_keyword", problem)
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("empty", "must not be empty")
    return value


PolicyId = Annotated[str, AfterValidator(_policy_id)]
ClauseId = Annotated[str, AfterValidator(_clause_id)]
Slug = Annotated[str, AfterValidator(_slug)]
ActionId = Annotated[str, AfterValidator(_action_id)]
Text = Annotated[str, AfterValidator(_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DsaClassification(_Model):
    """The DSA statement-of-reasons category of decisions under a policy or clause, with its keywords."""

    category: Annotated[str, AfterValidator(_category)]
    keywords: tuple[Annotated[str, AfterValidator(_keyword)], ...] = ()


class Clause(_Model):
    """One citable part of a policy. ``text`` is shown to users; the other fields override the policy's."""

    id: ClauseId
    text: Text
    severity: Severity | None = None
    #: Narrows the policy's allowed actions for decisions citing this clause.
    allowed_actions: tuple[ActionId, ...] | None = None
    dsa: DsaClassification | None = None


class Window(_Model):
    """A period before or after dated events (e.g. the three months before an election)."""

    before: Slug | tuple[Slug, ...] | None = None
    after: Slug | tuple[Slug, ...] | None = None
    days: int | None = Field(default=None, ge=1)
    months: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_each(self) -> Window:
        if (self.before is None) == (self.after is None):
            raise PydanticCustomError("window", "a window needs exactly one of 'before' or 'after' (event kinds)")
        if (self.days is None) == (self.months is None):
            raise PydanticCustomError("window", "a window needs exactly one of 'days' or 'months'")
        return self

    @property
    def event_kinds(self) -> tuple[str, ...]:
        kinds = self.before if self.before is not None else self.after
        return (kinds,) if isinstance(kinds, str) else tuple(kinds or ())

    def span(self, event_day: date) -> tuple[date, date]:
        """The first and last day (inclusive) of the window around an event on ``event_day``.

        "Before" runs up to and including the event day (polling day is still in the campaign); "after" starts on it.
        """
        length = actions.Duration(days=self.days or 0, months=self.months or 0)
        if self.before is not None:
            back = actions.Duration(days=-(self.days or 0), months=-(self.months or 0))
            return back.end(event_day), event_day
        return event_day, length.end(event_day)

    def describe(self) -> str:
        amount = f"{self.days} days" if self.days else f"{self.months} months"
        if self.days == 1 or self.months == 1:
            amount = amount[:-1]
        side = "before" if self.before is not None else "after"
        return f"{amount} {side} {' or '.join(self.event_kinds)}"


class Changes(_Model):
    """What a variant changes: clauses added (extra prohibitions), replaced or removed; actions added or removed."""

    add_clauses: tuple[Clause, ...] = ()
    replace_clauses: tuple[Clause, ...] = ()
    remove_clauses: tuple[ClauseId, ...] = ()
    add_actions: tuple[ActionId, ...] = ()
    remove_actions: tuple[ActionId, ...] = ()


class Variant(_Model):
    """A deliberate, public difference of a policy in some markets (and possibly some period or audience)."""

    id: Slug
    markets: tuple[MarketCode, ...]
    rationale: Text
    #: Holds only for audiences outside the home market of the account acted on.
    outside_home_market: bool = False
    effective_from: date | None = None
    effective_to: date | None = None
    window: Window | None = None
    changes: Changes

    @field_validator("markets")
    @classmethod
    def _some_markets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise PydanticCustomError("markets", "a variant needs at least one market")
        return value


class Policy(_Model):
    """One version of a policy document."""

    id: PolicyId
    version: int = Field(ge=1)
    title: Text
    effective_from: date
    effective_to: date | None = None
    summary: Text
    severity: Severity
    allowed_actions: tuple[ActionId, ...]
    dsa: DsaClassification
    clauses: tuple[Clause, ...]
    variants: tuple[Variant, ...] = ()

    @field_validator("clauses")
    @classmethod
    def _some_clauses(cls, value: tuple[Clause, ...]) -> tuple[Clause, ...]:
        if not value:
            raise PydanticCustomError("clauses", "a policy needs at least one clause for decisions to cite")
        return value

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Policy:
        # The loader runs these itself to locate each problem in the file; built in Python, they are raised here.
        if info.context and info.context.get("located"):
            return self
        problems = [message for _, message in cross_problems(self.model_dump())]
        if problems:
            raise PydanticCustomError("policy", "; ".join(problems))
        return self

    # -- lookups ------------------------------------------------------------------------------------------------

    def clause(self, clause_id: str) -> Clause | None:
        """The base clause ``clause_id``, else the first variant clause of that id (None if there is none)."""
        for clause in self.all_clauses():
            if clause.id == clause_id:
                return clause
        return None

    def all_clauses(self) -> Iterator[Clause]:
        """The base clauses, then the clauses variants add or replace (a decision may cite any of them)."""
        yield from self.clauses
        for variant in self.variants:
            yield from variant.changes.add_clauses
            yield from variant.changes.replace_clauses

    def clause_ids(self) -> frozenset[str]:
        return frozenset(clause.id for clause in self.all_clauses())

    def cites(self) -> frozenset[str]:
        """Every citation of this policy: ``policy_id#clause_id``."""
        return frozenset(f"{self.id}#{clause_id}" for clause_id in self.clause_ids())

    def in_effect(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    # -- resolution (overt.enforcement.policies.resolve) -----------------------------------------------------------

    def effective(
        self, market: str, *, on: date, events: Sequence[Event] = (), home_market: str | None = None
    ) -> EffectivePolicy:
        """The policy as it holds in ``market`` on ``on``: clauses, allowed actions, variants applied and why."""
        from overt.enforcement.policies.resolve import effective

        return effective(self, market, on=on, events=events, home_market=home_market)

    def allows(
        self,
        action_type: str,
        market: str,
        on: date,
        *,
        clause: str | None = None,
        events: Sequence[Event] = (),
        home_market: str | None = None,
    ) -> str | None:
        """None if a decision under this policy (citing ``clause``) may take ``action_type`` there; else why not."""
        return self.effective(market, on=on, events=events, home_market=home_market).allows(action_type, clause=clause)

    # -- storage (overt.enforcement.policies.diff) -----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (dates as ISO text)."""
        return self.model_dump(mode="json")

    def canonical_json(self) -> str:
        from overt.enforcement.policies.diff import canonical_json

        return canonical_json(self)

    def content_hash(self) -> str:
        from overt.enforcement.policies.diff import content_hash

        return content_hash(self)


#: Every field name of the document, for "did you mean" on unknown fields.
KNOWN_FIELDS = frozenset().union(
    *(model.model_fields for model in (Policy, Clause, Variant, Changes, Window, DsaClassification))
)

# -- checks across fields -----------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]
LineOf = Callable[[Path_], int | None]


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _first(line_of: LineOf | None, path: Path_) -> str:
    line = line_of(path) if line_of else None
    return f" (first at line {line})" if line else ""


def cross_problems(data: Any, line_of: LineOf | None = None) -> list[tuple[Path_, str]]:
    """Problems that involve more than one field, each with the path of the value to point at.

    ``data`` is the raw document (or a dumped policy); parts of the wrong type are skipped, as the field checks
    report them. ``line_of`` maps a path to its line, for "first at line N" in duplicate messages.
    """
    doc = _dict(data)
    out: list[tuple[Path_, str]] = []
    out += _date_order(doc, ())
    out += _dsa_pairing(doc.get("dsa"), ("dsa",))

    base_ids: dict[str, Path_] = {}
    for index, clause in enumerate(_items(doc.get("clauses"))):
        clause = _dict(clause)
        clause_id = clause.get("id")
        if isinstance(clause_id, str):
            if clause_id in base_ids:
                where = _first(line_of, base_ids[clause_id])
                out.append((("clauses", index, "id"), f"duplicate clause id '{clause_id}'{where}"))
            else:
                base_ids[clause_id] = ("clauses", index, "id")
        out += _dsa_pairing(clause.get("dsa"), ("clauses", index, "dsa"))

    policy_actions = {a for a in _items(doc.get("allowed_actions")) if isinstance(a, str)}
    added_anywhere = {
        action
        for variant in _items(doc.get("variants"))
        for action in _items(_dict(_dict(variant).get("changes")).get("add_actions"))
        if isinstance(action, str)
    }
    for index, clause in enumerate(_items(doc.get("clauses"))):
        out += _clause_actions(_dict(clause), ("clauses", index), policy_actions | added_anywhere)

    variant_ids: dict[str, Path_] = {}
    for index, variant in enumerate(_items(doc.get("variants"))):
        variant = _dict(variant)
        base: Path_ = ("variants", index)
        variant_id = variant.get("id")
        if isinstance(variant_id, str):
            if variant_id in variant_ids:
                where = _first(line_of, variant_ids[variant_id])
                out.append(((*base, "id"), f"duplicate variant id '{variant_id}'{where}"))
            else:
                variant_ids[variant_id] = (*base, "id")
        out += _date_order(variant, base)
        changes = _dict(variant.get("changes"))
        out += _variant_changes(changes, (*base, "changes"), base_ids, policy_actions)
        for key in ("add_clauses", "replace_clauses"):
            for position, clause in enumerate(_items(changes.get(key))):
                path: Path_ = (*base, "changes", key, position)
                out += _clause_actions(_dict(clause), path, policy_actions | added_anywhere)
    return out


def _date_order(doc: dict[str, Any], base: Path_) -> list[tuple[Path_, str]]:
    start, end = _as_date(doc.get("effective_from")), _as_date(doc.get("effective_to"))
    if start and end and end < start:
        return [((*base, "effective_to"), f"{end} is before effective_from {start}")]
    return []


def _dsa_pairing(value: Any, base: Path_) -> list[tuple[Path_, str]]:
    block = _dict(value)
    category = block.get("category")
    if not isinstance(category, str) or dsa.check_category(category):
        return []  # an unknown category is reported by the field check
    out: list[tuple[Path_, str]] = []
    seen: set[str] = set()
    for index, keyword in enumerate(_items(block.get("keywords"))):
        if not isinstance(keyword, str) or dsa.check_keyword(keyword):
            continue
        problems = dsa.check_category_keywords(category, [keyword])
        if keyword in seen:
            problems = [f"keyword {keyword} is listed twice"]
        seen.add(keyword)
        out += [((*base, "keywords", index), problem) for problem in problems]
    return out


def _clause_actions(clause: dict[str, Any], base: Path_, allowed: set[str]) -> list[tuple[Path_, str]]:
    out: list[tuple[Path_, str]] = []
    for index, action in enumerate(_items(clause.get("allowed_actions"))):
        if isinstance(action, str) and action in actions.ACTIONS and action not in allowed:
            message = f"clause allows '{action}', which neither the policy nor any variant allows"
            out.append(((*base, "allowed_actions", index), message))
    return out


def _variant_changes(
    changes: dict[str, Any], base: Path_, base_ids: dict[str, Path_], policy_actions: set[str]
) -> list[tuple[Path_, str]]:
    out: list[tuple[Path_, str]] = []
    known = sorted(base_ids)
    for key, must_exist in (("replace_clauses", True), ("add_clauses", False)):
        for index, clause in enumerate(_items(changes.get(key))):
            clause_id = _dict(clause).get("id")
            if not isinstance(clause_id, str):
                continue
            path = (*base, key, index, "id")
            if must_exist and clause_id not in base_ids:
                hint = did_you_mean(clause_id, known)
                out.append((path, f"replaces clause '{clause_id}', which the policy does not have{hint}"))
            elif not must_exist and clause_id in base_ids:
                out.append((path, f"adds clause '{clause_id}', which the policy already has (use replace_clauses)"))
    for index, clause_id in enumerate(_items(changes.get("remove_clauses"))):
        if isinstance(clause_id, str) and clause_id not in base_ids:
            hint = did_you_mean(clause_id, known)
            message = f"removes clause '{clause_id}', which the policy does not have{hint}"
            out.append(((*base, "remove_clauses", index), message))
    for index, action in enumerate(_items(changes.get("remove_actions"))):
        if isinstance(action, str) and action in actions.ACTIONS and action not in policy_actions:
            out.append(((*base, "remove_actions", index), f"removes '{action}', which the policy does not allow"))
    for index, action in enumerate(_items(changes.get("add_actions"))):
        if isinstance(action, str) and action in policy_actions:
            out.append(((*base, "add_actions", index), f"adds '{action}', which the policy already allows"))
    for index, clause in enumerate(_items(changes.get("add_clauses"))):
        out += _dsa_pairing(_dict(clause).get("dsa"), (*base, "add_clauses", index, "dsa"))
    for index, clause in enumerate(_items(changes.get("replace_clauses"))):
        out += _dsa_pairing(_dict(clause).get("dsa"), (*base, "replace_clauses", index, "dsa"))
    return out
