"""Write statements of reasons as files ready for the DSA Transparency Database, and check written files again.

``overt dsa export --from --to --out DIR`` calls :func:`export`. It validates every statement first and writes
nothing at all if any is wrong (an export is submitted as a whole; half an export would be worse than none). Then:

- ``sor-batch-0001.json``, ``sor-batch-0002.json``, ...: the request body of the multiple-statements endpoint
  (``POST /api/v2/statements``), ``{"statements": [...]}``, at most 100 statements each, in the order given;
- ``statements.csv``: one row per statement, the schema's fields as columns in the documentation's order. List fields
  (decision_visibility, content_type, category_addition, category_specification, territorial_scope) and content_id
  are JSON-encoded without spaces, ``["DE","FR"]``, which is how the database itself stores and exports them; empty
  cells are absent fields. Text keeps its line breaks (RFC 4180 quoting);
- ``manifest.json``: schema, period, counts, and the SHA-256 of every file, written last.

:func:`validate_files` is the "validate against the local validator" step: it re-reads the manifest and the batch
files, checks hashes, batch sizes, every statement (personal data included), PUID uniqueness across batches, and
that the CSV is exactly what the batches produce.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from overt.enforcement import dsa
from overt.enforcement.statements import schema
from overt.enforcement.statements.validate import Problem, validate_batch

BATCH_PATTERN = "sor-batch-*.json"
CSV_NAME = "statements.csv"
MANIFEST_NAME = "manifest.json"
_COUNTED = ("decision_ground", "category", "source_type", "automated_detection", "automated_decision")


def batch_name(number: int) -> str:
    """The file name of batch ``number`` (from 1)."""
    return f"sor-batch-{number:04d}.json"


class ExportRefused(Exception):
    """Raised when an export would write invalid statements; ``problems`` lists every one."""

    def __init__(self, problems: Sequence[Problem], why: str | None = None) -> None:
        self.problems = list(problems)
        head = why or f"nothing was written: {len(self.problems)} problem(s) in the statements"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: where, how many statements, and the files with their SHA-256."""

    out_dir: Path
    statements: int
    batches: tuple[str, ...]
    csv: str
    manifest: str
    hashes: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "statements": self.statements,
            "batches": list(self.batches),
            "csv": self.csv,
            "manifest": self.manifest,
            "hashes": dict(self.hashes),
        }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _batch_bytes(statements: Sequence[Mapping[str, Any]]) -> bytes:
    return (json.dumps({"statements": list(statements)}, ensure_ascii=False, indent=2) + "\n").encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def csv_text(statements: Iterable[Mapping[str, Any]]) -> str:
    """The CSV file's text for ``statements`` (header, then one row each; see the module docstring)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(schema.FIELD_ORDER)
    for statement in statements:
        writer.writerow([_cell(statement.get(name)) for name in schema.FIELD_ORDER])
    return buffer.getvalue()


def _period_problems(statements: Sequence[Mapping[str, Any]], period: tuple[date, date]) -> list[Problem]:
    start, end = period
    problems: list[Problem] = []
    if start > end:
        return [Problem(field="period", message=f"starts {start.isoformat()}, after its end {end.isoformat()}")]
    for index, statement in enumerate(statements):
        value = statement.get("application_date")
        if not isinstance(value, str):
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            continue
        if not start <= day <= end:
            puid = statement.get("puid")
            problems.append(
                Problem(
                    field="application_date",
                    message=f"{value} is outside the export period {start.isoformat()} to {end.isoformat()}",
                    puid=puid if isinstance(puid, str) else None,
                    index=index,
                )
            )
    return problems


def _existing_outputs(out_dir: Path) -> list[Path]:
    if not out_dir.exists():
        return []
    return sorted(
        [*out_dir.glob(BATCH_PATTERN), *(out_dir / n for n in (CSV_NAME, MANIFEST_NAME) if (out_dir / n).exists())]
    )


def export(
    statements: Iterable[Mapping[str, Any]],
    out_dir: str | Path,
    *,
    period: tuple[date, date] | None = None,
    known_puids: Iterable[str] = (),
    overwrite: bool = False,
    batch_size: int = schema.MAX_BATCH_SIZE,
) -> ExportResult:
    """Validate ``statements`` and write them to ``out_dir`` as batches, a CSV file and a manifest.

    Raises :class:`ExportRefused` with every problem (each with the statement's PUID and position) and writes nothing
    when any statement is invalid, a PUID repeats or was already submitted (``known_puids``), an application date
    lies outside ``period`` (from, to; both included), or ``out_dir`` already holds an export (unless
    ``overwrite``, which first removes the old export's files). An export of no statements writes a manifest only.
    """
    if not 1 <= batch_size <= schema.MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {schema.MAX_BATCH_SIZE}, not {batch_size}")
    items = [dict(s) for s in statements]
    problems = validate_batch(items, limit=None, known_puids=known_puids)
    if period is not None:
        problems += _period_problems(items, period)
    if problems:
        raise ExportRefused(problems)

    out = Path(out_dir)
    old = _existing_outputs(out)
    if old and not overwrite:
        names = ", ".join(p.name for p in old[:3]) + (" ..." if len(old) > 3 else "")
        raise ExportRefused(
            [], f"nothing was written: {out} already holds an export ({names}); choose an empty directory"
        )
    out.mkdir(parents=True, exist_ok=True)
    for path in old:
        path.unlink()

    hashes: dict[str, str] = {}
    batches: list[dict[str, Any]] = []
    for number, start in enumerate(range(0, len(items), batch_size), start=1):
        chunk = items[start : start + batch_size]
        name = batch_name(number)
        data = _batch_bytes(chunk)
        (out / name).write_bytes(data)
        hashes[name] = _sha256(data)
        batches.append(
            {
                "file": name,
                "statements": len(chunk),
                "sha256": hashes[name],
                "first_puid": chunk[0]["puid"],
                "last_puid": chunk[-1]["puid"],
            }
        )
    csv_bytes = csv_text(items).encode()
    (out / CSV_NAME).write_bytes(csv_bytes)
    hashes[CSV_NAME] = _sha256(csv_bytes)

    manifest = {
        "schema": dsa.SCHEMA,
        "schema_in_force_since": dsa.IN_FORCE_SINCE.isoformat(),
        "documentation": dsa.SOURCE_URL,
        "period": {"from": period[0].isoformat(), "to": period[1].isoformat()} if period else None,
        "statements": len(items),
        "max_batch_size": batch_size,
        "batches": batches,
        "csv": {"file": CSV_NAME, "rows": len(items), "sha256": hashes[CSV_NAME], "lists": "JSON-encoded"},
        "counts": {name: dict(sorted(Counter(str(s.get(name)) for s in items).items())) for name in _COUNTED},
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return ExportResult(
        out_dir=out,
        statements=len(items),
        batches=tuple(b["file"] for b in batches),
        csv=CSV_NAME,
        manifest=MANIFEST_NAME,
        hashes=hashes,
    )


def _file_problem(name: str, message: str, field_name: str = "file") -> Problem:
    return Problem(field=field_name, message=message, file=name)


def validate_files(out_dir: str | Path, *, known_puids: Iterable[str] = ()) -> list[Problem]:
    """Every problem in an export directory written by :func:`export` (empty list: ready to submit).

    Checks the manifest, that each batch file it lists exists with the recorded SHA-256 and no other batch file is
    there, that each is ``{"statements": [...]}`` of at most 100 valid statements, that PUIDs are unique across all
    batches, and that the CSV file is exactly what the batches produce.
    """
    out = Path(out_dir)
    manifest_path = out / MANIFEST_NAME
    if not manifest_path.is_file():
        return [_file_problem(MANIFEST_NAME, f"is missing from {out}")]
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return [_file_problem(MANIFEST_NAME, f"is not valid JSON: {error}")]
    listed = manifest.get("batches") if isinstance(manifest, dict) else None
    if not isinstance(listed, list):
        return [_file_problem(MANIFEST_NAME, "has no list of batches")]

    problems: list[Problem] = []
    names = [b.get("file") for b in listed if isinstance(b, dict)]
    for stray in sorted({p.name for p in out.glob(BATCH_PATTERN)} - {n for n in names if isinstance(n, str)}):
        problems.append(_file_problem(stray, "is not listed in the manifest"))

    everything: list[Mapping[str, Any]] = []
    first_file: dict[str, str] = {}
    known = set(known_puids)
    for entry in listed:
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            problems.append(_file_problem(MANIFEST_NAME, f"has a batch entry without a file name: {entry!r}"))
            continue
        path = out / name
        if not path.is_file():
            problems.append(_file_problem(name, "is listed in the manifest but missing"))
            continue
        data = path.read_bytes()
        if _sha256(data) != entry.get("sha256"):
            problems.append(_file_problem(name, "has changed since the export (its SHA-256 differs from the manifest)"))
        try:
            body = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            problems.append(_file_problem(name, f"is not valid JSON: {error}"))
            continue
        statements = body.get("statements") if isinstance(body, dict) else None
        if not isinstance(statements, list) or set(body) != {"statements"}:
            problems.append(_file_problem(name, 'must be {"statements": [...]} and nothing else', "statements"))
            continue
        if entry.get("statements") != len(statements):
            problems.append(
                _file_problem(name, f"holds {len(statements)} statements; the manifest says {entry.get('statements')}")
            )
        for p in validate_batch(statements, known_puids=known):
            problems.append(Problem(field=p.field, message=p.message, puid=p.puid, index=p.index, file=name))
        for index, statement in enumerate(statements):
            puid = statement.get("puid") if isinstance(statement, dict) else None
            if isinstance(puid, str) and puid:
                if puid in first_file and first_file[puid] != name:
                    problems.append(
                        Problem(
                            field="puid",
                            message=f"is also used in {first_file[puid]}; a PUID must be unique within the platform",
                            puid=puid,
                            index=index,
                            file=name,
                        )
                    )
                first_file.setdefault(puid, name)
            if isinstance(statement, dict):
                everything.append(statement)

    csv_path = out / CSV_NAME
    if not csv_path.is_file():
        problems.append(_file_problem(CSV_NAME, "is missing"))
    elif csv_path.read_bytes() != csv_text(everything).encode():
        problems.append(_file_problem(CSV_NAME, "does not match the batch files (edited, or from another export)"))
    total = manifest.get("statements")
    if total != len(everything):
        problems.append(
            _file_problem(MANIFEST_NAME, f"counts {total} statements; the batch files hold {len(everything)}")
        )
    return problems
