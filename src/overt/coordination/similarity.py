"""Similarity detectors: accounts whose whole behavioural profiles look alike (Pacheco et al. 2021).

Where a co-action detector asks "did these two accounts act on the same item within a window", a similarity
detector turns each account into a vector over *features* (the posts it reposts, the half-hours it is active
in, the runs of hashtags it writes) and asks how alike two vectors are, with no window at all. Following
Pacheco, Hui, Torres-Lugo, Truong, Flammini and Menczer (2021), "Uncovering Coordinated Networks on Social
Media" (ICWSM), and their published code, each account is a TF-IDF vector over its features (sublinear term
frequency ``1 + log(count)``, smoothed inverse document frequency, unit length) and two accounts are linked by
the cosine of their vectors. Features only one account has are left out: they cannot be shared, yet TF-IDF
weighs them most, so they would shrink every similarity of an account by how much unique material it has
(Pacheco et al.'s code drops features of fewer than three accounts for the same reason).

How the work is split:

* the per-account features are aggregated in SQL on the engine (a ``GROUP BY`` per detector, portable DuckDB
  SQL), restricted to accounts with enough support;
* the sparse ``accounts × features`` matrix is built in Python (SciPy, scikit-learn's ``TfidfTransformer``);
* the pairs at or above ``min_similarity`` come from a product computed one block of rows at a time (sparse,
  or dense arrays when most entries are non-zero), so no ``N × N`` matrix ever exists: a block holds at most
  :data:`_BLOCK_ENTRIES` products.

**The null model.** A cosine similarity has no closed-form chance expectation, so each detector builds one
by permutation. The occurrences (one per repost, post or hashtag used) keep their account and their item
column is shuffled among them: every account keeps how much it does and every item keeps how popular it is
(how many reposts a post gets, how busy a half-hour is, how often a hashtag is used); only *who did what* is
made random. The features are then rebuilt and the similarities recomputed, ``permutations`` times (seeded,
so a run is reproducible). For hashtag runs the shuffled unit is a post's list of hashtags, moved among posts
with as many hashtags, and the runs are rebuilt: two accounts that share a run also share its hashtags, which
a null that moved runs alone would miss, and hashtags used together organically stay together.

Similarity grows with activity under chance alone (two accounts active in every half-hour are alike whatever
they do), so a pair is compared only with chance pairs of equally active accounts: accounts fall into classes
by ``floor(log2(occurrences))`` (kept exactly by the shuffle) and a pair's *stratum* is its two classes. An
edge's ``p_value`` is the fraction of null pairs of its stratum at least as similar, with +1 smoothing,
``p = (1 + #{null pairs ≥ s}) / (1 + R · m_s)`` for ``R`` shuffles of the stratum's ``m_s`` pairs (null
similarities are counted in bins of width ``1/4096``, and a null pair in the edge's bin counts as at least as
similar, which can only make ``p`` larger). ``q_value`` is the Benjamini-Hochberg adjustment over all
``m = N(N-1)/2`` pairs of the ``N`` accounts considered (:func:`overt.coordination.significance
.benjamini_hochberg`); ``expected`` is ``#{null pairs ≥ s} / R``, the number of pairs of the stratum chance
alone puts at or above the edge's similarity. Edges need ``q ≤ alpha`` and a similarity of at least
``min_similarity``. This is what keeps heavy organic accounts out: two very active accounts that share many
popular features are just as similar in the shuffled world, so their similarity is not evidence.

An empirical null has a resolution: no ``p`` is below ``1 / (1 + R · m_s)``, while Benjamini-Hochberg over
``m`` pairs keeps ``k`` pairs only when their ``p`` are at most ``alpha · k / m``. Coordinated accounts are
often more active than most, so their stratum is small and ``R = permutations`` shuffles can fall short
however clear the signal. So when several real pairs (three or more; chance leaves about ``1 / R`` there)
lie beyond every null pair of their stratum, that stratum (and only its accounts, which keeps a round cheap)
gets more shuffles, enough for those pairs to be able to pass, up to ``max_permutations`` in all; ``R``
above is then the stratum's own count. A handful of accounts far
more active than everyone else, whose stratum would need more than that, cannot be told from chance and are
left alone, by design: there are too few equals to compare them with.

What the null does not model: real organic structure (fans of the same accounts, people in one time zone
with the same routine) is not in a shuffle, so like-minded organic accounts can come out similar; the
similarity shows *that* profiles match, not why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from overt.coordination import significance
from overt.coordination.detectors import AT, Detector, register
from overt.coordination.schema import EDGES, seconds_to_timestamps
from overt.engine import Engine

#: Upper bound on the entries of one block of the similarity product (rows × accounts); a fully dense block
#: of this size takes about 100 MB (value and column index), whatever the number of accounts.
_BLOCK_ENTRIES = 1 << 23
#: Share of non-zero entries above which the similarity product is computed on dense arrays.
_DENSE_SHARE = 0.05
#: Resolution of the null histograms: similarities are counted in bins of width ``1 / _BINS``.
_BINS = 4096
#: Real pairs beyond every null pair a stratum needs before it is given more shuffles.
_BEYOND = 3
#: Shared features listed per edge in ``items``.
_EXAMPLES = 5
# Cosines of identical vectors come out a few ulps below 1; a pair exactly at the threshold must not be lost.
_EPS = 1e-9

_Ints = npt.NDArray[np.int64]
_Floats = npt.NDArray[np.float64]
#: Feature occurrences as ``(account, feature, count, number of features)``; repeated pairs add up.
_Counts = tuple[_Ints, _Ints, _Ints, int]


@dataclass
class _Profile:
    """The accounts' features: one entry per (account, feature) with its count and first and last time."""

    accounts: list[str]
    account: _Ints
    feature: _Ints
    count: _Ints
    first_ts: _Ints
    last_ts: _Ints
    n_features: int
    label: Callable[[int], str]
    #: For features built from a sequence (hashtag runs): each position's account and item, grouped by account
    #: in time order, and where each post's items start in it.
    sequence: tuple[_Ints, _Ints, _Ints] | None = None


