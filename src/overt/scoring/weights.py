"""The score model: a logistic combination of features, as a small JSON file anyone can read and diff.

A model is an intercept plus one weight (log-odds per unit) for each feature, for accounts and for clusters.
The built-in model's weights are set by hand and documented below; ``overt train`` fits the same form to
labelled data and writes the same file format. A linear model in JSON is deliberate: every contribution to a
score is ``weight × value``, which is what the explanations print, and loading a model never runs code (unlike
a pickled classifier).

Built-in account weights (every feature is in [0, 1]):

=================  ======  =====================================================================================
feature            weight  why
=================  ======  =====================================================================================
intercept          -4.0    most accounts in any dataset are not part of an operation (a prior of about 2%)
coordination       +5.0    co-action beyond chance is the core evidence: two significant ties (two partners, or
                           one partner in two traces; coordination 0.86) pass 0.5 on their own, one tie (0.63)
                           does not; coordination alone stays below 0.75, so a higher score needs another sign
state_media        +2.0    a large share of links and reposts to state-controlled media
content            +2.0    the trained text model (only when one is given)
working_hours      +1.5    an office schedule on a distant capital's clock, or one that contradicts the location
creation_burst     +1.0    created in a batch with many other accounts
handle_pattern     +1.0    a templated or default-like handle shared by other accounts
profile_reuse      +1.0    a description, name or picture reused across accounts
language_mismatch  +0.75   languages that do not fit the declared language or location
repurposing        +0.75   dormant, then back in another language or on another topic
automation         +0.5    scheduled or bursty posting; automation is common and benign, so it weighs least
=================  ======  =====================================================================================

Cluster scores start from the median logit of the cluster's members and add the cluster-level signals
(``cluster_features``), so a cluster whose members were created together or post on one distant office
schedule scores above a cluster of otherwise similar accounts.

These weights are a documented prior, not a calibrated probability: calibration needs labels. ``overt train``
fits weights on labelled data (grouped folds) and records how well calibrated they are.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from overt.errors import OvertError

FORMAT = "overt-score-model/1"

#: Account features the scorer knows: coordination from the scan, the rest from signals of the same name.
ACCOUNT_FEATURES = (
    "coordination",
    "working_hours",
    "creation_burst",
    "handle_pattern",
    "profile_reuse",
    "state_media",
    "language_mismatch",
    "repurposing",
    "automation",
    "content",
)


class ModelError(OvertError):
    """A score model file that cannot be used."""


@dataclass(frozen=True)
class Weights:
    """A logistic score model for accounts and clusters."""

    name: str
    intercept: float
    features: dict[str, float]
    cluster_features: dict[str, float] = field(default_factory=dict)
    threshold: float = 0.5
    #: How the weights came about: "set by hand" or the training data, folds and metrics.
    provenance: dict[str, Any] = field(default_factory=dict)

    def logit(self, values: dict[str, float]) -> float:
        return self.intercept + sum(self.features.get(k, 0.0) * v for k, v in values.items())

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=2, sort_keys=True) + "\n"

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Weights:
        """Read a model file; every problem names the file and the key."""
        where = str(path)
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"{where}: not a readable score model: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ModelError(f"{where}: 'format' must be {FORMAT!r}")
        for key in ("name", "intercept", "features"):
            if key not in raw:
                raise ModelError(f"{where}: missing key {key!r}")
        unknown = set(raw) - {"format", "name", "intercept", "features", "cluster_features", "threshold", "provenance"}
        if unknown:
            raise ModelError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        for section in ("features", "cluster_features"):
            for name, weight in raw.get(section, {}).items():
                if name not in ACCOUNT_FEATURES:
                    raise ModelError(
                        f"{where}: {section}.{name}: unknown feature; known: {', '.join(ACCOUNT_FEATURES)}"
                    )
                if not isinstance(weight, int | float) or not math.isfinite(weight):
                    raise ModelError(f"{where}: {section}.{name}: weight must be a finite number, not {weight!r}")
        threshold = raw.get("threshold", 0.5)
        if not isinstance(threshold, int | float) or not 0 < threshold < 1:
            raise ModelError(f"{where}: threshold must be between 0 and 1, not {threshold!r}")
        return cls(
            name=str(raw["name"]),
            intercept=float(raw["intercept"]),
            features={k: float(v) for k, v in raw["features"].items()},
            cluster_features={k: float(v) for k, v in raw.get("cluster_features", {}).items()},
            threshold=float(threshold),
            provenance=dict(raw.get("provenance", {})),
        )


BUILT_IN = Weights(
    name="built-in",
    intercept=-4.0,
    features={
        "coordination": 5.0,
        "state_media": 2.0,
        "content": 2.0,
        "working_hours": 1.5,
        "creation_burst": 1.0,
        "handle_pattern": 1.0,
        "profile_reuse": 1.0,
        "language_mismatch": 0.75,
        "repurposing": 0.75,
        "automation": 0.5,
    },
    cluster_features={
        "working_hours": 1.0,
        "creation_burst": 1.0,
        "handle_pattern": 1.0,
        "profile_reuse": 1.0,
        "state_media": 1.0,
    },
    provenance={"how": "set by hand; see overt.scoring.weights for the reason behind each weight"},
)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
