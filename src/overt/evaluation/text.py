"""Text-level influence-operation (IO) vs non-IO: does the ``content`` text model carry over to a campaign it never saw?

Run with ``overt eval --protocols text`` (from the repository root).

Data: ``state_trolls_cch`` (see its SOURCE.md). IO tweets: the ``bot_or_not = 1`` rows of ``russian_unseen``
(IRA, 139 accounts), ``iranian_unseen`` (Iran, 39) and ``vz_unseen`` (Venezuela, 10). Controls: tweets of 35
famous verified accounts (politicians, journalists, news outlets). The ``bot_or_not = 0`` halves of the three
``*_unseen`` files are copies of ``real_test``, ``real_test2`` and ``real_test3`` (same texts: 999/999,
1000/1000, 996/997), so the control pool is the union of ``real_test{,2,3,4}`` and nothing is read twice;
``fake_test`` is the IRA half of ``russian_unseen`` and is not read. Exact duplicate texts are kept once
(IO files first). Controls are an easy negative class: they are newsroom and politician accounts, not ordinary
users, so these figures say how far the model transfers between operations, not how it does on organic data.

Protocol (each model: :func:`overt.textmodel.train_text_model` with its defaults, calibration folds by account):

- **Leave one campaign out** (:func:`overt.textmodel.split_by_campaign`): train on two of IRA/Iran/Venezuela
  plus the tweets of 23 control accounts, test on the third campaign plus the tweets of the 12 other control
  accounts. Accounts never appear on both sides (IO accounts are disjoint between campaigns; controls are split
  by account). Each seed draws the 12 held-out control accounts anew and shuffles the calibration folds.
- **Hashtag ablation**: links and @-handles are always masked; the model's default also masks hashtags
  (``links+handles+hashtags``), the ablation keeps them (``links+handles``). A model that had learnt the
  campaigns' topics through their hashtags would do better with them on seen campaigns and worse on a new one.
- **Truncation**: 45% of the control tweets (and 10% of the Venezuelan ones) were collected truncated, ending in
  ``…`` before the final link; the ellipsis alone would tell controls apart. The main rows remove it from
  every text (``ellipsis removed``); one configuration keeps it (``as collected``) to show what it is worth.
- **Organic negatives** (unless ``--no-organic``): the same, with the own posts (no retweets) of the
  ``organic_gopdebate2015`` tweets added to every training set as further negatives (test sets unchanged).
- **Pooled, by account** (:func:`overt.textmodel.split_by_account`): 5-fold over accounts across all three
  campaigns (stratified by class); the seed reshuffles the folds. The in-distribution reference: how well the
  model does on new accounts of campaigns it has seen.
- Not run: forward in time (:func:`overt.textmodel.split_forward`). The 35 control accounts post throughout
  2012-2019, so a later block restricted to accounts not seen before holds no controls, and one that keeps seen
  accounts measures memory of accounts, not transfer.

Metrics on post-level probabilities, mean ± SD over seeds: ROC-AUC, PR-AUC (average precision), F1 at
probability 0.5, and recall at 1% false-positive rate (the largest recall whose FPR on the test controls is
at most 1%). ``IO share`` is the test set's share of IO tweets (PR-AUC of a random ranking).

Then the ``content`` signal itself on organic data: models trained on all state-troll tweets (without and with
the GOP-debate negatives) score the ``organic_hk2021_academictwitter`` (#StandWithHongKong activists) and
``organic_x24_uselection_sample`` datasets; the table gives the share of own posts at probability ≥ 0.8 and of
accounts with at least 5 own posts whose score (the lower Wilson bound of that share) is ≥ 0.5. Last, the
n-grams that weigh most in each direction, to read what the model learnt.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
from joblib import Parallel, delayed

from overt.engine import DuckDBEngine
from overt.evaluation.data import Paths, dataset
from overt.evaluation.result import Result
from overt.scoring.train import metrics
from overt.signals.content import Content
from overt.textmodel import split_by_account, split_by_campaign, train_text_model

DATA = "state_trolls_cch"

#: (file, campaign) of the IO tweets.
IO_FILES = [("russian_unseen", "ira"), ("iranian_unseen", "iran"), ("vz_unseen", "venezuela")]
CONTROL_FILES = ["real_test", "real_test2", "real_test3", "real_test4"]
#: Masking -> whether hashtags are masked (links and handles always are). The second is the model's default.
MASKINGS = {"links+handles": False, "links+handles+hashtags": True}
DEFAULT = "links+handles+hashtags"
#: As collected, and with the ellipsis of truncated tweets removed (see the module docstring).
CLEANINGS = ("as collected", "ellipsis removed")
_TRUNCATED = re.compile(r"\s*…(?=\s*(?:https?://\S+\s*)?$)")
METRICS = ("roc_auc", "pr_auc", "f1", "recall_at_1pct_fpr")


def load(shared: Path) -> dict[str, Any]:
    """Texts, 0/1 labels, accounts and campaigns (``None`` for controls) of the evaluation pool."""
    folder = shared / DATA
    con = duckdb.connect()
    parts = [
        f"SELECT tweet_text AS text, user_screen_name AS account, '{campaign}' AS campaign, {i} AS file_order "
        f"FROM read_csv('{folder / (name + '.csv.gz')}', all_varchar = true) WHERE bot_or_not = '1'"
        for i, (name, campaign) in enumerate(IO_FILES)
    ]
    parts += [
        f"SELECT tweet_text AS text, user_screen_name AS account, NULL AS campaign, {10 + i} AS file_order "
        f"FROM read_csv('{folder / (name + '.csv.gz')}', all_varchar = true)"
        for i, name in enumerate(CONTROL_FILES)
    ]
    rows = con.execute(
        f"""
        SELECT text, account, campaign FROM (
            SELECT *, row_number() OVER (ORDER BY file_order) AS rn FROM ({" UNION ALL ".join(parts)}) u
            WHERE text IS NOT NULL
        ) t
        QUALIFY row_number() OVER (PARTITION BY text ORDER BY rn) = 1
        ORDER BY rn
        """
    ).fetchall()
    con.close()
    campaigns = [r[2] for r in rows]
    return {
        "texts": [r[0] for r in rows],
        "accounts": np.array([r[1] for r in rows], dtype=object),
        "campaigns": np.array(campaigns, dtype=object),
        "y": np.array([c is not None for c in campaigns], dtype=np.int64),
    }


def untruncate(text: str) -> str:
    """*text* without a trailing ellipsis (before an optional final link): the mark of a truncated tweet."""
    return _TRUNCATED.sub("", text)


def _fit_predict(data: dict[str, Any], train: np.ndarray, test: np.ndarray, hashtags: bool, seed: int) -> np.ndarray:
    texts = data["texts"]
    extra = data.get("extra_negatives", {"texts": [], "accounts": []})
    model = train_text_model(
        [texts[i] for i in train] + extra["texts"],
        np.r_[data["y"][train], np.zeros(len(extra["texts"]), dtype=np.int64)],
        data["accounts"][train].tolist() + extra["accounts"],
        mask_hashtags=hashtags,
        seed=seed,
    )
    return model.predict_proba([texts[i] for i in test])


def _task(data: dict[str, Any], split: tuple[str, np.ndarray, np.ndarray], hashtags: bool, seed: int) -> Any:
    name, train, test = split
    return name, test, _fit_predict(data, train, test, hashtags, seed)


def _summary(setting: str, cleaning: str, masking: str, held_out: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "setting": setting,
        "cleaning": cleaning,
        "masking": masking,
        "test": held_out,
        "seeds": len(runs),
    }
    for key in ("train_posts", "test_posts", "test_io_accounts", "test_control_accounts"):
        row[key] = round(statistics.mean(r[key] for r in runs))
    row["test_io_share"] = statistics.mean(r["test_io_share"] for r in runs)
    for m in METRICS:
        values = [r[m] for r in runs]
        row[m] = statistics.mean(values)
        row[m + "_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return row


def _run_facts(data: dict[str, Any], train_posts: int, test: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    y, accounts = data["y"], data["accounts"]
    return {
        "train_posts": train_posts,
        "test_posts": len(test),
        "test_io_accounts": len(set(accounts[test][y[test] == 1])),
        "test_control_accounts": len(set(accounts[test][y[test] == 0])),
        "test_io_share": float(y[test].mean()),
        **metrics(y[test], p),
    }


def _loco(
    parallel: Parallel, data: dict[str, Any], setting: str, cleaning: str, masking: str, seeds: int
) -> list[dict[str, Any]]:
    """Leave-one-campaign-out rows (one per campaign, and their mean) for one configuration."""
    tasks = [
        (seed, split)
        for seed in range(seeds)
        for split in split_by_campaign(data["campaigns"], data["accounts"], seed=seed)
    ]
    hashtags = MASKINGS[masking]
    results = parallel(delayed(_task)(data, split, hashtags, seed) for seed, split in tasks)
    per_campaign: dict[str, list[dict[str, Any]]] = {}
    for (_, (_, train, _)), (campaign, test, p) in zip(tasks, results, strict=True):
        per_campaign.setdefault(campaign, []).append(_run_facts(data, len(train), test, p))
    rows = [_summary(setting, cleaning, masking, campaign, runs) for campaign, runs in per_campaign.items()]
    # The mean over the three held-out campaigns, seed by seed, so that its SD is a between-seed one.
    by_seed = list(zip(*per_campaign.values(), strict=True))
    averaged = [{k: statistics.mean(r[k] for r in same_seed) for k in same_seed[0]} for same_seed in by_seed]
    return [*rows, _summary(setting, cleaning, masking, "mean of 3", averaged)]


def _pooled(parallel: Parallel, data: dict[str, Any], cleaning: str, masking: str, seeds: int) -> dict[str, Any]:
    """5-fold by account over all campaigns and controls; metrics on the pooled out-of-fold probabilities."""
    folds = [
        (seed, ("all", train, test))
        for seed in range(seeds)
        for train, test in split_by_account(data["accounts"], n_splits=5, seed=seed, labels=data["y"])
    ]
    results = parallel(delayed(_task)(data, split, MASKINGS[masking], seed) for seed, split in folds)
    runs = []
    for seed in range(seeds):
        p = np.full(len(data["y"]), np.nan)
        for (s, _), (_, test, probs) in zip(folds, results, strict=True):
            if s == seed:
                p[test] = probs
        runs.append(_run_facts(data, round(len(p) * 4 / 5), np.arange(len(p)), p))
    return _summary("pooled, 5-fold by account", cleaning, masking, "all 3 + controls", runs)


def run(
    shared: Path,
    seeds: int = 5,
    pooled: bool = True,
    organic: Paths | None = None,
    jobs: int = 2,
) -> list[dict[str, Any]]:
    """One row per (setting, cleaning, masking, held-out campaign): metrics as mean and SD over *seeds* seeds.

    With *organic* (where the ingested organic datasets are kept), also the leave-one-campaign-out rows of a
    model whose training negatives include the organic GOP-debate posts.
    """
    raw = load(shared)
    cleaned = dict(raw, texts=[untruncate(t) for t in raw["texts"]])
    rows: list[dict[str, Any]] = []
    with Parallel(n_jobs=jobs) as parallel:
        for masking in MASKINGS:
            rows += _loco(parallel, cleaned, "leave one campaign out", CLEANINGS[1], masking, seeds)
        rows += _loco(parallel, raw, "leave one campaign out", CLEANINGS[0], DEFAULT, seeds)
        if organic is not None:
            extra = dict(cleaned, extra_negatives=organic_negatives(organic))
            rows += _loco(parallel, extra, "leave one campaign out, + gop2015 negatives", CLEANINGS[1], DEFAULT, seeds)
        if pooled:
            for masking in MASKINGS:
                rows.append(_pooled(parallel, cleaned, CLEANINGS[1], masking, seeds))
    return rows


# --- organic data: false positives of the content signal ----------------------------------------------------------


def organic_negatives(paths: Paths) -> dict[str, list[str]]:
    """Own posts (no retweets) of the GOP-debate tweets, as extra training negatives."""
    folder = dataset(paths, "gop2015")
    con = duckdb.connect()
    rows = con.execute(
        "SELECT DISTINCT ON (text) text, account_id FROM read_parquet($p) "
        "WHERE kind <> 'repost' AND text IS NOT NULL ORDER BY text, account_id",
        {"p": str(folder / "posts.parquet")},
    ).fetchall()
    con.close()
    return {"texts": [r[0] for r in rows], "accounts": [f"gop2015:{r[1]}" for r in rows]}


def organic_false_positives(paths: Paths) -> list[dict[str, Any]]:
    """How often the ``content`` signal flags ordinary accounts: models trained on all of the state-troll data
    (ellipsis removed, default masking), without and with the GOP-debate posts as extra negatives, scored on two
    other organic datasets (hk2021 activists, x24 election sample) through the signal itself."""
    data = load(paths.data)
    texts = [untruncate(t) for t in data["texts"]]
    extra = organic_negatives(paths)
    trainings = {
        "verified controls": (texts, data["y"], data["accounts"].tolist()),
        "verified + gop2015": (
            texts + extra["texts"],
            np.r_[data["y"], np.zeros(len(extra["texts"]), dtype=np.int64)],
            data["accounts"].tolist() + extra["accounts"],
        ),
    }
    rows = []
    for negatives, (x, y, groups) in trainings.items():
        model_file = paths.work / f"text-model-{negatives.split()[-1]}.json"
        train_text_model(x, y, groups, name=f"state-trolls ({negatives})").save(model_file)
        for key in ("hk2021", "x24"):
            eng = DuckDBEngine(threads=2)
            eng.attach_dataset(dataset(paths, key))
            signal = Content(model=model_file)
            table = signal.accounts(eng).to_pylist()
            eng.close()
            scored = [r for r in table if r["score"] is not None]
            posts = sum(json.loads(r["details"])["posts"] for r in table)
            high = sum(json.loads(r["details"]).get("high", 0) for r in table)
            rows.append(
                {
                    "negatives": negatives,
                    "data": key,
                    "own_posts": posts,
                    "posts_high": high / posts if posts else 0.0,
                    "accounts_scored": len(scored),
                    "accounts_score_ge_0_5": sum(r["score"] >= 0.5 for r in scored),
                    "share_score_ge_0_5": sum(r["score"] >= 0.5 for r in scored) / len(scored) if scored else 0.0,
                }
            )
    return rows


def top_ngrams(shared: Path, n: int = 15) -> dict[str, dict[str, list[str]]]:
    """The n-grams weighing most towards IO and towards control, per masking (model on all cleaned texts)."""
    data = load(shared)
    texts = [untruncate(t) for t in data["texts"]]
    out = {}
    for masking, hashtags in MASKINGS.items():
        model = train_text_model(texts, data["y"], data["accounts"].tolist(), mask_hashtags=hashtags)
        vec, clf = model.pipeline.named_steps["tfidf"], model.pipeline.named_steps["clf"]
        terms = np.array(sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__), dtype=object)
        order = np.argsort(clf.coef_)
        out[masking] = {"io": [repr(t) for t in terms[order[::-1][:n]]], "control": [repr(t) for t in terms[order[:n]]]}
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    head = ["setting", "cleaning", "masking", "test", "train posts", "test posts", "IO share", *METRICS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r["setting"],
            r["cleaning"],
            r["masking"],
            r["test"],
            f"{r['train_posts']:,}",
            f"{r['test_posts']:,}",
            f"{r['test_io_share']:.2f}",
            *(f"{r[m]:.3f} ± {r[m + '_sd']:.3f}" for m in METRICS),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def organic_markdown(rows: list[dict[str, Any]]) -> str:
    head = ["training negatives", "data", "own posts", "posts ≥ 0.8", "accounts scored (≥ 5 posts)", "score ≥ 0.5"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [
            r["negatives"],
            r["data"],
            f"{r['own_posts']:,}",
            f"{r['posts_high']:.1%}",
            f"{r['accounts_scored']:,}",
            f"{r['accounts_score_ge_0_5']:,} ({r['share_score_ge_0_5']:.1%})",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cross_campaign(paths: Paths, note: Callable[[str], None] = print, seeds: int = 5) -> Result:
    """The protocol as one :class:`Result`: the leave-one-campaign-out and pooled rows, then the content signal
    on organic data."""
    started = time.perf_counter()
    note("text: leave one campaign out")
    rows = run(paths.data, seeds=seeds, pooled=True, organic=paths)
    note("text: content signal on organic data")
    fp = organic_false_positives(paths)
    table = [
        [
            r["setting"],
            r["cleaning"],
            r["masking"],
            r["test"],
            f"{r['test_posts']:,}",
            f"{r['test_io_share']:.2f}",
            *(f"{r[m]:.3f} ± {r[m + '_sd']:.3f}" for m in METRICS),
        ]
        for r in rows
    ]
    organic = "; ".join(
        f"{r['data']} with {r['negatives']} as training negatives: {r['accounts_score_ge_0_5']:,} of "
        f"{r['accounts_scored']:,} accounts ({r['share_score_ge_0_5']:.1%}) score ≥ 0.5"
        for r in fp
    )
    return Result(
        key="text",
        title="Text level, across campaigns (state-troll tweets vs verified accounts' tweets)",
        what=(
            "The content signal's text model (character n-grams, calibrated logistic regression; links and handles "
            "masked, hashtags too unless the row says otherwise) trained on two of IRA/Iran/Venezuela plus the "
            "tweets of 23 control accounts, tested on the third campaign plus the 12 other control accounts (no "
            f"account on both sides); mean ± SD over {seeds} seeds. 'IO share' is the PR-AUC of a random ranking. "
            "The pooled rows (5-fold by account over all campaigns) are the in-distribution reference. On organic "
            f"data, the content signal of a model trained on all state-troll tweets flags: {organic}."
        ),
        columns=[
            "setting",
            "cleaning",
            "masking",
            "test",
            "test posts",
            "IO share",
            "ROC-AUC",
            "PR-AUC",
            "F1",
            "recall at 1% FPR",
        ],
        rows=table,
        caveats=[
            "The controls are newsroom and politician accounts; 45% of their tweets were collected truncated "
            "(ending in '…'), which alone gives them away: the main rows remove the ellipsis.",
            "Adding ordinary users' tweets (GOP debate 2015) as negatives cuts false positives on ordinary accounts "
            "but shows how little of the transfer is about operations: the model learns tweet register (casual, "
            "hashtag-heavy vs newsroom prose) more than operation-specific language.",
            "Content is opt-in for this reason: a pointer to read the posts, not a finding.",
        ],
        figures={"rows": rows, "organic": fp},
        seconds=time.perf_counter() - started,
    )


def content_feature(paths: Paths) -> Callable[[list[str], list[str], bool], dict[str, float]]:
    """The content feature for account-level leave-one-campaign-out: for one fold, the content signal of every
    training and test account, from text models that never saw the account (training accounts are scored by a
    model trained on the other half of the training accounts: cross-fitting, so the combiner is not fitted to
    in-sample scores)."""
    folder = dataset(paths, "trolls")
    con = duckdb.connect()
    rows = con.execute(
        """
        WITH l AS (SELECT account_id, bool_or(label <> 'control') AS io FROM read_parquet($labels) GROUP BY 1)
        SELECT p.account_id, p.text, l.io FROM read_parquet($posts) p JOIN l USING (account_id)
        WHERE p.kind <> 'repost' AND p.text IS NOT NULL
        """,
        {"labels": str(folder / "labels.parquet"), "posts": str(folder / "posts.parquet")},
    ).fetchall()
    con.close()
    model_file = paths.work / "content-fold-model.json"

    def score(train: set[str], targets: set[str], hashtags: bool, seed: int) -> dict[str, float]:
        picked = [r for r in rows if r[0] in train]
        model = train_text_model(
            [untruncate(r[1]) for r in picked],
            np.array([int(r[2]) for r in picked], dtype=np.int64),
            [r[0] for r in picked],
            mask_hashtags=hashtags,
            seed=seed,
        )
        model.save(model_file)
        eng = DuckDBEngine(threads=2)
        eng.attach_dataset(folder)
        try:
            table = Content(model=model_file).accounts(eng).to_pylist()
        finally:
            eng.close()
        return {r["account_id"]: r["score"] or 0.0 for r in table if r["account_id"] in targets}

    def feature(train: list[str], test: list[str], hashtags: bool) -> dict[str, float]:
        order = sorted(train)
        rng = np.random.default_rng(len(order))
        halves = rng.permutation(len(order)) % 2
        a = {x for x, h in zip(order, halves, strict=True) if h == 0}
        b = set(order) - a
        out = score(b, a, hashtags, 1)
        out.update(score(a, b, hashtags, 2))
        out.update(score(set(train), set(test), hashtags, 3))
        return out

    return feature
