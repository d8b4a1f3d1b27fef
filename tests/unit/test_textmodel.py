from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from overt.errors import DatasetError, InputError
from overt.model.schema import LABELS, POSTS
from overt.textmodel import (
    HASHTAG_TOKEN,
    MENTION_TOKEN,
    URL_TOKEN,
    TextModel,
    data_hash,
    load_model,
    mask,
    save_model,
    split_by_account,
    split_by_campaign,
    split_forward,
    train_from_dataset,
    train_text_model,
)

TROLL = ["zzq breaking zzq {i} must share", "zzq alert zzq number {i}", "they lie zzq {i} zzq wake up"]
NORMAL = ["lovely weather in the park {i}", "had a nice lunch with friends {i}", "reading a good book tonight {i}"]


def corpus(per_account: int = 6, accounts: int = 4) -> tuple[list[str], list[int], list[str]]:
    """Texts, labels and accounts where the character pattern `zzq` separates the classes."""
    texts, labels, groups = [], [], []
    for label, templates, prefix in ((1, TROLL, "t"), (0, NORMAL, "n")):
        for a in range(accounts):
            for i in range(per_account):
                texts.append(templates[(a + i) % len(templates)].format(i=a * 100 + i))
                labels.append(label)
                groups.append(f"{prefix}{a}")
    return texts, labels, groups


@pytest.fixture(scope="module")
def model() -> TextModel:
    texts, labels, groups = corpus()
    return train_text_model(texts, labels, groups, name="tiny", min_df=1)


# --- masking -----------------------------------------------------------------------------------------------------


def test_mask_replaces_links_handles_and_hashtags() -> None:
    text = "RT @Some_One: read https://t.co/AbC#frag and www.example.org/x #Breaking news ＃台灣 ＠user"
    assert mask(text) == (
        f"RT {MENTION_TOKEN}: read {URL_TOKEN} and {URL_TOKEN} {HASHTAG_TOKEN} news {HASHTAG_TOKEN} {MENTION_TOKEN}"
    )


def test_mask_options_and_non_tags() -> None:
    text = "#Vote @anna it&#39;s mail@example.com http://x.y/@z"
    assert mask(text, hashtags=False) == f"#Vote {MENTION_TOKEN} it&#39;s mail@example.com {URL_TOKEN}"
    assert mask(text, mentions=False, urls=False) == f"{HASHTAG_TOKEN} @anna it&#39;s mail@example.com http://x.y/@z"
    assert mask(None) == ""
    assert mask("plain text", hashtags=True) == "plain text"


def test_pipeline_masks_before_scoring(model: TextModel) -> None:
    p = model.predict_proba(["zzq alert @alice https://a.example/1", "zzq alert @bob https://b.example/2"])
    assert p[0] == p[1]


# --- training ----------------------------------------------------------------------------------------------------


def test_trained_model_separates_new_texts(model: TextModel) -> None:
    p = model.predict_proba(["zzq they hide it zzq", "zzq share now", "nice walk in the park", "lunch with a friend"])
    assert ((p >= 0) & (p <= 1)).all()
    assert min(p[:2]) > 0.8 > 0.2 > max(p[2:])
    assert model.predict_proba([]).shape == (0,)
    assert model.pipeline.predict(["zzq zzq", "a good book"]).tolist() == [1, 0]


def test_metadata_records_training(model: TextModel) -> None:
    texts, labels, _ = corpus()
    meta = model.metadata
    assert meta["name"] == "tiny"
    assert meta["training"]["label_counts"] == {"0": 24, "1": 24}
    assert meta["training"]["groups"] == 8
    assert meta["training"]["data_sha256"] == data_hash(texts, labels)
    assert meta["training"]["out_of_fold"]["roc_auc"] == 1.0
    assert meta["params"]["mask"] == {"urls": True, "mentions": True, "hashtags": True}
    assert meta["params"]["calibration"]["grouped"] is True
    assert meta["versions"]["scikit-learn"]


