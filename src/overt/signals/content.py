"""``content``: how much of an account's writing reads like a known influence operation's, by a trained text model."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from overt.errors import InputError
from overt.signals.base import SIGNALS, Signal, account_row

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine
    from overt.textmodel import TextModel

#: z of the 95% Wilson interval whose lower end is the score.
_Z = 1.96


@dataclass
class Content(Signal):
    """Share of an account's own posts that a text model trained on influence-operation posts scores high.

    Each post with text is scored by a text model trained with ``overt train`` (:mod:`overt.textmodel`:
    character n-grams and a calibrated logistic regression, links, handles and by default hashtags masked).
    The account's measure is the share of its posts whose probability is at least ``threshold``; the score is the
    lower end of the 95% Wilson interval of that share, so three high posts out of three count for less than
    300 out of 300 (3/3 gives 0.44, 300/300 gives 0.99).

    Parameters
    ----------
    model:
        Path of the model file (required; ``overt train`` writes it). Without it the signal raises an error.
    threshold:
        Probability at which a post counts as high (0.8: well above the 0.5 a calibrated model gives a post it
        cannot place).
    min_posts:
        Accounts with fewer own posts with text get a null score.
    include_reposts:
        Also score reposted texts. Off: a repost's text was written by someone else, and amplification is what
        the coordination detectors measure.
    batch_size:
        Posts scored per batch (bounds memory; accounts are split into batches by a hash of their id).
    excerpt_chars:
        Length of the quoted excerpt of the account's highest-scoring post.

    ``value``: share of the account's scored posts at or above ``threshold`` (0-1). ``details`` keys: ``model``
    (the model's name), ``model_sha256`` (of the model file), ``posts`` (posts scored), ``high`` (posts at or
    above the threshold), ``share``, ``threshold``, ``mean_probability``, ``top_probability``,
    ``top_post_id`` and ``top_excerpt`` (the highest-scoring post, links and handles masked).

    Can show: an account writing the way the training operation wrote: its formulas, hashtag habits, "RT"
    and "via" conventions, transliterated spellings, the punctuation of a content farm. Cannot show: who runs the
    account. A text model learns whatever separated its training classes, style, topic and collection artefacts
    alike. Measured (``evaluation/text_io.py``): trained on IRA, Iranian and Venezuelan troll tweets against 35
    verified politicians and newsrooms, the model leans on register (hashtags, "RT", "via", " : " towards IO;
    full sentences, "the", "'s" towards control). It reached a post-level ROC-AUC of 0.71-0.83 on the campaign
    left out of training, but flagged (score ≥ 0.5) 32% of the #StandWithHongKong activists with five or more own
    posts and 2.3% of such accounts in a 2024 US election sample: activists, fans and hashtag-heavy ordinary
    users are its false positives, as are posts in languages the negatives lacked. Adding organic tweets to the
    negatives cut those to 13% and 0.4% but the held-out-campaign ROC-AUC to 0.59. False negatives: an
    operation that writes like its audience. Probabilities are calibrated to the training mix of classes, not
    to how rare operations are. Train on negatives that look like the accounts you will score, and treat a
    high score as a pointer to read the posts, never as a finding on its own.

    Source: text classifiers of state-troll tweets, e.g. Im et al., "Still out there: modeling and identifying
    Russian troll accounts on Twitter" (WebSci 2020); Chua Chin Hon, "twitter_state_trolls_cch" (2020).
    """

    name: ClassVar[str] = "content"

    model: str | os.PathLike[str] | None = None
    threshold: float = 0.8
    min_posts: int = 5
    include_reposts: bool = False
    batch_size: int = 50_000
    excerpt_chars: int = 80

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"content threshold must be in (0, 1], not {self.threshold}")
        if self.min_posts < 1:
            raise ValueError(f"content min_posts must be at least 1, not {self.min_posts}")
        if self.batch_size < 1 or self.excerpt_chars < 10:
            raise ValueError("content batch_size must be at least 1 and excerpt_chars at least 10")

    def load(self) -> tuple[TextModel, str]:
        """The text model and the SHA-256 of its file; a clear error when no model was given."""
        from overt.textmodel import load_model

        if self.model is None:
            raise InputError(
                "the content signal needs a trained text model: train one with `overt train` and pass it with "
                "--text-model FILE (in Python: Content(model='FILE'))"
            )
        path = Path(self.model)
        model = load_model(path)
        return model, hashlib.sha256(path.read_bytes()).hexdigest()

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        text_model, sha = self.load()
        kinds = "TRUE" if self.include_reposts else "kind <> 'repost'"
        has_text = f"text IS NOT NULL AND trim(text) <> '' AND {kinds}"
        total = int(eng.scalar(f"SELECT count(*) FROM posts WHERE {has_text}"))
        # All posts of one account land in one batch, so each batch's aggregates are final.
        buckets = max(1, math.ceil(total / self.batch_size))
        parts = []
        for bucket in range(buckets if total else 0):
            where = has_text if buckets == 1 else f"{has_text} AND hash(account_id) % {buckets} = {bucket}"
            batch = eng.arrow(f"SELECT account_id, post_id, text FROM posts WHERE {where}")
            probs = text_model.predict_proba(batch.column("text").to_pylist())
            scored = batch.append_column("prob", pa.array(probs, pa.float64()))
            parts.append(
                eng.arrow_from(
                    scored,
                    f"""
                    SELECT account_id, count(*) AS posts,
                           count(*) FILTER (WHERE prob >= {float(self.threshold)!r}) AS high,
                           avg(prob) AS mean_prob, max(prob) AS top_prob,
                           first(struct_pack(post_id := post_id, text := text) ORDER BY prob DESC, post_id) AS top
                    FROM {{table}} GROUP BY account_id
                    """,
                )
            )
        scored_accounts = {}
        for part in parts:
            for row in part.to_pylist():
                scored_accounts[row["account_id"]] = row
        posting = [r[0] for r in eng.rows("SELECT DISTINCT account_id FROM posts ORDER BY account_id")]
        rows = [self._row(a, scored_accounts.get(a), text_model.name, sha) for a in posting]
        return pa.Table.from_pylist(rows, schema=SIGNALS)

    def _row(self, account: str, agg: dict[str, Any] | None, model: str, sha: str) -> dict[str, Any]:
        from overt.textmodel import mask

        where = f"for the text model '{model}'"
        if agg is None:
            what = "no posts with text" if self.include_reposts else "no own posts with text (reposts are not scored)"
            return self._out(account, None, None, f"{what} {where}", model=model, model_sha256=sha, posts=0)
        n, high = int(agg["posts"]), int(agg["high"])
        numbers: dict[str, Any] = {
            "model": model,
            "model_sha256": sha,
            "posts": n,
            "high": high,
            "share": round(high / n, 4),
            "threshold": self.threshold,
            "mean_probability": round(float(agg["mean_prob"]), 4),
            "top_probability": round(float(agg["top_prob"]), 4),
        }
        if n < self.min_posts:
            evidence = f"only {n} {_posts(n)} with text (at least {self.min_posts} needed) {where}"
            return self._out(account, None, None, evidence, **numbers)
        share = high / n
        evidence = f"{share:.0%} of {n} {_posts(n)} score ≥ {self.threshold:g} on the text model '{model}'"
        if high:
            excerpt = _excerpt(mask(agg["top"]["text"], hashtags=False), self.excerpt_chars)
            numbers.update(top_post_id=agg["top"]["post_id"], top_excerpt=excerpt)
            evidence += f" (most typical, {float(agg['top_prob']):.2f}: '{excerpt}')"
        else:
            evidence += f" (highest {float(agg['top_prob']):.2f})"
        return self._out(account, _wilson_lower(high, n), share, evidence, **numbers)

    def _out(
        self, account: str, score: float | None, value: float | None, evidence: str, **numbers: Any
    ) -> dict[str, Any]:
        return account_row(
            self.name,
            account,
            None if score is None else round(score, 4),
            None if value is None else round(value, 4),
            evidence,
            **numbers,
        )


def _posts(n: int) -> str:
    return "post" if n == 1 else "posts"


def _excerpt(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _wilson_lower(k: int, n: int, z: float = _Z) -> float:
    """Lower end of the Wilson score interval of k successes in n trials."""
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))
