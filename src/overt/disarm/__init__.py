"""DISARM: the influence-operation techniques framework, and suggested techniques for a scan's clusters.

:mod:`overt.disarm.framework` holds the shipped DISARM Red framework (CC BY-SA 4.0, DISARM Foundation: show
:data:`ATTRIBUTION` with it); :func:`tag_clusters` maps what each cluster did onto its techniques, one row per
(cluster, technique) with the evidence, as suggestions for an analyst (:mod:`overt.disarm.tagging`).
"""

from __future__ import annotations

from overt.disarm.framework import ATTRIBUTION, Technique, technique, techniques
from overt.disarm.tagging import DISARM, DISARM_FILE, DISARM_TABLE, RULES, Rule, Thresholds, tag_clusters

__all__ = [
    "ATTRIBUTION",
    "DISARM",
    "DISARM_FILE",
    "DISARM_TABLE",
    "RULES",
    "Rule",
    "Technique",
    "Thresholds",
    "tag_clusters",
    "technique",
    "techniques",
]
