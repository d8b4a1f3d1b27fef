#!/usr/bin/env python
"""Synthetic social-media post streams with planted coordinated groups, for benchmarks and recall checks.

The model (every number below is a flag; ``--help`` lists them with their defaults):

Accounts
    A fixed population of ``--accounts`` accounts (default ``posts / 20``, at least 1,000). Activity is
    Zipf-Mandelbrot: the account of activity rank r posts with weight ``(r + offset) ** -exponent``, so a few
    hyperactive accounts post a large share and most post a handful of times. Ids are numeric (old short ids
    and snowflake-sized ones), usernames pseudo-words with digits.

Time
    ``--days`` days from ``--start``. Organic activity follows a diurnal cycle: the rate at hour h is
    proportional to ``1 + amplitude * cos(2 pi (h - peak) / 24)``.

Organic posts
    Originals, retweets and replies in the shares given. An original has 4-22 pseudo-words drawn from a Zipf
    vocabulary (short words are the frequent ones), Poisson(rate) hashtags from a Zipf hashtag pool, an
    ``@mention`` with some probability, and with some probability a URL (sometimes two) from a pool of article
    URLs on Zipf-popular domains. A link post is made a lognormal delay after its URL's publication (itself on
    the diurnal cycle), so popular links are shared in organic bursts. A share of originals (and more replies)
    are generic short phrases ("so true", "well said", ...) that collide by chance.
    Each original has a popularity ``lognormal(0, sigma) * activity(author) ** 0.5``; retweets and replies pick
    their target by popularity and come a lognormal delay after it, so popular posts get organic retweet
    cascades in which unrelated accounts retweet the same post seconds apart (false-positive pressure for
    co-retweet detection). Retweeters and repliers are drawn by activity; nobody retweets their own post or the
    same post twice. A retweet's text is ``RT @author: <original text>`` and it carries the original's URLs.

Planted groups
    ``--groups`` gives the group sizes. Members are ordinary accounts (drawn outside the top 1% by activity) that
    also post organically. Each group has a sponsor (a popular account outside every group), its own news
    domain and a group hashtag, and runs ``--kinds-per-group`` of the campaign kinds (rotated so that every kind
    is used), ``--campaigns`` times each (default ``max(4, round(8 * sqrt(posts / 100000)))``). In every
    campaign each member takes part with probability ``--participation`` and acts at ``t0 + U(0, --spread)``
    seconds:

    - ``repost``: the sponsor posts a seed 1-30 minutes before t0; members retweet it;
    - ``link``: members post their own text with a new article URL on the group's domain;
    - ``text``: members post a near-duplicate of a 16-26 word template (about a third verbatim, the others with
      one word replaced, inserted or dropped, some with an ``@mention`` in front);
    - ``hashtag``: members post their own text with a new campaign hashtag and the group hashtag.

Outputs
    ``--out-cnt``: the 8-column CSV that coordination-network-toolkit's ``preprocess --format csv`` reads
    (``message_id,user_id,username,repost_id,reply_id,message,timestamp,urls``, header, integer epoch seconds,
    space-separated URLs, empty when none), in time order. ``--out-canonical``: the same posts as overt's
    canonical ``posts`` table (platform, ids, created_at, text, kind, repost/reply targets, urls, domains,
    hashtags, mentions). ``--truth``: planted accounts (``account_id,username,group_id,group_size,kinds``).
    ``--campaigns-out``: one row per campaign (group, kind, t0, seed message id, URL, hashtag, posts).

Everything is drawn from one ``numpy`` generator seeded with ``--seed``, so the same flags give the same files.

    .venv/bin/python benchmarks/synthetic.py --posts 1000000 --out-cnt posts.csv --truth truth.csv
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: Bump when the same flags start giving different files, so that cached benchmark inputs are regenerated.
GENERATOR_VERSION = 1

CNT_COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")
KINDS = ("repost", "link", "text", "hashtag")
SYLLABLES = np.array([c + v for c in "bdfghjklmnprstvz" for v in "aeiou"] + ["an", "el", "or", "is", "um"])
TLDS = np.array(["com", "com", "com", "net", "org", "info", "news", "co.uk", "de", "ru"])
NEWS_SUFFIXES = ("news", "daily", "times", "post", "today", "report", "wire", "herald")
SECTIONS = np.array(["news", "world", "politics", "opinion", "business", "sport", "culture", "tech", "local"])
# Short phrases many unrelated people post; some carry punctuation, quotes and non-ASCII on purpose so that both
# tools' CSV readers and tokenisers are exercised.
GENERIC_PHRASES = (
    "so true",
    "thank you so much",
    "this is huge",
    "good morning everyone",
    "can't believe this",
    "well said",
    "100% agree",
    "happy friday",
    "wow, just wow",
    "must watch",
    "read this thread",
    "exactly this",
    "love this",
    "so sad",
    "great news!",
    "not surprised",
    "spread the word",
    'they said "never"',
    "we need to talk about this",
    "amazing",
    "unbelievable",
    "agreed",
    "thank you",
    "congratulations 🎉",
    "stay safe",
    "rest in peace 🙏",
    "me too",
    "lol",
    "so true 💯",
    "¡qué vergüenza!",
)
#: Texts are built in blocks of this many posts. A constant (not a flag) because the block size decides the
#: order of random draws, and the output must depend on the seed and the model only.
TEXT_BLOCK = 500_000
TWITTER_LIKE_ID_BASE = 1_700_000_000_000_000_000


# --------------------------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------------------------


def zipf_weights(n: int, exponent: float, offset: float = 0.0) -> np.ndarray:
    w = (np.arange(1, n + 1, dtype=np.float64) + offset) ** -exponent
    return w / w.sum()


def draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """n indices distributed by the cumulative weights *cdf* (faster than ``rng.choice(p=...)`` when repeated)."""
    return np.minimum(np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), len(cdf) - 1)


def ragged_positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Flat positions ``starts[i] + 0 .. lengths[i] - 1`` for every i, concatenated."""
    total = int(lengths.sum())
    before = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) + np.repeat(starts - before, lengths)


