"""Rule documents: YAML files people write and review, checked completely before a rule can be stored or run.

One rule per file, or several under ``rules:``::

    id: state_backed_offhours
    title: State-backed network on a distant office clock
    description: Why the rule exists, for reviewers and the transparency report.
    subject: cluster                       # account | post | cluster
    enforces: concealed_state_affiliation#coordinated_concealment
    action:                                # overt.enforcement.actions.ActionSpec
      type: label
      outside_home_market: true
      label_text: Part of a network that appears to act for a state without saying so.
    let:
      state_backed: cluster.score >= 0.6
    when: |
      state_backed
      and cluster.signals.working_hours.location_gap_hours >= 5

:func:`load_rules` validates the document (pydantic, :mod:`overt.enforcement.documents` for positions) and checks
every expression (:mod:`overt.enforcement.rules.language`), and raises one :class:`DocumentError` listing every
problem, each at its file, line and column with a caret. A rule's lifecycle state (draft, shadow, live, retired)
is not in the file: the store keeps it.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from overt.enforcement import documents
from overt.enforcement.actions import ACTION_TYPES, ACTIONS, ActionSpec
from overt.enforcement.documents import Document, DocumentError, Path_, Problem, did_you_mean
from overt.enforcement.rules.evaluate import Condition, compile_rule
from overt.enforcement.rules.fields import ROOTS
from overt.enforcement.rules.language import FUNCTIONS, CheckedRule, Diagnostic, check_rule

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_CLAUSE = re.compile(r"^([a-z][a-z0-9_]*)#([A-Za-z0-9][A-Za-z0-9._-]*)$")


class RuleSpec(BaseModel):
    """The fields of one rule document, as written (JSON-serialisable with ``model_dump(mode="json")``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: snake_case, unique in the rule set.
    id: str
    title: str
    #: Why the rule exists (shown to reviewers and in transparency reports).
    description: str
    subject: Literal["account", "post", "cluster"]
    #: The policy clause the rule enforces: ``<policy_id>#<clause_id>``.
    enforces: str
    #: The action the rule proposes when it matches.
    action: ActionSpec
    #: Named sub-conditions or values, usable in ``when`` and in each other.
    let: dict[str, str] = {}
    #: The condition: true when the rule matches.
    when: str

    @field_validator("id")
    @classmethod
    def _snake_id(cls, value: str) -> str:
        if not _SNAKE.match(value):
            raise PydanticCustomError(
                "rule_id", "a rule id is snake_case: lower-case letters, digits and single underscores"
            )
        return value

    @field_validator("enforces")
    @classmethod
    def _clause(cls, value: str) -> str:
        if not _CLAUSE.match(value):
            raise PydanticCustomError(
                "enforces",
                "enforces names a policy clause as '<policy_id>#<clause_id>', e.g. 'concealed_state_affiliation#1.2'",
            )
        return value

    @field_validator("title", "description", "when")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "must not be empty")
        return value


_KNOWN_FIELDS = [*RuleSpec.model_fields, *ActionSpec.model_fields]


@dataclass
class Rule:
    """A checked rule: what was written (``spec``), the compiled condition, and where it came from."""

    spec: RuleSpec
    condition: Condition
    checked: CheckedRule
    file: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def subject(self) -> str:
        return self.spec.subject

    def to_json(self) -> dict[str, Any]:
        """The rule as written, as plain JSON (what the store keeps and the audit log hashes)."""
        return self.spec.model_dump(mode="json")


def load_rules(
    source: str | Path | Document,
    *,
    known_clauses: Collection[str] | None = None,
    action_types: Collection[str] | None = None,
) -> list[Rule]:
    """Read, validate and check the rules in ``source`` (a path or a parsed :class:`Document`).

    ``known_clauses`` (``policy#clause`` strings) and ``action_types`` restrict what ``enforces`` and
    ``action.type`` may name; unknown ones are errors with the closest valid name. Raises :class:`DocumentError`
    with every problem in the file.
    """
    document = source if isinstance(source, Document) else documents.load(source)
    return rules_from_document(document, known_clauses=known_clauses, action_types=action_types)


def parse_rules(
    text: str,
    path: str = "<string>",
    *,
    known_clauses: Collection[str] | None = None,
    action_types: Collection[str] | None = None,
) -> list[Rule]:
    """:func:`load_rules` for YAML text (``path`` names it in messages)."""
    return rules_from_document(documents.parse(text, path), known_clauses=known_clauses, action_types=action_types)


