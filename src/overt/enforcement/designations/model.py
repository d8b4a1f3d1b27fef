"""The designation record: who is designated, as what, on which accounts and domains, and on what evidence.

A designation says that an entity is state-affiliated media, state-controlled media or a government account, so
that its accounts carry a public label. Reviewers decide it on evidence, one finding per criterion that platforms
publish for such labels: ownership, funding, governance, editorial control and staff. This module holds the record
and two levels of checks:

- **well-formed** (:class:`Designation` validation): the id is a slug, the country is an ISO 3166-1 alpha-2 code,
  every source address parses, domains and accounts are normalised and listed once. A proposal must be well-formed.
- **complete enough to approve** (:func:`approval_gaps`): what a reviewer insists on before putting a label on
  someone (see the function). A proposal may have gaps; an approval may not.

Identity and history (hash, diff) are in :mod:`.history`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from overt.enforcement.designations import countries
from overt.enforcement.documents import did_you_mean

Kind = Literal["state_affiliated_media", "state_controlled_media", "government_account"]
KINDS: tuple[str, ...] = get_args(Kind)
Finding = Literal["indicates_state_control", "indicates_independence", "unknown"]
FINDINGS: tuple[str, ...] = get_args(Finding)
#: The criteria platforms publish for state-media labels, in the order a record lists them.
CRITERIA: tuple[str, ...] = ("ownership", "funding", "governance", "editorial_control", "staff")

#: Public label per kind, in our words; ``{country}`` is the country's name.
DEFAULT_LABELS = {
    "state_controlled_media": "State-controlled media: {country}",
    "state_affiliated_media": "State-affiliated media: {country}",
    "government_account": "Government account: {country}",
}
#: How an entity contests a designation, unless the record says otherwise.
DEFAULT_APPEAL_ROUTE = (
    "The entity named here, or anyone acting for it, may appeal this designation at any time by stating which "
    "finding it disputes (ownership, funding, governance, editorial control or staff) and sending its evidence. "
    "A reviewer who did not approve the designation decides the appeal; the decision and its reasons are "
    "recorded and published, and an overturned designation is withdrawn and its labels removed."
)

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PLATFORM = re.compile(r"[a-z][a-z0-9_]*")
_LABEL = re.compile(r"(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?", re.UNICODE)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _web_address(value: str) -> str:
    parts = urllib.parse.urlsplit(value)
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - an unparseable port raises here
    except ValueError:
        host = ""
    if parts.scheme not in ("http", "https") or not _valid_host(host):
        raise PydanticCustomError(
            "url", "'{value}' is not a web address (expected http:// or https:// and a host)", {"value": value}
        )
    return value


class Source(_Record):
    """A document a finding rests on: its title, address and, when known, its date."""

    title: str = Field(min_length=1)
    url: str
    date: dt.date | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _web_address(value)


class CriterionEvidence(_Record):
    """What the evidence says on one criterion: a finding, a summary in words, and its sources."""

    finding: Finding = "unknown"
    summary: str = ""
    sources: tuple[Source, ...] = ()

    @field_validator("finding", mode="before")
    @classmethod
    def _known_finding(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in FINDINGS:
            raise PydanticCustomError(
                "finding",
                "unknown finding '{value}'{hint}; expected one of {choices}",
                {"value": value, "hint": did_you_mean(value, FINDINGS), "choices": ", ".join(FINDINGS)},
            )
        return value


class Evidence(_Record):
    """The evidence by criterion; a criterion nobody has looked into stays ``unknown``."""

    ownership: CriterionEvidence = CriterionEvidence()
    funding: CriterionEvidence = CriterionEvidence()
    governance: CriterionEvidence = CriterionEvidence()
    editorial_control: CriterionEvidence = CriterionEvidence()
    staff: CriterionEvidence = CriterionEvidence()

    def items(self) -> Iterator[tuple[str, CriterionEvidence]]:
        """(criterion, evidence) in :data:`CRITERIA` order."""
        for name in CRITERIA:
            yield name, getattr(self, name)


def normalise_handle(value: str) -> str:
    """A handle as platforms compare them: no leading ``@``, lower case."""
    return value.strip().removeprefix("@").lower()


class Account(_Record):
    """An account of the entity on one platform, by handle, by the platform's account id, or both."""

    platform: str
    handle: str | None = None
    account_id: str | None = None

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        value = value.lower()
        if not _PLATFORM.fullmatch(value):
            raise PydanticCustomError(
                "platform",
                "'{value}' is not a platform name (lower case, e.g. 'twitter', 'telegram')",
                {"value": value},
            )
        return value

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str | None) -> str | None:
        if value is None:
            return None
        handle = normalise_handle(value)
        if not handle or any(ch.isspace() or ch == "/" for ch in handle):
            raise PydanticCustomError(
                "handle",
                "'{value}' is not a handle (no spaces or slashes; write the name, not the link)",
                {"value": value},
            )
        return handle

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id(cls, value: Any) -> Any:
        # YAML reads a numeric id as a number; ids are compared as text.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and (not value.strip() or any(ch.isspace() for ch in value.strip())):
            raise PydanticCustomError("account_id", "'{value}' is not an account id (no spaces)", {"value": value})
        return value

    @model_validator(mode="after")
    def _named(self) -> Account:
        if self.handle is None and self.account_id is None:
            raise PydanticCustomError("account", "an account needs a handle, an account_id or both", {})
        return self

    def identities(self) -> list[tuple[str, str, str]]:
        """What makes two entries the same account: the same handle or the same id on the same platform."""
        keys = []
        if self.handle is not None:
            keys.append((self.platform, "handle", self.handle))
        if self.account_id is not None:
            keys.append((self.platform, "account_id", self.account_id))
        return keys

    def describe(self) -> str:
        """``twitter @rt`` / ``twitter id 123``, for messages and diffs."""
        name = f"@{self.handle}" if self.handle else f"id {self.account_id}"
        if self.handle and self.account_id:
            name += f" (id {self.account_id})"
        return f"{self.platform} {name}"


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        labels = host.split(".")
        return len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()
    return True


