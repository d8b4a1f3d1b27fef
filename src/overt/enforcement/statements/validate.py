"""The local validator: every field and every conditional rule of a v2 statement of reasons, before it is exported.

The Commission's database rejects a whole batch of up to 100 statements when one of them is wrong, and accepts some
things silently that it then drops (an "other" text without its "other" code) or that it should not receive
(personal data). :func:`validate` reports all of these for one statement, :func:`validate_batch` adds what only a
batch can get wrong (PUIDs used twice, more than 100 statements). Every problem names its field and says what to do.

Rules of the database (``StatementStoreRequest``/``GroupedSubmissionsService`` validation rules and the v2 API
documentation, see :mod:`overt.enforcement.statements`):

- at least one of decision_visibility, decision_monetary, decision_provision, decision_account;
- decision_visibility_other is required exactly when decision_visibility includes DECISION_VISIBILITY_OTHER,
  decision_monetary_other exactly when decision_monetary is DECISION_MONETARY_OTHER, content_type_other exactly when
  content_type includes CONTENT_TYPE_OTHER (the database drops the text otherwise; we refuse it, so that no
  reviewer's words are silently lost);
- DECISION_GROUND_ILLEGAL_CONTENT requires illegal_content_legal_ground and illegal_content_explanation;
  DECISION_GROUND_INCOMPATIBLE_CONTENT requires incompatible_content_ground and incompatible_content_explanation and
  allows incompatible_content_illegal ("Yes"/"No"); the other ground's fields must be left out;
- dates are YYYY-MM-DD; content_date from 2000-01-01, application_date from 2020-01-01, every date until 2038-01-01;
  each end date on or after the application date (blank = indefinite);
- territorial_scope: EEA country codes (ISO 3166-1, so GR for Greece); content_language: an upper-case ISO 639-1
  code; decision_ground_reference_url: an http(s) URL of at most 500 characters;
- puid: at most 500 characters of a-z, A-Z, 0-9, "-" and "_", unique within the platform;
- character limits of every text field (:data:`overt.enforcement.dsa.TEXT_LIMITS`).

Our own, stricter rules (the database accepts these, but they would publish something wrong or misleading):

- an end date only with its decision field (an end date of a restriction that was not imposed);
- territorial_scope must name at least one country and no country twice (documented as required);
- category_specification_other exactly when category_specification includes KEYWORD_OTHER (the database only
  drops it otherwise; we also require it, so that "other" always says what);
- each keyword must specify the category or one of the additional categories (the Implementing Regulation's
  grouping, :func:`overt.enforcement.dsa.check_category_keywords`); category_addition must not repeat the category;
- content_date not after application_date (content cannot be restricted before it exists);
- source_identity not with SOURCE_VOLUNTARY (the database ignores it there);
- content_id: ``{"EAN-13": "<13 digits with a valid check digit>"}``;
- no field outside the schema (nothing we did not mean to send leaves), and no personal data in any free-text field
  (:mod:`overt.enforcement.statements.personal`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from overt.enforcement import dsa
from overt.enforcement.documents import did_you_mean
from overt.enforcement.statements import schema
from overt.enforcement.statements.personal import find_personal_data


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a statement (or a batch, or a file): the field, what is wrong, and where."""

    field: str
    message: str
    puid: str | None = None
    #: Position of the statement in its batch or export (0-based), when known.
    index: int | None = None
    #: The file it was read from (:func:`overt.enforcement.statements.export.validate_files`).
    file: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.index is not None:
            where.append(f"statement {self.index}")
        if self.puid:
            where.append(f"puid {self.puid}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{prefix}{self.field}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "puid": self.puid, "index": self.index, "file": self.file}


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EAN13 = re.compile(r"\d{13}")


def _blank(value: object) -> bool:
    """Absent in the database's sense: missing, null, empty text or an empty list."""
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def _parse_date(value: str) -> date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def ean13_ok(code: str) -> bool:
    """Whether ``code`` is 13 digits whose last is the EAN-13 check digit of the first 12."""
    if not _EAN13.fullmatch(code):
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


class _Checker:
    """Collects the problems of one statement."""

    def __init__(self, statement: Mapping[str, Any]) -> None:
        self.s = statement
        puid = statement.get("puid")
        self.puid = puid if isinstance(puid, str) and puid else None
        self.problems: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(field=field, message=message, puid=self.puid))

    def present(self, name: str) -> bool:
        return not _blank(self.s.get(name))

    # -- one field at a time ------------------------------------------------------------------------------------

    def field(self, spec: schema.Field) -> None:
        value = self.s.get(spec.name)
        if _blank(value):
            if spec.required:
                self.add(spec.name, "is required")
            return
        check = getattr(self, f"_{spec.kind}")
        check(spec, value)

    def _code(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, str):
            self.add(spec.name, f"must be one code, not {type(value).__name__}")
            return
        self._one_code(spec.name, spec, value)

    def _one_code(self, name: str, spec: schema.Field, value: str) -> None:
        if value in spec.values:
            return
        if spec.name in ("category", "category_addition"):
            self.add(name, dsa.check_category(value) or "")
        elif spec.name == "category_specification":
            self.add(name, dsa.check_keyword(value) or "")
        else:
            self.add(name, f"'{value}' is not an allowed value{did_you_mean(value, spec.values)}")

    def _codes(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(spec.name, "must be a list of codes")
            return
        seen: set[str] = set()
        for code in value:
            if code in seen:
                self.add(spec.name, f"{code} is listed twice")
            seen.add(code)
            self._one_code(spec.name, spec, code)

    def _text(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, str):
            self.add(spec.name, f"must be text, not {type(value).__name__}")
            return
        if spec.max_length is not None and len(value) > spec.max_length:
            self.add(spec.name, f"is {len(value)} characters long; the limit is {spec.max_length}")

    def _url(self, spec: schema.Field, value: object) -> None:
        self._text(spec, value)
        if not isinstance(value, str):
            return
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in value):
            self.add(spec.name, f"'{value}' is not an http(s) URL")

    def _date(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, str) or _parse_date(value) is None:
            self.add(spec.name, f"{value!r} is not a date in the form YYYY-MM-DD")
            return
        day = date.fromisoformat(value)
        earliest = {"content_date": dsa.EARLIEST_CONTENT_DATE, "application_date": dsa.EARLIEST_APPLICATION_DATE}
        floor = earliest.get(spec.name)
        if floor is not None and day < floor:
            self.add(spec.name, f"{value} is before {floor.isoformat()}, the earliest date the database accepts")
        if day > dsa.LATEST_DATE:
            self.add(spec.name, f"{value} is after {dsa.LATEST_DATE.isoformat()}, the latest date the database accepts")

    def _yes_no(self, spec: schema.Field, value: object) -> None:
        if value not in spec.values:
            self.add(spec.name, f'must be "Yes" or "No", not {value!r}')

    def _puid(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, str):
            self.add(spec.name, f"must be text, not {type(value).__name__}")
            return
        if len(value) > schema.PUID_MAX:
            self.add(spec.name, f"is {len(value)} characters long; the limit is {schema.PUID_MAX}")
        if not schema.PUID_PATTERN.fullmatch(value):
            bad = sorted({ch for ch in value if not schema.PUID_PATTERN.fullmatch(ch)})
            shown = ", ".join(repr(ch) for ch in bad)
            self.add(spec.name, f"may hold only letters a-z and A-Z, digits, '-' and '_'; found {shown}")

    def _countries(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(spec.name, "must be a list of country codes")
            return
        for message in dsa.check_territorial_scope(value):
            self.add(spec.name, message)

    def _language(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, str):
            self.add(spec.name, f"must be a language code, not {type(value).__name__}")
        elif value not in spec.values:
            if value.upper() in spec.values:
                self.add(spec.name, f"language codes are upper case: '{value.upper()}', not '{value}'")
            else:
                self.add(spec.name, f"'{value}' is not an ISO 639-1 language code the database accepts")

    def _content_id(self, spec: schema.Field, value: object) -> None:
        if not isinstance(value, dict):
            self.add(spec.name, 'must be an object such as {"EAN-13": "4006381333931"}')
            return
        for key, code in value.items():
            if key not in schema.CONTENT_ID_KEYS:
                self.add(spec.name, f"'{key}' is not an accepted identifier (only EAN-13)")
            elif not isinstance(code, str) or not ean13_ok(code):
                self.add(spec.name, f"{code!r} is not an EAN-13 code (13 digits with a valid check digit)")

    # -- rules between fields -----------------------------------------------------------------------------------

    def unknown_fields(self) -> None:
        for name in self.s:
            if name not in schema.FIELDS:
                self.add(name, f"is not a field of the v2 statement of reasons{did_you_mean(name, schema.FIELDS)}")

    def decisions(self) -> None:
        if not any(self.present(name) for name in dsa.DECISION_FIELDS):
            self.add("decision_visibility", "at least one of " + ", ".join(dsa.DECISION_FIELDS) + " is required")
        application = self._date_of("application_date")
        for decision, end_field in dsa.END_DATE_FIELD.items():
            if not self.present(end_field):
                continue
            if not self.present(decision):
                self.add(end_field, f"is set but {decision} is not: an end date needs its restriction")
            end = self._date_of(end_field)
            if end is not None and application is not None and end < application:
                self.add(end_field, f"{end.isoformat()} is before the application date {application.isoformat()}")

    def others(self) -> None:
        for other, (field, code) in schema.OTHER_FIELD.items():
            value = self.s.get(field)
            chosen = code in value if isinstance(value, list) else value == code
            if chosen and not self.present(other):
                self.add(other, f"is required when {field} is {code}")
            elif not chosen and self.present(other):
                self.add(other, f"is only allowed when {field} is {code}")

    def grounds(self) -> None:
        ground = self.s.get("decision_ground")
        if ground not in schema.GROUND_FIELDS:
            return  # the ground itself is reported; which texts it needs is unknown
        for own_ground, fields in schema.GROUND_FIELDS.items():
            for name in fields:
                if ground == own_ground:
                    if name not in schema.OPTIONAL_GROUND_FIELDS and not self.present(name):
                        self.add(name, f"is required when decision_ground is {own_ground}")
                elif self.present(name):
                    self.add(name, f"is only allowed when decision_ground is {own_ground}")

    def categories(self) -> None:
        category = self.s.get("category")
        if not isinstance(category, str) or category not in dsa.CATEGORIES:
            return
        additions = self.s.get("category_addition") or []
        additions = [a for a in additions if isinstance(a, str)] if isinstance(additions, list) else []
        if category in additions:
            self.add("category_addition", f"repeats the category {category}")
        allowed = {category, *additions}
        keywords = self.s.get("category_specification") or []
        if not isinstance(keywords, list):
            return
        for keyword in keywords:
            if not isinstance(keyword, str) or keyword not in dsa.KEYWORDS or keyword == dsa.KEYWORD_OTHER:
                continue
            if keyword in dsa.UNGROUPED_KEYWORDS:
                self.add(
                    "category_specification",
                    f"{keyword} belongs to no v2 category; use KEYWORD_CYBER_STALKING or KEYWORD_OTHER",
                )
                continue
            home = dsa.category_of(keyword)
            if home not in allowed:
                self.add(
                    "category_specification",
                    f"{keyword} specifies {home}, which is neither the category nor an additional category",
                )

    def dates(self) -> None:
        content, application = self._date_of("content_date"), self._date_of("application_date")
        if content is not None and application is not None and content > application:
            self.add(
                "content_date",
                f"{content.isoformat()} is after the application date {application.isoformat()}: "
                "content cannot be restricted before it exists",
            )

    def source(self) -> None:
        if self.s.get("source_type") == "SOURCE_VOLUNTARY" and self.present("source_identity"):
            self.add("source_identity", "is not allowed with SOURCE_VOLUNTARY: there is no notifier to name")

    def personal_data(self) -> None:
        for name in schema.FREE_TEXT_FIELDS:
            value = self.s.get(name)
            if not isinstance(value, str):
                continue
            for finding in find_personal_data(value):
                self.add(name, f"contains personal data: {finding.describe()}; remove it before export")

    def _date_of(self, name: str) -> date | None:
        value = self.s.get(name)
        return _parse_date(value) if isinstance(value, str) else None


def validate(statement: Mapping[str, Any], *, personal_data: bool = True) -> list[Problem]:
    """Every problem with one statement of reasons (v2 schema), field by field and then rule by rule.

    ``personal_data`` (default on) also refuses handles, e-mail addresses, phone numbers and profile links in the
    free-text fields. An empty list means the statement may be exported.
    """
    if not isinstance(statement, Mapping):
        return [Problem(field="statement", message=f"must be an object, not {type(statement).__name__}")]
    checker = _Checker(statement)
    checker.unknown_fields()
    for spec in schema.FIELDS.values():
        checker.field(spec)
    checker.decisions()
    checker.others()
    checker.grounds()
    checker.categories()
    checker.dates()
    checker.source()
    if personal_data:
        checker.personal_data()
    return checker.problems


def validate_batch(
    statements: Iterable[Mapping[str, Any]],
    *,
    limit: int | None = schema.MAX_BATCH_SIZE,
    known_puids: Iterable[str] = (),
    personal_data: bool = True,
) -> list[Problem]:
    """Every problem of every statement (with its position), plus PUIDs used twice and a batch over ``limit``.

    ``known_puids`` are PUIDs already submitted for this platform: the database refuses to reuse them. ``limit``
    None checks a whole export, which :func:`overt.enforcement.statements.export.export` then splits into batches.
    """
    items = list(statements)
    problems: list[Problem] = []
    if limit is not None and len(items) > limit:
        problems.append(
            Problem(field="statements", message=f"a batch holds at most {limit} statements, not {len(items)}")
        )
    known = set(known_puids)
    first_at: dict[str, int] = {}
    for index, statement in enumerate(items):
        problems += [
            Problem(field=p.field, message=p.message, puid=p.puid, index=index)
            for p in validate(statement, personal_data=personal_data)
        ]
        puid = statement.get("puid") if isinstance(statement, Mapping) else None
        if not isinstance(puid, str) or not puid:
            continue
        if puid in first_at:
            problems.append(
                Problem(
                    field="puid",
                    message=f"is also used by statement {first_at[puid]}; a PUID must be unique within the platform",
                    puid=puid,
                    index=index,
                )
            )
        else:
            first_at[puid] = index
        if puid in known:
            problems.append(
                Problem(field="puid", message="was already submitted; a PUID may not be reused", puid=puid, index=index)
            )
    return problems