def rules_from_document(
    document: Document,
    *,
    known_clauses: Collection[str] | None = None,
    action_types: Collection[str] | None = None,
) -> list[Rule]:
    """Validate and check every rule of a parsed document; see :func:`load_rules`."""
    data = document.data
    problems: list[Problem] = []
    entries: list[tuple[Path_, Any]]
    if isinstance(data, dict) and "rules" in data:
        extra = [key for key in data if key != "rules"]
        for key in extra:
            problems.append(
                document.problem((key,), f"unknown field '{key}' next to 'rules'", key=True, length=len(key))
            )
        if not isinstance(data["rules"], list) or not data["rules"]:
            problems.append(document.problem(("rules",), "'rules' must be a list of one or more rules"))
            raise DocumentError(problems)
        entries = [(("rules", i), item) for i, item in enumerate(data["rules"])]
    elif isinstance(data, dict):
        entries = [((), data)]
    else:
        raise DocumentError([document.problem((), "a rule document is a mapping (one rule) or has a 'rules:' list")])

    rules: list[Rule] = []
    seen: dict[str, Path_] = {}
    types = tuple(action_types) if action_types is not None else ACTION_TYPES
    for base, raw in entries:
        if not isinstance(raw, dict):
            problems.append(
                document.problem(base, "a rule is a mapping with id, title, subject, enforces, action, when")
            )
            continue
        spec: RuleSpec | None = None
        try:
            spec = RuleSpec.model_validate(raw)
        except ValidationError as error:
            problems += documents.validation_problems(document, error, base, _KNOWN_FIELDS)
        problems += _semantic_problems(document, base, raw, known_clauses, types)
        rule_id = raw.get("id")
        if isinstance(rule_id, str):
            if rule_id in seen:
                first = document.position((*seen[rule_id], "id"))
                problems.append(
                    document.problem((*base, "id"), f"duplicate rule id '{rule_id}' (first at line {first.line})")
                )
            else:
                seen[rule_id] = base
        checked = _check_expressions(document, base, raw, problems)
        if spec is not None and checked is not None and checked.ok:
            rules.append(Rule(spec, compile_rule(checked), checked, document.path))
    if problems:
        raise DocumentError(sorted(problems, key=_order))
    return rules


def _semantic_problems(
    document: Document, base: Path_, raw: dict[str, Any], known_clauses: Collection[str] | None, types: tuple[str, ...]
) -> list[Problem]:
    """Checks against the policy set and the rule language that pydantic's types cannot express."""
    problems: list[Problem] = []
    enforces = raw.get("enforces")
    if (
        known_clauses is not None
        and isinstance(enforces, str)
        and _CLAUSE.match(enforces)
        and enforces not in known_clauses
    ):
        policy, clause = enforces.split("#", 1)
        policies = {c.split("#", 1)[0] for c in known_clauses}
        clauses = sorted(c.split("#", 1)[1] for c in known_clauses if c.split("#", 1)[0] == policy)
        if policy not in policies:
            hint = f" (no policy '{policy}' is known{did_you_mean(policy, policies).replace(' (', '; ').rstrip(')')})"
        else:
            hint = (
                did_you_mean(clause, clauses).replace("'", f"'{policy}#", 1)
                or f" (clauses of {policy}: {', '.join(clauses)})"
            )
        problems.append(document.problem((*base, "enforces"), f"unknown policy clause '{enforces}'{hint}"))
    action = raw.get("action")
    if isinstance(action, dict):
        kind = action.get("type")
        # ActionSpec already rejects types outside the vocabulary; this narrows to what the policy set allows.
        if isinstance(kind, str) and kind in ACTION_TYPES and kind not in types:
            hint = did_you_mean(kind, types) or f" (allowed: {', '.join(types)})"
            problems.append(document.problem((*base, "action", "type"), f"action '{kind}' is not allowed here{hint}"))
        subject = raw.get("subject")
        if isinstance(kind, str) and kind in ACTIONS and isinstance(subject, str) and subject in ROOTS:
            fits = ACTIONS[kind].subjects
            if subject not in fits:
                problems.append(
                    document.problem(
                        (*base, "action", "type"),
                        f"action '{kind}' cannot be applied to a {subject} (only to: {', '.join(sorted(fits))})",
                    )
                )
    lets = raw.get("let")
    if isinstance(lets, dict):
        for name in lets:
            reason = _bad_let_name(name, str(raw.get("subject")))
            if reason:
                problems.append(document.problem((*base, "let", name), reason, key=True, length=len(name)))
    return problems


def _bad_let_name(name: str, subject: str) -> str | None:
    if not _SNAKE.match(name) or keyword.iskeyword(name):
        return f"let name '{name}' must be a snake_case name (letters, digits, underscores)"
    if name in FUNCTIONS:
        return f"let name '{name}' is a function's name; choose another"
    if name in {root for roots in ROOTS.values() for root in roots} and name in ROOTS.get(subject, ()):
        return f"let name '{name}' is a root of {subject} rules; choose another"
    return None


def _check_expressions(
    document: Document, base: Path_, raw: dict[str, Any], problems: list[Problem]
) -> CheckedRule | None:
    """Check ``let`` and ``when`` when they have the right shape (their shape errors come from pydantic)."""
    subject, when, lets = raw.get("subject"), raw.get("when"), raw.get("let", {})
    if subject not in ROOTS or not isinstance(when, str) or not when.strip() or not isinstance(lets, dict):
        return None
    texts = {name: text for name, text in lets.items() if isinstance(name, str) and isinstance(text, str)}
    if len(texts) != len(lets):
        return None
    checked = check_rule(subject, texts, when)
    problems += [_locate(document, base, d) for d in checked.diagnostics]
    return checked


def _locate(document: Document, base: Path_, diagnostic: Diagnostic) -> Problem:
    path: Path_ = (*base, "when") if diagnostic.expression == ("when",) else (*base, "let", diagnostic.expression[1])
    if diagnostic.at_name:
        return document.problem(path, diagnostic.message, key=True, length=diagnostic.length)
    where = document.expression_position(path, diagnostic.line, diagnostic.column)
    return Problem(where, diagnostic.message, document.line(where.line), diagnostic.length)


def _order(problem: Problem) -> tuple[int, int]:
    return (problem.position.line, problem.position.column) if problem.position else (0, 0)
