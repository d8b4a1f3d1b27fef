"""Accounts whose links and reposts go, in large part, to state-controlled or captured media.

State-backed operations launder their state's media: Twitter's and Meta's takedown disclosures, the Stanford
Internet Observatory and Graphika on Russian (Secondary Infektion, Doppelganger), Chinese (Spamouflage) and
Iranian networks, and the EU's and France's Viginum reports on RT mirrors and the 'Portal Kombat' network all
describe fake accounts whose posts mostly point to RT, Sputnik, CGTN, Press TV and the sites that copy them. The
list of such outlets ships with the package (``data/state_media.csv``, built by ``scripts/build_state_media.py``
from the Alliance for Securing Democracy's State Media Matrix and Disinfo Laundromat; provenance and licence in
``data/state_media.md``); :func:`reference` loads it for other modules.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import io
import re
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import pyarrow as pa

from overt.ingest.normalise import HOST_RE, normalise_url
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS, Signal, account_row, cluster_row, has_clusters

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

#: Hosts (as overt normalises them) of the platforms whose profile links name an account: ``host -> platform``.
#: The build script reads the State Media Matrix's profile links with the same table.
SOCIAL_HOSTS: dict[str, str] = {
    "twitter.com": "twitter",
    "mobile.twitter.com": "twitter",
    "x.com": "twitter",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "fb.com": "facebook",
    "vk.com": "vk",
    "m.vk.com": "vk",
    "tiktok.com": "tiktok",
    "ok.ru": "ok",
    "m.ok.ru": "ok",
}

#: Link shorteners: a shortened link cannot be followed offline, so it is neither a hit nor a miss.
SHORTENERS: tuple[str, ...] = (
    "t.co",
    "bit.ly",
    "bitly.com",
    "j.mp",
    "ow.ly",
    "buff.ly",
    "dlvr.it",
    "ift.tt",
    "goo.gl",
    "tinyurl.com",
    "is.gd",
    "tiny.cc",
    "trib.al",
    "lnkd.in",
    "fb.me",
    "wp.me",
    "ln.is",
    "shar.es",
    "po.st",
    "cutt.ly",
    "rebrand.ly",
    "t.ly",
    "rb.gy",
    "shorturl.at",
    "s.id",
    "clck.ru",
    "vk.cc",
)

_HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")
# The account named by a profile or post link: the first path segment (t.me/s/<name> is Telegram's web view).
_PROFILE_RE = r"^https?://[^/]+/(?:s/)?@?([A-Za-z0-9_.-]+)"


# -- the reference list ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlet:
    """One row of the shipped list (columns documented in ``data/state_media.md``)."""

    kind: str  # "domain" or "handle"
    platform: str  # for handles: twitter, telegram, instagram, facebook, vk, tiktok, ok; "" for domains
    identifier: str  # lower-case host without www. (matches its subdomains), or lower-case handle without @
    outlet: str
    company: str
    country: str
    typology: str  # SC, CaPu, CaPr, or the Disinfo Laundromat list ("RT Mirror/Repost", ...)
    source: str

    @property
    def label(self) -> str:
        """How evidence names it: ``rt.com`` or ``@rt_com (twitter)``."""
        return self.identifier if self.kind == "domain" else f"@{self.identifier} ({self.platform})"

    @property
    def label_long(self) -> str:
        """The label with country and typology: ``rt.com (Russia, SC)``."""
        return f"{self.label} ({', '.join(x for x in (self.country, self.typology) if x)})"


@functools.cache
def reference() -> tuple[Outlet, ...]:
    """The shipped state-media list, one :class:`Outlet` per identifier, sorted by kind, platform, identifier."""
    text = importlib.resources.files("overt.signals").joinpath("data", "state_media.csv").read_text(encoding="utf-8")
    return tuple(Outlet(**row) for row in csv.DictReader(io.StringIO(text)))


@functools.cache
def reference_table() -> pa.Table:
    """:func:`reference` as an Arrow table, plus ``ref``: the row's position (a stable key within one release)."""
    rows = reference()
    columns: dict[str, Any] = {"ref": pa.array(range(len(rows)), pa.int64())}
    for f in fields(Outlet):
        columns[f.name] = pa.array([getattr(r, f.name) for r in rows], pa.string())
    return pa.table(columns)


