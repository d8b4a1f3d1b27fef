"""Coordination detectors: each a small class whose keyword parameters are its settings.

A *co-action* detector names, for every post, the items the post acts on (a reposted post, a URL, a hashtag,
a normalised text, ...). Two accounts co-act when they act on the same item within ``window`` seconds of each
other; how often they do, against what chance predicts, is the edge (:mod:`overt.coordination.cooccurrence`).
A *pair* detector produces its co-acting pairs itself (near-duplicate texts, fast reposts); a *similarity*
detector compares whole account profiles without a window (:mod:`overt.coordination.similarity`).

Every query here is DuckDB SQL over the canonical ``posts`` table, kept portable so the engine can transpile
it (:mod:`overt.engine`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

#: A post's time as whole seconds since 1970 (the resolution every peer tool uses).
AT = "CAST(floor(epoch(created_at)) AS BIGINT)"


def without_mentions(column: str = "text", links: bool = False) -> str:
    """SQL for lower-cased *column* without ``@``-mentions (and links, with *links*).

    Regular expressions run only on the texts that contain the marker: they cost ten times a plain search.
    """
    lowered = f"lower({column})"
    out = f"CASE WHEN contains({column}, '@') THEN regexp_replace({lowered}, '@\\S*', '', 'g') ELSE {lowered} END"
    if links:
        stripped = f"regexp_replace({out}, 'https?://\\S*', '', 'g')"
        out = f"CASE WHEN contains({column}, '://') THEN {stripped} ELSE {out} END"
    return out


def collapse_spaces(expr: str) -> str:
    """SQL collapsing whitespace runs in *expr* to one space and trimming it (only where there is any to do).

    *expr* appears several times; DuckDB evaluates a repeated expression once.
    """
    odd = " OR ".join(f"contains({expr}, {c})" for c in ("'  '", "chr(9)", "chr(10)", "chr(12)", "chr(13)"))
    return f"CASE WHEN {odd} THEN trim(regexp_replace({expr}, '\\s+', ' ', 'g')) ELSE trim({expr}) END"


def text_key(column: str = "text") -> str:
    """SQL normalising a text for identity: lower case, mentions and links out, whitespace collapsed."""
    return collapse_spaces(without_mentions(column, links=True))


@dataclass(kw_only=True)
class Detector:
    """Base of all detectors. Subclasses set ``name`` and document what the trace can and cannot show."""

    name: ClassVar[str]
    kind: ClassVar[str]

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(kw_only=True)
class Windowed(Detector):
    """Shared settings of detectors that look for actions close in time.

    Parameters
    ----------
    window:
        Seconds: two actions co-occur when ``|Δt| <= window``. ``None`` means the scan's window (``--window``,
        which may be ``auto``: CooRnet's data-driven coordination interval).
    min_weight:
        An edge needs at least this many shared items to be tested at all.
    max_accounts_per_window:
        Bound on the quadratic pairing: an item acted on by more distinct accounts than this within one
        window-sized time bucket (a viral post) is not paired in that bucket; such buckets are counted and
        listed in ``summary.json``. ``None`` pairs everything.
    """

    window: int | None = None
    min_weight: int = 2
    max_accounts_per_window: int | None = 1000


@dataclass(kw_only=True)
class CoAction(Windowed):
    """A detector defined by the items each post acts on."""

    kind: ClassVar[str] = "co_action"

    def actions(self) -> str:
        """SQL giving ``account_id, item, ts, post_id`` (``ts`` in whole seconds) for every action."""
        raise NotImplementedError

    def keep(self) -> str:
        """SQL condition on ``item`` an action must meet (applied to the materialised actions)."""
        return "TRUE"


def _unnest_actions(column: str, where: str = "TRUE") -> str:
    return f"""
        SELECT account_id, item, {AT} AS ts, post_id
        FROM (SELECT account_id, created_at, post_id, unnest({column}) AS item FROM posts WHERE {where}) u
    """


@dataclass(kw_only=True)
class CoRepost(CoAction):
    """Accounts reposting the same post within the window (co-retweet).

    Shows: amplification rings that boost the same content at the same moment. Cannot show: who instructed
    them; organic fans of a popular account also repost it quickly, which the null model discounts by each
    post's popularity and each account's activity. Quotes are not reposts here. Where the source gives no
    original post id, reposts of the same author's same text count as reposts of one post.
    """

    name: ClassVar[str] = "co_repost"

    def actions(self) -> str:
        # Some sources (FiveThirtyEight's IRA tweets) mark a repost without the original's id: the reposted
        # author (when known) and the normalised text then stand for the original.
        by_text = f"'text:' || coalesce(repost_of_account_id, '') || ':' || {text_key()}"
        return f"""
            SELECT account_id, coalesce(repost_of_post_id, {by_text}) AS item, {AT} AS ts, post_id
            FROM posts WHERE kind = 'repost' AND (repost_of_post_id IS NOT NULL OR text IS NOT NULL)
        """


@dataclass(kw_only=True)
class CoLink(CoAction):
    """Accounts posting the same link (``level='url'``) or links to the same site (``level='domain'``).

    Shows: link-seeding campaigns pushing an article or a site. Cannot show: intent; a site that everyone
    links to (news portals) produces many chance co-links, which the null model discounts. Reposts do not
    count (their links are the original's, and reposting is ``co_repost``), as in
    coordination-network-toolkit.
    """

    name: ClassVar[str] = "co_link"
    level: str = "url"

    def __post_init__(self) -> None:
        if self.level not in ("url", "domain"):
            raise ValueError(f"co_link level must be 'url' or 'domain', not {self.level!r}")

    def actions(self) -> str:
        return _unnest_actions("urls" if self.level == "url" else "domains", "kind <> 'repost'")


@dataclass(kw_only=True)
class CoDomain(CoLink):
    """``co_link`` at the site level: accounts linking to the same registrable domain within the window.

    Shows: networks that push one outlet (a state-media site, a content farm) with different articles. Cannot
    show much for big portals everyone links to; the null model discounts them by their popularity.
    """

    name: ClassVar[str] = "co_domain"
    level: str = "domain"


@dataclass(kw_only=True)
class CoHashtag(CoAction):
    """Accounts using the same hashtag within the window.

    Shows: hashtag pushes (trending manipulation). Cannot show much on its own for big hashtags: an event's
    hashtag is used by everyone at once; the null model and the per-window cap keep those from dominating.
    """

    name: ClassVar[str] = "co_hashtag"

    def actions(self) -> str:
        return _unnest_actions("hashtags", "kind <> 'repost'")


@dataclass(kw_only=True)
class CoText(CoAction):
    """Accounts posting the same text (after lower-casing and removing mentions, links and extra spaces).

    Shows: copy-paste campaigns. Cannot show: near-duplicates with edits (use ``co_similar_text``); short
    stock phrases ("thank you") collide by chance, so texts shorter than ``min_chars`` are ignored and the
    null model discounts frequent texts. Reposts are excluded (that is ``co_repost``).
    """

    name: ClassVar[str] = "co_text"
    min_chars: int = 10

    def actions(self) -> str:
        return f"""
            SELECT account_id, {text_key()} AS item, {AT} AS ts, post_id
            FROM posts WHERE kind <> 'repost' AND text IS NOT NULL
        """

    def keep(self) -> str:
        return f"length(item) >= {int(self.min_chars)}"


@dataclass(kw_only=True)
class CoReply(CoAction):
    """Accounts replying to the same post within the window (reply brigades, harassment swarms).

    Cannot show: whether the replies agree; a viral post draws many organic replies (null model, cap).
    """

    name: ClassVar[str] = "co_reply"

    def actions(self) -> str:
        return f"""
            SELECT account_id, reply_to_post_id AS item, {AT} AS ts, post_id
            FROM posts WHERE kind = 'reply' AND reply_to_post_id IS NOT NULL
        """


@dataclass(kw_only=True)
class CoMention(CoAction):
    """Accounts mentioning the same account within the window (targeting a person or an official).

    Cannot show: the tone; mentions of celebrities and institutions are common (null model, cap).
    Mentions inside reposts are the original's, so reposts are excluded.
    """

    name: ClassVar[str] = "co_mention"

    def actions(self) -> str:
        return _unnest_actions("mentions", "kind <> 'repost'")


@dataclass(kw_only=True)
class CoMedia(CoAction):
    """Accounts posting the same media (id or perceptual hash, as the source gives it) within the window.

    Cannot show: re-encoded copies unless the source gives a perceptual hash.
    """

    name: ClassVar[str] = "co_media"

    def actions(self) -> str:
        return _unnest_actions("media", "kind <> 'repost'")


@dataclass(kw_only=True)
class CoSimilarText(Windowed):
    """Accounts posting near-duplicate texts within the window: word-token sets with Jaccard ≥ ``threshold``.

    Found exactly, not approximately: a prefix-filtered similarity join (every pair at or above the threshold
    shares one of its rarest tokens, so only those candidates are compared) finds every pair MinHash/LSH would
    and none of its false negatives, and is faster at the high thresholds that matter. Shows: templated
    campaigns that vary a word or two. Cannot show: paraphrases or translations. Texts with fewer than
    ``min_tokens`` distinct tokens are ignored. Reposts are excluded. There is no shared item to be viral,
    so ``max_accounts_per_window`` does not apply; the rare-token prefixes keep candidate lists short instead.
    """

    name: ClassVar[str] = "co_similar_text"
    kind: ClassVar[str] = "pairs"
    threshold: float = 0.8
    min_tokens: int = 5


@dataclass(kw_only=True)
class FastRepost(Detector):
    """An account reposting another account's post within ``max_delay`` seconds of it, again and again.

    The edge links the reposter and the author (Pacheco et al. 2021's fast-retweet trace). Shows: automated
    or on-call amplifiers of specific accounts. Cannot show: fans with notifications on, which the null model
    discounts by how much each account reposts and is reposted. Needs the original post in the dataset.
    """

    name: ClassVar[str] = "fast_repost"
    kind: ClassVar[str] = "pairs"
    max_delay: int = 10
    min_weight: int = 2


#: What a scan runs when no detectors are named.
DEFAULT_DETECTORS = (
    "co_repost",
    "co_link",
    "co_hashtag",
    "co_text",
    "co_similar_text",
    "co_reply",
    "co_mention",
    "co_media",
    "fast_repost",
)

#: Every detector by name, in the order a scan runs them.
DETECTORS: dict[str, type[Detector]] = {
    d.name: d
    for d in (CoRepost, CoLink, CoDomain, CoHashtag, CoText, CoSimilarText, CoReply, CoMention, CoMedia, FastRepost)
}


def register(cls: type[Detector]) -> type[Detector]:
    """Add a detector class defined elsewhere (the similarity detectors) to :data:`DETECTORS`."""
    DETECTORS[cls.name] = cls
    return cls