def pseudo_words(
    rng: np.random.Generator, n: int, min_syllables: int, max_syllables: int, exclude: set[str] | None = None
) -> np.ndarray:
    """n distinct pronounceable words, none of them in *exclude*."""
    taken = set(exclude or ())
    out: list[str] = []
    while len(out) < n:
        m = (n - len(out)) * 2 + 64
        k = rng.integers(min_syllables, max_syllables + 1, m)
        picks = rng.integers(0, len(SYLLABLES), (m, max_syllables))
        words = SYLLABLES[picks[:, 0]]
        for j in range(1, max_syllables):
            words = np.char.add(words, np.where(j < k, SYLLABLES[picks[:, j]], ""))
        for w in words.tolist():
            if w not in taken:
                taken.add(w)
                out.append(w)
                if len(out) == n:
                    break
    return np.array(out, dtype=object)


def diurnal_times(
    rng: np.random.Generator, n: int, span: int, amplitude: float, peak_hour: float, low: int = 0
) -> np.ndarray:
    """n second offsets in ``[low, span)`` with a 24-hour sinusoidal rate."""
    minute = np.arange(1440)
    cdf = np.cumsum(1.0 + amplitude * np.cos(2 * math.pi * (minute / 60.0 - peak_hour) / 24.0))
    days = math.ceil(span / 86400)
    parts, need = [], n
    while need > 0:
        m = need + need // 4 + 16
        t = rng.integers(0, days, m) * 86400 + draw(rng, cdf, m) * 60 + rng.integers(0, 60, m)
        t = t[(t >= low) & (t < span)][:need]
        parts.append(t)
        need -= len(t)
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)


def delayed(rng: np.random.Generator, base: np.ndarray, median: float, sigma: float, span: int) -> np.ndarray:
    """``base`` plus a lognormal delay of at least a second, redrawn while it would leave the stream."""
    t = base + np.maximum(1, rng.lognormal(math.log(median), sigma, len(base))).astype(np.int64)
    for _ in range(8):
        late = np.flatnonzero(t >= span)
        if not len(late):
            return t
        t[late] = base[late] + np.maximum(1, rng.lognormal(math.log(median), sigma, len(late))).astype(np.int64)
    # What is still late after eight draws (posts in the stream's last minutes) lands uniformly before the end.
    late = np.flatnonzero(t >= span)
    room = np.maximum(span - 1 - base[late], 1)
    t[late] = base[late] + 1 + (rng.random(len(late)) * (room - 1)).astype(np.int64)
    return t


def redraw_authors(
    rng: np.random.Generator, authors: np.ndarray, targets: np.ndarray, target_author: np.ndarray, cdf: np.ndarray
) -> np.ndarray:
    """Keep rows where nobody acts on their own post or on the same post twice; return the kept row indices."""
    n_acc = len(cdf)
    for _ in range(6):
        key = targets.astype(np.int64) * n_acc + authors
        _, first = np.unique(key, return_index=True)
        bad = np.ones(len(authors), bool)
        bad[first] = False
        bad |= authors == target_author[targets]
        idx = np.flatnonzero(bad)
        if not len(idx):
            break
        authors[idx] = draw(rng, cdf, len(idx))
    key = targets.astype(np.int64) * n_acc + authors
    _, first = np.unique(key, return_index=True)
    keep = np.zeros(len(authors), bool)
    keep[first] = True
    keep &= authors != target_author[targets]
    return np.flatnonzero(keep)


# --------------------------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------------------------


