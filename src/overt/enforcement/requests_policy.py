"""The policy check of a sensitive request: which asks conflict with which clauses, and who must sign off.

A government body, a party or anyone else with power over a platform may ask it to create or verify an account,
hide or remove a label, demote or boost a topic, remove content or hand over data. :func:`assess` reads such a
request (:class:`RequestFacts`) against the policies in force and returns an :class:`Assessment` for the reviewers:

- **conflicts**: each ask that our policies forbid us to grant, with the clause it conflicts with
  (``policy#clause``, its text for the reply, and why). Any conflict makes the recommendation "decline".
- **irregularities**: how the request reached us, when that was outside the formal channels (informally, or passed
  on by one of our staff). Not a reason to decline, but recorded and escalated, because an informal route is how
  pressure avoids the record.
- **notes**: what reviewers must check (a missing legal basis, concealment language in the description).
- **escalation** and the **sign-off rule** (:class:`SignOffRule`), as data the case workflow enforces.

The rules, and why (the shipped default policies, ``policies/defaults/*.yaml``, hold every clause cited):

=========================================  ====================================================================
ask (and condition)                        conflicts with
=========================================  ====================================================================
conceal_affiliation                        concealed_state_affiliation#hidden_operator; for government and
                                           political requesters also government_and_political_accounts#
                                           account_label and sensitive_requests#no_special_treatment
remove_affiliation_label                   state_affiliated_media#disclosure_label and
                                           government_and_political_accounts#account_label (labels come off
                                           only through a designation review, never on request); for
                                           government and political requesters also #no_special_treatment
create_account by a government requester   concealed_state_affiliation#hidden_operator
whose description asks that the account
not be seen as theirs (the founding story)
create_account, same, political requester  government_and_political_accounts#account_label
demote_topic / boost_topic, unless the     sensitive_requests#no_silent_restriction
request accepts public disclosure (and
its description does not ask for quiet)
=========================================  ====================================================================

Concealment language is found by phrases in English, German, French, Spanish, Russian and Chinese
(:data:`CONCEALMENT_PHRASES`), matched case- and accent-insensitively. It is a signal for reviewers, not proof:
every request is read by two people before anything is decided.

**Escalation** (to legal and policy, two sign-offs by different people, one with role "legal" and one with role
"policy_lead"): every request from a government; every request from a political requester (parties, candidates and
office holders: their requests are about political speech, which ``sensitive_requests#escalation`` names); every
request that came through an informal channel or via an employee; every topic demotion or boost (it changes what
everyone sees on a subject); and every request whose description mentions elections or journalists (named by the
same clause). Other requests still need two sign-offs by different people (the policy's summary: "reviewed by more
than one person"), with no role required.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from overt.enforcement import markets
from overt.enforcement.policies.model import Policy

RequesterKind = Literal["government", "political", "other"]
Channel = Literal["legal_order", "informal", "via_employee", "other"]
Ask = Literal[
    "create_account",
    "verify_account",
    "conceal_affiliation",
    "remove_affiliation_label",
    "demote_topic",
    "boost_topic",
    "remove_content",
    "access_data",
    "other",
]
Recommendation = Literal["decline", "review"]

REQUESTER_KINDS: tuple[str, ...] = ("government", "political", "other")
CHANNELS: tuple[str, ...] = ("legal_order", "informal", "via_employee", "other")
ASKS: tuple[str, ...] = (
    "create_account",
    "verify_account",
    "conceal_affiliation",
    "remove_affiliation_label",
    "demote_topic",
    "boost_topic",
    "remove_content",
    "access_data",
    "other",
)
IRREGULAR_CHANNELS = frozenset({"informal", "via_employee"})
#: Roles of the escalation's two sign-offs (the service's roles: analyst, reviewer, policy lead, legal, admin).
ESCALATION_ROLES: tuple[str, ...] = ("legal", "policy_lead")
SIGN_OFFS = 2

# -- what a request says ------------------------------------------------------------------------------------------


class RequestFacts(BaseModel):
    """A sensitive request as received: who asked (an entity, never a private person's data), how, and for what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requester_kind: RequesterKind
    #: The requesting body as it names itself ("Ministry of Culture and Tourism").
    entity_name: str = Field(min_length=1)
    #: ISO 3166-1 alpha-2 code of the requester's country.
    country: str
    channel: Channel
    asks: tuple[Ask, ...] = Field(min_length=1)
    #: The law or order the request invokes (None: none given).
    legal_basis: str | None = None
    #: The request in the requester's words (or a faithful summary), in any language.
    description: str = ""
    #: Whether the request accepts that what we do is disclosed: to the account holders affected and in our
    #: transparency report. A topic demotion or boost without it is a silent visibility change.
    public_disclosure: bool = False

    @field_validator("country")
    @classmethod
    def _a_country(cls, value: str) -> str:
        problem = markets.check(value)
        if problem is None and not markets.is_country(value):
            problem = f"'{value}' is a region; a requester's country is one ISO 3166-1 alpha-2 code"
        if problem:
            raise PydanticCustomError("country", problem)
        return value

    @field_validator("asks")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # An ask listed twice would be counted twice in the transparency report.
        return tuple(dict.fromkeys(value))

    @field_validator("legal_basis")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


# -- what the check finds -----------------------------------------------------------------------------------------


class Conflict(BaseModel):
    """One ask that a policy clause forbids us to grant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ask: Ask
    #: ``policy_id#clause_id``.
    policy: str
    why: str
    policy_title: str
    policy_version: int
    #: The clause as users read it (quoted in the reply to the requester).
    clause_text: str

    def payload(self) -> dict[str, str]:
        """The conflict as the audit events record it: ``{ask, policy, why}``."""
        return {"ask": self.ask, "policy": self.policy, "why": self.why}


class Finding(BaseModel):
    """An irregularity or a note for reviewers: a kind, the reason in words, and the clause it rests on if any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    why: str
    policy: str | None = None


@dataclass(frozen=True)
class SignOff:
    """One person's sign-off on a request's decision: who (a staff account id) in which role."""

    person: str
    role: str


class SignOffRule(BaseModel):
    """How many sign-offs a decision needs, by distinct people, and which roles must be among them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = SIGN_OFFS
    distinct_people: bool = True
    #: Each role must be held by a different one of the signers.
    roles: tuple[str, ...] = ()

    def problems(self, sign_offs: Sequence[SignOff]) -> list[str]:
        """What is missing from ``sign_offs`` for a decision to be made; an empty list when they suffice."""
        out: list[str] = []
        people = {s.person for s in sign_offs}
        counted = len(people) if self.distinct_people else len(sign_offs)
        if counted < self.count:
            who = "different people" if self.distinct_people else "sign-offs"
            out.append(f"needs {self.count} sign-offs by {who}, has {counted}")
        if not _roles_covered(self.roles, sign_offs):
            out.append(
                f"needs sign-offs in the roles {', '.join(self.roles)}, each by a different person "
                f"(has: {', '.join(sorted({s.role for s in sign_offs})) or 'none'})"
            )
        return out


def _roles_covered(roles: Sequence[str], sign_offs: Sequence[SignOff]) -> bool:
    # Each required role by a different person: a small matching, tried exhaustively (a handful of signers).
    def assign(index: int, used: frozenset[str]) -> bool:
        if index == len(roles):
            return True
        return any(
            s.role == roles[index] and s.person not in used and assign(index + 1, used | {s.person}) for s in sign_offs
        )

    return assign(0, frozenset())


class Assessment(BaseModel):
    """What :func:`assess` found, for the reviewers and for the ``request.receive`` audit event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conflicts: tuple[Conflict, ...]
    irregularities: tuple[Finding, ...]
    notes: tuple[Finding, ...]
    #: Phrases of the description that ask for concealment (as matched, normalised).
    concealment_language: tuple[str, ...]
    recommendation: Recommendation
    escalate: bool
    #: Teams the request goes to (empty when not escalated).
    escalate_to: tuple[str, ...]
    escalation_reasons: tuple[str, ...]
    sign_offs: SignOffRule

    def conflicts_payload(self) -> list[dict[str, str]]:
        """The ``conflicts`` list of the ``request.receive`` and ``request.decide`` payloads."""
        return [c.payload() for c in self.conflicts]

    def declined_asks(self) -> tuple[str, ...]:
        """The asks that conflict with a policy, in the order of the conflicts."""
        return tuple(dict.fromkeys(c.ask for c in self.conflicts))

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class PolicyGapError(ValueError):
    """A rule needs a clause that none of the policies given contains: the check cannot cite what it found."""


# -- phrases ------------------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, accents of Latin letters removed, whitespace collapsed: how descriptions and phrases are compared.

    Only Latin letters lose their marks ("é" is "e"): in Cyrillic "й" is a letter of its own, not "и" with an accent.
    """
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", text):
        if not unicodedata.combining(ch):
            base = ch
        elif ord(base) < 0x250:  # Latin (Basic, Supplement, Extended-A and -B)
            continue
        kept.append(ch)
    bare = unicodedata.normalize("NFC", "".join(kept))
    return re.sub(r"\s+", " ", bare.casefold()).strip()


#: Phrases that ask for an account or a change not to be seen for what it is, as regular expressions over the
#: normalised description, by language. "Not be seen" is the founding story's wording.
CONCEALMENT_PHRASES: Mapping[str, tuple[str, ...]] = {
    "en": (
        r"\bnot (?:be )?(?:seen|recogni[sz]ed|identified|identifiable|known|visible|perceived) as\b",
        r"\bnot be seen\b",
        r"\banonymous(?:ly)?\b",
        r"\bwithout (?:any )?(?:disclosure|disclosing|attribution|a label|labels?|our name)\b",
        r"\bundisclosed\b",
        r"\bnot (?:be )?(?:disclosed|labell?ed|attributed)\b",
        r"\bno (?:visible )?(?:link|connection|affiliation) (?:to|with)\b",
        r"\bcovert(?:ly)?\b",
        r"\bunofficial(?:ly)?\b",
        r"\bunbranded\b",
    ),
    "de": (
        r"\bnicht als .{0,60}(?:erkennbar|erkannt|wahrgenommen|gesehen)\b",
        r"\bnicht (?:erkennbar|zuordenbar|zuzuordnen)\b",
        r"\banonym\w*",
        r"\bohne (?:offenlegung|kennzeichnung|hinweis auf|absender)\b",
        r"\bverdeckt\w*",
        r"\bnicht offengelegt\b",
        r"\binoffiziell\w*",
    ),
    "fr": (
        r"\bne (?:soit|sera|serait) pas (?:vu|percu|identifie|reconnu)e?s? comme\b",
        r"\bpas (?:identifiable|reconnaissable)s? comme\b",
        r"\banonyme(?:s|ment)?\b",
        r"\bsans (?:divulgation|mention|indication|etiquette|label)\b",
        r"\bnon (?:divulgue|declare|signale)e?s?\b",
        r"\bdissimul\w*",
        r"\bofficieu\w*",
    ),
    "es": (
        r"\bno (?:se )?(?:vea|sea visto|sea vista|sea percibid[oa]|sea identificad[oa]|sea reconocid[oa]) como\b",
        r"\banonim[oa]s?\b",
        r"\banonimamente\b",
        r"\bsin (?:revelar|divulgar|divulgacion|etiqueta|identificar|mencionar)\b",
        r"\bno (?:revelad|divulgad|declarad)[oa]s?\b",
        r"\bencubiert[oa]s?\b",
        r"\bextraoficial\w*",
    ),
    "ru": (
        r"анонимн\w*",
        r"не (?:будет |было )?(?:видно|видна|видн\w*|заметн\w*|узнава\w*)",
        r"без (?:указания|раскрытия|маркировки|метки)",
        r"\bскрыт\w*",  # not "раскрыт" (disclosed)
        r"неофициальн\w*",
    ),
    "zh": (
        r"匿名",
        r"不(?:会|要)?被(?:看作|视为|认为|看成|识别为|认出)",
        r"不(?:显示|公开|披露|标注|标明)",
        r"非官方",
        r"隐藏",
    ),
}

#: Phrases asking for a change to happen quietly (a visibility change nobody is told about).
QUIET_PHRASES: Mapping[str, tuple[str, ...]] = {
    "en": (r"\bquiet(?:ly)?\b", r"\bsilent(?:ly)?\b", r"\bdiscreet(?:ly)?\b", r"\bwithout (?:telling|notic\w*)"),
    "de": (r"\bstillschweigend\b", r"\bunauffallig\b", r"\bdiskret\b", r"\bohne (?:benachrichtigung|mitteilung)"),
    "fr": (r"\bdiscretement\b", r"\ben silence\b", r"\bsans (?:prevenir|avertir|notification)"),
    "es": (r"\bdiscretamente\b", r"\bsilenciosamente\b", r"\bsin (?:avisar|notificar|notificacion)"),
    "ru": (r"незаметно", r"тихо", r"без уведомления"),
    "zh": (r"悄悄", r"低调", r"不通知"),
}

#: Subjects ``sensitive_requests#escalation`` names: elections and journalists.
ESCALATION_SUBJECT_PHRASES: Mapping[str, tuple[str, ...]] = {
    "en": (r"\belection\w*", r"\breferend\w*", r"\bjournalis\w*", r"\breporter\w*"),
    "de": (r"\bwahl(?:en|kampf)?\b", r"\bjournalist\w*", r"\breferend\w*"),
    "fr": (r"\belection\w*", r"\bjournalist\w*", r"\breferend\w*"),
    "es": (r"\belecci\w*", r"\bperiodist\w*", r"\breferend\w*"),
    "ru": (r"выбор\w*", r"журналист\w*"),
    "zh": (r"选举", r"记者"),
}


def find_phrases(text: str, phrases: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """The passages of ``text`` (normalised) that match any of ``phrases``, in order of appearance, each once.

    A match inside a longer one ("not be seen" inside "not be seen as") is left out: reviewers read each passage once.
    """
    plain = normalise(text)
    spans: list[tuple[int, int]] = []
    for patterns in phrases.values():
        for pattern in patterns:
            spans += [m.span() for m in re.finditer(pattern, plain)]
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if not any(s <= start and end <= e for s, e in kept):
            kept.append((start, end))
    return tuple(dict.fromkeys(plain[start:end] for start, end in kept))


# -- the check ----------------------------------------------------------------------------------------------------


class _Citer:
    """Builds conflicts from the policies given, citing only clauses that exist there."""

    def __init__(self, policies: Mapping[str, Policy]) -> None:
        self.policies = policies

    def has(self, cite: str) -> bool:
        policy_id, _, clause_id = cite.partition("#")
        policy = self.policies.get(policy_id)
        return policy is not None and policy.clause(clause_id) is not None

    def conflicts(self, ask: Ask, cites: Sequence[tuple[str, str]]) -> list[Conflict]:
        """A conflict for each ``(cite, why)`` whose clause exists; :class:`PolicyGapError` when none does."""
        out: list[Conflict] = []
        for cite, why in cites:
            policy_id, _, clause_id = cite.partition("#")
            policy = self.policies.get(policy_id)
            clause = policy.clause(clause_id) if policy else None
            if policy is None or clause is None:
                continue
            out.append(
                Conflict(
                    ask=ask,
                    policy=cite,
                    why=why,
                    policy_title=policy.title,
                    policy_version=policy.version,
                    clause_text=" ".join(clause.text.split()),
                )
            )
        if not out:
            needed = ", ".join(cite for cite, _ in cites)
            raise PolicyGapError(
                f"the ask '{ask}' conflicts with policy, but none of the clauses that say so is among the policies "
                f"given ({needed}); load the default policies or add an equivalent clause"
            )
        return out


def assess(request: RequestFacts, policies: Mapping[str, Policy]) -> Assessment:
    """Check ``request`` against ``policies`` (by policy id, the versions in force when it was received)."""
    cite = _Citer(policies)
    kind = request.requester_kind
    powerful = kind in ("government", "political")
    concealment = find_phrases(request.description, CONCEALMENT_PHRASES)
    quiet = find_phrases(request.description, QUIET_PHRASES)
    conflicts: list[Conflict] = []
    notes: list[Finding] = []

    special = (
        "sensitive_requests#no_special_treatment",
        f"a {kind} requester may not have its accounts treated more favourably than our policies allow anyone",
    )
    for ask in request.asks:
        if ask == "conceal_affiliation":
            cites = [
                (
                    "concealed_state_affiliation#hidden_operator",
                    "the request asks us to hide who runs or directs an account",
                )
            ]
            if powerful:
                cites.append(
                    (
                        "government_and_political_accounts#account_label",
                        f"accounts of a {kind} body we have designated carry a label saying what they are",
                    )
                )
                cites.append(special)
            conflicts += cite.conflicts(ask, cites)
        elif ask == "remove_affiliation_label":
            cites = [
                (
                    "state_affiliated_media#disclosure_label",
                    "labels come off only through a designation review (state_affiliated_media#designation_review), "
                    "never on request",
                ),
                (
                    "government_and_political_accounts#account_label",
                    "a designated government or political account keeps its label while the designation stands",
                ),
            ]
            if powerful:
                cites.append(special)
            conflicts += cite.conflicts(ask, cites)
        elif ask == "create_account" and concealment and kind == "government":
            conflicts += cite.conflicts(
                ask,
                [
                    (
                        "concealed_state_affiliation#hidden_operator",
                        "a state body asks for an account that would not be seen as its own "
                        f"(the request says: {'; '.join(concealment)})",
                    )
                ],
            )
        elif ask == "create_account" and concealment and kind == "political":
            conflicts += cite.conflicts(
                ask,
                [
                    (
                        "government_and_political_accounts#account_label",
                        "a political requester asks for an account that would not be seen as its own "
                        f"(the request says: {'; '.join(concealment)})",
                    )
                ],
            )
        elif ask in ("demote_topic", "boost_topic") and (not request.public_disclosure or quiet):
            change = "demotion" if ask == "demote_topic" else "boost"
            how = f"asks for it quietly ({'; '.join(quiet)})" if quiet else "does not accept public disclosure"
            conflicts += cite.conflicts(
                ask,
                [
                    (
                        "sensitive_requests#no_silent_restriction",
                        f"an undisclosed visibility change: the request for a topic {change} {how}, and we never "
                        "change what people see at anyone's request without telling those affected",
                    )
                ],
            )

    if concealment and not any(c.ask == "create_account" for c in conflicts):
        notes.append(
            Finding(
                kind="concealment_language",
                why=f"the description asks for concealment ({'; '.join(concealment)}): check every ask against "
                "concealed_state_affiliation before granting anything",
            )
        )
    restricting = {"remove_content", "demote_topic", "access_data"} & set(request.asks)
    if restricting and request.legal_basis is None:
        notes.append(
            Finding(
                kind="no_legal_basis",
                why=f"the request ({', '.join(sorted(restricting))}) names no law: we act only where the content "
                "breaks one of our policies, or after checking a named law ourselves",
                policy="sensitive_requests#legal_basis" if cite.has("sensitive_requests#legal_basis") else None,
            )
        )
    if request.legal_basis is not None:
        notes.append(
            Finding(
                kind="check_legal_basis",
                why=f"legal basis given ({request.legal_basis}): legal checks that it applies, and any restriction "
                "for illegality is limited to the country where the law applies",
                policy="sensitive_requests#local_scope" if cite.has("sensitive_requests#local_scope") else None,
            )
        )

    irregularities = _irregularities(request, cite)
    reasons = _escalation_reasons(request, irregular=bool(irregularities))
    escalate = bool(reasons)
    rule = SignOffRule(roles=ESCALATION_ROLES if escalate else ())
    return Assessment(
        conflicts=tuple(conflicts),
        irregularities=tuple(irregularities),
        notes=tuple(notes),
        concealment_language=concealment,
        recommendation="decline" if conflicts else "review",
        escalate=escalate,
        escalate_to=ESCALATION_ROLES if escalate else (),
        escalation_reasons=tuple(reasons),
        sign_offs=rule,
    )


#: A clause on formal channels the shipped defaults lack; cited when a policy version adds it (sensitive_requests v2).
FORMAL_CHANNELS_CLAUSE = "sensitive_requests#formal_channels"


def _irregularities(request: RequestFacts, cite: _Citer) -> list[Finding]:
    clause = FORMAL_CHANNELS_CLAUSE if cite.has(FORMAL_CHANNELS_CLAUSE) else None
    if request.channel == "via_employee":
        return [
            Finding(
                kind="via_employee",
                why="the request was passed on by one of our staff rather than sent through our channels for "
                "requests: it is recorded like any other, and that staff member takes no part in deciding it",
                policy=clause,
            )
        ]
    if request.channel == "informal":
        return [
            Finding(
                kind="informal_channel",
                why="the request came informally rather than through our channels for requests: it is recorded and "
                "decided like any other, and the reply asks the requester to use the formal channel",
                policy=clause,
            )
        ]
    return []


def _escalation_reasons(request: RequestFacts, *, irregular: bool) -> list[str]:
    reasons: list[str] = []
    if request.requester_kind == "government":
        reasons.append("every government request goes to legal and policy (sensitive_requests#escalation)")
    if request.requester_kind == "political":
        reasons.append("a political requester's request concerns political speech (sensitive_requests#escalation)")
    if irregular:
        reasons.append(f"the request came through an irregular channel ({request.channel})")
    if {"demote_topic", "boost_topic"} & set(request.asks):
        reasons.append("a topic demotion or boost changes what everyone sees on a subject")
    subjects = find_phrases(request.description, ESCALATION_SUBJECT_PHRASES)
    if subjects:
        reasons.append(
            f"the request concerns elections or journalists ({'; '.join(subjects)}) (sensitive_requests#escalation)"
        )
    return reasons
