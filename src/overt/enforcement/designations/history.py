"""One version of a designation, exactly: its canonical JSON, its hash, and what changed from the previous one.

:func:`canonical_json` and :func:`content_hash` identify one version exactly: approvals are given to a hash, not to
a name, so that what two reviewers approved is what is labelled. :func:`diff` says which fields changed between two
versions, in words a reviewer reads in the version history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from overt.enforcement import canonical
from overt.enforcement.designations.model import Account, Designation


def canonical_json(designation: Designation) -> str:
    """The one JSON text of a designation: sorted keys, no spaces, UTF-8 characters kept."""
    return canonical.canonical_json(designation.to_json())


def content_hash(designation: Designation) -> str:
    """SHA-256 (hex) of :func:`canonical_json`: what an approval is an approval of."""
    return canonical.content_hash(designation.to_json())


@dataclass(frozen=True)
class Change:
    """One difference between two versions: a field changed, or an item added to or removed from a list."""

    field: str
    kind: Literal["changed", "added", "removed"]
    before: Any = None
    after: Any = None

    def render(self) -> str:
        if self.kind == "added":
            return f"{self.field}: added {_show(self.after)}"
        if self.kind == "removed":
            return f"{self.field}: removed {_show(self.before)}"
        return f"{self.field}: {_show(self.before)} → {_show(self.after)}"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        if "platform" in value:
            return Account.model_validate(value).describe()
        return json.dumps({k: v for k, v in value.items() if v is not None}, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else repr(value[:77] + "...")
    return json.dumps(value, ensure_ascii=False)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, out)
    else:
        out[prefix] = value


def diff(old: Designation, new: Designation) -> list[Change]:
    """Which fields differ from ``old`` to ``new``, in field order; list items are compared as sets."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(old.to_json(), "", before)
    _flatten(new.to_json(), "", after)
    changes: list[Change] = []
    for name in after:
        a, b = before.get(name), after[name]
        if a == b:
            continue
        if isinstance(a, list) and isinstance(b, list):
            old_items = [json.dumps(item, sort_keys=True) for item in a]
            new_items = [json.dumps(item, sort_keys=True) for item in b]
            changes += [
                Change(name, "removed", before=item)
                for item, key in zip(a, old_items, strict=True)
                if key not in new_items
            ]
            changes += [
                Change(name, "added", after=item)
                for item, key in zip(b, new_items, strict=True)
                if key not in old_items
            ]
        else:
            changes.append(Change(name, "changed", a, b))
    return changes