@functools.cache
def _index() -> dict[tuple[str, str], Outlet]:
    return {(r.platform, r.identifier): r for r in reference()}


def find_outlet(value: str, platform: str | None = None) -> Outlet | None:
    """The listed outlet *value* points to, or None.

    With *platform*, *value* is a handle on it (``@`` and case ignored). Otherwise *value* is a link or a host:
    a profile or post link on a social platform (``https://twitter.com/rt_com/status/1``) is matched by its
    handle, any other by its host or the nearest listed parent domain (``francais.rt.com`` -> ``rt.com``).
    """
    index = _index()
    if platform is not None:
        return index.get((platform, value.strip().lstrip("@").lower()))
    url = normalise_url(value if "://" in value else f"https://{value.strip()}")
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in SOCIAL_HOSTS:
        match = re.match(_PROFILE_RE, url)
        return index.get((SOCIAL_HOSTS[host], match.group(1).lower())) if match else None
    labels = host.split(".")
    for i in range(len(labels) - 1):
        found = index.get(("", ".".join(labels[i:])))
        if found is not None:
            return found
    return None


# -- the signal ------------------------------------------------------------------------------------------------


def _last_two(column: str) -> str:
    """SQL for the last two labels of the host name in *column* ('' for a single label)."""
    return f"regexp_extract({column}, '[^.]+[.][^.]+$')"


def _posts(n: int) -> str:
    return "1 post carries" if n == 1 else f"{n:,} posts carry"


def _pct(share: float) -> str:
    return f"{share:.1%}" if 0 < share < 0.1 else f"{share:.0%}"


