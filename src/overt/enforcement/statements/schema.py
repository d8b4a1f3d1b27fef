"""The fields of a statement of reasons in the DSA Transparency Database's v2 schema, and their limits.

One row per attribute of the API's request body (``POST /api/v2/statement``, and each element of ``statements`` in
``POST /api/v2/statements``): its kind (one code, a list of codes, free text, a date, ...), whether it is required
and its character limit. The codes themselves live in :mod:`overt.enforcement.dsa`; this module says which field
takes which of them. :mod:`overt.enforcement.statements.validate` applies the table and the conditional rules.

Order matters: :data:`FIELD_ORDER` is the order of the database's own documentation, and the order of the columns
of our CSV file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from overt.enforcement import dsa

Kind = Literal["code", "codes", "text", "date", "yes_no", "url", "puid", "content_id", "countries", "language"]

#: The multiple-statements endpoint takes at most this many statements per call.
MAX_BATCH_SIZE = 100
#: PUID: letters a-z and A-Z, digits, hyphen and underscore only (``regex:/^[a-zA-Z0-9-_]+$/D``), at most 500.
PUID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
PUID_MAX = 500
#: The one content_id key the database accepts so far, and its value: an EAN-13 product number.
CONTENT_ID_KEYS = frozenset({"EAN-13"})
URL_MAX = 500


@dataclass(frozen=True)
class Field:
    """One attribute: what kind of value it takes, whether the database requires it, and its allowed values."""

    name: str
    kind: Kind
    required: bool = False
    values: frozenset[str] = frozenset()
    max_length: int | None = None


def _text(name: str, *, required: bool = False) -> Field:
    return Field(name, "text", required=required, max_length=dsa.TEXT_LIMITS[name])


_FIELDS = (
    Field("decision_visibility", "codes", values=dsa.DECISION_VISIBILITIES),
    _text("decision_visibility_other"),
    Field("end_date_visibility_restriction", "date"),
    Field("decision_monetary", "code", values=dsa.DECISION_MONETARIES),
    _text("decision_monetary_other"),
    Field("end_date_monetary_restriction", "date"),
    Field("decision_provision", "code", values=dsa.DECISION_PROVISIONS),
    Field("end_date_service_restriction", "date"),
    Field("decision_account", "code", values=dsa.DECISION_ACCOUNTS),
    Field("end_date_account_restriction", "date"),
    Field("account_type", "code", values=frozenset(dsa.ACCOUNT_TYPE)),
    Field("decision_facts", "text", required=True, max_length=dsa.TEXT_LIMITS["decision_facts"]),
    Field("decision_ground", "code", required=True, values=dsa.DECISION_GROUNDS),
    Field("decision_ground_reference_url", "url", max_length=URL_MAX),
    _text("illegal_content_legal_ground"),
    _text("illegal_content_explanation"),
    _text("incompatible_content_ground"),
    _text("incompatible_content_explanation"),
    Field("incompatible_content_illegal", "yes_no", values=dsa.INCOMPATIBLE_CONTENT_ILLEGAL),
    Field("content_type", "codes", required=True, values=dsa.CONTENT_TYPES),
    _text("content_type_other"),
    Field("category", "code", required=True, values=dsa.CATEGORIES),
    Field("category_addition", "codes", values=dsa.CATEGORIES),
    Field("category_specification", "codes", values=dsa.KEYWORDS),
    _text("category_specification_other"),
    Field("content_id", "content_id"),
    Field("territorial_scope", "countries", required=True, values=dsa.EEA_COUNTRIES),
    Field("content_language", "language", values=dsa.CONTENT_LANGUAGES),
    Field("content_date", "date", required=True),
    Field("application_date", "date", required=True),
    Field("source_type", "code", required=True, values=dsa.SOURCE_TYPES),
    _text("source_identity"),
    Field("automated_detection", "yes_no", required=True, values=dsa.AUTOMATED_DETECTION),
    Field("automated_decision", "code", required=True, values=frozenset(dsa.AUTOMATED_DECISION)),
    Field("puid", "puid", required=True, max_length=PUID_MAX),
)

#: Every field of the v2 request body, by name, in the documentation's order.
FIELDS: Mapping[str, Field] = MappingProxyType({f.name: f for f in _FIELDS})
FIELD_ORDER = tuple(FIELDS)

#: Fields written in words by people: these are checked for personal data before anything leaves.
FREE_TEXT_FIELDS = tuple(name for name, f in FIELDS.items() if f.kind in ("text", "url"))

#: Each "other" text field and the code that requires it (in a list field or a one-code field).
OTHER_FIELD = MappingProxyType(
    {
        "decision_visibility_other": ("decision_visibility", "DECISION_VISIBILITY_OTHER"),
        "decision_monetary_other": ("decision_monetary", "DECISION_MONETARY_OTHER"),
        "content_type_other": ("content_type", "CONTENT_TYPE_OTHER"),
        "category_specification_other": ("category_specification", dsa.KEYWORD_OTHER),
    }
)

#: The text fields each decision ground requires (and that the other ground must leave out).
GROUND_FIELDS = MappingProxyType(
    {
        "DECISION_GROUND_ILLEGAL_CONTENT": ("illegal_content_legal_ground", "illegal_content_explanation"),
        "DECISION_GROUND_INCOMPATIBLE_CONTENT": (
            "incompatible_content_ground",
            "incompatible_content_explanation",
            "incompatible_content_illegal",
        ),
    }
)
#: Of the ground fields, those that are optional (the rest are required with their ground).
OPTIONAL_GROUND_FIELDS = frozenset({"incompatible_content_illegal"})
