"""Canonical forms of a policy for storage and review: JSON with a stable key order, its hash, YAML, and diffs.

The canonical JSON (keys sorted, no spaces, UTF-8) is what the store keeps and what the audit log chains through
:func:`content_hash` (sha256, hex). Two documents that differ only in layout, comments or key order have the same
canonical form and hash. :func:`diff` shows a reviewer what a new version changes: a one-line summary, then a
unified diff of the canonical YAML (fields in document order, empty optional fields left out).
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from overt.enforcement import canonical
from overt.enforcement.policies.model import Clause, Policy, Variant


def canonical_json(policy: Policy) -> str:
    return canonical.canonical_json(policy.to_json())


def content_hash(policy: Policy) -> str:
    """sha256 of the canonical JSON, as 64 hex digits."""
    return canonical.content_hash(policy.to_json())


class _Dumper(yaml.SafeDumper):
    """Block style, long lines kept whole, multi-line text as ``|`` blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value


def to_yaml(policy: Policy) -> str:
    """The policy as readable YAML (document field order, empty optional fields left out)."""
    # Python values, not JSON ones, so that dates stay YAML dates (2025-07-01, not '2025-07-01').
    data = _lists(policy.model_dump(exclude_none=True, exclude_defaults=True))
    ordered = {key: data[key] for key in Policy.model_fields if key in data}
    return yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def _changed(old: dict[str, Clause] | dict[str, Variant], new: dict[str, Clause] | dict[str, Variant]) -> list[str]:
    return [key for key in new if key in old and old[key] != new[key]]


def _part(noun: str, added: list[str], removed: list[str], changed: list[str]) -> str | None:
    pieces = [
        f"{len(ids)} {label} ({', '.join(ids)})"
        for label, ids in (("added", added), ("removed", removed), ("changed", changed))
        if ids
    ]
    if not pieces:
        return None
    plural = noun if len(added) + len(removed) + len(changed) == 1 else noun + "s"
    return f"{plural}: " + ", ".join(pieces)


def summary(old: Policy, new: Policy) -> str:
    """One line: the clauses and variants added, removed and changed, and the other fields that changed."""
    head = f"{new.id} v{old.version} -> v{new.version}" if old.id == new.id else f"{old.id} v{old.version} -> {new.id}"
    parts: list[str] = []
    old_clauses = {c.id: c for c in old.clauses}
    new_clauses = {c.id: c for c in new.clauses}
    old_variants = {v.id: v for v in old.variants}
    new_variants = {v.id: v for v in new.variants}
    for noun, before, after in (
        ("clause", old_clauses, new_clauses),
        ("variant", old_variants, new_variants),
    ):
        added = [key for key in after if key not in before]
        removed = [key for key in before if key not in after]
        part = _part(noun, added, removed, _changed(before, after))
        if part:
            parts.append(part)
    gained = [a for a in new.allowed_actions if a not in old.allowed_actions]
    lost = [a for a in old.allowed_actions if a not in new.allowed_actions]
    if gained or lost:
        parts.append("allowed actions: " + ", ".join([*(f"+{a}" for a in gained), *(f"-{a}" for a in lost)]))
    skip = {"version", "clauses", "variants", "allowed_actions"}
    old_json: dict[str, Any] = old.to_json()
    new_json: dict[str, Any] = new.to_json()
    other = [key for key in Policy.model_fields if key not in skip and old_json[key] != new_json[key]]
    if other:
        parts.append("also changed: " + ", ".join(other))
    return f"{head}: " + ("; ".join(parts) if parts else "no changes")


def diff(old: Policy, new: Policy) -> str:
    """The summary line, then a unified diff of the two versions' canonical YAML."""
    before = to_yaml(old).splitlines(keepends=True)
    after = to_yaml(new).splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, fromfile=f"{old.id} v{old.version}", tofile=f"{new.id} v{new.version}")
    return summary(old, new) + "\n" + "".join(lines)
