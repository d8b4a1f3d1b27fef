"""The one canonical JSON form of enforcement records, and the content hash computed from it.

Versions of policies, rules and designations, approvals and audit events are named by this hash, so it must be
the same text everywhere: sorted keys, no spaces, UTF-8 characters kept as they are, no NaN.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """``value`` (plain JSON types) as canonical JSON text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(value: Any) -> str:
    """SHA-256 (hex) of ``value``'s canonical JSON."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
