"""The DISARM Red framework as shipped in ``overt/disarm/data`` (built by ``scripts/build_disarm.py``).

DISARM names the tactics, techniques and procedures of influence operations ("ATT&CK for disinformation").
The data is the DISARM Foundation's, licensed CC BY-SA 4.0: whatever shows a technique to a user (report,
export) also shows :data:`ATTRIBUTION`. Nothing here reads the network.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["ATTRIBUTION", "Technique", "about", "licence_text", "technique", "techniques"]


def _read(name: str) -> str:
    return (resources.files("overt.disarm") / "data" / name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Technique:
    """One DISARM Red technique or sub-technique (``T0049``, ``T0049.002``)."""

    id: str
    name: str
    tactic_id: str
    tactic: str
    phase_id: str
    phase: str
    description: str
    url: str

    @property
    def label(self) -> str:
        """``T0049 Flood Information Space``."""
        return f"{self.id} {self.name}"


@functools.cache
def techniques() -> Mapping[str, Technique]:
    """Every shipped technique by id, in framework order (read-only)."""
    reader = csv.DictReader(io.StringIO(_read("techniques.csv")))
    return MappingProxyType(
        {
            row["disarm_id"]: Technique(
                id=row["disarm_id"],
                name=row["name"],
                tactic_id=row["tactic_id"],
                tactic=row["tactic"],
                phase_id=row["phase_id"],
                phase=row["phase"],
                description=row["description"],
                url=row["url"],
            )
            for row in reader
        }
    )


def technique(disarm_id: str) -> Technique:
    """The technique *disarm_id*; a KeyError names the framework version when it does not exist there."""
    try:
        return techniques()[disarm_id]
    except KeyError:
        raise KeyError(
            f"{disarm_id!r} is not a technique of the shipped DISARM framework (commit {about()['commit'][:7]})"
        ) from None


@functools.cache
def about() -> dict[str, Any]:
    """Provenance of the shipped data: repository, commit, date, licence, input hashes, attribution."""
    data: dict[str, Any] = json.loads(_read("about.json"))
    return data


def licence_text() -> str:
    """The framework's licence (CC BY-SA 4.0), as shipped next to the data."""
    return _read("LICENSE.md")


#: The attribution CC BY-SA asks for: show it wherever DISARM techniques are shown.
ATTRIBUTION: str = about()["attribution"]
