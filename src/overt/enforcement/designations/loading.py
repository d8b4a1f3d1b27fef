"""Designations written in YAML: read them and report every problem at its line, all at once.

A file holds one designation (a mapping) or several (a list of mappings)::

    id: ru-rt-international
    kind: state_controlled_media
    entity: RT International
    parent: RT (TV-Novosti)
    country: RU
    domains: [rt.com]
    accounts:
      - {platform: twitter, handle: rt_com}
    evidence:
      ownership:
        finding: indicates_state_control
        summary: Founded and owned by the state news agency RIA Novosti through ANO TV-Novosti.
        sources:
          - {title: ..., url: https://..., date: 2024-01-31}

With ``complete=True`` the checks a reviewer needs before approval (:func:`approval_gaps`) are reported too, at the
field they concern; without it a proposal only has to be well-formed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from overt.enforcement import documents
from overt.enforcement.designations.model import (
    Account,
    CriterionEvidence,
    Designation,
    Evidence,
    Gap,
    Source,
    approval_gaps,
    normalise_domain,
    normalise_handle,
)
from overt.enforcement.documents import Document, DocumentError, Problem

_MODELS: tuple[type[BaseModel], ...] = (Designation, Account, Source, CriterionEvidence, Evidence)
#: Every field name of the record and its parts, for "did you mean" on unknown fields.
KNOWN_FIELDS = sorted({name for model in _MODELS for name in model.model_fields})


class _Errors:
    """A pydantic error with the duplicate errors left out: the located duplicate checks here report those."""

    def __init__(self, error: ValidationError) -> None:
        self._errors = [item for item in error.errors(include_url=False) if item["type"] != "duplicate"]

    def errors(self, include_url: bool = False) -> list[Any]:
        return self._errors


def _duplicate_problems(document: Document, base: documents.Path_, data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    domains = data.get("domains")
    if isinstance(domains, list):
        first: dict[str, int] = {}
        for index, value in enumerate(domains):
            domain = normalise_domain(value) if isinstance(value, str) else None
            if domain is None:
                continue
            if domain in first:
                line = document.position((*base, "domains", first[domain])).line
                problems.append(
                    document.problem(
                        (*base, "domains", index),
                        f"domain '{domain}' is listed twice (first at line {line})",
                        length=len(value),
                    )
                )
            else:
                first[domain] = index
    accounts = data.get("accounts")
    if isinstance(accounts, list):
        seen: dict[tuple[str, str, str], int] = {}
        for index, value in enumerate(accounts):
            if not isinstance(value, dict) or not isinstance(value.get("platform"), str):
                continue
            platform = value["platform"].strip().lower()
            keys = []
            if isinstance(value.get("handle"), str):
                keys.append((platform, "handle", normalise_handle(value["handle"])))
            if isinstance(value.get("account_id"), str | int):
                keys.append((platform, "account_id", str(value["account_id"]).strip()))
            for key in keys:
                if key in seen:
                    line = document.position((*base, "accounts", seen[key])).line
                    problems.append(
                        document.problem(
                            (*base, "accounts", index, key[1]),
                            f"{key[0]} {key[1]} '{key[2]}' is listed twice (first at line {line})",
                        )
                    )
                else:
                    seen[key] = index
    return problems


def designations_from(document: Document, *, complete: bool = False) -> list[Designation]:
    """The designations in a parsed document; :class:`DocumentError` listing every problem if any."""
    data = document.data
    if isinstance(data, dict):
        items: list[tuple[documents.Path_, Any]] = [((), data)]
    elif isinstance(data, list):
        items = [((index,), item) for index, item in enumerate(data)]
    else:
        raise DocumentError(
            [document.problem((), "expected a designation (a mapping of fields) or a list of designations")]
        )
    problems: list[Problem] = []
    found: list[Designation] = []
    ids: dict[str, documents.Path_] = {}
    for base, item in items:
        if not isinstance(item, dict):
            problems.append(document.problem(base, "a designation must be a mapping of fields (id, kind, entity, ...)"))
            continue
        problems += _duplicate_problems(document, base, item)
        identifier = item.get("id")
        if isinstance(identifier, str):
            if identifier in ids:
                line = document.position((*ids[identifier], "id")).line
                problems.append(
                    document.problem(
                        (*base, "id"), f"designation id '{identifier}' is used twice (first at line {line})"
                    )
                )
            else:
                ids[identifier] = base
        try:
            designation = Designation.model_validate(item)
        except ValidationError as error:
            problems += documents.validation_problems(document, _Errors(error), base, KNOWN_FIELDS)
            continue
        found.append(designation)
        if complete:
            for gap in approval_gaps(designation):
                problems.append(_gap_problem(document, base, gap))
    if problems:
        raise DocumentError(sorted(problems, key=_file_order))
    return found


def _gap_problem(document: Document, base: documents.Path_, gap: Gap) -> Problem:
    path = (*base, *gap.path)
    message = f"not complete enough to approve: {gap}"
    # Underline the field, or the nearest enclosing field written (evidence.staff for its missing sources); a field
    # of the designation itself that is absent names the designation's place, with no caret under another token.
    for end in range(len(path), len(base), -1):
        if path[:end] in document.key_positions:
            return document.problem(path[:end], message, key=True)
    return Problem(document.position(base), message)


def _file_order(problem: Problem) -> tuple[int, int]:
    return (problem.position.line, problem.position.column) if problem.position else (0, 0)


def parse_designations(text: str, path: str = "<string>", *, complete: bool = False) -> list[Designation]:
    """Designations from YAML text (``path`` names it in messages)."""
    return designations_from(documents.parse(text, path), complete=complete)


def load_designations(path: str | Path, *, complete: bool = False) -> list[Designation]:
    """Designations from a YAML file: one mapping or a list of them."""
    return designations_from(documents.load(path), complete=complete)