class TextFactory:
    """Builds post texts from "atoms" (words, ``#tags``, ``@handles``, generic phrases) without a Python loop.

    A block of texts is a flat array of atom ids plus offsets; Arrow takes the strings and joins each list with
    spaces in C++.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        vocab: np.ndarray,
        vocab_exponent: float,
        tags: np.ndarray,
        tag_exponent: float,
        usernames: np.ndarray,
        activity_cdf: np.ndarray,
    ) -> None:
        self.rng = rng
        self.vocab = vocab
        self.atoms = pa.array(
            [*vocab.tolist(), *("#" + t for t in tags), *("@" + u for u in usernames), *GENERIC_PHRASES],
            pa.string(),
        )
        self.o_tag = len(vocab)
        self.o_user = self.o_tag + len(tags)
        self.o_generic = self.o_user + len(usernames)
        self.vocab_cdf = np.cumsum(zipf_weights(len(vocab), vocab_exponent))
        self.tag_cdf = np.cumsum(zipf_weights(len(tags), tag_exponent))
        self.activity_cdf = activity_cdf

    def words(self, n: int) -> list[str]:
        return self.vocab[draw(self.rng, self.vocab_cdf, n)].tolist()

    def build(
        self, n_words: np.ndarray, n_tags: np.ndarray, mention: np.ndarray, generic: np.ndarray
    ) -> pa.StringArray:
        """Texts ``[@mention] (generic phrase | words) [#tags]``; ``mention``/``generic`` are -1 where absent."""
        has_m = (mention >= 0).astype(np.int64)
        has_g = (generic >= 0).astype(np.int64)
        n_words = np.where(has_g == 1, 0, n_words).astype(np.int64)
        n_tags = n_tags.astype(np.int64)
        count = has_m + has_g + n_words + n_tags
        ends = np.cumsum(count)
        starts = ends - count
        flat = np.empty(int(ends[-1]) if len(ends) else 0, np.int64)
        flat[starts[has_m == 1]] = self.o_user + mention[has_m == 1]
        pos = starts + has_m
        flat[pos[has_g == 1]] = self.o_generic + generic[has_g == 1]
        pos = pos + has_g
        flat[ragged_positions(pos, n_words)] = draw(self.rng, self.vocab_cdf, int(n_words.sum()))
        pos = pos + n_words
        flat[ragged_positions(pos, n_tags)] = self.o_tag + draw(self.rng, self.tag_cdf, int(n_tags.sum()))
        offsets = pa.array(np.concatenate([[0], ends]).astype(np.int32))
        return pc.binary_join(pa.ListArray.from_arrays(offsets, self.atoms.take(pa.array(flat))), " ")

    def organic(
        self,
        n: int,
        min_words: int,
        max_words: int,
        tag_rate: float,
        mention_rate: float,
        generic_rate: float,
    ) -> pa.StringArray:
        rng = self.rng
        n_words = rng.integers(min_words, max_words + 1, n)
        n_tags = np.minimum(rng.poisson(tag_rate, n), 4)
        mention = np.where(rng.random(n) < mention_rate, draw(rng, self.activity_cdf, n), -1)
        generic = np.where(rng.random(n) < generic_rate, rng.integers(0, len(GENERIC_PHRASES), n), -1)
        # A generic phrase stands alone: "so true", not "so true #tag1 #tag2".
        n_tags = np.where(generic >= 0, 0, n_tags)
        return self.build(n_words, n_tags, mention, generic)


# --------------------------------------------------------------------------------------------------------------
# The stream
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Campaign:
    group: int
    kind: str
    index: int
    t0: int
    seed: int = -1  # original index of a repost campaign's seed
    url: str = ""
    hashtag: str = ""
    n_posts: int = 0


@dataclass
class Stream:
    """Every post in generation order: originals first (campaign, then organic), then retweets and replies."""

    n_originals: int
    author: np.ndarray
    ts: np.ndarray  # seconds since --start
    kind: np.ndarray  # 0 post, 1 repost, 2 reply
    target: np.ndarray  # original index a repost or reply points at, else -1
    body: np.ndarray  # index into bodies; a repost shows its target's body
    prefix: np.ndarray  # index into the prefix table ("RT @x: ", "@x "), -1 for none
    url1: np.ndarray  # index into the URL table, -1 for none
    url2: np.ndarray
    bodies: pa.ChunkedArray
    campaigns: list[Campaign] = field(default_factory=list)


def default_campaigns(posts: int) -> int:
    return max(4, round(8 * math.sqrt(posts / 100_000)))


def build_stream(a: argparse.Namespace, progress: Progress) -> tuple[Stream, dict[str, Any]]:
    rng = np.random.default_rng(a.seed)
    span = int(a.days * 86400)
    n_acc = a.accounts or max(1_000, a.posts // 20)
    sizes = [int(s) for s in a.groups.split(",") if s.strip()]
    kinds = [k.strip() for k in a.kinds.split(",") if k.strip()]
    if unknown := set(kinds) - set(KINDS):
        raise SystemExit(f"unknown campaign kinds {sorted(unknown)}; expected some of {', '.join(KINDS)}")
    if sum(sizes) + len(sizes) > n_acc // 2:
        raise SystemExit(f"groups of {sum(sizes)} accounts do not fit into {n_acc} accounts; raise --accounts")
    n_campaigns = a.campaigns if a.campaigns is not None else default_campaigns(a.posts)
    setup = progress.add_task("accounts, vocabulary, URLs", total=None)

    # Accounts. Activity ranks are shuffled so that ids say nothing about activity.
    activity = zipf_weights(n_acc, a.activity_exponent, a.activity_offset)[rng.permutation(n_acc)]
    activity_cdf = np.cumsum(activity)
    old = rng.random(n_acc) < 0.35
    ids = np.where(old, rng.integers(10**6, 4 * 10**9, n_acc), rng.integers(7 * 10**17, 18 * 10**17, n_acc))
    while len(np.unique(ids)) < n_acc:  # a collision is astronomically rare, but ids must be unique
        _, first = np.unique(ids, return_index=True)
        dup = np.setdiff1d(np.arange(n_acc), first)
        ids[dup] = rng.integers(7 * 10**17, 18 * 10**17, len(dup))
    handles = pseudo_words(rng, n_acc, 2, 3)
    # A distinct number after a letters-only word keeps every handle distinct.
    suffix = rng.permutation(10 * n_acc)[:n_acc]
    sep = np.where(rng.random(n_acc) < 0.3, "_", "")
    usernames = np.array([f"{h}{s}{n}" for h, s, n in zip(handles, sep, suffix.tolist(), strict=True)], dtype=object)

    vocab = pseudo_words(rng, a.vocab, 1, 4)
    vocab = vocab[np.argsort([len(w) for w in vocab], kind="stable")]  # short words are the frequent ones
    tags = pseudo_words(rng, a.hashtags, 2, 4, exclude=set(vocab))
    used = set(vocab) | set(tags)
    texts = TextFactory(rng, vocab, a.vocab_exponent, tags, a.hashtag_exponent, usernames, activity_cdf)

    # Organic article URLs: a popularity (Zipf over a shuffled order) and a publication time each.
    n_domains = a.domains
    domains = np.char.add(
        np.char.add(pseudo_words(rng, n_domains, 2, 3).astype(str), "."), TLDS[rng.integers(0, len(TLDS), n_domains)]
    )
    n_urls = a.urls or max(2_000, a.posts // 30)
    url_domain = draw(rng, np.cumsum(zipf_weights(n_domains, 1.0)), n_urls)
    slugs = vocab[draw(rng, texts.vocab_cdf, 3 * n_urls)].reshape(n_urls, 3)
    sections = SECTIONS[rng.integers(0, len(SECTIONS), n_urls)]
    url_table: list[str] = [
        f"https://{domains[d]}/{s}/{w[0]}-{w[1]}-{w[2]}-{k}"
        for k, (d, s, w) in enumerate(zip(url_domain.tolist(), sections.tolist(), slugs.tolist(), strict=True))
    ]
    url_cdf = np.cumsum(zipf_weights(n_urls, a.url_exponent)[rng.permutation(n_urls)])
    url_published = diurnal_times(rng, n_urls, span, a.diurnal_amplitude, a.diurnal_peak_hour)
    progress.update(setup, total=1, completed=1)

    # ---------------------------------------------------------------- planted groups and their campaigns
    plan = progress.add_task("planted campaigns", total=len(sizes))
    by_activity = np.argsort(-activity)
    top = by_activity[: max(len(sizes), n_acc // 100)]
    pool = by_activity[max(len(sizes), n_acc // 100) :]
    members_all = rng.choice(pool, sum(sizes), replace=False)
    sponsors = rng.choice(top, len(sizes), replace=False)
    group_words = pseudo_words(rng, 2 * len(sizes), 2, 3, exclude=used)
    used |= set(group_words)
    groups: list[dict[str, Any]] = []
    off = 0
    for g, size in enumerate(sizes):
        groups.append(
            {
                "members": members_all[off : off + size],
                "kinds": [kinds[(g + j) % len(kinds)] for j in range(min(a.kinds_per_group, len(kinds)))],
                "domain": f"{group_words[2 * g]}-{NEWS_SUFFIXES[g % len(NEWS_SUFFIXES)]}.{rng.choice(TLDS)}",
                "tag": str(group_words[2 * g + 1]),
            }
        )
        off += size

    co_author: list[int] = []
    co_ts: list[int] = []
    co_body: list[str] = []
    co_url: list[int] = []
    cr_author: list[int] = []
    cr_ts: list[int] = []
    cr_target: list[int] = []
    campaigns: list[Campaign] = []
    start = dt.datetime.fromisoformat(a.start)

    def original(author: int, ts: int, body: str, url: int = -1) -> int:
        co_author.append(author)
        co_ts.append(ts)
        co_body.append(body)
        co_url.append(url)
        return len(co_author) - 1

    def own_texts(n: int) -> list[str]:
        return texts.organic(n, a.min_words, a.max_words, 0.3, a.mention_rate, 0.0).to_pylist()

    for g, grp in enumerate(groups):
        mem = grp["members"]
        for kind in grp["kinds"]:
            # A campaign needs a minute of room before t0 (for a seed) and its spread after it.
            t0s = np.sort(
                diurnal_times(rng, n_campaigns, span - a.spread - 1, a.diurnal_amplitude, a.diurnal_peak_hour, 1800)
            )
            for e, t0 in enumerate(t0s.tolist()):
                part = mem[rng.random(len(mem)) < a.participation]
                if len(part) < 2:
                    part = rng.choice(mem, 2, replace=False)
                at = (t0 + rng.integers(0, a.spread + 1, len(part))).tolist()
                c = Campaign(g, kind, e, t0, n_posts=len(part))
                if kind == "repost":
                    body = " ".join([*texts.words(int(rng.integers(8, 19))), "#" + grp["tag"]])
                    url = -1
                    if rng.random() < 0.5:
                        c.url = f"https://{grp['domain']}/{'-'.join(texts.words(4))}-{g}{e}"
                        url_table.append(c.url)
                        url = len(url_table) - 1
                    c.seed = original(int(sponsors[g]), t0 - int(rng.integers(60, 1801)), body, url)
                    cr_author.extend(part.tolist())
                    cr_ts.extend(at)
                    cr_target.extend([c.seed] * len(part))
                elif kind == "link":
                    month = (start + dt.timedelta(seconds=t0)).strftime("%Y/%m")
                    c.url = f"https://{grp['domain']}/{month}/{'-'.join(texts.words(5))}-{e}"
                    url_table.append(c.url)
                    for m, t, body in zip(part.tolist(), at, own_texts(len(part)), strict=True):
                        tag = f" #{grp['tag']}" if rng.random() < 0.3 else ""
                        original(m, t, body + tag, len(url_table) - 1)
                elif kind == "text":
                    template = [*texts.words(int(rng.integers(16, 27))), "#" + grp["tag"]]
                    for m, t in zip(part.tolist(), at, strict=True):
                        v = list(template)
                        edit = rng.random()
                        where = int(rng.integers(0, len(v) - 1))  # never the group hashtag at the end
                        if edit < 0.35:
                            pass  # verbatim copy
                        elif edit < 0.6:
                            v[where] = texts.words(1)[0]
                        elif edit < 0.85:
                            v.insert(where, texts.words(1)[0])
                        else:
                            del v[where]
                        if rng.random() < 0.3:
                            v.insert(0, "@" + usernames[draw(rng, activity_cdf, 1)[0]])
                        original(m, t, " ".join(v))
                else:  # hashtag
                    c.hashtag = "".join(texts.words(2)) + str(e)
                    for m, t, body in zip(part.tolist(), at, own_texts(len(part)), strict=True):
                        original(m, t, f"{body} #{c.hashtag} #{grp['tag']}")
                campaigns.append(c)
        progress.advance(plan)

    # ---------------------------------------------------------------- organic stream
    n_co, n_cr = len(co_author), len(cr_author)
    n_org = max(a.posts - n_co - n_cr, 10)
    n_orig = round(a.share_original * n_org)
    n_rt = round(a.share_retweet * n_org)
    n_rep = max(n_org - n_orig - n_rt, 0)
    organic = progress.add_task("organic posts", total=3)

    o_author = draw(rng, activity_cdf, n_orig)
    has_url = rng.random(n_orig) < a.url_rate
    u1 = np.where(has_url, draw(rng, url_cdf, n_orig), -1)
    u2 = np.where(has_url & (rng.random(n_orig) < a.second_url_rate), draw(rng, url_cdf, n_orig), -1)
    u2 = np.where(u2 == u1, -1, u2)
    o_ts = diurnal_times(rng, n_orig, span, a.diurnal_amplitude, a.diurnal_peak_hour)
    linked = np.flatnonzero(has_url)
    o_ts[linked] = delayed(rng, url_published[u1[linked]], a.link_delay_median, a.link_delay_sigma, span)
    progress.advance(organic)

    # Originals table: campaign originals, then organic ones.
    orig_author = np.concatenate([np.array(co_author, np.int64), o_author])
    orig_ts = np.concatenate([np.array(co_ts, np.int64), o_ts])
    n_o = len(orig_author)
    # Campaign posts are not in the organic popularity pool: their reach is the campaign itself.
    pop = np.zeros(n_o)
    pop[n_co:] = rng.lognormal(0.0, a.popularity_sigma, n_orig) * np.sqrt(activity[o_author])
    pop_cdf = np.cumsum(pop)

    def reactions(n: int, median: float, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        target = draw(rng, pop_cdf, n)
        author = draw(rng, activity_cdf, n)
        keep = redraw_authors(rng, author, target, orig_author, activity_cdf)
        target, author = target[keep], author[keep]
        return author, target, delayed(rng, orig_ts[target], median, sigma, span)

    rt_author, rt_target, rt_ts = reactions(n_rt, a.retweet_delay_median, a.retweet_delay_sigma)
    progress.advance(organic)
    ry_author, ry_target, ry_ts = reactions(n_rep, a.reply_delay_median, a.reply_delay_sigma)
    n_ry = len(ry_author)
    ry_url = np.where(rng.random(n_ry) < a.reply_url_rate, draw(rng, url_cdf, n_ry), -1)
    progress.advance(organic)

    # ---------------------------------------------------------------- bodies (texts without RT/reply prefix)
    body_task = progress.add_task("texts", total=n_orig + n_ry)
    chunks: list[pa.Array] = [pa.array(co_body, pa.string())]
    for lo in range(0, n_orig, TEXT_BLOCK):
        n = min(TEXT_BLOCK, n_orig - lo)
        chunks.append(texts.organic(n, a.min_words, a.max_words, a.hashtag_rate, a.mention_rate, a.generic_rate))
        progress.advance(body_task, n)
    for lo in range(0, n_ry, TEXT_BLOCK):
        n = min(TEXT_BLOCK, n_ry - lo)
        # Replies are shorter and more often generic; the "@target" in front comes from the prefix table.
        chunks.append(texts.organic(n, 2, max(3, a.max_words // 2), a.hashtag_rate / 3, 0.1, a.generic_reply_rate))
        progress.advance(body_task, n)
    bodies = pa.chunked_array(chunks, pa.string())

    # ---------------------------------------------------------------- assemble
    cr_author_a = np.array(cr_author, np.int64)
    cr_target_a = np.array(cr_target, np.int64)
    rt_all_target = np.concatenate([cr_target_a, rt_target])
    n_rt_all = len(rt_all_target)
    orig_u1 = np.concatenate([np.array(co_url, np.int64), u1])
    orig_u2 = np.concatenate([np.full(n_co, -1, np.int64), u2])
    stream = Stream(
        n_originals=n_o,
        author=np.concatenate([orig_author, cr_author_a, rt_author, ry_author]),
        ts=np.concatenate([orig_ts, np.array(cr_ts, np.int64), rt_ts, ry_ts]),
        kind=np.concatenate([np.zeros(n_o, np.int8), np.ones(n_rt_all, np.int8), np.full(n_ry, 2, np.int8)]),
        target=np.concatenate([np.full(n_o, -1, np.int64), rt_all_target, ry_target]),
        body=np.concatenate([np.arange(n_o), rt_all_target, n_o + np.arange(n_ry)]),
        # Prefix table: n_acc "RT @x: " strings, then n_acc "@x " strings.
        prefix=np.concatenate([np.full(n_o, -1, np.int64), orig_author[rt_all_target], n_acc + orig_author[ry_target]]),
        url1=np.concatenate([orig_u1, orig_u1[rt_all_target], ry_url]),
        url2=np.concatenate([orig_u2, orig_u2[rt_all_target], np.full(n_ry, -1, np.int64)]),
        bodies=bodies,
        campaigns=campaigns,
    )
    world = {
        "span": span,
        "n_accounts": n_acc,
        "account_ids": ids,
        "usernames": usernames,
        "url_table": url_table,
        "groups": groups,
        "sizes": sizes,
        "campaigns_per_kind": n_campaigns,
        "sponsors": sponsors,
        "counts": {
            "campaign_originals": n_co,
            "campaign_reposts": n_cr,
            "organic_originals": n_orig,
            "organic_reposts": len(rt_author),
            "organic_replies": n_ry,
        },
    }
    return stream, world


# --------------------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------------------

CANONICAL_SQL = """
WITH t AS (
    SELECT *, coalesce(string_split(nullif(urls, ''), ' '), []) AS url_list,
        regexp_extract_all(lower(message), '(?:^|[^a-z0-9_&])#([a-z0-9_]*[a-z][a-z0-9_]*)', 1) AS tag0,
        regexp_extract_all(lower(message), '(?:^|[^a-z0-9_])@([a-z0-9_]+)', 1) AS mention0
    FROM chunk
), d AS (
    SELECT *, list_transform(url_list, lambda u: regexp_extract(u, '^https?://([^/]+)', 1)) AS dom0 FROM t
)
SELECT
    $platform AS platform,
    message_id::VARCHAR AS post_id,
    user_id::VARCHAR AS account_id,
    to_timestamp("timestamp") AS created_at,
    message AS text,
    CASE WHEN repost_id IS NOT NULL THEN 'repost' WHEN reply_id IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
    repost_id::VARCHAR AS repost_of_post_id,
    CASE WHEN repost_id IS NOT NULL THEN target_account::VARCHAR END AS repost_of_account_id,
    reply_id::VARCHAR AS reply_to_post_id,
    CASE WHEN reply_id IS NOT NULL THEN target_account::VARCHAR END AS reply_to_account_id,
    url_list AS urls,
    list_filter(dom0, lambda x, i: list_position(dom0, x) = i) AS domains,
    list_filter(tag0, lambda x, i: list_position(tag0, x) = i) AS hashtags,
    list_filter(mention0, lambda x, i: list_position(mention0, x) = i) AS mentions
FROM d
"""

CANONICAL_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("text", pa.string()),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("repost_of_post_id", pa.string()),
        pa.field("repost_of_account_id", pa.string()),
        pa.field("reply_to_post_id", pa.string()),
        pa.field("reply_to_account_id", pa.string()),
        pa.field("urls", pa.list_(pa.string())),
        pa.field("domains", pa.list_(pa.string())),
        pa.field("hashtags", pa.list_(pa.string())),
        pa.field("mentions", pa.list_(pa.string())),
    ]
)


def write_outputs(a: argparse.Namespace, stream: Stream, world: dict[str, Any], progress: Progress) -> int:
    rng = np.random.default_rng([a.seed, 1])  # ids get their own stream: output order never changes the posts
    n = len(stream.ts)
    sort_task = progress.add_task("sorting by time", total=None)
    order = np.argsort(stream.ts, kind="stable")
    # Increasing, unique, Twitter-sized ids in time order.
    ids_sorted = TWITTER_LIKE_ID_BASE + np.cumsum(rng.integers(1, 1 << 20, n))
    id_of_row = np.empty(n, np.int64)
    id_of_row[order] = ids_sorted
    progress.update(sort_task, total=1, completed=1)

    account_ids = world["account_ids"]
    n_acc = world["n_accounts"]
    usernames = pa.array(world["usernames"].tolist(), pa.string())
    prefixes = pa.array(
        [*(f"RT @{u}: " for u in world["usernames"]), *(f"@{u} " for u in world["usernames"]), ""], pa.string()
    )
    url_table = pa.array(world["url_table"], pa.string())
    epoch = int(dt.datetime.fromisoformat(a.start).replace(tzinfo=dt.UTC).timestamp())

    cnt_schema = pa.schema(
        [
            ("message_id", pa.int64()),
            ("user_id", pa.int64()),
            ("username", pa.string()),
            ("repost_id", pa.int64()),
            ("reply_id", pa.int64()),
            ("message", pa.string()),
            ("timestamp", pa.int64()),
            ("urls", pa.string()),
        ]
    )
    Path(a.out_cnt).parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(open(a.out_cnt, "wb"))
        # A plain header (pyarrow would quote the names); the body has quotes only around strings.
        sink.write((",".join(CNT_COLUMNS) + "\n").encode())
        writer = stack.enter_context(
            pacsv.CSVWriter(sink, cnt_schema, write_options=pacsv.WriteOptions(include_header=False))
        )
        pq_writer = con = None
        if a.out_canonical:
            import duckdb

            Path(a.out_canonical).parent.mkdir(parents=True, exist_ok=True)
            pq_writer = stack.enter_context(pq.ParquetWriter(a.out_canonical, CANONICAL_SCHEMA, compression="zstd"))
            con = stack.enter_context(duckdb.connect())
            con.execute("SET TimeZone = 'UTC'")

        write_task = progress.add_task("writing", total=n)
        for lo in range(0, n, a.chunk_rows):
            rows = order[lo : lo + a.chunk_rows]
            kind = stream.kind[rows]
            target = stream.target[rows]
            ref = id_of_row[np.maximum(target, 0)]
            body = pc.take(stream.bodies, pa.array(stream.body[rows]))
            prefix = prefixes.take(pa.array(np.where(stream.prefix[rows] >= 0, stream.prefix[rows], 2 * n_acc)))
            u1 = url_table.take(pa.array(stream.url1[rows], mask=stream.url1[rows] < 0))
            u2 = url_table.take(pa.array(stream.url2[rows], mask=stream.url2[rows] < 0))
            # A second URL only ever comes with a first one.
            urls = pc.coalesce(pc.binary_join_element_wise(u1, u2, " "), u1)
            author = stream.author[rows]
            chunk = pa.table(
                {
                    "message_id": pa.array(ids_sorted[lo : lo + len(rows)]),
                    "user_id": pa.array(account_ids[author]),
                    "username": usernames.take(pa.array(author)),
                    "repost_id": pa.array(ref, mask=kind != 1),
                    "reply_id": pa.array(ref, mask=kind != 2),
                    "message": pc.binary_join_element_wise(prefix, body, ""),
                    "timestamp": pa.array(epoch + stream.ts[rows]),
                    "urls": urls,
                },
                schema=cnt_schema,
            )
            writer.write_table(chunk)
            if con is not None and pq_writer is not None:
                target_author = stream.author[np.maximum(target, 0)]
                con.register("chunk", chunk.append_column("target_account", pa.array(account_ids[target_author])))
                out = con.sql(CANONICAL_SQL, params={"platform": a.platform}).to_arrow_table()
                pq_writer.write_table(out.cast(CANONICAL_SCHEMA))
                con.unregister("chunk")
            progress.advance(write_task, len(rows))

    if a.truth:
        with open(a.truth, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["account_id", "username", "group_id", "group_size", "kinds"])
            for g, grp in enumerate(world["groups"]):
                for m in grp["members"].tolist():
                    w.writerow([account_ids[m], world["usernames"][m], g, len(grp["members"]), ";".join(grp["kinds"])])
    if a.campaigns_out:
        with open(a.campaigns_out, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["group_id", "kind", "campaign", "t0", "t1", "seed_message_id", "url", "hashtag", "n_posts"])
            for c in stream.campaigns:
                seed = id_of_row[c.seed] if c.seed >= 0 else ""
                w.writerow(
                    [c.group, c.kind, c.index, epoch + c.t0, epoch + c.t0 + a.spread, seed, c.url, c.hashtag, c.n_posts]
                )
    return n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    add = p.add_argument
    out = p.add_argument_group("output")
    out.add_argument("--out-cnt", required=True, help="coordination-network-toolkit CSV to write")
    out.add_argument("--out-canonical", help="also write the posts as overt's canonical posts table (Parquet)")
    out.add_argument("--truth", help="planted accounts CSV: account_id,username,group_id,group_size,kinds")
    out.add_argument("--campaigns-out", help="one row per planted campaign (CSV)")
    out.add_argument("--platform", default="unknown", help="platform of the canonical posts (the cnt reader's)")
    out.add_argument("--chunk-rows", type=int, default=1_000_000, help="rows per write (memory, not content)")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    add("--posts", type=int, default=100_000, help="approximate number of posts")
    add("--seed", type=int, default=42)
    add("--accounts", type=int, default=None, help="accounts (default posts/20, at least 1000)")
    add("--activity-exponent", type=float, default=0.9, help="Zipf-Mandelbrot exponent of account activity")
    add("--activity-offset", type=float, default=10.0, help="Zipf-Mandelbrot offset (flattens the very top)")
    add("--days", type=float, default=14.0)
    add("--start", default="2024-03-01T00:00:00", help="first second of the stream (UTC)")
    add("--diurnal-amplitude", type=float, default=0.6)
    add("--diurnal-peak-hour", type=float, default=19.0, help="UTC hour of the busiest time of day")
    add("--share-original", type=float, default=0.42, help="organic originals")
    add("--share-retweet", type=float, default=0.45, help="organic retweets (the rest are replies)")
    add("--popularity-sigma", type=float, default=1.8, help="sigma of originals' lognormal popularity")
    add("--retweet-delay-median", type=float, default=900.0, help="seconds")
    add("--retweet-delay-sigma", type=float, default=1.6)
    add("--reply-delay-median", type=float, default=600.0, help="seconds")
    add("--reply-delay-sigma", type=float, default=1.3)
    add("--vocab", type=int, default=20_000, help="pseudo-words")
    add("--vocab-exponent", type=float, default=1.05)
    add("--min-words", type=int, default=4)
    add("--max-words", type=int, default=22)
    add("--hashtags", type=int, default=3_000, help="organic hashtag pool")
    add("--hashtag-exponent", type=float, default=1.0)
    add("--hashtag-rate", type=float, default=0.6, help="mean hashtags per original (Poisson, at most 4)")
    add("--mention-rate", type=float, default=0.25)
    add("--generic-rate", type=float, default=0.03, help="originals that are a generic short phrase")
    add("--generic-reply-rate", type=float, default=0.15, help="replies that are a generic short phrase")
    add("--domains", type=int, default=800)
    add("--urls", type=int, default=None, help="organic URL pool (default posts/30, at least 2000)")
    add("--url-exponent", type=float, default=1.0, help="Zipf exponent of URL popularity")
    add("--url-rate", type=float, default=0.3, help="originals with a URL")
    add("--second-url-rate", type=float, default=0.08, help="of those, with a second URL")
    add("--reply-url-rate", type=float, default=0.05)
    add("--link-delay-median", type=float, default=7200.0, help="seconds from a URL's publication to a share")
    add("--link-delay-sigma", type=float, default=1.5)
    add("--groups", default="8,12,16,24,32,48", help="planted group sizes")
    add("--kinds", default=",".join(KINDS), help="campaign kinds in use")
    add("--kinds-per-group", type=int, default=3, help="campaign kinds each group runs (rotated over --kinds)")
    add("--campaigns", type=int, default=None, help="campaigns per kind per group (default scales with posts)")
    add("--participation", type=float, default=0.8, help="chance a member takes part in a campaign")
    add("--spread", type=int, default=60, help="seconds over which a campaign's actions are spread")
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    started = time.perf_counter()
    progress = Progress(
        TextColumn("{task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),  # stdout stays free for whoever runs this
        disable=a.quiet,
        transient=False,
    )
    with progress:
        stream, world = build_stream(a, progress)
        n = write_outputs(a, stream, world, progress)
    if not a.quiet:
        c = world["counts"]
        print(
            f"{n:,} posts ({c['organic_originals']:,} originals, {c['organic_reposts']:,} retweets, "
            f"{c['organic_replies']:,} replies organic; {c['campaign_originals'] + c['campaign_reposts']:,} "
            f"campaign posts) by {world['n_accounts']:,} accounts; groups {world['sizes']} x "
            f"{world['campaigns_per_kind']} campaigns per kind; {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
