"""``overt report``: one self-contained HTML file (and CSV exports) describing a scan's clusters and evidence.

:func:`collect` reads a scan folder into the report's data model (``overt-report/1``, :mod:`overt.report.data`),
:func:`write_csvs` writes ``clusters.csv`` and ``evidence.csv`` (:mod:`overt.report.exports`), and
:mod:`overt.report.redact` pseudonymises the accounts a shared report does not accuse.
"""

from __future__ import annotations

from overt.report.data import FORMAT, ReportError, collect, normalised
from overt.report.exports import write_csvs
from overt.report.redact import Redactor, pseudonym

__all__ = ["FORMAT", "Redactor", "ReportError", "collect", "normalised", "pseudonym", "write_csvs"]