def normalise_domain(value: str) -> str | None:
    """A web site as designations list it: the host alone, lower case, no scheme, ``www.``, port or path.

    ``https://WWW.RT.com/news`` becomes ``rt.com``. None when no valid host is left.
    """
    text = value.strip().lower()
    if "://" not in text:
        text = "//" + text
    try:
        host = urllib.parse.urlsplit(text).hostname or ""
    except ValueError:
        return None
    host = host.rstrip(".").removeprefix("www.")
    return host if _valid_host(host) else None


def _domain(value: str) -> str:
    domain = normalise_domain(value)
    if domain is None:
        raise PydanticCustomError(
            "domain", "'{value}' is not a web domain (expected a host such as 'rt.com')", {"value": value}
        )
    return domain


#: A domain as written, checked and normalised by :func:`normalise_domain`.
Domain = Annotated[str, AfterValidator(_domain)]


def _duplicates(keys: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    repeated = []
    for key in keys:
        if key in seen:
            repeated.append(key)
        seen.add(key)
    return repeated


class Designation(_Record):
    """One designation: the entity, where it publishes, the state behind it, and the evidence by criterion.

    ``label_text`` and ``appeal_route`` may be left empty: :attr:`label` and :attr:`appeal` then give the default
    texts for the kind (stored empty, so a revision of the country also revises the default label).
    Domains and accounts are kept sorted, so the same content always has the same :func:`content_hash`.
    """

    id: str
    kind: Kind
    entity: str = Field(min_length=1)
    parent: str | None = None
    country: str | None = None
    accounts: tuple[Account, ...] = ()
    domains: tuple[Domain, ...] = ()
    evidence: Evidence = Evidence()
    sources: tuple[Source, ...] = ()
    label_text: str | None = None
    appeal_route: str | None = None
    notes: str = ""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise PydanticCustomError(
                "slug",
                "'{value}' is not a designation id: lower-case letters, digits and single hyphens "
                "(e.g. 'ru-rt-international')",
                {"value": value},
            )
        return value

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in KINDS:
            raise PydanticCustomError(
                "kind",
                "unknown kind '{value}'{hint}; expected one of {choices}",
                {"value": value, "hint": did_you_mean(value, KINDS), "choices": ", ".join(KINDS)},
            )
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if len(code) != 2 or not countries.is_country(code):
            raise PydanticCustomError(
                "country",
                "'{value}' is not an ISO 3166-1 alpha-2 country code{hint}",
                {"value": value, "hint": countries.suggestion(value)},
            )
        return code

    @field_validator("domains")
    @classmethod
    def _domains(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        repeated = _duplicates(list(values))
        if repeated:
            raise PydanticCustomError("duplicate", "domain '{value}' is listed more than once", {"value": repeated[0]})
        return tuple(sorted(values))

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, values: tuple[Account, ...]) -> tuple[Account, ...]:
        repeated = _duplicates([key for account in values for key in account.identities()])
        if repeated:
            platform, what, name = repeated[0]
            raise PydanticCustomError(
                "duplicate",
                "{platform} {what} '{name}' is listed more than once",
                {"platform": platform, "what": what, "name": name},
            )
        return tuple(
            sorted(values, key=lambda account: (account.platform, account.handle or "", account.account_id or ""))
        )

    @property
    def label(self) -> str:
        """The public label: ``label_text``, or the kind's default naming the country."""
        if self.label_text:
            return self.label_text
        text = DEFAULT_LABELS[self.kind]
        if self.country is None:
            return text.split(":", 1)[0]
        return text.format(country=countries.country_name(self.country))

    @property
    def appeal(self) -> str:
        """How the entity can contest the designation: ``appeal_route`` or :data:`DEFAULT_APPEAL_ROUTE`."""
        return self.appeal_route or DEFAULT_APPEAL_ROUTE

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (what the lead stores)."""
        return self.model_dump(mode="json")


# -- completeness ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Something a reviewer needs before approving: where in the record (a path of keys) and what."""

    path: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.path) or "designation"
        return f"{where}: {self.message}"