@dataclass(kw_only=True)
class Similarity(Detector):
    """Shared settings and machinery of the similarity detectors (a base class, not a detector itself).

    Parameters
    ----------
    min_similarity:
        Smallest cosine similarity an edge may have (and the threshold of the product: pairs below it are
        never materialised, in the data or in the null).
    permutations:
        Shuffles that make the null distribution (``R`` above).
    max_permutations:
        Most shuffles a stratum may get: strata with real pairs beyond every null pair get more shuffles, up
        to this many, when the first ``permutations`` are too few to tell them from chance.
    seed:
        Seed of the shuffles; the same seed gives the same edges.
    """

    kind: ClassVar[str] = "similarity"
    min_similarity: float = 0.2
    permutations: int = 10
    max_permutations: int = 1000
    seed: int = 42

    def __post_init__(self) -> None:
        if isinstance(self.min_similarity, bool) or not isinstance(self.min_similarity, int | float):
            raise ValueError(f"{self.name}: min_similarity must be a number, not {self.min_similarity!r}")
        if not 0.0 < self.min_similarity <= 1.0:
            raise ValueError(f"{self.name}: min_similarity must be in (0, 1], not {self.min_similarity!r}")
        _positive_int(self, "permutations")
        _positive_int(self, "max_permutations")
        if self.max_permutations < self.permutations:
            raise ValueError(f"{self.name}: max_permutations must be at least permutations ({self.permutations})")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"{self.name}: seed must be a non-negative integer, not {self.seed!r}")

    def occurrences(self) -> str:
        """SQL giving ``account_id, item, ts``: one row per action of the accounts with enough support.

        ``item`` is what the action is about as a string key (a reposted post, a time bin, a hashtag) and
        ``ts`` its time in whole seconds. Where features are runs, the rows come in sequence order.
        """
        raise NotImplementedError

    def label(self, item: str) -> str:
        """How an item key is shown in ``items``."""
        return item

    def edges(self, eng: Engine, alpha: float) -> tuple[pa.Table, dict[str, Any]]:
        """The kept edges (:data:`~overt.coordination.schema.EDGES`) and counts of what was considered.

        The info dict has ``accounts`` (accounts with enough support), ``features`` (distinct features
        among them), ``occurrences`` (feature occurrences), ``candidate_edges`` (pairs with similarity
        ``≥ min_similarity``), ``null_pairs`` (null pairs at or above it, over all shuffles),
        ``tested_pairs`` (``m``) and ``kept_edges``.
        """
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], not {alpha!r}")
        info: dict[str, Any] = {"params": self.params()}
        profile = self._profile(eng)
        n = len(profile.accounts)
        m = n * (n - 1) // 2
        info.update(accounts=n, features=profile.n_features, occurrences=int(profile.count.sum()), tested_pairs=m)
        if n < 2:
            info.update(candidate_edges=0, null_pairs=0, extra_shuffles=0, kept_edges=0)
            return EDGES.empty_table(), info
        strata = _Strata(np.bincount(profile.account, weights=profile.count, minlength=n).astype(np.int64))
        real, columns = _tfidf(profile.account, profile.feature, profile.count, (n, profile.n_features))

        # The null first, each shuffle's similarities counted into a per-stratum histogram: no memory per pair.
        shuffles = self._shuffles(profile, np.random.default_rng(self.seed))
        null = _Null(strata)
        for _ in range(self.permutations):
            account, feature, count, n_features = next(shuffles)
            null.add(_tfidf(account, feature, count, (n, n_features))[0], self.min_similarity)
        scored = _score(real, null, self.min_similarity, alpha)
        info["candidate_edges"] = scored.candidates

        # More shuffles where the first ones cannot resolve what was seen: strata with real pairs beyond every
        # null pair, whose smallest possible p (1 / (1 + R m_s)) is still too large for Benjamini-Hochberg to
        # keep them. Only those strata's accounts are compared, so a round costs little more than a shuffle.
        extra = null.rounds_needed(scored, m, alpha, self.max_permutations)
        for done in range(int(extra.max(initial=0))):
            account, feature, count, n_features = next(shuffles)
            null.add(_tfidf(account, feature, count, (n, n_features))[0], self.min_similarity, only=extra > done)
        if extra.any():
            scored = _score(real, null, self.min_similarity, alpha)
        info["null_pairs"] = int(null.histogram.sum())
        info["extra_shuffles"] = int(extra.max(initial=0))

        q = significance.benjamini_hochberg(scored.p, m)
        # Accounts are numbered in id order, so a < b is account_a < account_b; rows sorted by the pair.
        keep = np.flatnonzero(q <= alpha)
        order = keep[np.lexsort((scored.b[keep], scored.a[keep]))]
        a, b, sim, p = scored.a[order], scored.b[order], scored.sim[order], scored.p[order]
        expected = scored.at_least[order] / null.shuffles[strata.key(a, b)]
        info["kept_edges"] = int(order.size)
        return self._table(profile, real, columns, a, b, sim, expected, p, q[order], eng), info

    def _profile(self, eng: Engine) -> _Profile:
        """The occurrences aggregated per (account, item) on the engine: the items are the features."""
        rows = eng.arrow(
            f"""
            SELECT account_id, item, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
            FROM ({self.occurrences()}) o GROUP BY account_id, item
            """
        )
        accounts, account = _codes(rows.column("account_id"))
        items, feature = _codes(rows.column("item"))
        # The engine returns groups in any order; the shuffles must start from one order to be reproducible.
        order = np.lexsort((feature, account))
        return _Profile(
            accounts=accounts,
            account=account[order],
            feature=feature[order],
            count=_ints(rows.column("n"))[order],
            first_ts=_ints(rows.column("first_ts"))[order],
            last_ts=_ints(rows.column("last_ts"))[order],
            n_features=len(items),
            label=lambda i: self.label(items[i]),
        )

    def _shuffles(self, profile: _Profile, rng: np.random.Generator) -> Iterator[_Counts]:
        """Null worlds, as many as asked for: every occurrence's item shuffled among all occurrences."""
        account = np.repeat(profile.account, profile.count)
        items = np.repeat(profile.feature, profile.count)
        ones = np.ones(items.size, np.int64)
        while True:
            yield account, rng.permutation(items), ones, profile.n_features

    def _table(
        self,
        profile: _Profile,
        real: sp.csr_matrix,
        columns: _Ints,
        a: _Ints,
        b: _Ints,
        sim: _Floats,
        expected: _Floats,
        p: _Floats,
        q: _Floats,
        eng: Engine,
    ) -> pa.Table:
        n = a.size
        ids = pa.array(profile.accounts, pa.string())
        spans = _spans(eng, self.name, profile, a, b)
        return pa.Table.from_arrays(
            [
                pa.array([self.name] * n, pa.string()),
                ids.take(pa.array(a, pa.int64())),
                ids.take(pa.array(b, pa.int64())),
                pa.array(np.minimum(sim, 1.0), pa.float64()),
                spans.column("n_shared"),
                pa.nulls(n, pa.int64()),
                seconds_to_timestamps(spans.column("first_ts")),
                seconds_to_timestamps(spans.column("last_ts")),
                spans.column("a_first"),
                spans.column("b_first"),
                pa.array(expected, pa.float64()),
                pa.array(p, pa.float64()),
                pa.array(q, pa.float64()),
                pa.array(_top_shared(real, columns, a, b, profile.label), pa.list_(pa.string())),
            ],
            schema=EDGES,
        )


