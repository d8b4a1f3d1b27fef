from __future__ import annotations

import json

from click.testing import CliRunner

from overt.cli import cli
from tests.conftest import DATA

TWEETS = DATA / "twitter-io" / "tweets.csv"


def test_ingest_prints_summary_and_writes_dataset(tmp_path):
    out = tmp_path / "ds"
    result = CliRunner().invoke(cli, ["ingest", str(TWEETS), str(DATA / "twitter-io" / "users.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Tables: posts 4, accounts 4, labels 5, rejects 0"  # a1b2 is labelled by both files in result.output
    assert "Posts by kind:" in result.output and "#election2016 2" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [i["format"] for i in manifest["inputs"]] == ["twitter-io", "twitter-io"]
    info = CliRunner().invoke(cli, ["info", str(out)])
    assert info.exit_code == 0 and "Rows in 6; rejected 0 (0.00%); duplicates 0" in info.output


def test_ingest_errors_are_one_clear_line_and_exit_nonzero(tmp_path):
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "ds")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {tmp_path / 'nope.csv'}: no such file."
    assert "Traceback" not in result.output


def test_reject_threshold_exit_code(tmp_path):
    src = tmp_path / "t.csv"
    lines = TWEETS.read_text().splitlines()
    src.write_text("\n".join([lines[0], lines[1], lines[1].replace("1001,", ",", 1)]) + "\n")
    failed = CliRunner().invoke(cli, ["ingest", str(src), "--out", str(tmp_path / "a")])
    assert failed.exit_code == 1 and "1 of 2 rows rejected (50.00%)" in failed.output
    assert f"{src}:3: post_id: missing post id" in failed.output
    kept = CliRunner().invoke(cli, ["ingest", str(src), "--out", str(tmp_path / "b"), "--max-reject-rate", "0.5"])
    assert kept.exit_code == 0, kept.output
    assert "post_id: missing post id (1)" in kept.output


def test_formats_lists_every_format():
    result = CliRunner().invoke(cli, ["formats"])
    assert result.exit_code == 0
    for name in ("twitter-io", "ira-538", "x-api-v2", "bluesky", "table"):
        assert name in result.output