def approval_gaps(designation: Designation) -> list[Gap]:
    """What keeps ``designation`` from being approved; empty when it is complete enough.

    What a reviewer insists on before a label goes on someone:

    - every kind: the country (the label names it); every finding other than ``unknown`` has a source of its own
      (a finding without one is an assertion).
    - state-affiliated and state-controlled media: at least one account or domain (else the label goes nowhere).
    - ``state_controlled_media``: ownership or editorial control indicates state control, with a source: control
      is what the stronger label claims, and those are the two criteria that establish it.
    - ``state_affiliated_media``: findings on at least two criteria, at least one of them indicating state control,
      and at least one source; affiliation is a weaker claim, so it needs corroboration from more than one angle.
    - ``government_account``: at least one account, and the government body it speaks for in ``parent``.
    """
    d = designation
    gaps: list[Gap] = []
    if d.country is None:
        gaps.append(Gap(("country",), "needed: the label names the state behind the entity (a code such as 'RU')"))
    for name, item in d.evidence.items():
        if item.finding != "unknown" and not item.sources:
            gaps.append(Gap(("evidence", name, "sources"), f"the finding '{item.finding}' has no source"))
    if d.kind in ("state_affiliated_media", "state_controlled_media") and not d.accounts and not d.domains:
        gaps.append(Gap(("domains",), "no account or domain: a media designation must say where the label goes"))
    if d.kind == "state_controlled_media":
        if not any(
            item.finding == "indicates_state_control" and item.sources
            for item in (d.evidence.ownership, d.evidence.editorial_control)
        ):
            gaps.append(
                Gap(
                    ("evidence",),
                    "a state_controlled_media designation needs ownership or editorial_control with the finding "
                    "'indicates_state_control' and a source",
                )
            )
    elif d.kind == "state_affiliated_media":
        found = [name for name, item in d.evidence.items() if item.finding != "unknown"]
        if len(found) < 2:
            gaps.append(
                Gap(
                    ("evidence",),
                    f"a state_affiliated_media designation needs findings on at least two criteria "
                    f"(has {len(found)}{': ' + ', '.join(found) if found else ''})",
                )
            )
        if not any(item.finding == "indicates_state_control" for _, item in d.evidence.items()):
            gaps.append(Gap(("evidence",), "no criterion indicates state control"))
        if not d.sources and not any(item.sources for _, item in d.evidence.items()):
            gaps.append(Gap(("sources",), "a state_affiliated_media designation needs at least one source"))
    else:
        if not d.accounts:
            gaps.append(Gap(("accounts",), "a government_account designation needs at least one account"))
        if not d.parent:
            gaps.append(
                Gap(("parent",), "a government_account designation needs the government body it speaks for in 'parent'")
            )
    return gaps