def test_data_hash_ignores_order_but_not_labels() -> None:
    assert data_hash(["a", "b"], [1, 0]) == data_hash(["b", "a"], [0, 1])
    assert data_hash(["a", "b"], [1, 0]) != data_hash(["a", "b"], [0, 1])


def test_training_needs_two_classes_and_enough_groups() -> None:
    texts, labels, groups = corpus()
    with pytest.raises(InputError, match="0/1"):
        train_text_model(texts, [2] * len(texts), min_df=1)
    with pytest.raises(InputError, match="one label per text"):
        train_text_model(texts, labels[:-1], min_df=1)
    with pytest.raises(InputError, match="at least 2 groups"):
        train_text_model(texts, labels, [g[0] for g in groups], min_df=1)  # one group per class
    with pytest.raises(InputError, match="at least 2 texts"):
        train_text_model(["zzq", "a", "b"], [1, 0, 0], min_df=1)


def test_training_without_groups_uses_text_folds() -> None:
    texts, labels, _ = corpus()
    m = train_text_model(texts, labels, min_df=1, mask_hashtags=False)
    assert m.metadata["params"]["calibration"]["grouped"] is False
    assert m.metadata["training"]["groups"] is None
    assert m.predict_proba(["zzq zzq"])[0] > 0.5


# --- files -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model.json", "model.json.gz"])
def test_save_load_round_trip(model: TextModel, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    save_model(model, path)
    loaded = load_model(path)
    probe = ["zzq news", "weather", "", "zzq @x https://t.co/1 #tag", "日本語のテキスト"]
    assert np.array_equal(loaded.predict_proba(probe), model.predict_proba(probe))
    assert loaded.metadata == json.loads(json.dumps(model.metadata))
    assert loaded.name == "tiny"
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")


def _doc(model: TextModel, tmp_path: Path) -> dict[str, Any]:
    save_model(model, tmp_path / "m.json")
    doc: dict[str, Any] = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="other"), "'format'"),
        (lambda d: d.update(format_version=99), "format_version"),
        (lambda d: d["model"]["vocabulary"].pop(), "array of"),
        (lambda d: d["model"]["vocabulary"].__setitem__(1, d["model"]["vocabulary"][0]), "repeated"),
        (lambda d: d["model"]["coef"].update(base64="!!!"), "base64"),
        (lambda d: d["model"]["coef"].update(dtype="object"), "dtype"),
        (lambda d: d["model"]["platt"].update(a="1"), "finite numbers"),
        (lambda d: d["params"]["vectorizer"].update(analyzer="callable"), "analyzer"),
        (lambda d: d["params"]["vectorizer"].update(ngram_range=[5, 2]), "ngram_range"),
        (lambda d: d["params"]["mask"].update(urls="yes"), "params.mask"),
    ],
)
def test_load_rejects_invalid_files(model: TextModel, tmp_path: Path, change: Any, message: str) -> None:
    doc = _doc(model, tmp_path)
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_model(path)


def test_load_refuses_pickles_and_garbage(tmp_path: Path) -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (Path("ran").write_text, ("pickle code ran",))

    (tmp_path / "m.pkl").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(InputError, match="not a text model file"):
        load_model(tmp_path / "m.pkl")
    assert not Path("ran").exists()
    (tmp_path / "m.gz").write_bytes(gzip.compress(b"[1, 2]"))
    with pytest.raises(InputError, match="'format'"):
        load_model(tmp_path / "m.gz")
    with pytest.raises(InputError, match="cannot read"):
        load_model(tmp_path / "missing.json")


# --- splits ------------------------------------------------------------------------------------------------------

groups_st = st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", None]), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(groups=groups_st, n_splits=st.integers(2, 6), seed=st.integers(0, 3), labelled=st.booleans())
def test_split_by_account_keeps_groups_whole(
    groups: list[str | None], n_splits: int, seed: int, labelled: bool
) -> None:
    labels = [1 if g in ("a", "b", "c") else 0 for g in groups] if labelled else None
    splits = list(split_by_account(groups, n_splits=n_splits, seed=seed, labels=labels))
    seen_test: list[int] = []
    for train, test in splits:
        assert len(train) and len(test)
        assert set(train.tolist()).isdisjoint(test.tolist())
        assert set(train.tolist()) | set(test.tolist()) == set(range(len(groups)))
        train_groups = {groups[i] for i in train if groups[i] is not None}
        test_groups = {groups[i] for i in test if groups[i] is not None}
        assert train_groups.isdisjoint(test_groups)
        seen_test += test.tolist()
    distinct = len({g for g in groups if g is not None}) + groups.count(None)  # each None row is its own group
    # With two groups or more, every row is tested exactly once; with one, there is nothing to split.
    assert sorted(seen_test) == (list(range(len(groups))) if distinct >= 2 else [])