@dataclass
class StateMedia(Signal):
    """Share of an account's links and reposts that go to state-controlled or captured media.

    **What counts.** An *action* is a post with at least one link that can be checked (a web address whose host is
    not a link shortener, :data:`SHORTENERS`) or a repost whose reposted account is known
    (``repost_of_account_id``). An action *goes to state media* when one of its links points to a listed domain
    or a subdomain of one (``francais.rt.com`` and ``rt.com/news/1`` go to ``rt.com``; ``english.news.cn`` to
    ``news.cn``; hosts are lower-case without ``www.``, as ingest normalises them), or to a listed social account
    (``twitter.com/cgtn/status/1``, ``t.me/s/rt_russian``), or when it reposts a listed account. The reposted
    account is matched by its ``accounts.handle`` and, for sources that identify accounts by handle (the IRA
    tweets), by ``repost_of_account_id`` itself; handles are compared in lower case on the same platform. A
    repost carries the original's links, so reposting a post that links RT goes to RT too. Each action counts
    once, whatever the number of its links; per outlet, an action counts once for each outlet it reaches.
    Posts with only shortened links (``t.co``: most Twitter archives) are not actions: where the links went
    cannot be known offline, so they neither raise nor dilute the share; the evidence says how many there were.

    **Score.** ``value`` = ``n_state / n_actions``. The score needs both a sizable share and a count:
    ``score = clip((share - min_share) / (full_share - min_share), 0, 1) * min(1, n_state / full_state)``, and 0
    when ``n_state < min_state``. With the defaults, 40% of 100 actions scores 0.75, 38% of 150 scores 0.7, 1 of
    100 scores 0, 15% of 200 (a journalist covering Russia) 0.125, and 3 of 3 scores 0.3. No action: null.
    Per cluster (inside a scan), the same over the members' actions together.

    Parameters
    ----------
    min_share:
        Share of actions at and below which the score is 0.
    full_share:
        Share at and above which the share factor is 1.
    min_state:
        Fewest actions to state media that can score.
    full_state:
        Actions to state media at which the count factor is 1.
    shorteners:
        Hosts of link shorteners (exact, lower case).
    top:
        Outlets listed in ``details`` (the evidence names three).

    ``value``: share of actions (links and reposts) that go to state media, in [0, 1]; null without actions.

    ``details`` (per account): ``share``, ``n_state``, ``n_actions``, ``n_links`` (posts with a checkable
    link), ``n_reposts`` (reposts of a known account), ``n_short`` (posts with only shortened links, not
    counted), ``top`` (list of ``{outlet, name, country, typology, n}``: label as in the evidence, outlet
    name, country, typology, actions), ``countries`` (country -> actions; an outlet without a country counts
    as ``""``), ``self`` (the listed outlet the account itself is, by handle, else null). Per cluster:
    ``share``, ``n_state``, ``n_actions``, ``accounts``, ``accounts_assessed`` (with actions),
    ``accounts_high`` (scoring at least 0.5), ``top``, ``countries``, ``dominant_country``,
    ``dominant_share`` (its share of the cluster's actions to state media).

    Can show: accounts and clusters that mostly amplify one state's media, with the outlets, their country and
    their typology (SC state-controlled, CaPu captured public, CaPr captured private, or the laundromat list
    such as 'RT Mirror/Repost'), so a reviewer can judge. Cannot show: who runs the account. Journalists,
    researchers and media watchers (accounts that monitor or debunk RT) link state media as a matter of course,
    and so do readers of captured outlets that are their country's main news source (Turkey, Hungary,
    Singapore and the Gulf states have several) and the outlets' own official accounts (reported as ``self``):
    the score needs a sizable share, not presence, but a watcher who links almost nothing else, or an ordinary
    reader of a captured national paper, can still score high. It misses: links hidden behind shorteners (most
    Twitter archives, including the IRA tweets, hold only ``t.co`` links) or in images; outlets missing from the
    list (new mirrors, covert outlets not yet attributed, editorially independent public media, which the list
    leaves out on purpose) and accounts the list does not name (it gives RT International's Twitter handle as
    ``rt``, not ``RT_com``); quotes that carry no link to the quoted post (the dataset gives the quoted post, not
    its account); an outlet's account under another name on another platform.

    Source: Alliance for Securing Democracy, State Media Matrix and Disinfo Laundromat (list); Viginum,
    'Portal Kombat' (2024); Stanford Internet Observatory / Graphika takedown reports; Twitter's state-backed
    information-operations disclosures (2018-2021), which name state-media amplification as a recurring trait.
    """

    name: ClassVar[str] = "state_media"

    min_share: float = 0.1
    full_share: float = 0.5
    min_state: int = 3
    full_state: int = 10
    shorteners: tuple[str, ...] = SHORTENERS
    top: int = 5

    def __post_init__(self) -> None:
        if not 0 <= self.min_share < self.full_share <= 1:
            raise ValueError("state_media needs 0 <= min_share < full_share <= 1")
        if not 1 <= int(self.min_state) <= int(self.full_state):
            raise ValueError("state_media needs 1 <= min_state <= full_state")
        if int(self.top) < 1:
            raise ValueError("state_media top must be >= 1")
        self.shorteners = tuple(str(s).lower() for s in self.shorteners)
        for host in self.shorteners:
            if not _HOST.fullmatch(host):
                raise ValueError(f"state_media shorteners: {host!r} is not a host name")

    def score(self, n_state: int, n_actions: int) -> float | None:
        """The score of *n_state* actions to state media among *n_actions* (None without actions)."""
        if n_actions <= 0:
            return None
        if n_state < self.min_state:
            return 0.0
        share = n_state / n_actions
        share_factor = min(1.0, max(0.0, (share - self.min_share) / (self.full_share - self.min_share)))
        return share_factor * min(1.0, n_state / self.full_state)

    # -- SQL -------------------------------------------------------------------------------------------------

    def _prepare(self, eng: DuckDBEngine) -> None:
        """Temp tables ``_sm_ref`` (the list), ``_sm_hits`` (post -> outlet) and ``_sm_posts`` (actions)."""
        eng.register("_sm_ref", reference_table())
        eng.register("_sm_short", pa.table({"host": pa.array(self.shorteners, pa.string())}))
        eng.register(
            "_sm_social",
            pa.table({"host": list(SOCIAL_HOSTS), "platform": list(SOCIAL_HOSTS.values())}),
        )
        eng.create(
            "_sm_links",
            f"""
            SELECT u.platform, u.post_id, u.account_id, u.url, u.host,
                   s.host IS NOT NULL AS short, c.platform AS social
            FROM (
                SELECT platform, post_id, account_id, url, regexp_extract(url, '{HOST_RE}', 1) AS host
                FROM (SELECT platform, post_id, account_id, unnest(urls) AS url FROM posts WHERE len(urls) > 0) x
            ) u
            LEFT JOIN _sm_short s ON s.host = u.host
            LEFT JOIN _sm_social c ON c.host = u.host
            """,
        )
        # Hosts are few next to links: match each distinct host against the list once. A host under a listed
        # domain ends in the same last two labels (`francais.rt.com`, `rt.com`; `english.news.cn`, `news.cn`), so
        # those labels make it a hash join. The build folds every listed domain under a listed parent into the
        # parent, so at most one entry matches; the longest wins if a list has both.
        eng.create(
            "_sm_hosts",
            f"""
            SELECT h.host, max_by(r.ref, length(r.identifier)) AS ref
            FROM (SELECT DISTINCT host, {_last_two("host")} AS tail FROM _sm_links WHERE host <> '') h
            JOIN (SELECT ref, identifier, {_last_two("identifier")} AS tail FROM _sm_ref WHERE kind = 'domain') r
                ON r.tail = h.tail AND (h.host = r.identifier OR ends_with(h.host, '.' || r.identifier))
            GROUP BY h.host
            """,
        )
        eng.create(
            "_sm_hits",
            f"""
            SELECT DISTINCT platform, post_id, account_id, ref FROM (
                SELECT l.platform, l.post_id, l.account_id, h.ref
                FROM _sm_links l JOIN _sm_hosts h ON h.host = l.host
                UNION ALL
                SELECT l.platform, l.post_id, l.account_id, r.ref
                FROM _sm_links l JOIN _sm_ref r ON r.kind = 'handle' AND r.platform = l.social
                    AND r.identifier = lower(regexp_extract(l.url, '{_PROFILE_RE}', 1))
                WHERE l.social IS NOT NULL
                UNION ALL
                SELECT p.platform, p.post_id, p.account_id, r.ref
                FROM posts p JOIN accounts a ON a.platform = p.platform AND a.account_id = p.repost_of_account_id
                JOIN _sm_ref r ON r.kind = 'handle' AND r.platform = p.platform AND r.identifier = lower(a.handle)
                WHERE p.kind = 'repost'
                UNION ALL
                SELECT p.platform, p.post_id, p.account_id, r.ref
                FROM posts p JOIN _sm_ref r ON r.kind = 'handle' AND r.platform = p.platform
                    AND r.identifier = lower(p.repost_of_account_id)
                WHERE p.kind = 'repost'
            ) x
            """,
        )
        eng.create(
            "_sm_posts",
            """
            WITH linked AS (
                SELECT platform, post_id, any_value(account_id) AS account_id,
                       bool_or(host <> '' AND NOT short) AS link, bool_or(short) AS short
                FROM _sm_links GROUP BY platform, post_id
            ),
            reposted AS (
                SELECT platform, post_id, account_id FROM posts
                WHERE kind = 'repost' AND repost_of_account_id IS NOT NULL
            )
            SELECT coalesce(l.platform, r.platform) AS platform, coalesce(l.post_id, r.post_id) AS post_id,
                   coalesce(l.account_id, r.account_id) AS account_id,
                   coalesce(l.link, false) AS link, r.post_id IS NOT NULL AS repost, coalesce(l.short, false) AS short,
                   h.post_id IS NOT NULL AS state
            FROM linked l
            FULL JOIN reposted r ON r.platform = l.platform AND r.post_id = l.post_id
            LEFT JOIN (SELECT DISTINCT platform, post_id FROM _sm_hits) h
                ON h.platform = coalesce(l.platform, r.platform) AND h.post_id = coalesce(l.post_id, r.post_id)
            """,
        )

    def _cleanup(self, eng: DuckDBEngine) -> None:
        eng.drop("_sm_ref", "_sm_short", "_sm_social", "_sm_links", "_sm_hosts", "_sm_hits", "_sm_posts")

    def _outlets(self, eng: DuckDBEngine, group: str, join: str = "") -> dict[Any, list[tuple[int, int]]]:
        """Per *group* key: (ref, actions) pairs, most actions first."""
        by: dict[Any, list[tuple[int, int]]] = defaultdict(list)
        for key, ref, n in eng.rows(f"""
            SELECT {group} AS key, h.ref, count(DISTINCT h.platform || chr(31) || h.post_id) AS n
            FROM _sm_hits h {join} GROUP BY {group}, h.ref ORDER BY key, n DESC, h.ref
        """):
            by[key].append((int(ref), int(n)))
        return by

    def _countries(self, eng: DuckDBEngine, group: str, join: str = "") -> dict[Any, Counter[str]]:
        """Per *group* key: actions to state media per country (an action counts once per country)."""
        by: dict[Any, Counter[str]] = defaultdict(Counter)
        for key, country, n in eng.rows(f"""
            SELECT {group} AS key, r.country, count(DISTINCT h.platform || chr(31) || h.post_id) AS n
            FROM _sm_hits h JOIN _sm_ref r ON r.ref = h.ref {join} GROUP BY {group}, r.country
        """):
            by[key][str(country)] = int(n)
        return by

    def _top(self, pairs: list[tuple[int, int]]) -> list[dict[str, Any]]:
        rows = reference()
        return [
            {
                "outlet": rows[ref].label,
                "name": rows[ref].outlet,
                "country": rows[ref].country,
                "typology": rows[ref].typology,
                "n": n,
            }
            for ref, n in pairs[: int(self.top)]
        ]

    @staticmethod
    def _named(pairs: list[tuple[int, int]], k: int = 3) -> str:
        rows = reference()
        return ", ".join(f"{rows[ref].label_long} {n:,}" for ref, n in pairs[:k])

    # -- per account -----------------------------------------------------------------------------------------

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        self._prepare(eng)
        try:
            counts = eng.rows("""
                SELECT a.account_id,
                       coalesce(sum(CASE WHEN p.link OR p.repost THEN 1 ELSE 0 END), 0) AS n_actions,
                       coalesce(sum(CASE WHEN p.link THEN 1 ELSE 0 END), 0) AS n_links,
                       coalesce(sum(CASE WHEN p.repost THEN 1 ELSE 0 END), 0) AS n_reposts,
                       coalesce(sum(CASE WHEN p.short AND NOT p.link AND NOT p.repost THEN 1 ELSE 0 END), 0) AS n_short,
                       coalesce(sum(CASE WHEN p.state THEN 1 ELSE 0 END), 0) AS n_state
                FROM (SELECT DISTINCT account_id FROM posts) a
                LEFT JOIN _sm_posts p ON p.account_id = a.account_id
                GROUP BY a.account_id ORDER BY a.account_id
            """)
            outlets = self._outlets(eng, "h.account_id")
            countries = self._countries(eng, "h.account_id")
            selves = dict(
                eng.rows("""
                    SELECT a.account_id, min(r.ref) FROM accounts a
                    JOIN _sm_ref r ON r.kind = 'handle' AND r.platform = a.platform AND r.identifier = lower(a.handle)
                    GROUP BY a.account_id
                """)
            )
        finally:
            self._cleanup(eng)
        rows = reference()
        out: list[dict[str, Any]] = []
        for account_id, n_actions, n_links, n_reposts, n_short, n_state in counts:
            n_actions, n_state, n_short = int(n_actions), int(n_state), int(n_short)
            share = n_state / n_actions if n_actions else None
            pairs = outlets.get(account_id, [])
            self_ref = selves.get(account_id)
            if share is None:
                evidence = "no links or reposts whose target can be checked"
            else:
                evidence = f"{_pct(share)} of links and reposts ({n_state:,} of {n_actions:,}) go to state media"
                evidence += f": {self._named(pairs)}" if pairs else ""
            if n_short:
                evidence += f"; {'another ' if n_actions else ''}{_posts(n_short)} only shortened links (t.co, ...)"
                evidence += ", which cannot be followed offline"
            if self_ref is not None:
                evidence += f"; the account is itself listed: {rows[self_ref].outlet or rows[self_ref].label}"
            out.append(
                account_row(
                    self.name,
                    account_id,
                    self.score(n_state, n_actions),
                    share,
                    evidence,
                    share=share,
                    n_state=n_state,
                    n_actions=n_actions,
                    n_links=int(n_links),
                    n_reposts=int(n_reposts),
                    n_short=n_short,
                    top=self._top(pairs),
                    countries=dict(sorted(countries.get(account_id, Counter()).items())),
                    self=rows[self_ref].label if self_ref is not None else None,
                )
            )
        return pa.Table.from_pylist(out, schema=SIGNALS)

    # -- per cluster -----------------------------------------------------------------------------------------

    def clusters(self, eng: DuckDBEngine) -> pa.Table | None:
        if not has_clusters(eng):
            return None
        self._prepare(eng)
        try:
            counts = eng.rows("""
                WITH per_account AS (
                    SELECT account_id,
                           sum(CASE WHEN link OR repost THEN 1 ELSE 0 END) AS n_actions,
                           sum(CASE WHEN state THEN 1 ELSE 0 END) AS n_state
                    FROM _sm_posts GROUP BY account_id
                )
                SELECT c.cluster, count(*) AS accounts,
                       coalesce(sum(p.n_actions), 0) AS n_actions, coalesce(sum(p.n_state), 0) AS n_state,
                       list(p.n_state) FILTER (WHERE p.n_actions > 0) AS states,
                       list(p.n_actions) FILTER (WHERE p.n_actions > 0) AS actions
                FROM (SELECT DISTINCT cluster, account_id FROM clusters) c
                LEFT JOIN per_account p ON p.account_id = c.account_id
                GROUP BY c.cluster ORDER BY c.cluster
            """)
            join = "JOIN (SELECT DISTINCT cluster, account_id FROM clusters) c ON c.account_id = h.account_id"
            outlets = self._outlets(eng, "c.cluster", join)
            countries = self._countries(eng, "c.cluster", join)
        finally:
            self._cleanup(eng)
        out: list[dict[str, Any]] = []
        for cluster, n_accounts, n_actions, n_state, states, actions in counts:
            n_actions, n_state = int(n_actions), int(n_state)
            share = n_state / n_actions if n_actions else None
            pairs = outlets.get(cluster, [])
            by_country = countries.get(cluster, Counter())
            dominant, dominant_n = (
                max(by_country.items(), key=lambda kv: (kv[1], kv[0] != "", kv[0])) if by_country else ("", 0)
            )
            high = sum(1 for s, a in zip(states or [], actions or [], strict=True) if (self.score(s, a) or 0) >= 0.5)
            if share is None:
                evidence = f"no links or reposts whose target can be checked among its {n_accounts:,} accounts"
            else:
                evidence = (
                    f"{_pct(share)} of the links and reposts of its {n_accounts:,} accounts "
                    f"({n_state:,} of {n_actions:,}) go to state media"
                )
                if pairs:
                    if dominant:
                        evidence += f", {_pct(dominant_n / n_state)} of them {dominant}'s"
                    evidence += f": {self._named(pairs)}"
            out.append(
                cluster_row(
                    self.name,
                    int(cluster),
                    self.score(n_state, n_actions),
                    share,
                    evidence,
                    share=share,
                    n_state=n_state,
                    n_actions=n_actions,
                    accounts=int(n_accounts),
                    accounts_assessed=len(actions or []),
                    accounts_high=high,
                    top=self._top(pairs),
                    countries=dict(sorted(by_country.items())),
                    dominant_country=dominant or None,
                    dominant_share=dominant_n / n_state if n_state else None,
                )
            )
        return pa.Table.from_pylist(out, schema=CLUSTER_SIGNALS)
