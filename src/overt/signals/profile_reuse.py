"""Profiles copied across accounts: the same description, display name or profile image.

Operators fill many profiles from few sources: one bio pasted into dozens of accounts with a word changed, the
same stock photo, the same name. Takedown reports show it again and again (DFRLab and Graphika on networks
reusing bios and AI-generated or stolen faces; Meta's CIB reports on fake personas with copied profiles).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from overt.coordination import near_duplicate
from overt.coordination.detectors import collapse_spaces
from overt.coordination.significance import poisson_tail
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS, Signal, details, has_clusters

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

#: The profile elements compared, in the order evidence names them.
ELEMENTS = ("description", "display_name", "profile_image")
_LABEL = {"description": "description", "display_name": "display name", "profile_image": "profile image"}


def _normalised(column: str) -> str:
    """SQL for *column* lower-cased, links masked as ``<url>``, handles as ``<@>``, whitespace collapsed."""
    lowered = f"lower({column})"
    links = f"regexp_replace({lowered}, '(https?://|www\\.)\\S+', '<url>', 'g')"
    handles = f"regexp_replace({links}, '@\\w+', '<@>', 'g')"
    return collapse_spaces(handles)


def _quote(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt(x: float) -> str:
    return f"{x:.2g}" if x < 0.01 else f"{x:.2f}".rstrip("0").rstrip(".")


@dataclass(kw_only=True)
class ProfileReuse(Signal):
    """Descriptions, display names and profile images shared with other accounts, weighted by their rarity.

    **Elements.** Descriptions are compared after normalisation (lower case, links masked as ``<url>``,
    ``@handles`` as ``<@>``, whitespace collapsed); shorter than ``min_description_chars`` they are ignored
    ("Hi", "🇺🇸"). Display names likewise (lower case, whitespace collapsed) from ``min_name_chars``. Profile
    images are compared as given (a URL or a hash; platform default images, whose value contains
    ``default_profile``, are ignored). Two descriptions are also *near-identical* when their word-token sets
    have Jaccard similarity at least ``near_threshold`` (and at least ``min_tokens`` tokens): the exact
    prefix-filtered similarity join of :mod:`overt.coordination.near_duplicate`, run once per distinct
    description, so boilerplate shared by thousands costs one comparison, not millions.

    **Score.** An element shared by ``k`` accounts (the account included; for descriptions the exact and
    near-identical ones together) counts ``weight * specificity * (1 - 0.5 ** (k - 1)) * rarity``:
    ``weight`` is ``description_weight``, ``name_weight`` or ``image_weight``; ``specificity`` is, for a
    description, its token count over ``full_tokens`` (capped at 1) times the similarity of its closest
    match (1 when identical), and 1 otherwise; the middle factor grows with the group (0.5 for a pair, a
    person's two accounts; 0.94 for five); ``rarity`` is 1 up to ``common_group`` accounts and
    ``common_group / k`` beyond, because text shared by hundreds of unrelated accounts ("Official account of
    ...", a franchise's bio, a default avatar) is boilerplate, not a copy. The account's score is
    ``1 - prod(1 - element score)``.

    **Per cluster** (inside a scan): ``value`` is the share of members (with at least one element) that share
    an element with another member of the same cluster (identical, or near-identical description). By
    chance, member *i* would share an element with one of the other ``n - 1`` members with probability
    ``1 - prod_e (1 - (k_e - 1) / (N - 1)) ** (n - 1)``, where ``k_e`` is the number of accounts sharing its
    element *e* in the dataset (near-identical descriptions included) and ``N`` the number of accounts with
    any comparable element. The sum over members is the expected number, and ``p = P(X >= reusing)``,
    ``X ~ Poisson(expected)``, Bonferroni over the clusters tested,
    ``score = min(1, -log10(q) / full_score_decades)``.

    Parameters
    ----------
    min_description_chars, min_name_chars:
        Shorter normalised descriptions / display names are ignored.
    min_tokens:
        Fewest distinct word tokens for a description to be compared for near-identity.
    near_threshold:
        Jaccard similarity of token sets that makes two descriptions near-identical (``None``: exact only).
    full_tokens:
        Token count at which a description is fully specific.
    common_group:
        Group size beyond which sharing is discounted as boilerplate.
    description_weight, name_weight, image_weight:
        Weight of each element.
    min_cluster_members:
        Clusters with fewer members having an element are not assessed.
    full_score_decades:
        Decades of Bonferroni-corrected surprise that give a cluster score 1.

    ``value``: the number of other accounts sharing the account's most telling element (the one that scored
    highest; 0 when none is shared). Per cluster: the share of members reusing an element from another member.

    ``details``: per element present ``<element>_shared`` (other accounts with the identical element),
    for descriptions ``description_near`` (further accounts with a near-identical one),
    ``description_similarity`` (closest near match) and ``description_tokens``; ``<element>_score``; and
    ``scored_by`` (the element with the highest score, or null). Per cluster: ``members``, ``reusing``,
    ``expected``, ``p_value``, ``tests``, ``by_element`` (reusing members per element).

    Can show: copied personas, bios pasted across a network, a shared stock or stolen photo. Cannot show:
    whether the copy was made by one operator. Organisations give their branches one bio, franchises and
    fan clubs share a template, people run several accounts with the same profile, and short ordinary
    phrases coincide ("Wife, mother, Christian"): the size and rarity weighting keeps pairs and boilerplate
    low, not at zero. Profile image URLs differ per upload on most platforms, so identical images are found
    only where the source gives content hashes (or one upload was reused). Paraphrased or translated bios,
    and images that were re-encoded or cropped, are missed. Most research exports drop profile fields; no
    row is written for an account with none of them.
    """

    name: ClassVar[str] = "profile_reuse"

    min_description_chars: int = 20
    min_name_chars: int = 5
    min_tokens: int = 4
    near_threshold: float | None = 0.8
    full_tokens: int = 8
    common_group: int = 20
    description_weight: float = 1.0
    name_weight: float = 0.4
    image_weight: float = 0.8
    min_cluster_members: int = 3
    full_score_decades: float = 4.0

    def __post_init__(self) -> None:
        for key in ("min_description_chars", "min_name_chars", "min_tokens", "full_tokens", "common_group"):
            if int(getattr(self, key)) < 1:
                raise ValueError(f"profile_reuse {key} must be >= 1")
        if self.near_threshold is not None and not 0 < self.near_threshold <= 1:
            raise ValueError("profile_reuse near_threshold must be in (0, 1] or None")
        for key in ("description_weight", "name_weight", "image_weight"):
            if not 0 <= float(getattr(self, key)) <= 1:
                raise ValueError(f"profile_reuse {key} must be in [0, 1]")
        if int(self.min_cluster_members) < 2 or self.full_score_decades <= 0:
            raise ValueError("profile_reuse min_cluster_members must be >= 2 and full_score_decades > 0")

    # -- shared tables -----------------------------------------------------------------------------------------

    def _elements_sql(self) -> str:
        """One row per (account, element) that can be compared: its normalised key and raw value."""
        description = _normalised("description")
        name = collapse_spaces("lower(display_name)")
        return f"""
            SELECT account_id, 'description' AS element, {description} AS item, description AS raw
            FROM accounts WHERE description IS NOT NULL
                AND length({description}) >= {int(self.min_description_chars)}
            UNION ALL
            SELECT account_id, 'display_name', {name}, display_name
            FROM accounts WHERE display_name IS NOT NULL AND length({name}) >= {int(self.min_name_chars)}
            UNION ALL
            SELECT account_id, 'profile_image', trim(profile_image), profile_image
            FROM accounts WHERE profile_image IS NOT NULL AND trim(profile_image) <> ''
                AND NOT contains(lower(profile_image), 'default_profile')
        """

    def _prepare(self, eng: DuckDBEngine) -> None:
        # DISTINCT: an account listed on two platforms with one id counts once.
        eng.create("_pr_elements", f"SELECT DISTINCT * FROM ({self._elements_sql()}) e")
        eng.create(
            "_pr_groups",
            "SELECT element, item, count(DISTINCT account_id) AS k FROM _pr_elements GROUP BY element, item",
        )
        # Distinct descriptions, one id each, with their word tokens (the near-duplicate join runs on these).
        eng.create(
            "_pr_texts",
            f"""
            SELECT row_number() OVER (ORDER BY item) AS post_id, item, k,
                   list_distinct(regexp_extract_all(item, '{near_duplicate.WORDS}')) AS toks
            FROM _pr_groups WHERE element = 'description'
            """,
        )
        threshold = self.near_threshold
        if threshold is None:
            eng.create("_pr_near", "SELECT 0 AS x, 0 AS y, 1.0 AS similarity WHERE false")
            return
        eng.create(
            "_pr_messages",
            f"""
            SELECT post_id, post_id AS account_id, 0 AS ts, 0 AS bucket, toks, len(toks) AS n
            FROM _pr_texts WHERE len(toks) >= {int(self.min_tokens)}
            """,
        )
        eng.create("_pr_prefixes", near_duplicate.prefixes("_pr_messages", threshold))
        # Both directions, so that each description finds its matches on the left.
        eng.create(
            "_pr_near",
            f"""
            WITH m AS ({near_duplicate.matches("_pr_messages", "_pr_prefixes", 0, threshold)})
            SELECT x_post_id AS x, y_post_id AS y, similarity FROM m
            UNION ALL SELECT y_post_id, x_post_id, similarity FROM m
            """,
        )

    def _drop(self, eng: DuckDBEngine) -> None:
        eng.drop("_pr_elements", "_pr_groups", "_pr_texts", "_pr_messages", "_pr_prefixes", "_pr_near")

    # -- per account -------------------------------------------------------------------------------------------

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        try:
            self._prepare(eng)
            rows = eng.rows("""
                WITH near AS (
                    SELECT n.x, CAST(sum(t.k) AS BIGINT) AS near_accounts, max(n.similarity) AS similarity
                    FROM _pr_near n JOIN _pr_texts t ON t.post_id = n.y GROUP BY n.x
                )
                SELECT e.account_id, e.element, e.raw, g.k - 1 AS shared, coalesce(near.near_accounts, 0) AS near,
                       near.similarity, len(t.toks) AS tokens
                FROM _pr_elements e
                JOIN _pr_groups g ON g.element = e.element AND g.item = e.item
                LEFT JOIN _pr_texts t ON e.element = 'description' AND t.item = e.item
                LEFT JOIN near ON near.x = t.post_id
                ORDER BY e.account_id, e.element
            """)
        finally:
            self._drop(eng)
        by_account: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_account.setdefault(row[0], []).append(row)
        out: dict[str, list[Any]] = {n: [] for n in SIGNALS.names}
        for account_id, elements in by_account.items():
            score, value, evidence, info = self._account_row(elements)
            for key, item in zip(SIGNALS.names, (self.name, account_id, score, value, evidence, info), strict=True):
                out[key].append(item)
        return pa.table(out, schema=SIGNALS)

    def element_score(self, element: str, accounts: int, tokens: int | None = None, similarity: float = 1.0) -> float:
        """Score of an element shared by *accounts* accounts in all (the account included)."""
        if accounts < 2:
            return 0.0
        weight = {"description": self.description_weight, "display_name": self.name_weight}.get(
            element, self.image_weight
        )
        specificity = 1.0
        if element == "description":
            specificity = min(1.0, (tokens or 0) / self.full_tokens) * similarity
        rarity = min(1.0, self.common_group / accounts)
        return float(weight * specificity * (1 - 0.5 ** (accounts - 1)) * rarity)

    def _account_row(self, elements: Sequence[tuple[Any, ...]]) -> tuple[float, float, str, str]:
        info: dict[str, Any] = {"scored_by": None}
        parts: list[str] = []
        scores: dict[str, tuple[float, int]] = {}
        for _, element, raw, shared, near, similarity, tokens in sorted(elements, key=lambda e: ELEMENTS.index(e[1])):
            info[f"{element}_shared"] = int(shared)
            if element == "description":
                info |= {
                    "description_near": int(near),
                    "description_similarity": None if similarity is None else round(float(similarity), 4),
                    "description_tokens": tokens,
                }
                closest = 1.0 if shared > 0 or similarity is None else float(similarity)
                s = self.element_score(element, 1 + int(shared) + int(near), int(tokens or 0), closest)
                if shared or near:
                    text = f"description identical to {shared} other account(s) ('{_quote(raw)}')"
                    if not shared:
                        text = f"description near-identical to {near} other account(s) ('{_quote(raw)}')"
                    elif near:
                        text += f", near-identical to {near} more"
                    parts.append(text)
                scores[element] = (s, int(shared) + int(near))
            else:
                s = self.element_score(element, 1 + int(shared))
                if shared:
                    quoted = f" ('{_quote(raw)}')" if element == "display_name" else ""
                    parts.append(f"same {_LABEL[element]} as {shared} other account(s){quoted}")
                scores[element] = (s, int(shared))
            info[f"{element}_score"] = round(s, 4)
        score = 1.0 - float(np.prod([1.0 - s for s, _ in scores.values()]))
        best = max(scores, key=lambda e: scores[e][0])
        if scores[best][0] > 0:
            info["scored_by"] = best
        value = float(scores[best][1]) if scores[best][0] > 0 else 0.0
        if not parts:
            checked = ", ".join(_LABEL[e] for e in ELEMENTS if e in scores)
            evidence = f"{checked} not shared with any other account"
        else:
            evidence = "; ".join(parts)
        return round(score, 6), value, evidence, details(**info)

    # -- per cluster -------------------------------------------------------------------------------------------

    def clusters(self, eng: DuckDBEngine) -> pa.Table | None:
        if not has_clusters(eng):
            return None
        try:
            self._prepare(eng)
            rows = eng.rows(f"""
                WITH near_k AS (
                    SELECT n.x, sum(t.k) AS near FROM _pr_near n JOIN _pr_texts t ON t.post_id = n.y GROUP BY n.x
                ),
                members AS (
                    SELECT c.cluster, e.account_id, e.element, e.item, g.k + coalesce(nk.near, 0) AS k,
                           t.post_id AS text_id
                    FROM clusters c
                    JOIN _pr_elements e ON e.account_id = c.account_id
                    JOIN _pr_groups g ON g.element = e.element AND g.item = e.item
                    LEFT JOIN _pr_texts t ON e.element = 'description' AND t.item = e.item
                    LEFT JOIN near_k nk ON nk.x = t.post_id
                ),
                totals AS (SELECT count(DISTINCT account_id) AS total FROM _pr_elements),
                sizes AS (SELECT cluster, count(DISTINCT account_id) AS n FROM members GROUP BY cluster),
                exact AS (
                    SELECT DISTINCT a.cluster, a.account_id, a.element
                    FROM members a JOIN members b
                      ON a.cluster = b.cluster AND a.element = b.element AND a.item = b.item
                     AND a.account_id <> b.account_id
                ),
                near_pairs AS (
                    SELECT DISTINCT a.cluster, a.account_id, a.element
                    FROM members a
                    JOIN _pr_near n ON n.x = a.text_id
                    JOIN members b ON b.cluster = a.cluster AND b.text_id = n.y AND b.account_id <> a.account_id
                ),
                reusing AS (SELECT * FROM exact UNION SELECT * FROM near_pairs),
                chance AS (
                    -- log of the chance that none of the n - 1 others shares element e by accident
                    SELECT m.cluster, m.account_id,
                           sum((s.n - 1) * ln(greatest(1e-12, 1 - CAST(m.k - 1 AS DOUBLE)
                                                               / greatest(tt.total - 1, 1)))) AS log_none
                    FROM members m JOIN sizes s ON s.cluster = m.cluster CROSS JOIN totals tt
                    GROUP BY m.cluster, m.account_id
                ),
                counted AS (
                    SELECT cluster, count(DISTINCT account_id) AS reusing,
                           count(DISTINCT account_id) FILTER (WHERE element = 'description') AS by_description,
                           count(DISTINCT account_id) FILTER (WHERE element = 'display_name') AS by_name,
                           count(DISTINCT account_id) FILTER (WHERE element = 'profile_image') AS by_image
                    FROM reusing GROUP BY cluster
                ),
                expected AS (SELECT cluster, sum(1 - exp(log_none)) AS expected FROM chance GROUP BY cluster)
                SELECT s.cluster, s.n, coalesce(r.reusing, 0), coalesce(x.expected, 0.0),
                       coalesce(r.by_description, 0), coalesce(r.by_name, 0), coalesce(r.by_image, 0)
                FROM sizes s
                LEFT JOIN counted r ON r.cluster = s.cluster
                LEFT JOIN expected x ON x.cluster = s.cluster
                WHERE s.n >= {int(self.min_cluster_members)}
                ORDER BY s.cluster
            """)
        finally:
            self._drop(eng)
        if not rows:
            return CLUSTER_SIGNALS.empty_table()
        reusing = np.asarray([r[2] for r in rows], np.float64)
        expected = np.asarray([r[3] or 0.0 for r in rows], np.float64)
        p = poisson_tail(reusing, expected)
        tests = len(rows)
        out: dict[str, list[Any]] = {n: [] for n in CLUSTER_SIGNALS.names}
        for row, pv in zip(rows, p, strict=True):
            cluster, n, m, exp_m, by_description, by_name, by_image = row
            q = min(1.0, float(pv) * tests)
            score = 0.0 if m < 2 or q >= 1 else min(1.0, -float(np.log10(max(q, 1e-300))) / self.full_score_decades)
            counts = {"description": by_description, "display_name": by_name, "profile_image": by_image}
            named = ", ".join(f"{c} by {_LABEL[e]}" for e, c in counts.items() if c)
            evidence = f"{m} of {n} members reuse a profile element from another member"
            evidence += f" ({named})" if named else ""
            evidence += f"; expected {exp_m or 0:.1f} by chance (chance {_fmt(float(pv))})"
            info = details(
                members=n, reusing=m, expected=round(float(exp_m or 0), 4), p_value=float(pv), tests=tests,
                by_element=counts,
            )  # fmt: skip
            row_out = (self.name, cluster, score, round(m / n, 4), evidence, info)
            for key, item in zip(CLUSTER_SIGNALS.names, row_out, strict=True):
                out[key].append(item)
        return pa.table(out, schema=CLUSTER_SIGNALS)