def test_split_by_account_stratifies_and_balances() -> None:
    groups = [f"io{i}" for i in range(5) for _ in range(3)] + [f"c{i}" for i in range(5) for _ in range(3)]
    labels = [1] * 15 + [0] * 15
    for train, test in split_by_account(groups, n_splits=5, labels=labels):
        assert sorted({labels[i] for i in test}) == [0, 1]
        assert len(test) == 6 and len(train) == 24


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["ira", "iran", "vz", None, ""]), st.sampled_from(["u1", "u2", "u3", "u4", "u5"])),
        min_size=1,
        max_size=40,
    ),
    share=st.sampled_from([0.0, 0.3, 0.5]),
    seed=st.integers(0, 3),
)
def test_split_by_campaign_never_shares_an_account(rows: list[tuple[str | None, str]], share: float, seed: int) -> None:
    campaigns = [c for c, _ in rows]
    groups = [g for _, g in rows]
    named = sorted({c for c in campaigns if c})
    out = list(split_by_campaign(campaigns, groups, control_share=share, seed=seed))
    assert [c for c, _, _ in out] == named
    for campaign, train, test in out:
        assert {groups[i] for i in train}.isdisjoint({groups[i] for i in test})
        assert {i for i, c in enumerate(campaigns) if c == campaign} <= set(test.tolist())
        assert all(campaigns[i] in (campaign, None, "") for i in test)
        assert all(campaigns[i] != campaign for i in train)


def test_split_by_campaign_splits_controls_by_account() -> None:
    campaigns = ["ira"] * 4 + ["iran"] * 4 + [None] * 12
    groups = ["r1", "r1", "r2", "r2", "i1", "i1", "i2", "i2"] + [f"c{i // 2}" for i in range(12)]
    for _campaign, train, test in split_by_campaign(campaigns, groups, control_share=1 / 3, seed=1):
        test_controls = {groups[i] for i in test if campaigns[i] is None}
        train_controls = {groups[i] for i in train if campaigns[i] is None}
        assert len(test_controls) == 2 and len(train_controls) == 4


@settings(max_examples=60, deadline=None)
@given(
    times=st.lists(st.integers(0, 20), min_size=1, max_size=40),
    n_splits=st.integers(1, 5),
    with_groups=st.booleans(),
)
def test_split_forward_tests_only_later_rows(times: list[int], n_splits: int, with_groups: bool) -> None:
    groups = [f"g{t % 4}" for t in times] if with_groups else None
    for train, test in split_forward(times, n_splits=n_splits, groups=groups):
        assert max(times[i] for i in train) < min(times[i] for i in test)
        if groups is not None:
            assert {groups[i] for i in train}.isdisjoint({groups[i] for i in test})


