"""The evaluation harness: generated docs blocks, precision at prevalence, missing data named."""

from __future__ import annotations

from pathlib import Path

import pytest

from overt.errors import OvertError
from overt.evaluation import BEGIN, END, Paths, markdown, run, update_docs
from overt.evaluation.coverage import _precision
from overt.evaluation.result import Result, mean_sd


def _result() -> Result:
    return Result("k", "A title", "What it measures.", ["name", "value"], [["a", "1"]], caveats=["Not everything."])


def test_the_generated_block_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    doc = tmp_path / "evaluation.md"
    doc.write_text("# Evaluation\n\nHand-written intro.\n", encoding="utf-8")
    update_docs(doc, markdown([_result()], "overt eval", 12.0, fresh=True))
    first = doc.read_text(encoding="utf-8")
    assert first.startswith("# Evaluation\n\nHand-written intro.\n") and first.count(BEGIN) == 1
    assert "| a | 1 |" in first and "- Not everything." in first and "from an empty work folder" in first
    update_docs(doc, markdown([], "overt eval -p coverage", 3.0, fresh=False))
    second = doc.read_text(encoding="utf-8")
    assert second.count(BEGIN) == 1 and second.count(END) == 1 and "| a | 1 |" not in second
    assert "Hand-written intro." in second and "reusing the datasets" in second


def test_precision_at_prevalence() -> None:
    # recall 0.5, FPR 0.001 at 1:100: 0.005 / (0.005 + 0.00099) = 0.8347
    assert _precision(0.5, 0.001, 0.002, 0.01).startswith("0.835 (≥ 0.716)")
    assert _precision(None, 0.0, 0.01, 0.01) == ""


def test_mean_sd() -> None:
    assert mean_sd([1.0, 3.0]) == "2.000 ± 1.414"
    assert mean_sd([]) == ""


def test_missing_inputs_are_named(tmp_path: Path) -> None:
    with pytest.raises(OvertError, match=r"ira_538_by_author/ira_tweets_2016-09_2016-11\.csv\.gz"):
        run(Paths(tmp_path / "nodata", tmp_path / "nomappings", tmp_path / "work"), ["coverage"])
    with pytest.raises(ValueError, match="unknown protocol"):
        run(Paths(tmp_path, tmp_path, tmp_path), ["nope"])


def test_measured_figures_for_reports_need_coverage_and_organic() -> None:
    from overt.evaluation import measured

    coverage = Result("coverage", "", "", [], [], figures={"accounts": 598, "flagged": 347})
    organic = Result(
        "organic", "", "", [], [], figures={"hk2021": {"accounts": 2741, "flagged": 0, "fpr_upper95": 0.00109}}
    )
    figures = measured([coverage, organic], "overt eval")
    assert figures is not None
    assert figures["operation"] == {
        "dataset": "IRA tweets 2016-09-01..11-30 with authors (FiveThirtyEight / Clemson)",
        "accounts": 598,
        "flagged": 347,
    }
    assert figures["organic"] == [
        {
            "dataset": "#StandWithHongKong, June 2021 (academictwitteR)",
            "accounts": 2741,
            "flagged": 0,
            "fpr_upper_95": 0.0011,
        }
    ]
    assert measured([coverage], "overt eval") is None


def test_the_report_quotes_the_shipped_measured_figures() -> None:
    import json
    from importlib import resources

    from overt.report.data import EVALUATION

    shipped = json.loads(resources.files("overt.report").joinpath("measured.json").read_text("utf-8"))
    assert shipped == EVALUATION and shipped["model"] == "built-in" and len(shipped["organic"]) == 3
