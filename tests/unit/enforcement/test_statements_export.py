"""Exporting statements of reasons: batches of at most 100, CSV, manifest, refusals, and re-validating the files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from overt.enforcement.statements.export import ExportRefused, csv_text, export, validate_files

FIXTURE = Path(__file__).parent / "fixtures" / "statements" / "valid_statement.json"
JULY = (date(2025, 7, 1), date(2025, 7, 31))


def statements(count: int) -> list[dict[str, Any]]:
    base = json.loads(FIXTURE.read_text())
    return [{**base, "puid": f"overt-D{i:04d}-abc"} for i in range(count)]


def test_batches_of_100_csv_and_manifest(tmp_path: Path) -> None:
    result = export(statements(250), tmp_path, period=JULY)
    assert result.batches == ("sor-batch-0001.json", "sor-batch-0002.json", "sor-batch-0003.json")
    assert result.statements == 250
    sizes = [len(json.loads((tmp_path / name).read_text())["statements"]) for name in result.batches]
    assert sizes == [100, 100, 50]
    body = json.loads((tmp_path / "sor-batch-0003.json").read_text())
    assert list(body) == ["statements"]
    assert body["statements"][0]["puid"] == "overt-D0200-abc"

    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["statements"] == 250
    assert manifest["period"] == {"from": "2025-07-01", "to": "2025-07-31"}
    assert manifest["schema_in_force_since"] == "2025-07-01"
    assert [b["statements"] for b in manifest["batches"]] == [100, 100, 50]
    assert manifest["batches"][1]["first_puid"] == "overt-D0100-abc"
    assert manifest["batches"][1]["last_puid"] == "overt-D0199-abc"
    for name in (*result.batches, "statements.csv"):
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == result.hashes[name]
    assert manifest["batches"][0]["sha256"] == result.hashes["sor-batch-0001.json"]
    assert manifest["csv"]["sha256"] == result.hashes["statements.csv"]
    assert manifest["counts"]["decision_ground"] == {"DECISION_GROUND_INCOMPATIBLE_CONTENT": 250}

    rows = list(csv.DictReader(io.StringIO((tmp_path / "statements.csv").read_text())))
    assert len(rows) == 250
    assert rows[0]["territorial_scope"] == '["AT","DE"]'
    assert (
        rows[0]["decision_visibility"]
        == '["DECISION_VISIBILITY_CONTENT_LABELLED","DECISION_VISIBILITY_CONTENT_DEMOTED"]'
    )
    assert rows[0]["decision_monetary"] == ""
    assert rows[0]["puid"] == "overt-D0000-abc"
    assert validate_files(tmp_path) == []


def test_exactly_100_is_one_batch(tmp_path: Path) -> None:
    assert export(statements(100), tmp_path).batches == ("sor-batch-0001.json",)


def test_nothing_to_export_writes_a_manifest_only(tmp_path: Path) -> None:
    result = export([], tmp_path / "new")
    assert result.batches == ()
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["manifest.json", "statements.csv"]
    assert validate_files(tmp_path / "new") == []


def test_refuses_and_writes_nothing_listing_every_problem(tmp_path: Path) -> None:
    items = statements(3)
    del items[1]["category"]
    items[2]["decision_facts"] = "Coordinated with @anna_k and 0612345678."
    items.append(dict(items[0]))
    out = tmp_path / "out"
    with pytest.raises(ExportRefused) as refused:
        export(items, out)
    assert [str(p) for p in refused.value.problems] == [
        "statement 1, puid overt-D0001-abc: category: is required",
        "statement 2, puid overt-D0002-abc: decision_facts: contains personal data: handle '@***k'; remove it before "
        "export",
        "statement 2, puid overt-D0002-abc: decision_facts: contains personal data: phone number '0***8'; remove it "
        "before export",
        "statement 3, puid overt-D0000-abc: puid: is also used by statement 0; a PUID must be unique within the "
        "platform",
    ]
    assert "anna" not in str(refused.value)
    assert str(refused.value).startswith("nothing was written: 4 problem(s) in the statements")
    assert not out.exists()


def test_refuses_statements_outside_the_period(tmp_path: Path) -> None:
    items = statements(2)
    items[1]["application_date"] = "2025-08-01"
    with pytest.raises(ExportRefused) as refused:
        export(items, tmp_path, period=JULY)
    assert [str(p) for p in refused.value.problems] == [
        "statement 1, puid overt-D0001-abc: application_date: 2025-08-01 is outside the export period 2025-07-01 to "
        "2025-07-31"
    ]
    assert list(tmp_path.iterdir()) == []


def test_refuses_puids_already_submitted(tmp_path: Path) -> None:
    with pytest.raises(ExportRefused, match="was already submitted"):
        export(statements(2), tmp_path, known_puids={"overt-D0001-abc"})


def test_refuses_to_mix_with_an_earlier_export(tmp_path: Path) -> None:
    export(statements(150), tmp_path)
    with pytest.raises(ExportRefused, match="already holds an export"):
        export(statements(50), tmp_path)
    # With overwrite the old second batch goes, so nothing stale is left to submit.
    result = export(statements(50), tmp_path, overwrite=True)
    assert sorted(p.name for p in tmp_path.glob("sor-batch-*.json")) == list(result.batches) == ["sor-batch-0001.json"]
    assert validate_files(tmp_path) == []


def test_batch_size_cannot_exceed_the_api_limit(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        export(statements(1), tmp_path, batch_size=101)
    assert export(statements(5), tmp_path, batch_size=2).batches[-1] == "sor-batch-0003.json"


def test_csv_keeps_line_breaks_and_quotes() -> None:
    item = statements(1)[0]
    item["decision_facts"] = 'Line one, "quoted".\nLine two.'
    text = csv_text([item])
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["decision_facts"] == 'Line one, "quoted".\nLine two.'


def test_validate_files_finds_tampering(tmp_path: Path) -> None:
    export(statements(120), tmp_path)
    batch = tmp_path / "sor-batch-0002.json"
    body = json.loads(batch.read_text())
    body["statements"][0]["decision_facts"] = "Reach them at press@gov.example"
    body["statements"][1]["puid"] = "overt-D0000-abc"
    batch.write_text(json.dumps(body))
    (tmp_path / "sor-batch-0003.json").write_text('{"statements": []}')
    problems = [str(p) for p in validate_files(tmp_path)]
    assert problems == [
        "sor-batch-0003.json: file: is not listed in the manifest",
        "sor-batch-0002.json: file: has changed since the export (its SHA-256 differs from the manifest)",
        "sor-batch-0002.json, statement 0, puid overt-D0100-abc: decision_facts: contains personal data: e-mail "
        "address 'p***e'; remove it before export",
        "sor-batch-0002.json, statement 1, puid overt-D0000-abc: puid: is also used in sor-batch-0001.json; a PUID "
        "must be unique within the platform",
        "statements.csv: file: does not match the batch files (edited, or from another export)",
    ]


def test_validate_files_checks_shape_and_counts(tmp_path: Path) -> None:
    export(statements(3), tmp_path)
    batch = tmp_path / "sor-batch-0001.json"
    batch.write_text(json.dumps(json.loads(batch.read_text())["statements"]))
    problems = [str(p) for p in validate_files(tmp_path)]
    assert 'sor-batch-0001.json: statements: must be {"statements": [...]} and nothing else' in problems
    assert "manifest.json: file: counts 3 statements; the batch files hold 0" in problems


def test_validate_files_without_manifest(tmp_path: Path) -> None:
    assert [str(p) for p in validate_files(tmp_path)] == [f"manifest.json: file: is missing from {tmp_path}"]


def test_validate_files_finds_oversized_batches(tmp_path: Path) -> None:
    export(statements(101), tmp_path)
    first, second = (json.loads((tmp_path / f"sor-batch-000{i}.json").read_text()) for i in (1, 2))
    merged = {"statements": first["statements"] + second["statements"]}
    (tmp_path / "sor-batch-0001.json").write_text(json.dumps(merged))
    (tmp_path / "sor-batch-0002.json").unlink()
    problems = [str(p) for p in validate_files(tmp_path)]
    assert "sor-batch-0001.json: statements: a batch holds at most 100 statements, not 101" in problems
    assert "sor-batch-0002.json: file: is listed in the manifest but missing" in problems