def test_split_forward_blocks_and_datetimes() -> None:
    times = np.array(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"], dtype="datetime64[D]")
    splits = [(a.tolist(), b.tolist()) for a, b in split_forward(times, n_splits=3)]
    assert splits == [([0], [1]), ([0, 1], [2]), ([0, 1, 2], [3])]


# --- training from a canonical dataset ---------------------------------------------------------------------------


def write_dataset(folder: Path) -> Path:
    folder.mkdir()
    texts, _, groups = corpus()
    posts = []
    for i, (text, account) in enumerate(zip(texts, groups, strict=True)):
        posts.append({"post_id": f"p{i}", "account_id": account, "text": text, "kind": "post"})
    # A repost by a normal account carrying troll text, an unlabelled account, and an empty text.
    posts.append({"post_id": "r1", "account_id": "n0", "text": "zzq breaking zzq 1 must share", "kind": "repost"})
    posts.append({"post_id": "u1", "account_id": "stranger", "text": "zzq unknown", "kind": "post"})
    posts.append({"post_id": "e1", "account_id": "t0", "text": "  ", "kind": "post"})
    full = [
        {
            "platform": "test",
            "created_at": pa.scalar(0, pa.timestamp("us", tz="UTC")).as_py(),
            "source": {"file": "f", "line": 1},
            **p,
        }
        for p in posts
    ]
    pq.write_table(pa.Table.from_pylist(full, schema=POSTS.schema), folder / "posts.parquet")
    labels_rows = [
        {
            "platform": "test",
            "account_id": a,
            "label": "io" if a.startswith("t") else "control",
            "campaign": "op1" if a in ("t0", "t1") else ("op2" if a.startswith("t") else None),
            "source": "f",
        }
        for a in sorted(set(groups))
    ]
    pq.write_table(pa.Table.from_pylist(labels_rows, schema=LABELS.schema), folder / "labels.parquet")
    return folder


def test_train_from_dataset(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "ds")
    model = train_from_dataset(ds, tmp_path / "io.json", positive="io", min_df=1)
    assert model.name == "io"
    training = model.metadata["training"]
    # 24 + 24 posts: the repost, the unlabelled account and the blank text are left out.
    assert training["label_counts"] == {"0": 24, "1": 24}
    assert training["groups"] == 8
    assert training["dataset"]["positive"] == ["io"]
    loaded = load_model(tmp_path / "io.json")
    assert loaded.predict_proba(["zzq zzq"])[0] > 0.8

    by_campaign = train_from_dataset(ds, None, label_column="campaign", positive=["op1", "op2"], group_by="campaign")
    assert by_campaign.metadata["training"]["groups"] == 6  # two campaigns + four control accounts
    with_reposts = train_from_dataset(ds, positive="io", include_reposts=True, unlabelled_negative=True, min_df=1)
    assert with_reposts.metadata["training"]["label_counts"] == {"0": 26, "1": 24}
    named = train_from_dataset(ds, positive="io", negative="control", min_df=1)
    assert named.metadata["training"]["label_counts"] == {"0": 24, "1": 24}


def test_train_from_dataset_errors(tmp_path: Path) -> None:
    ds = write_dataset(tmp_path / "ds")
    with pytest.raises(InputError, match="both classes"):
        train_from_dataset(ds, positive="nothing-like-this")
    with pytest.raises(InputError, match="both classes"):
        train_from_dataset(ds, positive="io", negative="no-such-label")
    with pytest.raises(InputError, match="label_column"):
        train_from_dataset(ds, label_column="handle")
    (ds / "labels.parquet").unlink()
    with pytest.raises(DatasetError, match=r"no labels\.parquet"):
        train_from_dataset(ds)


@pytest.mark.real_data
def test_state_troll_tweets_round_trip(shared_data: Path, tmp_path: Path) -> None:
    """IRA tweets vs verified accounts' tweets: the grouped out-of-fold ROC-AUC is high, and the file round-trips."""
    import duckdb

    rows = (
        duckdb.connect()
        .execute(
            "SELECT tweet_text, bot_or_not, user_screen_name FROM read_csv($p, all_varchar = true) "
            "WHERE tweet_text IS NOT NULL",
            {"p": str(shared_data / "state_trolls_cch" / "russian_unseen.csv.gz")},
        )
        .fetchall()
    )
    texts, labels, groups = [r[0] for r in rows], [int(r[1]) for r in rows], [r[2] for r in rows]
    model = train_text_model(texts, labels, groups, name="ira")
    assert model.metadata["training"]["label_counts"] == {"0": 999, "1": 1000}
    assert model.metadata["training"]["out_of_fold"]["roc_auc"] > 0.85
    model.save(tmp_path / "ira.json.gz")
    assert np.array_equal(
        load_model(tmp_path / "ira.json.gz").predict_proba(texts[:50]), model.predict_proba(texts[:50])
    )
