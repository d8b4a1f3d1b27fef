"""The score commands end to end on real labelled data: scan, train both models, score with them."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from overt.cli import cli

MAPPINGS = Path(__file__).resolve().parents[2] / "examples" / "mappings"


@pytest.mark.real_data
def test_train_and_score_on_the_state_troll_data(shared_data: Path, tmp_path: Path) -> None:
    files = {"ru": "russian_unseen", "iran": "iranian_unseen", "vz": "vz_unseen"}
    args = ["ingest", "--out", str(tmp_path / "ds")]
    for short, name in files.items():
        args += [
            str(shared_data / "state_trolls_cch" / f"{name}.csv.gz"),
            "--mapping",
            str(MAPPINGS / f"state-trolls-{short}.toml"),
        ]
    runner = CliRunner()
    assert runner.invoke(cli, args).exit_code == 0
    result = runner.invoke(cli, ["scan", str(tmp_path / "ds"), "--out", str(tmp_path / "scan")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "scan" / "scores.parquet").is_file() and (tmp_path / "scan" / "disarm.parquet").is_file()

    result = runner.invoke(
        cli, ["train", "scores", str(tmp_path / "scan"), "--out", str(tmp_path / "m.json"), "--group-by", "campaign"]
    )
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "m.json").read_text())
    assert model["provenance"]["labels"] == {"operation": 188, "other": 35}
    # One fold per held-out campaign; how good the model is, is overt eval's business (docs/evaluation.md).
    assert len(model["provenance"]["folds"]) == 3
    assert set(model["provenance"]["out_of_fold"]) == {"roc_auc", "pr_auc", "f1", "brier", "recall_at_1pct_fpr"}
    assert "ROC-AUC" in result.output

    result = runner.invoke(cli, ["train", "text", str(tmp_path / "ds"), "--out", str(tmp_path / "t.json")])
    assert result.exit_code == 0, result.output
    assert "223 accounts" in result.output

    result = runner.invoke(
        cli,
        [
            "score",
            str(tmp_path / "scan"),
            "--model",
            str(tmp_path / "m.json"),
            "--text-model",
            str(tmp_path / "t.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    scores = tmp_path / "scan" / "scores.parquet"
    (name,) = {r[0] for r in duckdb.sql(f"SELECT model FROM '{scores}'").fetchall()}
    assert name == "trained on ds"
    ((content,),) = duckdb.sql(
        f"SELECT count(*) FROM '{tmp_path / 'scan' / 'signals.parquet'}' WHERE signal = 'content' AND score IS NOT NULL"
    ).fetchall()
    assert content > 0


def test_content_needs_a_text_model(tmp_path: Path) -> None:
    (tmp_path / "scan").mkdir()
    result = CliRunner().invoke(cli, ["score", str(tmp_path / "scan"), "--signals", "content"])
    assert result.exit_code != 0 and "--text-model" in result.output
