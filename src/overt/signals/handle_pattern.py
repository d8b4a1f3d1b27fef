"""Default-like and templated handles and display names shared across accounts.

Operators who register accounts in bulk keep what the sign-up form suggests (a name and a long run of digits)
or fill names from a generator, so a network's handles share a template: ``anna_k38472910``,
``mike_r20581734``, ... Takedown reports show both (Twitter's 2019 disclosure of Chinese state accounts with
names of the form ``word`` + eight digits; Graphika's Spamouflage reports; Stanford Internet Observatory
write-ups of Saudi and Egyptian networks with templated names).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa
from scipy.special import bdtrc

from overt.coordination.significance import poisson_tail
from overt.signals.base import CLUSTER_SIGNALS, SIGNALS, Signal, details, has_clusters

if TYPE_CHECKING:
    from overt.engine import DuckDBEngine

#: The two profile fields this signal reads, as (field name, accounts column).
FIELDS = ("handle", "display_name")

#: Skeletons (the sequence of run classes) so common that sharing a shape within them says nothing at the
#: dataset level: a word, a word and a number (where platforms' default handles live), plain names.
ORDINARY_SKELETONS: dict[str, tuple[str, ...]] = {
    "handle": ("a", "9", "a9"),
    "display_name": ("a", "a a", "a a a", "a9", "a a9", "a 9"),
}

_RUNS = r"\p{L}+|\p{N}+|[^\p{L}\p{N}]+"

#: Pseudo-accounts with which the dataset's run lengths in general enter a skeleton's length shares.
PRIOR_WEIGHT = 5.0


def _run_class(run: str, *, shape: bool) -> str:
    """SQL turning run *run* into its shape (``aaaa``, ``99``, or the separator as written) or its class."""
    if shape:
        letters, digits = f"repeat('a', length({run}))", f"repeat('9', length({run}))"
    else:
        letters, digits = "'a'", "'9'"
    return (
        f"CASE WHEN regexp_matches({run}, '^\\p{{L}}') THEN {letters} "
        f"WHEN regexp_matches({run}, '^\\p{{N}}') THEN {digits} ELSE {run} END"
    )


def _score(p: float, tests: int, decades: float) -> float:
    """Bonferroni-corrected surprise ``-log10(min(1, p * tests))`` over *decades*, capped at 1."""
    q = min(1.0, p * max(tests, 1))
    return 0.0 if q >= 1.0 else min(1.0, -math.log10(max(q, 1e-300)) / decades)


def _fmt(x: float) -> str:
    return f"{x:.2g}" if x < 0.01 else f"{x:.2f}".rstrip("0").rstrip(".")


def _quote(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(kw_only=True)
class HandlePattern(Signal):
    """Default-like handles, and handle or display-name templates shared beyond what the dataset predicts.

    **Template.** A handle (or display name) is lower-cased and cut into runs of letters, of digits and of
    other characters; its *shape* writes every letter as ``a`` and every digit as ``9`` and keeps the other
    characters (``anna_k38472910`` → ``aaaa_a99999999``), its *skeleton* writes one class per run (``a_a9``).

    **Default-like** handles are letters followed by at least ``min_digits`` digits (``john12345678``: the
    shape platforms suggest at sign-up). **Random-looking** handles have at least ``random_min_length``
    characters in runs of lower case, upper case and digits that average at most 2 characters, at least 30% of
    their letters upper case and at most 25% vowels (``YW7QiegO0fDHxp6``, as some sign-up flows assign; some
    abbreviation-heavy handles such as ``HntrCrkPiP`` and leet-speak also match). Either alone scores
    ``default_score``: many ordinary users keep the suggested handle.

    **Shared beyond chance (dataset).** For a shape outside the ordinary skeletons (:data:`ORDINARY_SKELETONS`:
    a word, a word and a number, one to three plain name words), ``shared`` is the number of accounts with it
    and ``expected`` what the rest of the dataset predicts: the number of accounts with the same skeleton
    times, for each letter or digit run, the share of the skeleton's *other* shapes whose run at that position
    has that length (add-one smoothed, so that a template cannot explain itself), leaving out the least likely
    factor (run lengths are not independent: a long first name leaves less room under a length limit).
    ``first_last`` handles of varied lengths are expected; forty handles of four letters, ``_``, one letter
    and eight digits are not. ``p = P(X >= shared)``, ``X ~ Poisson(expected)``, Bonferroni over the shapes
    tested, and ``score = dataset_max_score * min(1, -log10(q) / full_score_decades)`` when at least
    ``min_shared`` accounts share it. The cap is there because platforms generate templates too: X's
    suggested ``firstname_las12345`` handles share shapes across unrelated accounts created months apart
    (18 accounts of ``aaaaaa_aaa99999`` in the 16,259 of the 2024 US-election sample score 0.11, and 0.22 with
    forty operator handles added).

    **Shared within the cluster** (inside a scan). Inside a cluster the *pattern* is compared: letter runs of
    any length, digit runs by length (``anna_k38472910`` and ``michael_b20581734`` are both ``a_a99999999``),
    since a generator fills in names of every length. Only patterns with a digit run are compared: a cluster
    of plain-word handles (``a``) or ``first_last`` names says nothing about a generator. Of the ``n`` members
    of the account's cluster with the field, ``k`` share its pattern; by chance each other member would with
    the pattern's share ``pi`` of the dataset's other accounts: ``p = P(Binomial(n - 1, pi) >= k - 1)``,
    Bonferroni over the (cluster, pattern) pairs tested, ``score = min(1, -log10(q) / full_score_decades)``
    when ``k >= min_shared``. This test includes the ordinary skeletons: a cluster whose members nearly all
    kept suggested handles was likely registered in one go, while the dataset share keeps a common pattern
    from counting for much.

    The account's score is the largest of these over its handle and display name. Handles that are hashes
    (32 or more characters of hex or base64: Twitter's information-operations archives replace the handles of
    accounts with fewer than 5,000 followers by a SHA-256 hash) get a null score and count for nothing.

    Per cluster: the pattern (of handles or display names, with digits) shared by at least two members that
    is least likely by chance, its share of the members having the field, and the chance of that many
    members sharing some pattern if members were drawn from the dataset (``p = P(Binomial(n, pi) >= k)``
    times the number of distinct patterns in the cluster), Bonferroni over the clusters and fields tested.

    Parameters
    ----------
    min_digits:
        Digits after the letters that make a handle default-like.
    random_min_length:
        Shortest handle that can look random.
    default_score:
        Score of a default-like or random-looking handle alone.
    dataset_max_score:
        Highest score the dataset-level test gives (its score is scaled to this).
    min_shared:
        Fewest accounts sharing a shape (in the dataset, or in the cluster) that can score.
    full_score_decades:
        Decades of Bonferroni-corrected surprise that give score 1.
    min_cluster_members:
        Clusters with fewer members having the field are not assessed at cluster level.

    ``value``: the number of accounts in the dataset sharing the account's template (of the field that gave
    the score; the handle when nothing scored). Per cluster: the share of members with the most common pattern
    (null when no member's pattern has digits).

    ``details``: ``scored_by`` (``default_like``, ``random_like``, ``handle``, ``display_name``,
    ``handle_cluster``, ``display_name_cluster`` or null), ``default_like``, ``random_like``, ``digit_share``,
    and for each field present ``<field>_template``, ``<field>_shared``, ``<field>_expected`` (null for an
    ordinary skeleton), ``<field>_p_value``, ``<field>_cluster_pattern``, ``<field>_cluster_shared``,
    ``<field>_cluster_members``, ``<field>_cluster_p_value`` (the cluster keys only inside a scan),
    ``handle_hashed``. Per cluster: ``field``, ``pattern``, ``shared``, ``members``, ``dataset_share``,
    ``p_value``, ``tests``.

    Can show: bulk registration with a name generator or with suggested handles kept, across a dataset or
    inside a coordinated cluster. Cannot show: intent. Fandoms and communities share templates on purpose
    (``bts_army_1234``), organisations name accounts by a scheme (``cityname_police``), and many new users keep
    their suggested handle, so default-like handles alone stay at a low score. Skeletons that an operation
    fills alone are partly self-explained (their run lengths then look typical for the skeleton), which makes
    the dataset test conservative. Operators who pick natural handles do not show. Display names are
    compared the same way but most sources omit them, and identical names are the business of
    ``profile_reuse``. Hashed handles cannot be assessed.
    """

    name: ClassVar[str] = "handle_pattern"

    min_digits: int = 5
    random_min_length: int = 12
    default_score: float = 0.2
    dataset_max_score: float = 0.5
    min_shared: int = 3
    full_score_decades: float = 4.0
    min_cluster_members: int = 3

    def __post_init__(self) -> None:
        if int(self.min_digits) < 1 or int(self.random_min_length) < 2:
            raise ValueError("handle_pattern min_digits must be >= 1 and random_min_length >= 2")
        if not (0 <= self.default_score <= 1 and 0 <= self.dataset_max_score <= 1):
            raise ValueError("handle_pattern default_score and dataset_max_score must be in [0, 1]")
        if int(self.min_shared) < 2 or int(self.min_cluster_members) < 2:
            raise ValueError("handle_pattern min_shared and min_cluster_members must be >= 2")
        if self.full_score_decades <= 0:
            raise ValueError("handle_pattern full_score_decades must be > 0")

    # -- shared tables -----------------------------------------------------------------------------------------

    def _values_sql(self) -> str:
        """Every (account, field) with its shape, skeleton, run lengths and flags."""
        clean = {
            "handle": "trim(ltrim(handle, '@'))",
            "display_name": "trim(regexp_replace(display_name, '\\s+', ' ', 'g'))",
        }
        parts = [
            f"SELECT account_id, '{field}' AS field, {clean[field]} AS raw FROM accounts "
            f"WHERE {field} IS NOT NULL AND {clean[field]} <> ''"
            for field in FIELDS
        ]
        shape, skeleton = _run_class("r", shape=True), _run_class("r", shape=False)
        # The cluster tests use the pattern: letter runs of any length, digit runs by length ('a_a99999999').
        pattern = (
            "CASE WHEN regexp_matches(r, '^\\p{L}') THEN 'a' "
            "WHEN regexp_matches(r, '^\\p{N}') THEN repeat('9', length(r)) ELSE r END"
        )
        # Run lengths only for letter and digit runs: separators are part of the skeleton already.
        length = "CASE WHEN regexp_matches(r, '^[\\p{L}\\p{N}]') THEN length(r) ELSE 0 END"
        kind = "CASE WHEN regexp_matches(r, '^\\p{L}') THEN 'a' WHEN regexp_matches(r, '^\\p{N}') THEN '9' ELSE '' END"
        classes = "regexp_extract_all(raw, '\\p{Ll}+|\\p{Lu}+|\\p{N}+')"

        def count(column: str, chars: str, vowels: bool = False) -> str:
            kept = f"[^{chars}]" if vowels else f"[^\\p{{{chars}}}]"
            return f"length(regexp_replace({column}, '{kept}', '', 'g'))"

        return f"""
            WITH vals AS ({" UNION ALL ".join(parts)}),
            runs AS (SELECT *, lower(raw) AS v, regexp_extract_all(lower(raw), '{_RUNS}') AS rs FROM vals)
            SELECT account_id, field, raw,
                   array_to_string(list_transform(rs, lambda r: {shape}), '') AS shape,
                   array_to_string(list_transform(rs, lambda r: {skeleton}), '') AS skeleton,
                   array_to_string(list_transform(rs, lambda r: {pattern}), '') AS pattern,
                   list_transform(rs, lambda r: {length}) AS lens,
                   list_transform(rs, lambda r: {kind}) AS kinds,
                   field = 'handle' AND length(raw) >= 32 AND regexp_matches(raw, '^[A-Za-z0-9+/=_-]+$') AS hashed,
                   field = 'handle' AND regexp_matches(v, '^\\p{{L}}+\\p{{N}}{{{int(self.min_digits)},}}$')
                       AS default_like,
                   field = 'handle' AND length(raw) >= {int(self.random_min_length)}
                       AND length(raw) <= 2 * len({classes})
                       AND {count("raw", "Lu")} >= 0.3 * {count("raw", "L")}
                       AND {count("v", "aeiou", vowels=True)} <= 0.25 * {count("raw", "L")}
                       AND regexp_matches(raw, '\\p{{Ll}}') AS random_like,
                   CAST(length(regexp_replace(v, '[^\\p{{N}}]', '', 'g')) AS DOUBLE) / length(v) AS digit_share
            FROM runs
        """

    def _shapes_sql(self, values: str) -> str:
        """Per (field, shape): accounts sharing it and the number the rest of the dataset predicts.

        ``expected = n_skel * prod_i P(length_i | skeleton, i)`` over the letter and digit runs. Each share is
        estimated from the *other* shapes of the skeleton, so that a template cannot explain itself, with
        :data:`PRIOR_WEIGHT` pseudo-accounts drawn from the lengths of all runs of that class (letters or
        digits) in the other shapes, add-one smoothed: a skeleton nobody else uses is judged by the dataset's
        run lengths in general. Run lengths are not independent (a long first name leaves less room under a
        platform's length limit), so the least likely factor is left out: a cautious expectation.
        """
        return f"""
            WITH v AS (SELECT * FROM {values} WHERE NOT hashed),
            skel AS (SELECT field, skeleton, count(*) AS n_skel FROM v GROUP BY field, skeleton),
            positions AS (
                SELECT field, skeleton, i, lens[i + 1] AS len, kinds[i + 1] AS kind
                FROM (SELECT field, skeleton, lens, kinds, unnest(range(len(lens))) AS i FROM v) u
            ),
            at_position AS (
                SELECT field, skeleton, i, len, count(*) AS n FROM positions GROUP BY field, skeleton, i, len
            ),
            pool AS (SELECT field, kind, len, count(*) AS n FROM positions WHERE len > 0 GROUP BY field, kind, len),
            pool_totals AS (SELECT field, kind, sum(n) AS runs, count(*) AS lengths FROM pool GROUP BY field, kind),
            shapes AS (
                SELECT field, skeleton, shape, any_value(lens) AS lens, any_value(kinds) AS kinds, count(*) AS shared
                FROM v GROUP BY field, skeleton, shape
            ),
            shape_runs AS (
                SELECT *, count(*) OVER (PARTITION BY field, shape, kind, len) AS repeats,
                       count(*) OVER (PARTITION BY field, shape, kind) AS kind_runs
                FROM (
                    SELECT field, skeleton, shape, shared, i, lens[i + 1] AS len, kinds[i + 1] AS kind
                    FROM (SELECT *, unnest(range(len(lens))) AS i FROM shapes) u
                ) r
                WHERE len > 0
            ),
            factors AS (
                SELECT s.field, s.shape,
                       ln((p.n - s.shared + {PRIOR_WEIGHT}
                               * (coalesce(q.n, 0) - s.shared * s.repeats + 1.0)
                               / (t.runs - s.shared * s.kind_runs + t.lengths))
                          / (k.n_skel - s.shared + {PRIOR_WEIGHT})) AS log_p
                FROM shape_runs s
                JOIN at_position p ON p.field = s.field AND p.skeleton = s.skeleton AND p.i = s.i AND p.len = s.len
                JOIN skel k ON k.field = s.field AND k.skeleton = s.skeleton
                JOIN pool q ON q.field = s.field AND q.kind = s.kind AND q.len = s.len
                JOIN pool_totals t ON t.field = s.field AND t.kind = s.kind
            ),
            logs AS (SELECT field, shape, sum(log_p) - min(log_p) AS log_share FROM factors GROUP BY field, shape)
            SELECT x.field, x.skeleton, x.shape, x.shared, k.n_skel * exp(coalesce(l.log_share, 0)) AS expected,
                   t.total
            FROM shapes x
            JOIN skel k ON k.field = x.field AND k.skeleton = x.skeleton
            LEFT JOIN logs l ON l.field = x.field AND l.shape = x.shape
            JOIN (SELECT field, count(*) AS total FROM v GROUP BY field) t ON t.field = x.field
        """

    def _prepare(self, eng: DuckDBEngine) -> int:
        eng.create("_hp_values", self._values_sql())
        n = eng.create("_hp_shapes", self._shapes_sql("_hp_values"))
        eng.create(
            "_hp_patterns",
            """
            SELECT field, pattern, count(*) AS shared, any_value(total) AS total
            FROM (SELECT *, count(*) OVER (PARTITION BY field) AS total FROM _hp_values WHERE NOT hashed) v
            GROUP BY field, pattern
            """,
        )
        return n

    # -- per account -------------------------------------------------------------------------------------------

    def accounts(self, eng: DuckDBEngine) -> pa.Table:
        try:
            self._prepare(eng)
            return self._accounts(eng)
        finally:
            eng.drop("_hp_values", "_hp_shapes", "_hp_patterns", "_hp_cluster")

    def _dataset_tests(self, eng: DuckDBEngine) -> tuple[dict[tuple[str, str], float], int]:
        """p of every shape outside the ordinary skeletons, and how many shapes were tested."""
        rows = eng.rows("SELECT field, skeleton, shape, shared, expected FROM _hp_shapes")
        tested = [r for r in rows if r[1] not in ORDINARY_SKELETONS[r[0]]]
        if not tested:
            return {}, 0
        p = poisson_tail(np.asarray([r[3] for r in tested], np.float64), np.asarray([r[4] for r in tested]))
        return {(r[0], r[2]): float(pv) for r, pv in zip(tested, p, strict=True)}, len(tested)

    def _cluster_tests(self, eng: DuckDBEngine) -> tuple[dict[tuple[str, str], tuple[int, int, float, str]], int]:
        """Per (account, field): members of its cluster sharing its pattern, members with the field, p, pattern."""
        if not has_clusters(eng):
            return {}, 0
        eng.create(
            "_hp_cluster",
            """
            WITH m AS (
                SELECT c.cluster, v.account_id, v.field, v.pattern
                FROM clusters c JOIN _hp_values v ON v.account_id = c.account_id WHERE NOT v.hashed
            ),
            sizes AS (SELECT cluster, field, count(*) AS members FROM m GROUP BY cluster, field),
            shared AS (
                SELECT cluster, field, pattern, count(*) AS k FROM m WHERE contains(pattern, '9')
                GROUP BY cluster, field, pattern
            )
            SELECT m.account_id, m.field, m.cluster, m.pattern, s.k, z.members, x.shared, x.total
            FROM m
            JOIN shared s ON s.cluster = m.cluster AND s.field = m.field AND s.pattern = m.pattern
            JOIN sizes z ON z.cluster = m.cluster AND z.field = m.field
            JOIN _hp_patterns x ON x.field = m.field AND x.pattern = m.pattern
            """,
        )
        rows = eng.rows("SELECT account_id, field, cluster, pattern, k, members, shared, total FROM _hp_cluster")
        if not rows:
            return {}, 0
        k = np.asarray([r[4] for r in rows], np.int64)
        n = np.asarray([r[5] for r in rows], np.int64)
        c = np.asarray([r[6] for r in rows], np.float64)
        total = np.asarray([r[7] for r in rows], np.float64)
        pi = np.clip((c - 1) / np.maximum(total - 1, 1), 0, 1)
        # bdtrc(j, n, p) = P(Bin(n, p) > j): here P(Bin(n - 1, pi) >= k - 1).
        p = np.where(k >= 2, bdtrc(k - 2, n - 1, pi), 1.0)
        pairs = {(r[2], r[1], r[3]) for r, kk in zip(rows, k, strict=True) if kk >= 2}
        found = {(r[0], r[1]): (int(r[4]), int(r[5]), float(pv), str(r[3])) for r, pv in zip(rows, p, strict=True)}
        return found, len(pairs)

    def _accounts(self, eng: DuckDBEngine) -> pa.Table:
        dataset_p, dataset_tests = self._dataset_tests(eng)
        cluster_p, cluster_tests = self._cluster_tests(eng)
        rows = eng.rows("""
            SELECT v.account_id, v.field, v.raw, v.shape, v.skeleton, v.hashed, v.default_like, v.random_like,
                   v.digit_share, s.shared, s.expected
            FROM _hp_values v LEFT JOIN _hp_shapes s ON s.field = v.field AND s.shape = v.shape
            ORDER BY v.account_id, v.field DESC
        """)
        by_account: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_account.setdefault(row[0], []).append(row)
        out: dict[str, list[Any]] = {n: [] for n in SIGNALS.names}
        for account_id, fields in by_account.items():
            score, value, evidence, info = self._account_row(fields, dataset_p, dataset_tests, cluster_p, cluster_tests)
            for key, item in zip(SIGNALS.names, (self.name, account_id, score, value, evidence, info), strict=True):
                out[key].append(item)
        return pa.table(out, schema=SIGNALS)

    def _account_row(
        self,
        fields: Sequence[tuple[Any, ...]],
        dataset_p: dict[tuple[str, str], float],
        dataset_tests: int,
        cluster_p: dict[tuple[str, str], tuple[int, int, float, str]],
        cluster_tests: int,
    ) -> tuple[float | None, float | None, str, str]:
        info: dict[str, Any] = {"scored_by": None, "default_like": False, "random_like": False, "digit_share": None}
        candidates: list[tuple[float, str, str]] = []  # score, scored_by, evidence
        values: dict[str, float] = {}
        hashed = False
        for account_id, field, raw, shape, skeleton, is_hash, default_like, random_like, digits, shared, exp in fields:
            if is_hash:
                hashed = True
                continue
            ordinary = skeleton in ORDINARY_SKELETONS[field]
            p = dataset_p.get((field, shape), 1.0)
            info |= {
                f"{field}_template": shape,
                f"{field}_shared": shared,
                f"{field}_expected": None if ordinary else round(float(exp), 4),
                f"{field}_p_value": None if ordinary else p,
            }
            values[field] = float(shared)
            label = "handle" if field == "handle" else "display name"
            fits = f"{label} '{_quote(raw)}' fits template '{_quote(shape)}' shared by {shared} account(s)"
            if field == "handle":
                info["default_like"], info["random_like"] = bool(default_like), bool(random_like)
                info["digit_share"] = round(float(digits), 4)
                if default_like:
                    candidates.append((self.default_score, "default_like", f"{fits}: default-like (letters, digits)"))
                elif random_like:
                    candidates.append((self.default_score, "random_like", f"{fits}: random-looking"))
            if not ordinary and shared >= self.min_shared:
                s = self.dataset_max_score * _score(p, dataset_tests, self.full_score_decades)
                candidates.append((s, field, f"{fits} (expected {exp:.1f}, chance {_fmt(p)})"))
            if (account_id, field) in cluster_p:
                k, n, cp, pattern = cluster_p[(account_id, field)]
                info |= {
                    f"{field}_cluster_pattern": pattern,
                    f"{field}_cluster_shared": k,
                    f"{field}_cluster_members": n,
                    f"{field}_cluster_p_value": cp,
                }
                if k >= self.min_shared:
                    s = _score(cp, cluster_tests, self.full_score_decades)
                    text = f"{fits}; {k} of the {n} in its cluster share the pattern '{_quote(pattern)}'"
                    text += f" (chance {_fmt(cp)})"
                    candidates.append((s, f"{field}_cluster", text))
        if not values:
            return None, None, "handle is a hash (the source hashed it): no pattern to read", details(**info)
        if hashed:
            info["handle_hashed"] = True
        best = max(candidates, key=lambda c: c[0], default=None)
        if best is None or best[0] <= 0:
            field = "handle" if "handle" in values else "display_name"
            raw = next(r[2] for r in fields if r[1] == field)
            shape = info[f"{field}_template"]
            label = "handle" if field == "handle" else "display name"
            evidence = (
                f"{label} '{_quote(raw)}' fits template '{_quote(shape)}' shared by {int(values[field])} account(s): "
                "no unusual pattern"
            )
            return 0.0, values[field], evidence, details(**info)
        score, scored_by, evidence = best
        info["scored_by"] = scored_by
        field = "display_name" if scored_by.startswith("display_name") else "handle"
        return round(score, 6), values.get(field), evidence, details(**info)

    # -- per cluster -------------------------------------------------------------------------------------------

    def clusters(self, eng: DuckDBEngine) -> pa.Table | None:
        if not has_clusters(eng):
            return None
        try:
            self._prepare(eng)
            eng.create(
                "_hp_cluster",
                """
                WITH m AS (
                    SELECT c.cluster, v.field, v.pattern
                    FROM clusters c JOIN _hp_values v ON v.account_id = c.account_id WHERE NOT v.hashed
                ),
                per_pattern AS (
                    SELECT cluster, field, pattern, count(*) AS k FROM m GROUP BY cluster, field, pattern
                ),
                per_field AS (
                    SELECT cluster, field, sum(k) AS members, count(*) AS patterns
                    FROM per_pattern GROUP BY cluster, field
                )
                SELECT s.cluster, s.field, s.pattern, s.k, f.members, f.patterns, x.shared, x.total
                FROM per_pattern s
                JOIN per_field f ON f.cluster = s.cluster AND f.field = s.field
                JOIN _hp_patterns x ON x.field = s.field AND x.pattern = s.pattern
                """,
            )
            minimum = int(self.min_cluster_members)
            rows = eng.rows(f"""
                SELECT cluster, field, pattern, k, members, patterns, shared, total FROM _hp_cluster
                WHERE members >= {minimum} AND contains(pattern, '9') ORDER BY cluster, field, pattern
            """)
            sizes = eng.rows(f"""
                SELECT cluster, max(members) FROM _hp_cluster WHERE members >= {minimum} GROUP BY cluster
            """)
        finally:
            eng.drop("_hp_values", "_hp_shapes", "_hp_patterns", "_hp_cluster")
        best: dict[int, tuple[float, int]] = {}
        tests = len({(r[0], r[1]) for r in rows})
        if rows:
            k = np.asarray([r[3] for r in rows], np.int64)
            n = np.asarray([r[4] for r in rows], np.int64)
            pi = np.asarray([r[6] for r in rows], np.float64) / np.asarray([r[7] for r in rows], np.float64)
            patterns = np.asarray([r[5] for r in rows], np.float64)
            # bdtrc(j, n, p) is P(Bin(n, p) > j): here P(Bin(n, pi) >= k), times the patterns the cluster has.
            p = np.minimum(1.0, patterns * bdtrc(k - 1, n, pi))

            # The pattern shared by at least two members with the smallest chance; ties to the larger group.
            def rank(i: int) -> tuple[bool, float, int]:
                return (rows[i][3] < 2, float(p[i]), -int(rows[i][3]))

            for i, row in enumerate(rows):
                if row[0] not in best or rank(i) < rank(best[row[0]][1]):
                    best[row[0]] = (float(p[i]), i)
        out: dict[str, list[Any]] = {n: [] for n in CLUSTER_SIGNALS.names}
        for cluster, members_max in sorted(sizes):
            if cluster not in best:
                evidence = f"none of the {members_max} members' handles or display names has digits: no pattern"
                row_out: tuple[Any, ...] = (self.name, cluster, 0.0, None, evidence, details(members=members_max))
            else:
                pv, i = best[cluster]
                _, field, pattern, kk, members, _, shared, total = rows[i]
                score = _score(pv, tests, self.full_score_decades) if kk >= self.min_shared else 0.0
                label = "handles" if field == "handle" else "display names"
                evidence = (
                    f"{kk} of {members} members' {label} fit the pattern '{_quote(pattern)}' "
                    f"({shared / total:.1%} of the dataset's; chance {_fmt(pv)})"
                )
                info = details(
                    field=field, pattern=pattern, shared=kk, members=members,
                    dataset_share=round(shared / total, 6), p_value=pv, tests=tests,
                )  # fmt: skip
                row_out = (self.name, cluster, score, round(kk / members, 4), evidence, info)
            for key_name, item in zip(CLUSTER_SIGNALS.names, row_out, strict=True):
                out[key_name].append(item)
        return pa.table(out, schema=CLUSTER_SIGNALS)
