"""Build the DISARM Red framework subset overt ships, from the framework's published files.

Reads a copy of DISARMFoundation/DISARMframeworks (the folder ``../shared/data/disarm_framework``: its
``SOURCE.md`` names the commit) and writes, into ``src/overt/disarm/data``:

* ``techniques.csv``: every Red framework technique and sub-technique: id, name, tactic, phase, description
  and the technique's page in the DISARM repository;
* ``LICENSE.md``: the framework's licence (CC BY-SA 4.0), copied unchanged;
* ``about.json`` and ``SOURCE.md``: where the data comes from (repository, commit, the sha256 of every input)
  and the attribution the licence asks for.

Names, descriptions, tactics and URLs come from the STIX bundle (``generated_files/DISARM_STIX/DISARM.json``,
the framework's machine-readable release); phases come from the master spreadsheet's ``tactics`` and
``phases`` sheets, which STIX does not carry. The build stops when the sources disagree: a technique missing
from the Red matrix, a tactic in STIX that the spreadsheet puts elsewhere. The output depends on the inputs
only (sorted, no dates), so a rebuild from the same commit is byte for byte the same, which a test checks.

Usage: ``python scripts/build_disarm.py [--source DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "disarm_framework"
OUT = ROOT / "src" / "overt" / "disarm" / "data"

#: Columns of the shipped techniques.csv, in order.
COLUMNS = ("disarm_id", "name", "tactic_id", "tactic", "phase_id", "phase", "description", "url")

LICENCE = "CC BY-SA 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"

_INPUTS = (
    "DISARM_STIX_bundle.json",
    "framework_csv/techniques.csv",
    "framework_csv/tactics.csv",
    "framework_csv/phases.csv",
    "red_framework_ids.csv",
    "LICENSE.md",
)


class BuildError(Exception):
    """The framework files are missing or disagree with each other."""


def _id_key(disarm_id: str) -> tuple[int, ...]:
    """Numeric order: T0049 < T0049.001 < T0049.010 < T0050."""
    return tuple(int(part) for part in re.findall(r"\d+", disarm_id))


def _external_id(obj: dict[str, Any]) -> tuple[str, str]:
    ref = obj["external_references"][0]
    return str(ref["external_id"]), str(ref.get("url", ""))


def _provenance(source: Path) -> dict[str, str]:
    text = (source / "SOURCE.md").read_text(encoding="utf-8")
    repo = re.search(r"Repository:\s*(\S+)", text)
    commit = re.search(r"Commit:\s*([0-9a-f]{40})\s*\((\d{4}-\d{2}-\d{2})\)", text)
    if not repo or not commit:
        raise BuildError(f"{source / 'SOURCE.md'}: expected 'Repository: ...' and 'Commit: <40 hex> (YYYY-MM-DD)'")
    return {"repository": repo.group(1), "commit": commit.group(1), "date": commit.group(2)}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def techniques(source: Path) -> list[dict[str, str]]:
    """The Red framework's techniques as rows of :data:`COLUMNS`, checked across the framework's files."""
    bundle = json.loads((source / "DISARM_STIX_bundle.json").read_text(encoding="utf-8"))
    objects = bundle["objects"]
    tactic_by_short = {o["x_mitre_shortname"]: _external_id(o)[0] for o in objects if o["type"] == "x-mitre-tactic"}
    tactics = {r["disarm_id"]: r for r in _rows(source / "framework_csv" / "tactics.csv")}
    phases = {r["disarm_id"]: r for r in _rows(source / "framework_csv" / "phases.csv")}
    sheet = {r["disarm_id"]: r for r in _rows(source / "framework_csv" / "techniques.csv")}
    red = {
        cell.strip()
        for line in (source / "red_framework_ids.csv").read_text(encoding="utf-8").splitlines()
        for cell in line.split(",")
        if re.fullmatch(r"T\d+(\.\d+)?", cell.strip())
    }
    out = []
    for obj in objects:
        if obj["type"] != "attack-pattern" or obj.get("revoked") or obj.get("x_mitre_deprecated"):
            continue
        disarm_id, url = _external_id(obj)
        phases_of = obj.get("kill_chain_phases", [])
        if len(phases_of) != 1:
            raise BuildError(f"{disarm_id}: expected one tactic in STIX, found {len(phases_of)}")
        tactic_id = tactic_by_short[phases_of[0]["phase_name"]]
        if disarm_id not in red:
            raise BuildError(f"{disarm_id}: in the STIX bundle but not in red_framework_ids.csv")
        if disarm_id in sheet and sheet[disarm_id]["tactic_id"] != tactic_id:
            raise BuildError(f"{disarm_id}: tactic {tactic_id} in STIX, {sheet[disarm_id]['tactic_id']} in the sheet")
        tactic = tactics[tactic_id]
        phase = phases[tactic["phase_id"]]
        out.append(
            {
                "disarm_id": disarm_id,
                "name": obj["name"].strip(),
                "tactic_id": tactic_id,
                "tactic": tactic["name"].strip(),
                "phase_id": phase["disarm_id"],
                "phase": phase["name"].strip(),
                "description": obj.get("description", "").strip(),
                "url": url,
            }
        )
    missing = red - {row["disarm_id"] for row in out}
    if missing:
        raise BuildError(f"in red_framework_ids.csv but not in the STIX bundle: {', '.join(sorted(missing))}")
    return sorted(out, key=lambda row: _id_key(row["disarm_id"]))


def _csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def attribution(about: dict[str, Any]) -> str:
    return (
        f"DISARM Red Framework by the DISARM Foundation, https://{about['repository']} "
        f"(commit {about['commit'][:7]}, {about['date']}), licensed {LICENCE} ({LICENCE_URL}). "
        "overt ships a subset (the technique list with its tactics, phases, descriptions and links), "
        "reformatted as CSV; the subset is licensed under the same terms."
    )


def _source_md(about: dict[str, Any], n: int) -> str:
    inputs = "\n".join(f"- `{name}`: sha256 `{digest}`" for name, digest in about["inputs"].items())
    return f"""# DISARM framework data shipped with overt

