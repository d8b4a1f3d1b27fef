"""Canonical records of overt: table schemas, no I/O."""

from __future__ import annotations

from overt.model.schema import ACCOUNTS, KINDS, LABELS, POSTS, REJECTS, TABLES, Column, Table

__all__ = ["ACCOUNTS", "KINDS", "LABELS", "POSTS", "REJECTS", "TABLES", "Column", "Table"]
