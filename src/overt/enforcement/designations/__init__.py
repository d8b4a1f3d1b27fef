"""State-affiliation designations: the record, its review, and proposals seeded from the state-media list.

A designation says that an entity is state-affiliated media, state-controlled media or a government account, so
that its accounts and domains carry a public label. Storage-free: the service stores the records and review states
as JSON and writes every review step to the audit log.

- :mod:`.model`: :class:`Designation` (well-formed), :func:`approval_gaps` (complete enough to approve).
- :mod:`.history`: :func:`canonical_json`, :func:`content_hash`, :func:`diff` (the version history).
- :mod:`.loading`: designations from YAML, every problem located at its line.
- :mod:`.workflow`: propose, approve (two people, neither the proposer), reject, withdraw, revise, appeal.
- :mod:`.seed`: proposals from ``overt/signals/data/state_media.csv``; never approved automatically.
"""

from overt.enforcement.designations.errors import DesignationError
from overt.enforcement.designations.history import Change, canonical_json, content_hash, diff
from overt.enforcement.designations.loading import load_designations, parse_designations
from overt.enforcement.designations.model import (
    CRITERIA,
    DEFAULT_APPEAL_ROUTE,
    DEFAULT_LABELS,
    FINDINGS,
    KINDS,
    Account,
    CriterionEvidence,
    Designation,
    Evidence,
    Gap,
    Source,
    approval_gaps,
)
from overt.enforcement.designations.seed import SeedSummary, seed_proposals, seed_reviews, summarise
from overt.enforcement.designations.workflow import (
    Appeal,
    Approval,
    ReviewState,
    Version,
    appeal,
    approve,
    decide_appeal,
    propose,
    reject,
    revise,
    withdraw,
)

__all__ = [
    "CRITERIA",
    "DEFAULT_APPEAL_ROUTE",
    "DEFAULT_LABELS",
    "FINDINGS",
    "KINDS",
    "Account",
    "Appeal",
    "Approval",
    "Change",
    "CriterionEvidence",
    "Designation",
    "DesignationError",
    "Evidence",
    "Gap",
    "ReviewState",
    "SeedSummary",
    "Source",
    "Version",
    "appeal",
    "approval_gaps",
    "approve",
    "canonical_json",
    "content_hash",
    "decide_appeal",
    "diff",
    "load_designations",
    "parse_designations",
    "propose",
    "reject",
    "revise",
    "seed_proposals",
    "seed_reviews",
    "summarise",
    "withdraw",
]
