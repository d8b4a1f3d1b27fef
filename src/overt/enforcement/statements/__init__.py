"""DSA statements of reasons: build them from decisions, validate them locally, export them for the database.

Online platforms submit a statement of reasons for every restriction they impose in the EEA to the Commission's DSA
Transparency Database (Article 24(5) DSA). This package produces them in the database's current schema, the "v2"
schema in force since 1 July 2025, and never lets an invalid statement or one with personal data leave:

- :mod:`.schema`: the fields, their kinds, limits and allowed values (codes from :mod:`overt.enforcement.dsa`);
- :mod:`.validate`: :func:`validate` (one statement, every field and conditional rule) and :func:`validate_batch`;
- :mod:`.personal`: :func:`find_personal_data` (handles, e-mail addresses, phone numbers, profile links);
- :mod:`.build`: :class:`DecisionFacts` and :func:`statement_from` (one decision → one statement, or why none);
- :mod:`.export`: :func:`export` (batches of at most 100, CSV, manifest) and :func:`validate_files`.

Sources (checked 2025; the Commission's database is open source):

- API documentation v2: https://transparency.dsa.ec.europa.eu/page/api-documentation (source:
  github.com/digital-services-act/transparency-database, ``resources/markdown/api-documentation-two.md``): fields,
  allowed values, the 100-statement limit of the multiple endpoint, date formats and lower bounds (content_date from
  2000-01-01, application_date from 2020-01-01), end dates on or after the application date, the PUID alphabet
  (a-z, A-Z, 0-9, "-", "_"; at most 500) and uniqueness within the platform, content_id (EAN-13 only),
  category_specification_other with KEYWORD_OTHER, source_identity not taken into account for SOURCE_VOLUNTARY,
  content_language as upper-case ISO 639-1.
- Migration notes: ``resources/markdown/migration-to-api-v-two.md`` (v2 in force since 1 July 2025, aligned with
  Implementing Regulation (EU) 2024/2835; content_id added).
- Validation rules: ``app/Services/GroupedSubmissionsService.php`` (``multi_rules``) and
  ``app/Http/Requests/StatementsStoreRequest.php``: required_without_all for the four decision fields,
  required_if/exclude_unless for every "other" and ground field, ``before_or_equal:2038-01-01`` for every date,
  ``url|max:500`` for decision_ground_reference_url, ``regex:/^[a-zA-Z0-9-_]+$/D`` for the PUID;
  ``app/Services/EuropeanCountriesService.php`` (the 30 EEA codes, GR for Greece);
  ``app/Services/EuropeanLanguagesService.php`` (``ALL_LANGUAGES``: the accepted language codes).
- Attribute explanations: https://transparency.dsa.ec.europa.eu/page/additional-explanation-for-statement-attributes
  (``additional-explanation-for-statement-attributes.md``): source_type for authority orders outside Article 9,
  notifier identity only where strictly necessary, one end date per restriction type.
- CSV: the database's own exports store list fields as ``["A","B"]`` (GroupedSubmissionsService stringifies arrays
  that way), which our CSV follows.

Which rules the database enforces and which are ours is listed in :mod:`.validate`.
"""

from overt.enforcement.statements.build import Built, DecisionFacts, derive_puid, policy_fields, statement_from
from overt.enforcement.statements.export import ExportRefused, ExportResult, export, validate_files
from overt.enforcement.statements.personal import Finding, find_personal_data
from overt.enforcement.statements.validate import Problem, validate, validate_batch

__all__ = [
    "Built",
    "DecisionFacts",
    "ExportRefused",
    "ExportResult",
    "Finding",
    "Problem",
    "derive_puid",
    "export",
    "find_personal_data",
    "policy_fields",
    "statement_from",
    "validate",
    "validate_batch",
    "validate_files",
]
