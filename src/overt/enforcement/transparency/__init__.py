"""Transparency reports computed only from the audit log, with a check that proves nothing is left out.

:func:`compute` counts a period's actions (by policy, type, detection source, automation of the decision and
market, each a marginal of one main table), reversals, appeals, government and other sensitive requests, and
influence-operation takedowns; :func:`check_completeness` proves every action in the log is in exactly one count;
:mod:`~overt.enforcement.transparency.render` writes JSON, CSVs (one per table), Markdown and HTML for the public.
"""

from __future__ import annotations

from overt.enforcement.transparency.check import check_completeness
from overt.enforcement.transparency.compute import compute
from overt.enforcement.transparency.events import NONE_STATED, NOT_RECORDED, TransparencyError
from overt.enforcement.transparency.model import (
    AppealFigures,
    AuditRange,
    Cell,
    Completeness,
    RequestFigures,
    Table,
    Takedown,
    TechniqueRef,
    TransparencyReport,
)
from overt.enforcement.transparency.render import to_html, to_markdown, write_all, write_csvs

__all__ = [
    "NONE_STATED",
    "NOT_RECORDED",
    "AppealFigures",
    "AuditRange",
    "Cell",
    "Completeness",
    "RequestFigures",
    "Table",
    "Takedown",
    "TechniqueRef",
    "TransparencyError",
    "TransparencyReport",
    "check_completeness",
    "compute",
    "to_html",
    "to_markdown",
    "write_all",
    "write_csvs",
]
