"""Proposed designations seeded from the shipped state-media reference list, for reviewers to complete and decide.

The list (``overt/signals/data/state_media.csv``, provenance in ``state_media.md`` beside it) has one row per web
domain or social handle, with the outlet, owning company, country, typology and source. Seeding turns it into one
*proposal* per entity; nothing here approves anything, and :func:`seed_reviews` opens each review with the seed as
proposer, so two people must still approve each one (and none can until its evidence is complete).

Entities:

- State Media Matrix rows are grouped by (outlet, company, country): an outlet is what a label names ("RT Español"
  is labelled, with RT as its parent), so RT International's ``rt.com`` and ``swentr.site`` land in one entity and
  RT Deutsch's four domains in another. A row naming several countries (``A; B``) is seeded with the first.
- Disinfo Laundromat rows name single sites without an outlet. The Viginum 'Portal Kombat' list is one network run
  by one operator (Viginum's finding), so its sites form one entity. 'RT Mirror/Repost' mixes RT's own mirrors with
  third parties that re-published RT, and 'Intel/Suspected' names unrelated outlets: each of their sites is its
  own entity, so that approving one never labels another.

Kinds, from the typology (the State Media Matrix's, which classifies outlets on funding, ownership/governance and
editorial autonomy):

- ``SC`` (state-controlled: funded, managed and editorially controlled by the government) → ``state_controlled_media``.
- ``CaPu`` / ``CaPr`` (captured public / captured private: editorially captured by the government, formally public
  service or privately owned) → ``state_affiliated_media``: control of the editorial line is the Matrix's finding,
  ownership and funding are not state's in the sense the stronger label claims.
- Laundromat lists (no typology) → ``state_affiliated_media``: the list says the sites serve or copy a state's
  media, not that a state owns them; the weaker label is the most a reviewer could approve, after adding evidence.

Evidence is what the list says and no more, cited to its upstream at the recorded commit: an SC outlet's
ownership, funding, governance and editorial control indicate state control (the type's definition), a captured
outlet's editorial control does, a laundromat site's nothing (every criterion ``unknown``, the list's category in
``notes``); staff is never in the list. So SC proposals are complete enough to approve as seeded (two reviewers
must still agree), captured ones need a second criterion, and laundromat ones need real evidence. No government
accounts are seeded: the list has none.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from overt.enforcement.designations import countries
from overt.enforcement.designations.model import (
    Account,
    CriterionEvidence,
    Designation,
    Evidence,
    Kind,
    Source,
    approval_gaps,
)
from overt.enforcement.designations.workflow import ReviewState, propose
from overt.errors import InputError

DATA = Path(__file__).resolve().parent.parent.parent / "signals" / "data"
#: The shipped reference list.
STATE_MEDIA_CSV = DATA / "state_media.csv"
COLUMNS = ("kind", "platform", "identifier", "outlet", "company", "country", "typology", "source")

MATRIX_REPO = "https://github.com/ASD-at-GMF/state-media-profiles"
LAUNDROMAT_REPO = "https://github.com/ASD-at-GMF/disinfo-laundromat"
#: The publisher's definition of the Matrix's types, on which the seeded findings rest.
TYPOLOGY_SOURCE = Source(
    title="State Media Monitor: the State Media Matrix typology", url="https://statemediamonitor.com/typology/"
)

KIND_BY_TYPOLOGY: dict[str, Kind] = {
    "SC": "state_controlled_media",
    "CaPu": "state_affiliated_media",
    "CaPr": "state_affiliated_media",
}
TYPOLOGY_NAMES = {"SC": "state-controlled", "CaPu": "captured public", "CaPr": "captured private"}
#: The criteria each Matrix type asserts state control over.
CONTROLLED_CRITERIA = {
    "SC": ("ownership", "funding", "governance", "editorial_control"),
    "CaPu": ("editorial_control",),
    "CaPr": ("editorial_control",),
}
#: The laundromat list whose sites form one network, and that network's name.
NETWORKS = {"Viginum (Portal Kombat)": "Portal Kombat (Pravda network)"}
LAUNDROMAT_NOTES = {
    "RT Mirror/Repost": (
        "Listed by the Disinfo Laundromat as a site mirroring or re-posting RT. The category mixes RT's own mirror "
        "domains with third-party sites that re-published RT articles: establish which this is before approving."
    ),
    "Viginum (Portal Kombat)": (
        "Listed by the Disinfo Laundromat as part of the 'Portal Kombat' / Pravda network of pro-Russian sites "
        "documented by the French agency Viginum (2024). Add Viginum's report as a source for each finding."
    ),
    "Intel/Suspected": (
        "Listed by the Disinfo Laundromat as an outlet named by government reports as run by or for a state "
        "intelligence service; the list names no country. Add the report and the state before approving."
    ),
}


@dataclass(frozen=True)
class Upstream:
    """Where a reference list came from: repository, commit and its date (read from the list's provenance note)."""

    repository: str
    commit: str
    date: dt.date | None


@dataclass(frozen=True)
class Provenance:
    """The list seeded from: its file's SHA-256 and the two upstream commits."""

    sha256: str
    matrix: Upstream
    laundromat: Upstream

    @property
    def proposer(self) -> str:
        """Who proposed the seeded designations: the seed and the list version."""
        return f"overt seed (state_media list sha256:{self.sha256[:12]})"


def _upstream(note: str, repository: str) -> Upstream:
    name = repository.removeprefix("https://")
    match = re.search(re.escape(name) + r", commit ([0-9a-f]{40}) \((\d{4}-\d{2}-\d{2})\)", note)
    if match is None:
        return Upstream(repository, "", None)
    return Upstream(repository, match.group(1), dt.date.fromisoformat(match.group(2)))


def provenance(path: Path = STATE_MEDIA_CSV) -> Provenance:
    """The list's hash and upstream commits (from the ``.md`` beside it, else the shipped one's)."""
    note_path = path.with_suffix(".md")
    if not note_path.is_file():
        note_path = STATE_MEDIA_CSV.with_suffix(".md")
    try:
        note = note_path.read_text(encoding="utf-8")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise InputError(f"{error.filename}: cannot read: {error.strerror or error}") from error
    return Provenance(
        sha256=digest,
        matrix=_upstream(note, MATRIX_REPO),
        laundromat=_upstream(note, LAUNDROMAT_REPO),
    )


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                raise InputError(f"{path}: not a state-media list: missing column(s) {', '.join(missing)}")
            return [dict(row) for row in reader]
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from error


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens (``RT Español`` → ``rt-espanol``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


@dataclass
class _Entity:
    entity: str
    parent: str | None
    country: str | None
    typology: str
    sources: set[str] = field(default_factory=set)
    domains: list[str] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)


def _group(rows: Iterable[dict[str, str]]) -> list[_Entity]:
    entities: dict[tuple[str, ...], _Entity] = {}
    for row in rows:
        outlet, company = row["outlet"].strip(), row["company"].strip().rstrip("*").strip()
        country = countries.code_for(row["country"].split(";")[0]) if row["country"].strip() else None
        typology = row["typology"].strip()
        if outlet or company:
            key: tuple[str, ...] = ("matrix", outlet, company, row["country"])
            name, parent = outlet or company, company if company and company != outlet else None
        elif typology in NETWORKS:
            key, name, parent = ("network", typology), NETWORKS[typology], None
        else:
            key, name, parent = ("site", row["identifier"]), row["identifier"], None
        entity = entities.get(key)
        if entity is None:
            entity = entities[key] = _Entity(name, parent, country, typology)
        entity.sources.update(part.strip() for part in row["source"].split(";") if part.strip())
        if row["kind"] == "domain":
            entity.domains.append(row["identifier"])
        else:
            entity.accounts.append(Account(platform=row["platform"], handle=row["identifier"]))
    return list(entities.values())


def _evidence(entity: _Entity, matrix: Source) -> Evidence:
    controlled = CONTROLLED_CRITERIA.get(entity.typology, ())
    if not controlled:
        return Evidence()
    type_name = TYPOLOGY_NAMES[entity.typology]
    summary = (
        f"The State Media Matrix types {entity.entity} {entity.typology} ({type_name}); its typology defines that "
        "type by state control of this criterion. This is the list's classification, not our own finding: confirm "
        "it with primary sources (ownership registers, budgets, statutes, editorial appointments)."
    )
    found = CriterionEvidence(finding="indicates_state_control", summary=summary, sources=(matrix, TYPOLOGY_SOURCE))
    return Evidence(**{name: found for name in controlled})


def _designation(entity: _Entity, identifier: str, prov: Provenance) -> Designation:
    matrix = Source(
        title=f"State Media Matrix (ASD), commit {prov.matrix.commit[:7]}",
        url=f"{MATRIX_REPO}/blob/{prov.matrix.commit}/State_Media_Matrix.csv" if prov.matrix.commit else MATRIX_REPO,
        date=prov.matrix.date,
    )
    laundromat = Source(
        title=f"Disinfo Laundromat sites of concern (ASD), commit {prov.laundromat.commit[:7]}",
        url=f"{LAUNDROMAT_REPO}/tree/{prov.laundromat.commit}" if prov.laundromat.commit else LAUNDROMAT_REPO,
        date=prov.laundromat.date,
    )
    sources: list[Source] = []
    if "state_media_profiles" in entity.sources:
        sources += [matrix, TYPOLOGY_SOURCE]
    if any(source.startswith("disinfo_laundromat") for source in entity.sources):
        sources.append(laundromat)
    lists = sorted(entity.sources)
    notes = [f"Seeded from overt's state_media list (sha256 {prov.sha256[:12]}; {', '.join(lists)})."]
    if entity.typology in LAUNDROMAT_NOTES:
        notes.append(LAUNDROMAT_NOTES[entity.typology])
    else:
        notes.append(f"State Media Matrix typology: {entity.typology} ({TYPOLOGY_NAMES[entity.typology]}).")
        if entity.accounts:
            # The Matrix's social links are entered by hand; some name another account (RT's Twitter 'rt').
            notes.append("Its handles were entered by hand upstream: check each is the outlet's own before approving.")
    return Designation(
        id=identifier,
        kind=KIND_BY_TYPOLOGY.get(entity.typology, "state_affiliated_media"),
        entity=entity.entity,
        parent=entity.parent,
        country=entity.country,
        accounts=tuple(entity.accounts),
        domains=tuple(entity.domains),
        evidence=_evidence(entity, matrix),
        sources=tuple(sources),
        notes=" ".join(notes),
    )


def _identifiers(entities: list[_Entity]) -> list[str]:
    # Country and name make an id people can read; the parent, then a number, settle the few names two outlets share.
    base = [slug(f"{e.country or ''} {e.entity}") or "entity" for e in entities]
    counts = Counter(base)
    ids = [slug(f"{b} {e.parent}") if counts[b] > 1 and e.parent else b for b, e in zip(base, entities, strict=True)]
    seen: Counter[str] = Counter()
    unique = []
    for identifier in ids:
        seen[identifier] += 1
        unique.append(identifier if seen[identifier] == 1 else f"{identifier}-{seen[identifier]}")
    return unique


def seed_proposals(path: str | Path | None = None) -> list[Designation]:
    """Proposed designations from the state-media list at ``path`` (the shipped one by default), sorted by id."""
    file = Path(path) if path is not None else STATE_MEDIA_CSV
    rows = _read(file)
    prov = provenance(file)
    entities = _group(rows)
    found = [
        _designation(entity, identifier, prov)
        for entity, identifier in zip(entities, _identifiers(entities), strict=True)
    ]
    return sorted(found, key=lambda d: d.id)


def seed_reviews(path: str | Path | None = None) -> list[ReviewState]:
    """The seeded designations as open reviews: status ``proposed``, proposed by the seed (never approved)."""
    file = Path(path) if path is not None else STATE_MEDIA_CSV
    designations = seed_proposals(file)
    proposer = provenance(file).proposer
    reason = "seeded from the shipped state-media reference list; awaiting review"
    return [propose(designation, proposer=proposer, reason=reason) for designation in designations]


@dataclass(frozen=True)
class SeedSummary:
    """What a seeding produced: counts by kind and country, and how many are not yet complete enough to approve."""

    total: int
    by_kind: dict[str, int]
    by_country: dict[str, int]
    incomplete: int
    incomplete_by_kind: dict[str, int]
    gaps: dict[str, int]  # gap message → how many designations have it

    def render(self) -> str:
        lines = [f"{self.total} proposed designations"]
        lines += [f"  {kind}: {count}" for kind, count in self.by_kind.items()]
        lines.append(f"not complete enough to approve as seeded: {self.incomplete}")
        lines += [f"  {kind}: {count}" for kind, count in self.incomplete_by_kind.items()]
        lines.append("gaps:")
        lines += [f"  {count:5d}  {gap}" for gap, count in self.gaps.items()]
        top = ", ".join(f"{country} {count}" for country, count in list(self.by_country.items())[:10])
        lines.append(f"countries: {len(self.by_country)} (most: {top})")
        return "\n".join(lines)


def summarise(designations: Iterable[Designation]) -> SeedSummary:
    """Counts over seeded (or any) designations, largest first."""
    items = list(designations)
    by_kind: Counter[str] = Counter(d.kind for d in items)
    by_country: Counter[str] = Counter(d.country or "(none)" for d in items)
    incomplete_by_kind: Counter[str] = Counter()
    gaps: Counter[str] = Counter()
    for designation in items:
        found = approval_gaps(designation)
        if found:
            incomplete_by_kind[designation.kind] += 1
        gaps.update({str(gap) for gap in found})
    return SeedSummary(
        total=len(items),
        by_kind=dict(by_kind.most_common()),
        by_country=dict(by_country.most_common()),
        incomplete=sum(incomplete_by_kind.values()),
        incomplete_by_kind=dict(incomplete_by_kind.most_common()),
        gaps=dict(gaps.most_common()),
    )


def entities_by_identifier(designations: Iterable[Designation]) -> dict[str, list[str]]:
    """Which designation ids list a domain or ``platform:handle`` (more than one id means a conflict to resolve)."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    for designation in designations:
        for domain in designation.domains:
            found[domain].append(designation.id)
        for account in designation.accounts:
            found[f"{account.platform}:{account.handle or account.account_id}"].append(designation.id)
    return dict(found)
