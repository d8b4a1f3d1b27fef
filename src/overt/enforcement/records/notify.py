"""What a decision sends out: a notice to each account acted on, and a DSA statement of reasons for each.

Both are made in the decision's transaction (:func:`overt.enforcement.records.decisions.decide` calls the makers
returned by :func:`makers`). A notice goes to the account in its language where a template exists (English
otherwise, and it says so), with the clause, the facts, how the matter was detected, whether a state actor was
involved, and how and until when to appeal. A statement is made when the account's actions reach an EEA country;
it is validated before anything is stored, so a decision whose facts would leak personal data into the public
database is refused before it acts. Notice texts and statements are kept in their tables; the audit log chains
their hashes (a notice names the account it goes to, so its text is personal data).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from overt.enforcement import audit
from overt.enforcement.actions import combine_dsa_fields
from overt.enforcement.canonical import canonical_json, content_hash
from overt.enforcement.models import Action, Decision, Notice, Statement
from overt.enforcement.notices import NoticeFacts, render_notice
from overt.enforcement.policies import Policy
from overt.enforcement.records.decisions import DecisionError, Facts, NoticeMaker, Order, StatementMaker
from overt.enforcement.statements import DecisionFacts, policy_fields, statement_from, validate


@dataclass(frozen=True)
class Settings:
    """The platform's particulars that go into notices and statements."""

    platform: str = "overt"
    #: Where users appeal (a web address or an e-mail address), as notices print it.
    appeal_contact: str = "reply to this notice, or use the appeal form in your account settings"
    #: Secret key for PUIDs (so that nobody can test guessed account ids against published statements).
    puid_key: str | None = None
    #: The public page of the policies, for the statements' decision_ground_reference_url.
    policy_url: str | None = None

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            platform=os.environ.get("OVERT_PLATFORM", cls.platform),
            appeal_contact=os.environ.get("OVERT_APPEAL_CONTACT", cls.appeal_contact),
            puid_key=os.environ.get("OVERT_PUID_KEY") or None,
            policy_url=os.environ.get("OVERT_POLICY_URL") or None,
        )


def _by_account(orders: Sequence[Order]) -> dict[str, list[Order]]:
    grouped: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        if order.subject_kind == "account":
            grouped[order.subject_id].append(order)
    return grouped


def makers(settings: Settings, *, origin: str | None = None) -> tuple[NoticeMaker, StatementMaker]:
    """The notice and statement makers for :func:`~overt.enforcement.records.decisions.decide`."""

    def notices(
        session: Session, decision: Decision, policy: Policy, orders: Sequence[Order], facts: Facts
    ) -> list[Notice]:
        clause = policy.clause(decision.clause)
        today = datetime.now(UTC).date()
        made = []
        for account_id, own in _by_account(orders).items():
            first = own[0]
            notice_facts = NoticeFacts(
                decision_id=str(decision.id),
                recipient_handle=first.handle or account_id,
                notice_date=today,
                policy_id=policy.id,
                policy_version=policy.version,
                policy_title=policy.title,
                clause_id=decision.clause,
                clause_text=clause.text if clause is not None else policy.summary,
                facts=facts.text,
                actions=tuple(order.spec for order in own),
                home_market=first.home_market,
                detection_source=cast(Any, facts.detection_source),
                automated_detection=facts.automated_detection,
                automated_decision=facts.automated_decision,
                state_actor=facts.state_actor,
                state_actor_origin=origin if facts.state_actor else None,
                network_accounts=facts.network_size if facts.network_size and facts.network_size > 1 else None,
                appeal_contact=settings.appeal_contact,
            )
            notice = render_notice(notice_facts, first.language or "en")
            row = Notice(
                decision_id=decision.id,
                account_id=account_id,
                language=notice.language,
                subject=notice.subject,
                body=notice.body,
                created_at=audit.now(),
                appeal_until=notice.appeal_deadline.isoformat(),
            )
            session.add(row)
            session.flush()
            audit.record(
                session,
                actor="overt",
                action="notice.create",
                subject_kind="notice",
                subject_id=str(row.id),
                reason=f"notice of decision {decision.id}",
                after=f"notices:{row.id}@{content_hash({'subject': notice.subject, 'body': notice.body})}",
                payload={
                    "notice": row.id,
                    "decision": decision.id,
                    "language": notice.language,
                    "fallback": notice.language_fallback,
                    "appeal_until": row.appeal_until,
                },
            )
            made.append(row)
        return made

    def statements(
        session: Session,
        decision: Decision,
        policy: Policy,
        orders: Sequence[Order],
        taken: Sequence[Action],
        facts: Facts,
    ) -> list[Statement]:
        by_account: dict[str, list[Action]] = defaultdict(list)
        for action in taken:
            if action.subject_kind == "account":
                by_account[action.subject_id].append(action)
        languages = {order.subject_id: order.language for order in orders}
        applied = datetime.now(UTC).date()
        made = []
        problems: list[str] = []
        for account_id, own in by_account.items():
            fields = combine_dsa_fields([json.loads(action.dsa) for action in own])
            grounds = policy_fields(policy, decision.clause)
            decision_facts = DecisionFacts(
                platform=settings.platform,
                decision_id=str(decision.id),
                subject_id=account_id,
                **grounds,
                # The database requires words for KEYWORD_OTHER; policies classify some clauses so (state media
                # labels, political accounts) without saying more, and the policy's title is what the keyword means.
                keyword_other=f"{policy.title} ({policy.id}#{decision.clause})"
                if "KEYWORD_OTHER" in grounds["keywords"]
                else None,
                explanation=facts.text,
                reference_url=settings.policy_url,
                content_types=facts.content_type,
                content_language=languages.get(account_id),
                content_date=facts.content_date or applied,
                application_date=applied,
                facts=facts.text,
                detection_source=cast(Any, facts.detection_source),
                automated_detection=facts.automated_detection,
                automated_decision=facts.automated_decision,
            )
            key = settings.puid_key.encode("utf-8") if settings.puid_key else None
            built = statement_from(decision_facts, fields, puid_key=key)
            if built.statement is None:
                continue
            found = validate(built.statement)
            if found:
                problems += [f"{account_id}: {problem}" for problem in found]
                continue
            row = Statement(
                puid=built.statement["puid"],
                decision_id=decision.id,
                account_id=account_id,
                payload=canonical_json(built.statement),
                created_at=audit.now(),
            )
            session.add(row)
            made.append(row)
        if problems:
            raise DecisionError(
                "the decision's statements of reasons would not validate (fix the facts and decide again):\n  "
                + "\n  ".join(problems[:20])
            )
        if made:
            audit.record(
                session,
                actor="overt",
                action="statement.create",
                subject_kind="decision",
                subject_id=str(decision.id),
                reason=f"{len(made)} statement(s) of reasons for decision {decision.id}",
                payload={
                    "decision": decision.id,
                    "statements": len(made),
                    "puids_hash": content_hash(sorted(r.puid for r in made)),
                },
            )
        return made

    return notices, statements
