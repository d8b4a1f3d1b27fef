"""Policies: versioned YAML documents with clauses, allowed actions, DSA classification and market variants.

- :mod:`.model`: the document (:class:`Policy`, :class:`Clause`, :class:`Variant`, ...) and its checks;
- :mod:`.load`: loading files and folders with every problem located (:func:`load_policies`, :func:`load_defaults`);
- :mod:`.resolve`: the policy as it holds in a market on a day (:func:`effective`, :class:`Event`);
- :mod:`.diff`: canonical JSON, content hash, YAML and readable diffs for storage and review.

The default set in ``defaults/`` is written for overt, in our own words.
"""

from overt.enforcement.policies.diff import canonical_json, content_hash, diff, summary, to_yaml
from overt.enforcement.policies.load import (
    DEFAULTS_DIR,
    check_document,
    load_defaults,
    load_policies,
    load_policy_documents,
    parse_policy,
    policy_files,
)
from overt.enforcement.policies.model import (
    SEVERITIES,
    Changes,
    Clause,
    DsaClassification,
    Policy,
    Variant,
    Window,
)
from overt.enforcement.policies.resolve import EffectivePolicy, Event, effective

__all__ = [
    "DEFAULTS_DIR",
    "SEVERITIES",
    "Changes",
    "Clause",
    "DsaClassification",
    "EffectivePolicy",
    "Event",
    "Policy",
    "Variant",
    "Window",
    "canonical_json",
    "check_document",
    "content_hash",
    "diff",
    "effective",
    "load_defaults",
    "load_policies",
    "load_policy_documents",
    "parse_policy",
    "policy_files",
    "summary",
    "to_yaml",
]