{about["attribution"]}

- Repository: https://{about["repository"]}
- Commit: {about["commit"]} ({about["date"]})
- Licence: {LICENCE}, {LICENCE_URL}; the full text is in `LICENSE.md` next to this file. This folder is licensed
  under {LICENCE}, not under overt's MIT licence (share-alike: adaptations must keep this licence).
- Built by `scripts/build_disarm.py` from the framework files below; do not edit by hand.

## What was changed

`techniques.csv` holds the {n} techniques and sub-techniques of the Red framework, one per row. Taken unchanged
from the STIX bundle: `disarm_id`, `name`, `description` (HTML line breaks kept), `url` and the tactic;
`tactic`, `phase_id` and `phase` are joined in from the master spreadsheet's `tactics` and `phases` sheets. The
Blue framework, detections, countermeasures, playbooks and the German translations are not shipped.

## Inputs

{inputs}
"""


def build(source: Path = SOURCE, out: Path = OUT) -> dict[str, Any]:
    """Write the shipped files into *out*; return the ``about.json`` content."""
    for name in (*_INPUTS, "SOURCE.md"):
        if not (source / name).is_file():
            raise BuildError(f"{source / name}: missing (is {source} a copy of the DISARM framework?)")
    rows = techniques(source)
    about: dict[str, Any] = {
        "name": "DISARM Red Framework",
        "publisher": "DISARM Foundation",
        **_provenance(source),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "techniques": len(rows),
        "inputs": {name: _sha256(source / name) for name in _INPUTS},
    }
    about["attribution"] = attribution(about)
    out.mkdir(parents=True, exist_ok=True)
    (out / "techniques.csv").write_text(_csv(rows), encoding="utf-8", newline="")
    shutil.copyfile(source / "LICENSE.md", out / "LICENSE.md")
    (out / "about.json").write_text(json.dumps(about, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (out / "SOURCE.md").write_text(_source_md(about, len(rows)), encoding="utf-8")
    return about


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help=f"framework folder (default {SOURCE})")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = parser.parse_args(argv)
    try:
        about = build(args.source, args.out)
    except BuildError as exc:
        sys.stderr.write(f"build_disarm: {exc}\n")
        return 1
    sys.stdout.write(f"{about['techniques']} techniques, commit {about['commit'][:7]} -> {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