class _Strata:
    """Account pairs grouped by how active both accounts are (classes ``floor(log2(occurrences))``)."""

    def __init__(self, occurrences: _Ints) -> None:
        self.classes = np.floor(np.log2(np.maximum(occurrences, 1))).astype(np.int64)
        self.n_classes = int(self.classes.max()) + 1 if self.classes.size else 1
        self.sizes = np.bincount(self.classes, minlength=self.n_classes).astype(np.int64)
        self.n_keys = self.n_classes * self.n_classes

    def key(self, a: _Ints, b: _Ints) -> _Ints:
        ca, cb = self.classes[a], self.classes[b]
        return np.minimum(ca, cb) * self.n_classes + np.maximum(ca, cb)

    def members(self, keys: _Ints) -> _Ints:
        """The classes of the accounts in the strata *keys*."""
        return np.concatenate([keys // self.n_classes, keys % self.n_classes])

    def pairs(self, key: _Ints) -> _Ints:
        """How many account pairs each stratum has."""
        lo, hi = key // self.n_classes, key % self.n_classes
        return np.where(lo == hi, self.sizes[lo] * (self.sizes[lo] - 1) // 2, self.sizes[lo] * self.sizes[hi])


class _Null:
    """Null similarities counted per stratum in bins, and how many shuffles each stratum has seen."""

    def __init__(self, strata: _Strata) -> None:
        self.strata = strata
        self.histogram = np.zeros((strata.n_keys, _BINS + 1), np.int64)
        self.shuffles = np.zeros(strata.n_keys, np.int64)
        self._at_or_above: _Ints | None = None

    def add(self, matrix: sp.csr_matrix, threshold: float, only: npt.NDArray[np.bool_] | None = None) -> None:
        """Count one shuffle's pairs at or above *threshold*: all strata, or the strata flagged in *only*."""
        rows = np.arange(matrix.shape[0])
        if only is not None:
            classes = np.unique(self.strata.members(np.flatnonzero(only)))
            rows = np.flatnonzero(np.isin(self.strata.classes, classes))
            matrix = sp.csr_matrix(matrix[rows])
        # Histogram cells are gathered over blocks and counted in one go: counting block by block would
        # allocate a histogram-sized array for every block.
        cells: list[_Ints] = []
        gathered = 0
        for a, b, sim in _pairs_above(matrix, threshold):
            key = self.strata.key(rows[a], rows[b])
            if only is not None:
                keep = only[key]
                key, sim = key[keep], sim[keep]
            cells.append(key * (_BINS + 1) + _bin(sim))
            gathered += key.size
            if gathered >= _BLOCK_ENTRIES:
                self._count(cells)
                cells, gathered = [], 0
        self._count(cells)
        self.shuffles += 1 if only is None else only
        self._at_or_above = None

    def _count(self, cells: list[_Ints]) -> None:
        if cells:
            flat = np.bincount(np.concatenate(cells), minlength=self.histogram.size)
            self.histogram += flat.reshape(self.histogram.shape)

    def at_least(self, key: _Ints, sim: _Floats) -> _Ints:
        """Null pairs of each pair's stratum at least as similar.

        Those in the same or a higher bin: a null pair a hair below a similarity but in its bin counts too,
        which can only make p larger.
        """
        if self._at_or_above is None:
            self._at_or_above = self.histogram[:, ::-1].cumsum(axis=1)[:, ::-1]
        return self._at_or_above[key, _bin(sim - _EPS)]

    def p(self, key: _Ints, at_least: _Ints) -> _Floats:
        return (1.0 + at_least) / (1.0 + self.shuffles[key] * self.strata.pairs(key))

    def rounds_needed(self, scored: _Scored, m: int, alpha: float, most: int) -> _Ints:
        """Extra shuffles per stratum for its real pairs beyond every null pair to be able to pass.

        If the ``k`` such pairs keep no null pair above them, Benjamini-Hochberg keeps them all when each p is
        at most ``alpha k / m``; a stratum is given the shuffles for half that (room for null pairs that the
        new shuffles turn up). Only strata with at least :data:`_BEYOND` such pairs qualify: chance alone puts
        about ``1 / R`` pairs of every stratum beyond its ``R`` shuffles, so lone pairs are expected somewhere,
        while a group shows as several pairs between equally active accounts. Strata that would need more
        than *most* shuffles in all are left alone (a handful of accounts far more active than the rest cannot
        be told from chance whatever is done).
        """
        extra = np.zeros(self.strata.n_keys, np.int64)
        beyond = scored.at_least == 0
        if not beyond.any():
            return extra
        keys, pairs_beyond = np.unique(self.strata.key(scored.a[beyond], scored.b[beyond]), return_counts=True)
        keys = keys[pairs_beyond >= _BEYOND]
        target = 2.0 * m / (alpha * int(beyond.sum()))
        needed = np.ceil((target - 1.0) / np.maximum(self.strata.pairs(keys), 1)).astype(np.int64)
        fits = needed <= most
        extra[keys[fits]] = np.maximum(needed[fits] - self.shuffles[keys[fits]], 0)
        return extra


@dataclass
class _Scored:
    """Real pairs that may pass: similarity, null pairs at least as similar, and p; plus how many were seen."""

    a: _Ints
    b: _Ints
    sim: _Floats
    at_least: _Ints
    p: _Floats
    candidates: int


def _score(real: sp.csr_matrix, null: _Null, threshold: float, alpha: float) -> _Scored:
    """The real pairs at or above *threshold* with their p, block by block.

    A pair with p > alpha can never be kept by Benjamini-Hochberg (its adjusted value is at least p), so it is
    counted and dropped at once: memory follows the pairs that stand out, not the many that chance makes
    similar (pairs of very active accounts).
    """
    ints: list[tuple[_Ints, _Ints, _Ints]] = []
    floats: list[tuple[_Floats, _Floats]] = []
    candidates = 0
    for a, b, sim in _pairs_above(real, threshold):
        candidates += sim.size
        key = null.strata.key(a, b)
        at_least = null.at_least(key, sim)
        p = null.p(key, at_least)
        low = p <= alpha
        ints.append((a[low], b[low], at_least[low]))
        floats.append((sim[low], p[low]))

    def column(parts: list[tuple[Any, ...]], i: int, dtype: type[np.generic]) -> Any:
        return np.concatenate([part[i] for part in parts]) if parts else np.empty(0, dtype)

    return _Scored(
        a=column(ints, 0, np.int64),
        b=column(ints, 1, np.int64),
        sim=column(floats, 0, np.float64),
        at_least=column(ints, 2, np.int64),
        p=column(floats, 1, np.float64),
        candidates=candidates,
    )


def _bin(similarity: _Floats) -> _Ints:
    return np.clip(np.floor(similarity * _BINS), 0, _BINS).astype(np.int64)


def _ints(column: pa.ChunkedArray[Any]) -> _Ints:
    return np.asarray(column.to_numpy(), np.int64)


def _codes(column: pa.ChunkedArray[Any]) -> tuple[list[str], _Ints]:
    """The sorted distinct values of *column* and each row's index among them."""
    values = pc.unique(column).sort()
    index = pc.index_in(column, value_set=values).to_numpy(zero_copy_only=False)
    return [str(v) for v in values.to_pylist()], np.asarray(index, np.int64)


def _tfidf(account: _Ints, feature: _Ints, count: _Ints, shape: tuple[int, int]) -> tuple[sp.csr_matrix, _Ints]:
    """Unit-length TF-IDF rows over the features at least two accounts have, and those features' indices."""
    matrix = sp.csr_matrix((count.astype(np.float64), (account, feature)), shape=shape)
    matrix.sum_duplicates()
    columns = np.flatnonzero(np.bincount(matrix.indices, minlength=shape[1]) >= 2).astype(np.int64)
    shared = sp.csr_matrix(matrix[:, columns])
    if columns.size == 0:
        return shared, columns
    # Imported here: scikit-learn takes over half a second to load, and most scans never get this far.
    from sklearn.feature_extraction.text import TfidfTransformer

    weighted = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm="l2").fit_transform(shared)
    return sp.csr_matrix(weighted), columns


def _pairs_above(matrix: sp.csr_matrix, threshold: float) -> Iterator[tuple[_Ints, _Ints, _Floats]]:
    """Every row pair ``a < b`` of unit-length *matrix* whose dot product is at least *threshold*, by blocks.

    A block of rows is multiplied by the columns of the transpose from the block's first row on (the upper
    triangle), the entries at or above the threshold are kept and the block dropped, so memory stays at one
    block of at most :data:`_BLOCK_ENTRIES` products. A matrix dense enough (accounts active in many of few
    time bins) is multiplied as dense arrays, where BLAS is many times faster, when the copy fits in a block.
    """
    n, f = matrix.shape
    step = max(1, _BLOCK_ENTRIES // max(n, 1))
    if n * f <= _BLOCK_ENTRIES and matrix.nnz >= _DENSE_SHARE * n * f:
        x = matrix.toarray()
        xt = np.ascontiguousarray(x.T)
        for start in range(0, n, step):
            product = x[start : start + step] @ xt[:, start:]
            rows, cols = np.nonzero(product >= threshold - _EPS)
            yield _upper(rows, cols, product[rows, cols], start)
        return
    # The transpose as CSC has the columns of one block's upper triangle as one contiguous slice.
    xt_sparse = sp.csc_matrix(matrix.T)
    for start in range(0, n, step):
        block = sp.csr_matrix(matrix[start : start + step] @ xt_sparse[:, start:])
        hit = np.flatnonzero(block.data >= threshold - _EPS)
        rows = np.searchsorted(block.indptr, hit, side="right") - 1
        yield _upper(rows, block.indices[hit], block.data[hit], start)


def _upper(
    rows: npt.NDArray[np.integer[Any]], cols: npt.NDArray[np.integer[Any]], values: _Floats, start: int
) -> tuple[_Ints, _Ints, _Floats]:
    a, b = rows.astype(np.int64) + start, cols.astype(np.int64) + start
    upper = b > a
    return a[upper], b[upper], np.asarray(values[upper], np.float64)


def _top_shared(
    matrix: sp.csr_matrix, columns: _Ints, a: _Ints, b: _Ints, label: Callable[[int], str]
) -> list[list[str]]:
    """For each pair, the shared features that add most to its similarity (ties by feature index)."""
    if a.size == 0:
        return []
    both = sp.csr_matrix(matrix[a].multiply(matrix[b]))
    out: list[list[str]] = []
    for i in range(a.size):
        lo, hi = both.indptr[i], both.indptr[i + 1]
        cols, vals = both.indices[lo:hi], both.data[lo:hi]
        best = np.lexsort((cols, -vals))[:_EXAMPLES]
        out.append([label(int(columns[c])) for c in cols[best]])
    return out


def _spans(eng: Engine, name: str, profile: _Profile, a: _Ints, b: _Ints) -> pa.Table:
    """Per pair, in order: features both have, when either showed them, and who showed each first."""
    kept = pa.Table.from_arrays(
        [pa.array(np.arange(a.size, dtype=np.int64)), pa.array(a), pa.array(b)], names=["k", "a", "b"]
    )
    mine = np.isin(profile.account, np.concatenate([a, b]))
    features = pa.Table.from_arrays(
        [pa.array(x[mine]) for x in (profile.account, profile.feature, profile.first_ts, profile.last_ts)],
        names=["account", "feature", "first_ts", "last_ts"],
    )
    eng.register(f"{name}_kept", kept)
    eng.register(f"{name}_features", features)
    try:
        return eng.arrow(
            f"""
            SELECT k.k, CAST(count(fb.feature) AS BIGINT) AS n_shared,
                   CAST(min(least(fa.first_ts, fb.first_ts)) AS BIGINT) AS first_ts,
                   CAST(max(greatest(fa.last_ts, fb.last_ts)) AS BIGINT) AS last_ts,
                   CAST(count(*) FILTER (WHERE fa.first_ts < fb.first_ts) AS BIGINT) AS a_first,
                   CAST(count(*) FILTER (WHERE fb.first_ts < fa.first_ts) AS BIGINT) AS b_first
            FROM {name}_kept k
            LEFT JOIN {name}_features fa ON fa.account = k.a
            LEFT JOIN {name}_features fb ON fb.account = k.b AND fb.feature = fa.feature
            GROUP BY k.k ORDER BY k.k
            """
        ).select(["n_shared", "first_ts", "last_ts", "a_first", "b_first"])
    finally:
        eng.drop(f"{name}_kept", f"{name}_features")


def _positive_int(det: Detector, field: str) -> None:
    value = getattr(det, field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{det.name}: {field} must be a positive integer, not {value!r}")


@register
@dataclass(kw_only=True)
class HashtagSequence(Similarity):
    """Accounts writing the same hashtags in the same order: TF-IDF cosine of their runs of hashtags.

    Each account's hashtags (non-repost posts, in time order, each post's hashtags in the order written) are
    read as one sequence, and every run of 1 to ``n`` consecutive hashtags in it is a feature. Pacheco et al.
    link accounts whose whole daily sequence of hashtags is identical; runs keep that signal (a copied block
    of hashtags yields the same runs) while tolerating accounts that also post other things. The default
    ``n = 2`` compares which hashtags accounts use and in which order neighbouring ones come; ``n = 1``
    compares plain hashtag profiles, and a larger ``n`` rewards long copied blocks more (and dilutes a
    campaign that adds one hashtag to otherwise organic posts, whose longer runs are all unique). Runs cross
    post boundaries on purpose: a sequence spread over several posts is the point. The null shuffles whole
    posts' hashtag lists among the posts with as many hashtags (so hashtags that organically go together stay
    together, every hashtag keeps its popularity and every account its number of hashtags) and rebuilds the
    runs.

    Shows: hashtag campaigns that repeat the same tags, in the same order, from many accounts. Cannot show:
    when (there is no window: two accounts that wrote the same runs months apart are similar), nor whether
    a shared run is an instruction or a movement's slogan. Accounts need ``min_hashtags`` hashtags (Pacheco
    et al. ask for five).
    """

    name: ClassVar[str] = "hashtag_sequence"
    n: int = 2
    min_hashtags: int = 5

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive_int(self, "n")
        _positive_int(self, "min_hashtags")

    def occurrences(self) -> str:
        return f"""
            WITH tags AS (
                SELECT p.account_id, p.platform, p.created_at, p.post_id, u.tag, u.pos
                FROM posts p, unnest(p.hashtags) WITH ORDINALITY AS u(tag, pos)
                WHERE p.kind <> 'repost' AND u.tag IS NOT NULL AND u.tag <> ''
            ),
            counted AS (
                SELECT account_id, platform, created_at, post_id, pos, tag AS item, {AT} AS ts,
                       count(*) OVER (PARTITION BY account_id) AS n_tags
                FROM tags
            )
            SELECT account_id, item, ts, platform, post_id FROM counted WHERE n_tags >= {int(self.min_hashtags)}
            ORDER BY account_id, created_at, platform, post_id, pos
        """

    def _profile(self, eng: Engine) -> _Profile:
        """The runs of every account, made from its hashtag sequence as the engine orders it."""
        rows = eng.arrow(self.occurrences())
        accounts, account = _codes(rows.column("account_id"))
        tags, tag = _codes(rows.column("item"))
        post_id = rows.column("post_id").to_numpy(zero_copy_only=False)
        platform = rows.column("platform").to_numpy(zero_copy_only=False)
        new_post = (post_id[1:] != post_id[:-1]) | (platform[1:] != platform[:-1])
        posts = np.flatnonzero(np.r_[tag.size > 0, new_post]).astype(np.int64)
        runs = self._runs(account, tag)
        # One entry per (account, run): its count, and the first and last time of the run's first hashtag.
        key = account[runs.start] * runs.n_features + runs.feature
        order = np.argsort(key, kind="stable")
        key, when = key[order], _ints(rows.column("ts"))[runs.start[order]]
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.empty(0, np.int64)

        def label(i: int) -> str:
            at = runs.example[i]
            return " ".join(tags[t] for t in tag[at : at + runs.length[i]])

        width = max(runs.n_features, 1)
        return _Profile(
            accounts=accounts,
            account=key[first] // width,
            feature=key[first] % width,
            count=np.diff(np.r_[first, key.size]).astype(np.int64),
            first_ts=np.minimum.reduceat(when, first) if key.size else np.empty(0, np.int64),
            last_ts=np.maximum.reduceat(when, first) if key.size else np.empty(0, np.int64),
            n_features=runs.n_features,
            label=label,
            sequence=(account, tag, posts),
        )

    def _runs(self, account: _Ints, tag: _Ints) -> _Runs:
        """Every run of 1 to ``n`` hashtags of one account in an account-grouped sequence of hashtags."""
        runs = _Runs()
        width = int(tag.max()) + 1 if tag.size else 1
        # A run of k is the run of k - 1 at the same position plus one hashtag: numbering the runs of each
        # length compactly keeps the keys small whatever n is.
        shorter = tag
        for k in range(1, self.n + 1):
            start = _starts(account, k)
            if start.size == 0:
                break
            combined = tag[start] if k == 1 else shorter[start] * width + tag[start + k - 1]
            _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
            shorter = np.full(account.size, -1, np.int64)
            shorter[start] = inverse
            runs.add(start, inverse.astype(np.int64), k, start[first])
        return runs

    def _shuffles(self, profile: _Profile, rng: np.random.Generator) -> Iterator[_Counts]:
        """Null worlds: posts' hashtag lists shuffled among the posts with as many hashtags, then cut into runs.

        Whole lists move, so hashtags that go together (and their order within a post) stay together, as they
        do in organic use; every account keeps its posts' times and how many hashtags each had.
        """
        assert profile.sequence is not None
        account, tag, start = profile.sequence
        length = np.diff(np.r_[start, tag.size])
        groups = [np.flatnonzero(length == k) for k in np.unique(length)]
        position = np.arange(tag.size)
        while True:
            source = np.arange(start.size)
            for group in groups:
                source[group] = rng.permutation(group)
            runs = self._runs(account, tag[position + np.repeat(start[source] - start, length)])
            yield account[runs.start], runs.feature, np.ones(runs.start.size, np.int64), runs.n_features


class _Runs:
    """Runs of items in a sequence, added one length at a time.

    Per occurrence: where it starts and its feature; per feature: its length and one position where it occurs
    (to show it).
    """

    def __init__(self) -> None:
        self.start = np.empty(0, np.int64)
        self.feature = np.empty(0, np.int64)
        self.length = np.empty(0, np.int64)
        self.example = np.empty(0, np.int64)
        self.n_features = 0

    def add(self, start: _Ints, feature: _Ints, k: int, example: _Ints) -> None:
        self.start = np.concatenate([self.start, start])
        self.feature = np.concatenate([self.feature, feature + self.n_features])
        self.length = np.concatenate([self.length, np.full(example.size, k, np.int64)])
        self.example = np.concatenate([self.example, example])
        self.n_features += int(example.size)


def _starts(account: _Ints, k: int) -> _Ints:
    """Positions where a run of *k* items of one account starts, in an account-grouped sequence."""
    start = np.arange(max(account.size - k + 1, 0), dtype=np.int64)
    same: npt.NDArray[np.bool_] = account[start] == account[start + k - 1]
    return start[same]


@register
@dataclass(kw_only=True)
class CoRepostSimilarity(Similarity):
    """Accounts reposting the same posts, whenever they do: TF-IDF cosine of their repost vectors.

    Pacheco et al.'s co-retweet trace: each account is a vector over the posts it reposted (quotes are not
    reposts), weighted so that a post everyone reposts counts little. Unlike ``co_repost`` there is no
    window, so a ring that reposts the same material hours apart is found, and so are two accounts with the
    same taste. Shows: amplification accounts that boost one source's content. Cannot show: timing or
    instruction; fans of the same accounts repost the same posts, and the shuffle null keeps every post's
    popularity and every account's activity but not shared taste. Accounts need ``min_reposts`` reposts.
    """

    name: ClassVar[str] = "co_repost_similarity"
    min_reposts: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive_int(self, "min_reposts")

    def occurrences(self) -> str:
        return f"""
            WITH r AS (
                SELECT account_id, repost_of_post_id AS item, {AT} AS ts,
                       count(*) OVER (PARTITION BY account_id) AS n_reposts
                FROM posts WHERE kind = 'repost' AND repost_of_post_id IS NOT NULL
            )
            SELECT account_id, item, ts FROM r WHERE n_reposts >= {int(self.min_reposts)}
        """


@register
@dataclass(kw_only=True)
class TimeSync(Similarity):
    """Accounts active in the same time slots: TF-IDF cosine of their activity in ``bin_seconds`` bins.

    Pacheco et al.'s activity-synchronisation trace: every post (of any kind) falls in a bin of
    ``bin_seconds`` (30 minutes by default) counted from 1970, each account is a vector over its bins, and the
    bins are TF-IDF weighted as Pacheco et al. do, so busy hours (the daily peak every account shares) count
    less than quiet ones. Shows: accounts run by one schedule or one scheduler (bursts at the same odd
    hours). Cannot show: what they posted; accounts in one time zone share a daily rhythm, which the shuffle
    null keeps (it preserves how busy every bin is), but a shared personal routine is not in the null. Two
    posts on either side of a bin edge do not match. Accounts need ``min_posts`` posts (Pacheco et al. use
    eight).
    """

    name: ClassVar[str] = "time_sync"
    # Active accounts' time vectors are all somewhat alike, so lower similarities are chance pairs of busy
    # accounts by the million (at 5,000 accounts), none of which the null would let through anyway.
    min_similarity: float = 0.3
    bin_seconds: int = 1800
    min_posts: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive_int(self, "bin_seconds")
        _positive_int(self, "min_posts")

    def occurrences(self) -> str:
        return f"""
            WITH t AS (
                SELECT account_id, {AT} AS ts, count(*) OVER (PARTITION BY account_id) AS n_posts FROM posts
            )
            SELECT account_id, CAST(CAST(floor(ts / {int(self.bin_seconds)}) AS BIGINT) AS VARCHAR) AS item, ts
            FROM t WHERE n_posts >= {int(self.min_posts)}
        """

    def label(self, item: str) -> str:
        start = datetime.fromtimestamp(int(item) * self.bin_seconds, UTC)
        return start.isoformat(timespec="seconds").replace("+00:00", "Z")
