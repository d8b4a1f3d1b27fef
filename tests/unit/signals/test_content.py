from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from overt.errors import InputError
from overt.signals import SIGNALS, make_signal
from overt.signals.content import Content, _wilson_lower
from overt.textmodel import train_text_model

from .conftest import Engine

TROLL = ["zzq breaking zzq {i} must share", "zzq alert zzq number {i}", "they lie zzq {i} zzq wake up"]
NORMAL = ["lovely weather in the park {i}", "had a nice lunch with friends {i}", "reading a good book tonight {i}"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts, labels, groups = [], [], []
    for label, templates in ((1, TROLL), (0, NORMAL)):
        for a in range(4):
            for i in range(6):
                texts.append(templates[(a + i) % 3].format(i=a * 100 + i))
                labels.append(label)
                groups.append(f"{label}-{a}")
    path = tmp_path_factory.mktemp("model") / "tiny.json"
    train_text_model(texts, labels, groups, name="tiny-io", min_df=1).save(path)
    return path


def posts(account: str, texts: list[str], kind: str = "post") -> list[dict[str, Any]]:
    return [
        {"post_id": f"{account}-{i}", "account_id": account, "created_at": "2024-03-04 09:15", "text": t, "kind": kind}
        for i, t in enumerate(texts)
    ]


@pytest.fixture
def dataset(engine: Engine) -> Any:
    return engine(
        posts=[
            *posts("troll", [f"zzq they hide zzq story {i} @victim https://t.co/x{i}" for i in range(6)]),
            *posts("normal", [f"a nice walk in the park with the dog {i}" for i in range(6)]),
            *posts("mixed", ["zzq share zzq now", "zzq zzq wake up", "zzq alert zzq"])
            + posts("mixed2", ["lunch with my friends", "a good book", "the park at noon"]),
            *posts("few", ["zzq zzq", "zzq alert"]),
            *posts("reposter", ["zzq they lie zzq"] * 6, kind="repost"),
            *[{**p, "text": None} for p in posts("silent", ["x", "y"])],
        ]
    )


def by_account(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in table.to_pylist()}


def test_scores_accounts_by_share_of_high_posts(model_file: Path, dataset: Any) -> None:
    out = Content(model=model_file).accounts(dataset)
    assert out.schema == SIGNALS
    rows = by_account(out)
    troll, normal = rows["troll"], rows["normal"]
    assert troll["value"] == 1.0
    assert troll["score"] == pytest.approx(_wilson_lower(6, 6), abs=1e-4)
    assert troll["evidence"].startswith("100% of 6 posts score ≥ 0.8 on the text model 'tiny-io' (most typical, 0.")
    d = json.loads(troll["details"])
    assert d["posts"] == 6 and d["high"] == 6 and d["model"] == "tiny-io" and len(d["model_sha256"]) == 64
    # The quoted excerpt masks the handle and the link of the post it quotes.
    assert "@victim" not in troll["evidence"] and "t.co" not in troll["evidence"]
    assert d["top_excerpt"] in troll["evidence"] and d["top_post_id"].startswith("troll-")
    assert normal["value"] == 0.0 and normal["score"] == 0.0
    assert normal["evidence"].startswith("0% of 6 posts score ≥ 0.8 on the text model 'tiny-io' (highest 0.")
    assert "top_excerpt" not in json.loads(normal["details"])


def test_share_and_wilson_score_for_a_mixed_account(model_file: Path, dataset: Any) -> None:
    # mixed2 is a separate account; mixed posts 3 troll-like texts only.
    rows = by_account(Content(model=model_file, min_posts=3).accounts(dataset))
    assert rows["mixed"]["value"] == 1.0 and rows["mixed"]["score"] == pytest.approx(0.4385, abs=1e-4)
    assert rows["mixed2"]["value"] == 0.0
    # More posts with the same share give a higher score: the troll's 6/6 beats mixed's 3/3.
    assert rows["troll"]["score"] > rows["mixed"]["score"]


def test_null_cases(model_file: Path, dataset: Any) -> None:
    rows = by_account(Content(model=model_file).accounts(dataset))
    few, reposter, silent = rows["few"], rows["reposter"], rows["silent"]
    assert few["score"] is None and few["value"] is None
    assert few["evidence"] == "only 2 posts with text (at least 5 needed) for the text model 'tiny-io'"
    assert reposter["score"] is None
    assert reposter["evidence"] == "no own posts with text (reposts are not scored) for the text model 'tiny-io'"
    assert silent["score"] is None and json.loads(silent["details"])["posts"] == 0
    with_reposts = by_account(Content(model=model_file, include_reposts=True).accounts(dataset))
    assert with_reposts["reposter"]["value"] == 1.0


def test_batches_give_the_same_rows(model_file: Path, dataset: Any) -> None:
    whole = Content(model=model_file).accounts(dataset)
    batched = Content(model=model_file, batch_size=4).accounts(dataset)
    assert batched.to_pylist() == whole.to_pylist()


def test_empty_dataset(model_file: Path, engine: Engine) -> None:
    assert Content(model=model_file).accounts(engine()).num_rows == 0


def test_without_a_model_the_error_names_the_option(engine: Engine) -> None:
    signal = make_signal("content")
    with pytest.raises(InputError, match="--text-model"):
        signal.accounts(engine())


def test_registry_and_parameters(model_file: Path) -> None:
    assert isinstance(make_signal("content", model=model_file), Content)
    with pytest.raises(ValueError, match="threshold"):
        Content(model=model_file, threshold=0)
    with pytest.raises(ValueError, match="min_posts"):
        Content(model=model_file, min_posts=0)


def test_wilson_lower_bound() -> None:
    assert _wilson_lower(0, 10) == 0.0
    assert _wilson_lower(3, 3) == pytest.approx(0.4385, abs=1e-4)
    assert _wilson_lower(300, 300) == pytest.approx(0.9874, abs=1e-4)
    assert _wilson_lower(5, 10) < 0.5 < _wilson_lower(50, 60)
