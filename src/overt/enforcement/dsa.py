"""The vocabulary of the DSA Transparency Database's statement of reasons (the "v2" schema), for checks and export.

Every restriction a platform imposes on users in the EU needs a statement of reasons (Article 17 DSA), and online
platforms submit each one to the Commission's DSA Transparency Database (Article 24(5)). The database accepts only
the codes below. Policies name their DSA category and keywords here, actions map to the decision fields here
(:mod:`overt.enforcement.actions`), and the DSA export builds on the same constants.

Source: the Commission's API documentation, https://transparency.dsa.ec.europa.eu/page/api-documentation and
https://transparency.dsa.ec.europa.eu/page/additional-explanation-for-statement-attributes (checked against the
database's own source, github.com/digital-services-act/transparency-database, ``resources/markdown/
api-documentation-two.md`` and ``migration-to-api-v-two.md``), as in force since **1 July 2025**, when the schema was
aligned with the Implementing Regulation on transparency-reporting templates (Commission Implementing Regulation
(EU) 2024/2835). The grouping of keywords under categories follows that Regulation's Annex; the database itself
accepts any listed keyword with any category, so :func:`check_category_keywords` is our own consistency check, not
a rejection rule of the database.

What we could not confirm from the Commission's text and how we handle it:

- ``KEYWORD_STALKING`` (a v1 keyword) is still accepted by the v2 API but belongs to no v2 category group; we accept
  it and suggest ``KEYWORD_CYBER_STALKING``.
- ``KEYWORD_ADULT_SEXUAL_MATERIAL`` lost its v1 category (pornography, deleted in v2); the Annex's grouping places it
  under "other violation of the provider's terms and conditions", and so do we.
- ``SOURCE_TYPE_OTHER_NOTIFICATION`` exists (since v1, kept in v2): notices that are not Article 16 notices, and
  orders of authorities outside Article 9 DSA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from overt.enforcement.documents import did_you_mean

SCHEMA = "DSA Transparency Database statement of reasons, API v2"
IN_FORCE_SINCE = date(2025, 7, 1)
IN_FORCE_SINCE_TEXT = "1 July 2025"  # written out, not strftime'd: messages must not depend on the locale
SOURCE_URL = "https://transparency.dsa.ec.europa.eu/page/api-documentation"


def _table(items: Iterable[tuple[str, str]]) -> Mapping[str, str]:
    return MappingProxyType(dict(items))


#: decision_visibility (a list: one decision may restrict visibility in several ways). Code → the database's label.
DECISION_VISIBILITY = _table(
    [
        ("DECISION_VISIBILITY_CONTENT_REMOVED", "Removal of content"),
        ("DECISION_VISIBILITY_CONTENT_DISABLED", "Disabling access to content"),
        ("DECISION_VISIBILITY_CONTENT_DEMOTED", "Demotion of content"),
        ("DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED", "Age restricted content"),
        ("DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED", "Restricting interaction with content"),
        ("DECISION_VISIBILITY_CONTENT_LABELLED", "Labelled content"),
        ("DECISION_VISIBILITY_OTHER", "Other restriction (please specify)"),
    ]
)
#: decision_monetary (one value).
DECISION_MONETARY = _table(
    [
        ("DECISION_MONETARY_SUSPENSION", "Suspension of monetary payments"),
        ("DECISION_MONETARY_TERMINATION", "Termination of monetary payments"),
        ("DECISION_MONETARY_OTHER", "Other restriction (please specify)"),
    ]
)
#: decision_provision (one value): suspension or termination of the provision of the service.
DECISION_PROVISION = _table(
    [
        ("DECISION_PROVISION_PARTIAL_SUSPENSION", "Partial suspension of the provision of the service"),
        ("DECISION_PROVISION_TOTAL_SUSPENSION", "Total suspension of the provision of the service"),
        ("DECISION_PROVISION_PARTIAL_TERMINATION", "Partial termination of the provision of the service"),
        ("DECISION_PROVISION_TOTAL_TERMINATION", "Total termination of the provision of the service"),
    ]
)
#: decision_account (one value).
DECISION_ACCOUNT = _table(
    [
        ("DECISION_ACCOUNT_SUSPENDED", "Suspension of the account"),
        ("DECISION_ACCOUNT_TERMINATED", "Termination of the account"),
    ]
)
#: decision_ground (one value). Illegal content needs illegal_content_legal_ground and _explanation; incompatible
#: content needs incompatible_content_ground and _explanation.
DECISION_GROUND = _table(
    [
        ("DECISION_GROUND_ILLEGAL_CONTENT", "Illegal Content"),
        ("DECISION_GROUND_INCOMPATIBLE_CONTENT", "Content incompatible with terms and conditions"),
    ]
)
#: content_type (a list).
CONTENT_TYPE = _table(
    [
        ("CONTENT_TYPE_APP", "App"),
        ("CONTENT_TYPE_AUDIO", "Audio"),
        ("CONTENT_TYPE_IMAGE", "Image"),
        ("CONTENT_TYPE_PRODUCT", "Product"),
        ("CONTENT_TYPE_SYNTHETIC_MEDIA", "Synthetic Media"),
        ("CONTENT_TYPE_TEXT", "Text"),
        ("CONTENT_TYPE_VIDEO", "Video"),
        ("CONTENT_TYPE_OTHER", "Other"),
    ]
)
#: source_type (one value): what led to the decision.
SOURCE_TYPE = _table(
    [
        ("SOURCE_ARTICLE_16", "Notice submitted in accordance with Article 16 DSA"),
        ("SOURCE_TRUSTED_FLAGGER", "Notice submitted by a trusted flagger"),
        ("SOURCE_TYPE_OTHER_NOTIFICATION", "Other type of notification"),
        ("SOURCE_VOLUNTARY", "Own voluntary initiative"),
    ]
)
#: automated_detection ("Yes"/"No") and automated_decision (one code).
AUTOMATED_DETECTION = frozenset({"Yes", "No"})
AUTOMATED_DECISION = _table(
    [
        ("AUTOMATED_DECISION_FULLY", "Fully automated"),
        ("AUTOMATED_DECISION_PARTIALLY", "Partially automated"),
        ("AUTOMATED_DECISION_NOT_AUTOMATED", "Not Automated"),
    ]
)
#: account_type (optional).
ACCOUNT_TYPE = _table([("ACCOUNT_TYPE_BUSINESS", "Business"), ("ACCOUNT_TYPE_PRIVATE", "Private")])

#: category (one value) and category_addition (a list), v2.
CATEGORY = _table(
    [
        ("STATEMENT_CATEGORY_ANIMAL_WELFARE", "Animal welfare"),
        ("STATEMENT_CATEGORY_CONSUMER_INFORMATION", "Consumer information infringements"),
        ("STATEMENT_CATEGORY_CYBER_VIOLENCE", "Cyber violence"),
        ("STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN", "Cyber violence against women"),
        ("STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", "Data protection and privacy violations"),
        ("STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", "Illegal or harmful speech"),
        ("STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS", "Intellectual property infringements"),
        (
            "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
            "Negative effects on civic discourse or elections",
        ),
        ("STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", "Type of alleged illegal content not specified by the notifier"),
        ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "Other violation of provider's terms and conditions"),
        ("STATEMENT_CATEGORY_PROTECTION_OF_MINORS", "Protection of minors"),
        ("STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY", "Risk for public security"),
        ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "Scams and/or fraud"),
        ("STATEMENT_CATEGORY_SELF_HARM", "Self-harm"),
        ("STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "Unsafe, non-compliant or prohibited products"),
        ("STATEMENT_CATEGORY_VIOLENCE", "Violence"),
    ]
)

#: Valid with every category: "not captured by any other keyword" (then category_specification_other says what).
KEYWORD_OTHER = "KEYWORD_OTHER"

#: category_specification keywords (v2), grouped by the category they specify (Implementing Regulation Annex).
KEYWORDS_BY_CATEGORY: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "STATEMENT_CATEGORY_ANIMAL_WELFARE": frozenset({"KEYWORD_ANIMAL_HARM", "KEYWORD_UNLAWFUL_SALE_ANIMALS"}),
        "STATEMENT_CATEGORY_CONSUMER_INFORMATION": frozenset(
            {
                "KEYWORD_HIDDEN_ADVERTISEMENT",
                "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS",
                "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS",
                "KEYWORD_MISLEADING_INFO_GOODS_SERVICES",
                "KEYWORD_NONCOMPLIANCE_PRICING",
            }
        ),
        "STATEMENT_CATEGORY_CYBER_VIOLENCE": frozenset(
            {
                "KEYWORD_CYBER_BULLYING_INTIMIDATION",
                "KEYWORD_CYBER_HARASSMENT",
                "KEYWORD_CYBER_INCITEMENT",
                "KEYWORD_CYBER_STALKING",
                "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
                "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
            }
        ),
        "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN": frozenset(
            {
                "KEYWORD_BULLYING_AGAINST_GIRLS",
                "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN",
                "KEYWORD_CYBER_STALKING_AGAINST_WOMEN",
                "KEYWORD_FEMALE_GENDERED_DISINFORMATION",
                "KEYWORD_INCITEMENT_AGAINST_WOMEN",
                "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
                "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
            }
        ),
        "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS": frozenset(
            {
                "KEYWORD_BIOMETRIC_DATA_BREACH",
                "KEYWORD_DATA_FALSIFICATION",
                "KEYWORD_MISSING_PROCESSING_GROUND",
                "KEYWORD_RIGHT_TO_BE_FORGOTTEN",
            }
        ),
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH": frozenset(
            {"KEYWORD_DEFAMATION", "KEYWORD_DISCRIMINATION", "KEYWORD_HATE_SPEECH"}
        ),
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS": frozenset(
            {
                "KEYWORD_COPYRIGHT_INFRINGEMENT",
                "KEYWORD_DESIGN_INFRINGEMENT",
                "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
                "KEYWORD_PATENT_INFRINGEMENT",
                "KEYWORD_TRADE_SECRET_INFRINGEMENT",
                "KEYWORD_TRADEMARK_INFRINGEMENT",
            }
        ),
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS": frozenset(
            {
                "KEYWORD_MISINFORMATION_DISINFORMATION",
                "KEYWORD_VIOLATION_EU_LAW",
                "KEYWORD_VIOLATION_NATIONAL_LAW",
            }
        ),
        "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE": frozenset(),
        "STATEMENT_CATEGORY_OTHER_VIOLATION_TC": frozenset(
            {
                "KEYWORD_ADULT_SEXUAL_MATERIAL",
                "KEYWORD_AGE_SPECIFIC_RESTRICTIONS",
                "KEYWORD_GEOGRAPHICAL_REQUIREMENTS",
                "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
                "KEYWORD_LANGUAGE_REQUIREMENTS",
                "KEYWORD_NUDITY",
            }
        ),
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS": frozenset(
            {
                "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",
                "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
                "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
                "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
                "KEYWORD_UNSAFE_CHALLENGES",
            }
        ),
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY": frozenset(
            {
                "KEYWORD_ILLEGAL_ORGANIZATIONS",
                "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE",
                "KEYWORD_RISK_PUBLIC_HEALTH",
                "KEYWORD_TERRORIST_CONTENT",
            }
        ),
        "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": frozenset(
            {
                "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",
                "KEYWORD_INAUTHENTIC_ACCOUNTS",
                "KEYWORD_INAUTHENTIC_LISTINGS",
                "KEYWORD_INAUTHENTIC_USER_REVIEWS",
                "KEYWORD_PHISHING",
                "KEYWORD_PYRAMID_SCHEMES",
            }
        ),
        "STATEMENT_CATEGORY_SELF_HARM": frozenset(
            {"KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS", "KEYWORD_SELF_MUTILATION", "KEYWORD_SUICIDE"}
        ),
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS": frozenset(
            {"KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_UNSAFE_PRODUCTS"}
        ),
        "STATEMENT_CATEGORY_VIOLENCE": frozenset(
            {
                "KEYWORD_COORDINATED_HARM",
                "KEYWORD_HUMAN_EXPLOITATION",
                "KEYWORD_HUMAN_TRAFFICKING",
                "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
                "KEYWORD_TRAFFICKING_WOMEN_GIRLS",
            }
        ),
    }
)

#: Accepted by the v2 API but in no v2 category group (see the module docstring).
UNGROUPED_KEYWORDS = frozenset({"KEYWORD_STALKING"})

#: Every keyword the v2 API accepts in category_specification.
KEYWORDS = frozenset().union(*KEYWORDS_BY_CATEGORY.values(), UNGROUPED_KEYWORDS, {KEYWORD_OTHER})

#: The categories, keywords and decision fields of the sets above, for membership tests.
CATEGORIES = frozenset(CATEGORY)
DECISION_VISIBILITIES = frozenset(DECISION_VISIBILITY)
DECISION_MONETARIES = frozenset(DECISION_MONETARY)
DECISION_PROVISIONS = frozenset(DECISION_PROVISION)
DECISION_ACCOUNTS = frozenset(DECISION_ACCOUNT)
DECISION_GROUNDS = frozenset(DECISION_GROUND)
CONTENT_TYPES = frozenset(CONTENT_TYPE)
SOURCE_TYPES = frozenset(SOURCE_TYPE)

#: territorial_scope: the 30 EEA countries (27 EU members plus Iceland, Liechtenstein and Norway). The database uses
#: ISO 3166-1 codes, so Greece is GR (not the EU's "EL").
# fmt: off
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# fmt: on
EEA_COUNTRIES = EU_COUNTRIES | {"IS", "LI", "NO"}

#: Which end-date field goes with which decision field (blank end date = indefinite).
END_DATE_FIELD = MappingProxyType(
    {
        "decision_visibility": "end_date_visibility_restriction",
        "decision_monetary": "end_date_monetary_restriction",
        "decision_provision": "end_date_service_restriction",
        "decision_account": "end_date_account_restriction",
    }
)
DECISION_FIELDS = tuple(END_DATE_FIELD)

#: Limits of the free-text fields, in characters.
TEXT_LIMITS = MappingProxyType(
    {
        "decision_visibility_other": 500,
        "decision_monetary_other": 500,
        "decision_facts": 5000,
        "illegal_content_legal_ground": 500,
        "illegal_content_explanation": 2000,
        "incompatible_content_ground": 500,
        "incompatible_content_explanation": 2000,
        "content_type_other": 500,
        "category_specification_other": 500,
        "source_identity": 500,
        "puid": 500,
    }
)
#: Earliest dates the database accepts.
EARLIEST_CONTENT_DATE = date(2000, 1, 1)
EARLIEST_APPLICATION_DATE = date(2020, 1, 1)


@dataclass(frozen=True)
class Retired:
    """A v1 value that the v2 schema no longer accepts, and what replaced it (None: nothing one-to-one)."""

    value: str
    replacement: str | None
    how: str  # "renamed", "replaced", "moved" or "removed"

    def message(self) -> str:
        when = IN_FORCE_SINCE_TEXT
        if self.replacement is None:
            return f"{self.value} was removed from the DSA schema on {when}"
        return f"{self.value} was replaced by {self.replacement} on {when}"


def _retired(*rows: tuple[str, str | None, str]) -> Mapping[str, Retired]:
    return MappingProxyType({value: Retired(value, replacement, how) for value, replacement, how in rows})


#: v1 categories removed on 1 July 2025.
RETIRED_CATEGORIES = _retired(
    ("STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE", "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "renamed"),
    ("STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS", "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS", "renamed"),
    ("STATEMENT_CATEGORY_NON_CONSENSUAL_BEHAVIOUR", "STATEMENT_CATEGORY_CYBER_VIOLENCE", "replaced"),
    ("STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT", None, "removed"),
)
#: v1 keywords removed on 1 July 2025 (a replacement is named where the v2 label covers the old meaning).
RETIRED_KEYWORDS = _retired(
    ("KEYWORD_DISINFORMATION", "KEYWORD_MISINFORMATION_DISINFORMATION", "replaced"),
    ("KEYWORD_MISINFORMATION", "KEYWORD_MISINFORMATION_DISINFORMATION", "replaced"),
    ("KEYWORD_FOREIGN_INFORMATION_MANIPULATION", "KEYWORD_MISINFORMATION_DISINFORMATION", "replaced"),
    ("KEYWORD_NON_CONSENSUAL_ITEMS_DEEPFAKE", "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE", "renamed"),
    ("KEYWORD_ONLINE_BULLYING_INTIMIDATION", "KEYWORD_CYBER_BULLYING_INTIMIDATION", "renamed"),
    ("KEYWORD_IMAGE_BASED_SEXUAL_ABUSE", "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING", "replaced"),
    ("KEYWORD_INSUFFICIENT_INFORMATION_TRADERS", "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS", "renamed"),
    ("KEYWORD_REGULATED_GOODS_SERVICES", "KEYWORD_PROHIBITED_PRODUCTS", "replaced"),
    ("KEYWORD_DANGEROUS_TOYS", "KEYWORD_UNSAFE_PRODUCTS", "replaced"),
    ("KEYWORD_GENDER_BASED_VIOLENCE", None, "removed"),
)


def category_of(keyword: str) -> str | None:
    """The v2 category whose group holds ``keyword`` (None for KEYWORD_OTHER, ungrouped or unknown keywords)."""
    for category, group in KEYWORDS_BY_CATEGORY.items():
        if keyword in group:
            return category
    return None


def check_category(category: str) -> str | None:
    """What is wrong with ``category`` as a v2 statement category, or None if it is valid."""
    if category in CATEGORIES:
        return None
    retired = RETIRED_CATEGORIES.get(category)
    if retired is not None:
        return retired.message()
    return f"unknown DSA category '{category}'{did_you_mean(category, CATEGORIES)}"


def check_keyword(keyword: str) -> str | None:
    """What is wrong with ``keyword`` as a v2 category_specification keyword, or None if it is valid."""
    if keyword in KEYWORDS:
        return None
    retired = RETIRED_KEYWORDS.get(keyword)
    if retired is not None:
        return retired.message()
    return f"unknown DSA keyword '{keyword}'{did_you_mean(keyword, KEYWORDS)}"


def check_category_keywords(category: str, keywords: Iterable[str]) -> list[str]:
    """Every problem with a category and its keywords: unknown or retired values, keywords of another category.

    KEYWORD_OTHER goes with any category. A keyword from another category's group is reported with that category,
    because the pair would mislead whoever reads the statement (the database would accept it).
    """
    problems: list[str] = []
    category_problem = check_category(category)
    if category_problem:
        problems.append(category_problem)
    seen: set[str] = set()
    for keyword in keywords:
        if keyword in seen:
            problems.append(f"keyword {keyword} is listed twice")
            continue
        seen.add(keyword)
        keyword_problem = check_keyword(keyword)
        if keyword_problem:
            problems.append(keyword_problem)
            continue
        if category_problem or keyword == KEYWORD_OTHER:
            continue
        if keyword in UNGROUPED_KEYWORDS:
            problems.append(f"{keyword} belongs to no v2 category; use KEYWORD_CYBER_STALKING or KEYWORD_OTHER")
            continue
        home = category_of(keyword)
        if home != category:
            problems.append(f"{keyword} specifies {home}, not {category}")
    return problems


def check_territorial_scope(codes: Iterable[str]) -> list[str]:
    """Problems with a territorial_scope list: it must be a non-empty list of distinct EEA country codes."""
    problems: list[str] = []
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            problems.append(f"country {code} is listed twice")
        elif code == "EL":
            problems.append("the DSA database uses GR for Greece, not EL")
        elif code not in EEA_COUNTRIES:
            problems.append(f"{code} is not an EEA country{did_you_mean(code, EEA_COUNTRIES)}")
        seen.add(code)
    if not seen:
        problems.append("territorial_scope needs at least one EEA country")
    return problems


#: incompatible_content_illegal (optional, only with DECISION_GROUND_INCOMPATIBLE_CONTENT): the content is also illegal.
INCOMPATIBLE_CONTENT_ILLEGAL = frozenset({"Yes", "No"})
#: Latest date the database accepts in any date field (``before_or_equal:2038-01-01`` in its validation rules).
LATEST_DATE = date(2038, 1, 1)
#: content_language: the upper-case ISO 639-1 codes the database accepts (its ``EuropeanLanguagesService``).
# fmt: off
CONTENT_LANGUAGES = frozenset({
    "AA", "AB", "AE", "AF", "AK", "AM", "AN", "AR", "AS", "AV", "AY", "AZ", "BA", "BE", "BG", "BH", "BI", "BM", "BN",
    "BO", "BR", "BS", "CA", "CE", "CH", "CO", "CR", "CS", "CU", "CV", "CY", "DA", "DE", "DV", "DZ", "EE", "EL", "EN",
    "EO", "ES", "ET", "EU", "FA", "FF", "FI", "FJ", "FO", "FR", "FY", "GA", "GD", "GL", "GN", "GU", "GV", "HA", "HE",
    "HI", "HO", "HR", "HT", "HU", "HY", "HZ", "IA", "ID", "IE", "IG", "II", "IK", "IO", "IS", "IT", "IU", "JA", "JV",
    "KA", "KG", "KI", "KJ", "KK", "KL", "KM", "KN", "KO", "KR", "KS", "KU", "KV", "KW", "KY", "LA", "LB", "LG", "LI",
    "LN", "LO", "LT", "LU", "LV", "MG", "MH", "MI", "MK", "ML", "MN", "MR", "MS", "MT", "MY", "NA", "NB", "ND", "NE",
    "NG", "NL", "NN", "NO", "NR", "NV", "NY", "OC", "OJ", "OM", "OR", "OS", "PA", "PI", "PL", "PS", "PT", "QU", "RM",
    "RN", "RO", "RU", "RW", "SA", "SC", "SD", "SE", "SG", "SI", "SK", "SL", "SM", "SN", "SO", "SQ", "SR", "SS", "ST",
    "SU", "SV", "SW", "TA", "TE", "TG", "TH", "TI", "TK", "TL", "TN", "TO", "TR", "TS", "TT", "TW", "TY", "UG", "UK",
    "UR", "UZ", "VE", "VI", "VO", "WA", "WO", "XH", "YI", "YO", "ZA", "ZH", "ZU",
})
# fmt: on
