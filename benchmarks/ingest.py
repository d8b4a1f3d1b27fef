#!/usr/bin/env python
"""Benchmark ``overt ingest`` on synthetic Twitter/X Information Operations archive tweets files.

For every size given with ``--rows`` this script

1. generates (once; later runs reuse it) a realistic ``twitter-io`` tweets CSV with that many rows in the
   cache folder (``benchmarks/data/`` by default, git-ignored). DuckDB writes it with one streaming
   ``COPY (SELECT ... FROM range(n)) TO 'file.csv'``: every value is a pure function of the row number and
   the seed (DuckDB's ``hash``), so the file never exists in memory and is the same on every run with the
   same seed and DuckDB version;
2. runs ``overt ingest FILE --out DIR --format twitter-io --overwrite`` in a fresh child process (``--repeat``
   times), measuring wall time, CPU time and peak RSS of the child (``os.wait4``; a /proc sampler also
   follows the whole process tree), and checks the manifest's row accounting (``rows_in == N`` and
   ``rows_in == posts + duplicates + account_rows + rejected``);
3. prints a Markdown table and, with ``--json FILE``, appends the results to a JSON list.

``--phases`` additionally re-runs the ingest in a separate child process that wraps the pipeline's internal
steps with timers (monkey-patching at run time; the source is not changed) and prints where the time goes.

Examples::

    .venv/bin/python benchmarks/ingest.py                       # 1M and 10M rows
    .venv/bin/python benchmarks/ingest.py --rows 100000 --repeat 3 --json /tmp/bench.json
    .venv/bin/python benchmarks/ingest.py --rows 1000000 --phases --memory-limit 1GB
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data"
DEFAULT_ROWS = (1_000_000, 10_000_000)
DEFAULT_SEED = 20190101
#: Bump when the generated content changes, so that cached files are regenerated.
GENERATOR_VERSION = 1


def _split(words: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(w.strip() for w in words.split(sep))


COLUMNS = _split(
    "tweetid userid user_display_name user_screen_name user_reported_location user_profile_description "
    "user_profile_url follower_count following_count account_creation_date account_language tweet_language "
    "tweet_text tweet_time tweet_client_name in_reply_to_userid in_reply_to_tweetid quoted_tweet_tweetid "
    "is_retweet retweet_userid retweet_tweetid latitude longitude quote_count reply_count like_count "
    "retweet_count hashtags urls user_mentions poll_choices"
)

# --------------------------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------------------------

START = "2019-01-01"  # first tweet minute (UTC)
START_MS = 1_546_300_800_000  # START as epoch milliseconds
SPAN_MINUTES = 120 * 24 * 60  # tweets spread over 120 days
TWEPOCH = 1_288_834_974_657  # Twitter snowflake epoch
SEQ_BITS = 22  # tweetid = (ms - TWEPOCH) << 22 | (row & (2**22 - 1)); see _macros
MAX_ROWS = 16 << SEQ_BITS  # ids stay unique up to here (16 row blocks folded into the milliseconds)
N_URLS = 2_500  # distinct link targets (x2 utm variants: ~4,300 distinct raw URLs in 1M rows)
N_EXTERNAL_USERS = 50_000  # accounts outside the archive that get retweeted / replied to
PHRASES_PER_LANG = 400

LANGS = ("ru", "en", "es", "ar", "zh")
WORDS = {
    "ru": _split(
        "правда народ власть выборы запад СМИ ложь свобода страна наш мир война санкции сегодня президент "
        "новости почему они молчат смотрите Россия Украина экономика против поддержка будущее люди знают "
        "все никто кризис оппозиция Америка НАТО голос"
    ),
    "en": _split(
        "the people government media truth freedom election vote news fake our country must stand against lies "
        "west support today watch why they never tell you real story behind this president economy war peace "
        "sanctions protest corrupt elites nation world future wake up everyone share before deleted"
    ),
    "es": _split(
        "el pueblo gobierno verdad libertad elecciones medios mentira nuestro país hoy presidente paz guerra "
        "economía contra apoyo noticias mundo futuro crisis oposición sanciones imperio todos nadie dice la "
        "de que en los golpe soberanía"
    ),
    "ar": _split(
        "الشعب الحكومة الحقيقة الحرية الانتخابات الإعلام الكذب بلدنا اليوم الرئيس السلام الحرب الاقتصاد ضد دعم "
        "أخبار العالم المستقبل الجميع لماذا يسكتون شاهد انشر قبل الحذف المؤامرة الغرب"
    ),
    "zh": _split(
        "人民 政府 真相 自由 选举 媒体 谎言 我们 国家 今天 主席 和平 战争 经济 反对 支持 新闻 世界 未来 发展 "
        "香港 美国 西方 谣言 事实 大家 转发 看看 为什么 不说"
    ),
}
EMOJI = ("🔥", "👇", "‼️", "😡", "👍", "🇷🇺", "🇻🇪", "🇨🇳", "💯", "🤔")
TAG_BASES = _split(
    "news truth fakenews election2019 peace sanctions stopwar freedom media breaking "
    "россия выборы санкции правда запад украина мир новости venezuela maduro paz soberanía noticias golpe eeuu "
    "سوريا إيران السعودية قطر أخبار 香港 中国 新闻 和平 hongkong china iran syria nato usa brexit eu oil g20 un"
)
DOMAINS = _split(
    "rt.com sputniknews.com telesurtv.net presstv.ir globaltimes.cn news.cgtn.com ria.ru tass.ru youtube.com "
    "facebook.com blogspot.com wordpress.com medium.com bbc.co.uk nytimes.com theguardian.com aljazeera.net "
    "almayadeen.net hispantv.com southfront.org zerohedge.com veteranstoday.com globalresearch.ca "
    "news-front.info vk.com ok.ru t.me example-news.info breaking-today.net truthdaily.org"
)
SECTIONS = _split("news world politics opinion video article russia latam mideast asia")
CAMPAIGNS = _split("spring election crisis weekly push share")
LOCATIONS = _split(
    "Moscow, Russia | Saint Petersburg | Caracas, Venezuela | Tehran, Iran | Beijing | Riyadh | New York, USA | "
    "London, England | Berlin, Deutschland | Madrid | Worldwide | Earth 🌍 | Москва | Россия | Venezuela | USA | "
    "Texas, USA | Dubai, UAE | Cairo, Egypt | Hong Kong",
    "|",
)
DISPLAY_NAMES = _split(
    "Анна Петрова | Иван Смирнов | John Miller | Mary Jones | Carlos Pérez | María González | أحمد علي | "
    "فاطمة حسن | 李明 | 王芳 | Global News 24 | Patriot Voice 🇺🇸 | Truth Seeker | Noticias al Día | "
    "Новости Сегодня | World Observer | Daily Breaking | Free Press Now",
    "|",
)
HANDLE_WORDS = _split(
    "news truth real daily voice patriot world free info today the noticias novosti press watch media global people"
)
CLIENTS = _split(
    "Twitter Web Client | Twitter for Android | Twitter for iPhone | TweetDeck | Twitter Web App | Hootsuite Inc. | "
    "IFTTT | Twitter Lite | dlvr.it",
    "|",
)


def _sql_list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def make_phrases(seed: int) -> list[str]:
    """PHRASES_PER_LANG short phrases per language (20-90 chars), with commas, quotes, emoji, some newlines."""
    rng = random.Random(seed)
    phrases = []
    for lang in LANGS:
        words = WORDS[lang]
        sep = "" if lang == "zh" else " "
        for _ in range(PHRASES_PER_LANG):
            target = rng.randint(20, 80)
            parts: list[str] = []
            while len(sep.join(parts)) < target:
                w = rng.choice(words)
                r = rng.random()
                if r < 0.12:
                    w += "，" if lang == "zh" else ","
                elif r < 0.125:
                    w = f'"{w}"'
                elif r < 0.155:
                    w = rng.choice(EMOJI)
                parts.append(w)
            text = sep.join(parts)
            if rng.random() < 0.03:  # a line break inside the tweet
                cut = rng.randint(1, len(parts) - 1) if len(parts) > 1 else 1
                text = sep.join(parts[:cut]) + "\n" + sep.join(parts[cut:])
            text = text[0].upper() + text[1:] + rng.choice((".", "!", "?", "...", "!!", ""))
            phrases.append(text)
    return phrases


def make_tags() -> list[str]:
    """~300 hashtags: bases with case and year variants (the pipeline lower-cases them)."""
    tags: list[str] = []
    for base in TAG_BASES:
        variants = (base, base.capitalize(), base.upper(), base + "2019", base + "_now", "Stop" + base.capitalize())
        for v in (*variants, base + "Live"):
            if v not in tags:
                tags.append(v)
    return tags


def _macros(rows: int, seed: int) -> list[str]:
    """DuckDB macros: every random choice is ``hash(row, salt, seed)``, so a row depends on nothing else."""
    n_acc = max(1, rows // 50)
    phrases, tags = make_phrases(seed), make_tags()
    words = [w for lang in LANGS for w in WORDS[lang] if w.isascii() and w.isalpha()]
    handles = _sql_list(HANDLE_WORDS)
    return [
        f"CREATE OR REPLACE TEMP MACRO u(i, k) AS "
        f"((hash((i)::BIGINT, k, {seed}::BIGINT) >> 11)::DOUBLE / 9007199254740992.0)",
        f"CREATE OR REPLACE TEMP MACRO pick(i, k, n) AS (hash((i)::BIGINT, k, {seed}::BIGINT) % (n)::UBIGINT)::BIGINT",
        # Heavy-tailed activity: account index a = floor(n_acc * u^2) (the top 1% of accounts post ~10%).
        f"CREATE OR REPLACE TEMP MACRO acct(i) AS floor({n_acc} * pow(u(i, 'acct'), 2))::BIGINT",
        "CREATE OR REPLACE TEMP MACRO is_rt(i) AS u(i, 'rt') < 0.40",
        f"CREATE OR REPLACE TEMP MACRO tmin(i) AS pick(i, 'time', {SPAN_MINUTES})",
        # Snowflake-like ids: the 16 low bits of (row >> 22) are folded into the milliseconds, so ids are unique.
        f"CREATE OR REPLACE TEMP MACRO tid(i) AS ((({START_MS} + tmin(i) * 60000 + pick(i, 'ms', 3750) * 16 "
        f"+ ((i)::BIGINT >> {SEQ_BITS}) % 16 - {TWEPOCH}) << {SEQ_BITS}) | ((i)::BIGINT & {(1 << SEQ_BITS) - 1}))",
        # Ids of tweets outside the file: before START, so they never collide with the file's ids.
        f"CREATE OR REPLACE TEMP MACRO ext_tid(i, k) AS "
        f"((({START_MS} - 1 - pick(i, k, {400 * 86_400_000}) - {TWEPOCH}) << {SEQ_BITS}) | pick(i, k || 's', 4194304))",
        "CREATE OR REPLACE TEMP MACRO followers(a) AS floor(pow(10, 5.2 * pow(u(a, 'followers'), 1.6)))::BIGINT",
        # The archive hashes the ids and names of accounts with fewer than 5,000 followers.
        "CREATE OR REPLACE TEMP MACRO big(a) AS followers(a) >= 5000",
        f"CREATE OR REPLACE TEMP MACRO userid(a) AS CASE WHEN big(a) "
        f"THEN (700000000000 + (a)::BIGINT * 997 + pick(a, 'nid', 997))::VARCHAR "
        f"ELSE to_base64(unhex(sha256('{seed}/user/' || (a)::VARCHAR))) END",
        f"CREATE OR REPLACE TEMP MACRO handle(a) AS CASE WHEN big(a) "
        f"THEN {handles}[1 + pick(a, 'h1', {len(HANDLE_WORDS)})] || '_' "
        f"|| {handles}[1 + pick(a, 'h2', {len(HANDLE_WORDS)})] || ((a)::BIGINT % 1000)::VARCHAR "
        f"ELSE userid(a) END",
        f"CREATE OR REPLACE TEMP MACRO ext_user(i, k) AS "
        f"to_base64(unhex(sha256('{seed}/ext/' || pick(i, k, {N_EXTERNAL_USERS})::VARCHAR)))",
        "CREATE OR REPLACE TEMP MACRO lang_idx(a) AS CASE WHEN u(a, 'lang') < 0.35 THEN 0 "
        "WHEN u(a, 'lang') < 0.65 THEN 1 WHEN u(a, 'lang') < 0.80 THEN 2 WHEN u(a, 'lang') < 0.92 THEN 3 ELSE 4 END",
        f"CREATE OR REPLACE TEMP MACRO phrase(li, i, k) AS "
        f"{_sql_list(phrases)}[1 + (li) * {PHRASES_PER_LANG} + pick(i, k, {PHRASES_PER_LANG})]",
        f"CREATE OR REPLACE TEMP MACRO tag(i, j) AS "
        f"{_sql_list(tags)}[1 + floor({len(tags)} * pow(u((i)::BIGINT * 4 + (j), 'tag'), 3))::BIGINT]",
        # A link target k in [0, N_URLS) with utm_ variant v: same k and v give the same URL.
        f"CREATE OR REPLACE TEMP MACRO url(k, v) AS "
        f"CASE WHEN (k) % 7 = 0 THEN 'http://' ELSE 'https://' END "
        f"|| CASE WHEN (k) % 5 = 0 THEN 'www.' ELSE '' END "
        f"|| {_sql_list(DOMAINS)}[1 + (k) % {len(DOMAINS)}] || '/' "
        f"|| {_sql_list(SECTIONS)}[1 + ((k) // {len(DOMAINS)}) % {len(SECTIONS)}] || '/' "
        f"|| (201900000 + (k) * 7919 % 1000000)::VARCHAR || '-' "
        f"|| {_sql_list(words)}[1 + pick(k, 'slug1', {len(words)})] || '-' "
        f"|| {_sql_list(words)}[1 + pick(k, 'slug2', {len(words)})] "
        f"|| CASE WHEN (k) % 4 = 3 THEN '' ELSE '?utm_source=' || ['twitter', 'tw'][1 + (v)] "
        f"|| '&utm_medium=social&utm_campaign=' || {_sql_list(CAMPAIGNS)}[1 + (k) % {len(CAMPAIGNS)}] "
        f"|| CASE WHEN (k) % 9 = 0 THEN '&id=' || ((k) * 31)::VARCHAR ELSE '' END END",
        f"CREATE OR REPLACE TEMP MACRO url_k(i, k) AS floor({N_URLS} * pow(u(i, k), 2))::BIGINT",
        "CREATE OR REPLACE TEMP MACRO tco(i, k) AS 'https://t.co/' || left(lower(hex(hash((i)::BIGINT, k))), 10)",
    ]


def _accounts_sql(rows: int) -> str:
    n_acc = max(1, rows // 50)
    return f"""
    CREATE OR REPLACE TEMP TABLE acc AS
    SELECT a, userid(a) AS userid, followers(a) AS follower_count,
        CASE WHEN big(a) THEN {_sql_list(DISPLAY_NAMES)}[1 + pick(a, 'dn', {len(DISPLAY_NAMES)})]
             ELSE userid(a) END AS user_display_name,
        handle(a) AS user_screen_name,
        CASE WHEN u(a, 'loc') < 0.55 THEN {_sql_list(LOCATIONS)}[1 + pick(a, 'loc2', {len(LOCATIONS)})] END
            AS user_reported_location,
        CASE WHEN u(a, 'desc') < 0.70 THEN phrase(lang_idx(a), a, 'd1')
            || CASE WHEN u(a, 'desc2') < 0.4 THEN ' | ' || phrase(lang_idx(a), a, 'd2') ELSE '' END END
            AS user_profile_description,
        CASE WHEN u(a, 'purl') < 0.20 THEN tco(a, 'purl') END AS user_profile_url,
        floor(pow(10, 3.6 * pow(u(a, 'following'), 1.3)))::BIGINT AS following_count,
        strftime(DATE '2009-03-01' + pick(a, 'created', 3600)::INTEGER, '%Y-%m-%d') AS account_creation_date,
        lang_idx(a) AS li,
        {_sql_list(["ru", "en", "es", "ar", "zh-cn"])}[1 + lang_idx(a)] AS account_language
    FROM range({n_acc}) r(a)
    """


def _tweets_sql(rows: int) -> str:
    select_list = ", ".join(COLUMNS)
    return f"""
    WITH b AS (
        SELECT i, acct(i) AS a, is_rt(i) AS rt, u(i, 'kind') AS kx, pick(i, 'target', {rows}) AS j
        FROM range({rows}) r(i)
    ),
    c AS (
        SELECT b.*, acc.* EXCLUDE (a),
            rt AND NOT is_rt(j) AS rt_in,
            NOT rt AND kx < 0.12 AS reply,
            NOT rt AND kx >= 0.12 AND kx < 0.18 AS quote,
            u(i, 'inset') < 0.5 AS ref_in,
            acct(j) AS ja
        FROM b JOIN acc USING (a)
    ),
    d AS (
        SELECT c.*,
            CASE WHEN rt_in THEN tid(j) WHEN rt THEN ext_tid(i, 'rtt') END AS rt_tweetid,
            CASE WHEN rt_in THEN userid(ja) WHEN rt THEN ext_user(i, 'rtu') END AS rt_userid,
            CASE WHEN rt_in THEN handle(ja) WHEN rt THEN ext_user(i, 'rtu') END AS rt_handle,
            CASE WHEN reply AND ref_in THEN tid(j) WHEN reply THEN ext_tid(i, 'rpt') END AS reply_tweetid,
            CASE WHEN reply AND ref_in THEN userid(ja) WHEN reply THEN ext_user(i, 'rpu') END AS reply_userid,
            CASE WHEN reply AND ref_in THEN handle(ja) WHEN reply THEN ext_user(i, 'rpu') END AS reply_handle,
            CASE WHEN quote AND ref_in THEN tid(j) WHEN quote THEN ext_tid(i, 'qt') END AS quote_tweetid,
            -- retweets of tweets in the file follow them within 4 hours (coordinated amplification)
            CASE WHEN rt_in THEN tmin(j) + pick(i, 'delay', 240) ELSE tmin(i) END AS minute,
            CASE WHEN u(i, 'ntag') < 0.50 THEN 0 WHEN u(i, 'ntag') < 0.75 THEN 1
                 WHEN u(i, 'ntag') < 0.90 THEN 2 ELSE 3 END AS ntags,
            CASE WHEN u(i, 'nurl') < CASE WHEN rt THEN 0.20 ELSE 0.30 END THEN 1
                 WHEN NOT rt AND u(i, 'nurl') < 0.35 THEN 2 ELSE 0 END AS nurls
        FROM c
    ),
    e AS (
        SELECT d.*,
            list_transform(range(ntags), lambda t: tag(i, t)) AS tags,
            list_transform(range(nurls), lambda n: url(url_k(i, 'url' || n), pick(i, 'utm' || n, 2))) AS links,
            list_filter([coalesce(rt_userid, reply_userid),
                         CASE WHEN u(i, 'm1') < 0.15 THEN userid(acct(i + 1)) END,
                         CASE WHEN u(i, 'm2') < 0.04 THEN userid(acct(i + 2)) END], lambda x: x IS NOT NULL)
                AS mentions,
            rtrim(left(phrase(li, i, 'p1') || ' ' || phrase(li, i, 'p2') || ' ' || phrase(li, i, 'p3') || ' '
                  || phrase(li, i, 'p4'), 62 + pick(i, 'len', 100)::INTEGER)) AS body
        FROM d
    ),
    f AS (
        SELECT
            tid(i)::VARCHAR AS tweetid,
            userid, user_display_name, user_screen_name, user_reported_location, user_profile_description,
            user_profile_url, follower_count, following_count, account_creation_date, account_language,
            CASE WHEN u(i, 'tl') < 0.85 THEN account_language WHEN u(i, 'tl') < 0.95 THEN 'und' ELSE 'en' END
                AS tweet_language,
            left(CASE WHEN rt THEN 'RT @' || rt_handle || ': ' WHEN reply THEN '@' || reply_handle || ' '
                      ELSE '' END
                 || body
                 || CASE WHEN ntags > 0 THEN ' ' || array_to_string(list_transform(tags, lambda t: '#' || t), ' ')
                         ELSE '' END
                 || CASE WHEN nurls > 0 THEN ' ' || tco(i, 'link') ELSE '' END, 200) AS tweet_text,
            strftime(TIMESTAMP '{START}' + to_minutes(minute), '%Y-%m-%d %H:%M') AS tweet_time,
            {_sql_list(CLIENTS)}[1 + floor({len(CLIENTS)} * pow(u(i, 'client'), 2))::BIGINT] AS tweet_client_name,
            reply_userid AS in_reply_to_userid,
            reply_tweetid::VARCHAR AS in_reply_to_tweetid,
            quote_tweetid::VARCHAR AS quoted_tweet_tweetid,
            CASE WHEN rt THEN 'true' ELSE 'false' END AS is_retweet,
            rt_userid AS retweet_userid,
            rt_tweetid::VARCHAR AS retweet_tweetid,
            CASE WHEN u(i, 'geo') < 0.005 THEN round(-60 + 130 * u(i, 'lat'), 4)::VARCHAR ELSE 'absent' END
                AS latitude,
            CASE WHEN u(i, 'geo') < 0.005 THEN round(-180 + 360 * u(i, 'lon'), 4)::VARCHAR ELSE 'absent' END
                AS longitude,
            CASE WHEN rt THEN 0 ELSE floor(pow(u(i, 'qc'), 8) * 20)::BIGINT END AS quote_count,
            CASE WHEN rt THEN 0 ELSE floor(pow(u(i, 'rc'), 6) * 30)::BIGINT END AS reply_count,
            CASE WHEN rt THEN 0 ELSE floor(pow(u(i, 'lc'), 4) * 200)::BIGINT END AS like_count,
            CASE WHEN rt THEN 0 ELSE floor(pow(u(i, 'rtc'), 4) * 150)::BIGINT END AS retweet_count,
            '[' || array_to_string(tags, ', ') || ']' AS hashtags,
            '[' || array_to_string(links, ', ') || ']' AS urls,
            '[' || array_to_string(mentions, ', ') || ']' AS user_mentions,
            CASE WHEN u(i, 'poll') < 0.001 THEN 'Yes|No|Not sure' END AS poll_choices
        FROM e
    )
    SELECT {select_list} FROM f
    """


def generate(path: Path, rows: int, seed: int, threads: int | None = None) -> float:
    """Write *rows* synthetic tweets to *path* (via a temporary file, renamed when complete); return seconds."""
    import duckdb

    if not 0 < rows <= MAX_ROWS:
        raise SystemExit(f"--rows must be between 1 and {MAX_ROWS:,} (tweet ids would repeat). Got {rows:,}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    spill = path.parent / ".gen-spill"
    start = time.perf_counter()
    con = duckdb.connect(config={"temp_directory": str(spill), "memory_limit": "2GB"})
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for macro in _macros(rows, seed):
            con.execute(macro)
        con.execute(_accounts_sql(rows))
        # COPY streams: DuckDB writes the CSV as the rows are produced, in row order, chunk by chunk.
        con.execute(
            f"COPY ({_tweets_sql(rows)}) TO '{str(partial).replace(chr(39), chr(39) * 2)}' "
            "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"')"
        )
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    partial.replace(path)
    return time.perf_counter() - start


def data_file(data_dir: Path, rows: int) -> Path:
    # campaign_of() turns this name into the campaign label "benchmark_<rows>".
    return data_dir / f"benchmark_{rows}_tweets_csv_hashed.csv"


def ensure_data(data_dir: Path, rows: int, seed: int, threads: int | None = None) -> tuple[Path, dict[str, Any]]:
    """The cached input file for *rows*, generated unless a complete one with the same parameters exists."""
    import duckdb

    path = data_file(data_dir, rows)
    meta_path = path.with_suffix(".json")
    want = {"rows": rows, "seed": seed, "generator_version": GENERATOR_VERSION}
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if all(meta.get(k) == v for k, v in want.items()) and meta.get("bytes") == path.stat().st_size:
            print(f"# reusing {path} ({path.stat().st_size / 1e9:.2f} GB)", file=sys.stderr)
            return path, meta
    print(f"# generating {rows:,} rows into {path} ...", file=sys.stderr, flush=True)
    meta_path.unlink(missing_ok=True)
    seconds = generate(path, rows, seed, threads)
    meta = {
        **want,
        "bytes": path.stat().st_size,
        "generate_seconds": round(seconds, 1),
        "duckdb_version": duckdb.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"# generated {path.stat().st_size / 1e9:.2f} GB in {seconds:.1f} s", file=sys.stderr)
    return path, meta


# --------------------------------------------------------------------------------------------------------------
# Running the ingest
# --------------------------------------------------------------------------------------------------------------


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tree_usage(pid: int) -> tuple[int, float]:
    """Resident set size (kB) and CPU seconds of *pid* and its live descendants, from /proc (0 when gone)."""
    total, cpu, todo = 0, 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
                cpu += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total, cpu


class _Sampler(threading.Thread):
    """Polls the RSS of a process tree; keeps the peak and a timeline of (seconds, RSS MB, CPU seconds)."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kb, self.timeline = 0, []  # type: ignore[var-annotated]
        self.loads: list[float] = []
        self.stop_event = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        if not Path("/proc").is_dir():
            return
        last = -10.0
        while not self.stop_event.is_set():
            kb, cpu = _tree_usage(self.pid)
            self.peak_kb = max(self.peak_kb, kb)
            now = time.perf_counter() - self.t0
            if now - last >= 5:
                self.timeline.append((round(now, 1), round(kb / 1024), round(cpu, 1)))
                self.loads.append(os.getloadavg()[0])
                last = now
            self.stop_event.wait(self.interval)


@dataclass
class Result:
    rows: int
    file_bytes: int
    run: int
    ok: bool
    wall_s: float
    cpu_s: float
    rows_per_s: float
    peak_rss_mb: float
    peak_tree_rss_mb: float
    memory_limit: str | None
    #: Mean 1-minute load average during the run (includes the run itself; > ~2 on 2 cores means contention).
    load_avg: float | None = None
    #: Share of the run during which some runnable task waited for a CPU (/proc/pressure/cpu, Linux >= 4.20).
    cpu_pressure: float | None = None
    posts: int | None = None
    accounts: int | None = None
    labels: int | None = None
    rejects: int | None = None
    rows_in: int | None = None
    rows_rejected: int | None = None
    rows_duplicate: int | None = None
    out_bytes: int | None = None
    accounting_ok: bool | None = None
    error: str | None = None
    #: Every ~5 s: (seconds since start, RSS of the process tree in MB, its CPU seconds so far).
    timeline: list[tuple[float, int, float]] = field(default_factory=list)
    phases: dict[str, Any] | None = None
    #: source_digest() when the run started (the tree may be edited while a benchmark runs).
    src_digest: str | None = None
    #: Other ``overt ingest`` processes on the machine when the run started (they compete for the cores).
    other_ingests_at_start: int | None = None


def _other_ingests() -> list[int]:
    """Pids of ``overt ingest`` processes already running (from /proc; empty elsewhere)."""
    found = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if "ingest" in words and any(Path(w).name == "overt" or w == "overt" for w in words):
            found.append(int(entry.name))
    return found


def _cpu_pressure_us() -> int | None:
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        return int(first.rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


def overt_command() -> list[str]:
    exe = Path(sys.executable).with_name("overt")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "overt"]


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_ingest(path: Path, rows: int, out: Path, run: int, memory_limit: str | None, log: Path) -> Result:
    cmd = [*overt_command(), "ingest", str(path), "--out", str(out), "--format", "twitter-io", "--overwrite"]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    print("# " + " ".join(cmd), file=sys.stderr, flush=True)
    digest = source_digest()
    others = _other_ingests()
    if others:
        print(
            f"# WARNING: {len(others)} other overt ingest process(es) running: timings will be contended",
            file=sys.stderr,
        )
    pressure0 = _cpu_pressure_us()
    with log.open("wb") as logf:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
        sampler = _Sampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop_event.set()
        sampler.join()
    res = Result(
        rows=rows,
        file_bytes=path.stat().st_size,
        run=run,
        ok=proc.returncode == 0,
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 1),
        rows_per_s=round(rows / wall),
        # Linux reports ru_maxrss in kB (macOS in bytes).
        peak_rss_mb=round(usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1),
        peak_tree_rss_mb=round(sampler.peak_kb / 1024, 1),
        memory_limit=memory_limit,
        timeline=sampler.timeline,
        load_avg=round(sum(sampler.loads) / len(sampler.loads), 2) if sampler.loads else None,
        src_digest=digest,
        other_ingests_at_start=len(others),
    )
    pressure1 = _cpu_pressure_us()
    if pressure0 is not None and pressure1 is not None:
        res.cpu_pressure = round((pressure1 - pressure0) / 1e6 / wall, 2)
    if not res.ok:
        tail = log.read_text(errors="replace")[-3000:]
        res.error = f"exit {proc.returncode}: {tail}"
        return res
    manifest = json.loads((out / "manifest.json").read_text())
    tables = manifest["tables"]
    res.posts, res.accounts = tables.get("posts"), tables.get("accounts")
    res.labels, res.rejects = tables.get("labels"), tables.get("rejects")
    res.rows_in, res.rows_rejected = manifest["rows_in"], manifest["rows_rejected"]
    res.rows_duplicate = manifest["rows_duplicate"]
    res.out_bytes = _dir_bytes(out)
    (inp,) = manifest["inputs"]
    res.accounting_ok = (
        manifest["rows_in"] == rows
        and inp["rows_in"] == inp["posts"] + inp["duplicates"] + inp["account_rows"] + inp["rejected"]
        and tables.get("posts") == inp["posts"]
    )
    if not res.accounting_ok:
        res.error = (
            f"row accounting: rows_in {manifest['rows_in']} (expected {rows}), posts {inp['posts']}, "
            f"duplicates {inp['duplicates']}, account_rows {inp['account_rows']}, rejected {inp['rejected']}"
        )
    return res


# --------------------------------------------------------------------------------------------------------------
# Phase timing (in a child process, pipeline steps wrapped with timers at run time)
# --------------------------------------------------------------------------------------------------------------


def phase_run(path: Path, out: Path, memory_limit: str) -> dict[str, Any]:
    """Run build_dataset in this process with timers around the pipeline's steps; return the timings."""
    import resource

    import pyarrow.parquet as pq

    from overt.cli import dataset as cli_dataset
    from overt.ingest import pipeline

    times: dict[str, float] = {}
    marks: dict[str, float] = {}

    def maxrss_mb() -> float:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    def timed(name: str, fn: Any, key: Any = None) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            label = key(*args) if key else name
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[label] = times.get(label, 0.0) + time.perf_counter() - t
                marks[label] = maxrss_mb()

        return wrapper

    pipeline._write_stage = timed("stage: read CSV + normalise into the stage table", pipeline._write_stage)
    pipeline._write_structural = timed("stage: structural rejects", pipeline._write_structural)
    pipeline._register_inputs = timed("tables: register inputs / line shifts", pipeline._register_inputs)
    pipeline._write_tables = timed("tables: all (post_rank + copies)", pipeline._write_tables)
    pipeline._copy = timed("", pipeline._copy, key=lambda con, q, dest, *a: f"tables: write {dest.name}")
    pipeline._input_records = timed("manifest: per-input counts (+ sha256)", pipeline._input_records)
    pipeline.file_sha256 = timed("manifest: sha256 of input", pipeline.file_sha256)

    udf_time = [0.0]
    udf_values = [0, 0]
    real_arrow_map = pipeline._arrow_map

    def arrow_map(fn: Any) -> Any:
        udf = real_arrow_map(fn)

        def timed_udf(values: Any) -> Any:
            t = time.perf_counter()
            try:
                return udf(values)
            finally:
                udf_time[0] += time.perf_counter() - t
                udf_values[0] += len(values)

        return timed_udf

    pipeline._arrow_map = arrow_map

    write_time = {"stage": 0.0, "tables": 0.0}

    class TimedWriter(pq.ParquetWriter):
        def write_batch(self, batch: Any, *args: Any, **kwargs: Any) -> None:
            t = time.perf_counter()
            super().write_batch(batch, *args, **kwargs)
            kind = "stage" if "/stage/" in str(self.where) else "tables"
            write_time[kind] += time.perf_counter() - t

    pipeline.pq.ParquetWriter = TimedWriter  # type: ignore[misc]

    start = time.perf_counter()
    manifest = pipeline.build_dataset([path], out, format="twitter-io", overwrite=True, memory_limit=memory_limit)
    total = time.perf_counter() - start
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        cli_dataset._print_summary(out, manifest)
    summary = time.perf_counter() - t
    return {
        "build_dataset_s": round(total, 2),
        "cli_summary_s": round(summary, 2),
        "steps_s": {k: round(v, 2) for k, v in times.items()},
        "maxrss_after_step_mb": marks,
        "url_udf_s": round(udf_time[0], 2),
        "url_udf_values": udf_values[0],
        "parquet_write_batch_s": {k: round(v, 2) for k, v in write_time.items()},
        "maxrss_mb": maxrss_mb(),
    }


def run_phases(path: Path, out: Path, memory_limit: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--phase-run",
        str(path),
        str(out),
        "--memory-limit",
        memory_limit,
    ]
    print("# phases: " + " ".join(cmd), file=sys.stderr, flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr[-3000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------------------


def _fmt_int(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def markdown(results: list[Result]) -> str:
    lines = [
        "| rows | file size | run | wall s | rows/s | CPU s | peak RSS MB | posts | rejects | accounts | ok "
        "| load | CPU wait |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:--:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.rows:,} | {r.file_bytes / 1e9:.2f} GB | {r.run} | {r.wall_s:.1f} | {r.rows_per_s:,} | "
            f"{r.cpu_s:.0f} | {r.peak_rss_mb:,.0f} | {_fmt_int(r.posts)} | {_fmt_int(r.rejects)} | "
            f"{_fmt_int(r.accounts)} | {'yes' if r.ok and r.accounting_ok else 'NO'} | "
            f"{'-' if r.load_avg is None else f'{r.load_avg:.1f}'} | "
            f"{'-' if r.cpu_pressure is None else f'{r.cpu_pressure:.0%}'} |"
        )
    return "\n".join(lines)


def phases_markdown(rows: int, ph: dict[str, Any]) -> str:
    if "error" in ph:
        return f"phases for {rows:,} rows failed:\n```\n{ph['error']}\n```"
    lines = [
        f"Phases, {rows:,} rows (build_dataset {ph['build_dataset_s']} s, CLI summary {ph['cli_summary_s']} s):",
        "",
        "| step | s | max RSS after, MB |",
        "|---|---:|---:|",
    ]
    for k, v in ph["steps_s"].items():
        lines.append(f"| {k} | {v} | {ph['maxrss_after_step_mb'].get(k, '')} |")
    lines.append(f"| (while posts are written) URL UDF, {ph['url_udf_values']:,} values | {ph['url_udf_s']} | |")
    pw = ph["parquet_write_batch_s"]
    lines.append(f"| (inside stage) ParquetWriter.write_batch | {pw['stage']} | |")
    lines.append(f"| (inside tables) ParquetWriter.write_batch | {pw['tables']} | |")
    return "\n".join(lines)


def source_digest() -> str | None:
    """SHA-256 over the installed overt package's .py files (path + content): which code a result measured."""
    import hashlib

    try:
        import overt
    except ImportError:
        return None
    root = Path(overt.__file__).parent
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        digest.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def machine() -> dict[str, Any]:
    import duckdb
    import pyarrow

    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
    }
    try:
        from overt import __version__

        info["overt"] = __version__
    except ImportError:
        pass
    info["overt_src_sha256"] = source_digest()
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_gib"] = round(int(line.split()[1]) / 1024**2, 1)
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS), help="sizes (rows) to benchmark")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="cache folder for the generated inputs")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--repeat", type=int, default=1, help="ingest runs per size")
    ap.add_argument("--memory-limit", default=None, help="passed to overt ingest (its default: 2GB)")
    ap.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where each invocation makes its own run-* folder for datasets and logs (default: <data-dir>/out); "
        "removed afterwards when every run passed, unless --keep",
    )
    ap.add_argument("--keep", action="store_true", help="keep the output datasets")
    ap.add_argument("--json", type=Path, default=None, help="append results to this JSON list file")
    ap.add_argument("--phases", action="store_true", help="also time the pipeline's steps (one extra run per size)")
    ap.add_argument("--generate-only", action="store_true", help="only make sure the input files exist")
    ap.add_argument("--gen-threads", type=int, default=None, help="DuckDB threads for generating (default: all)")
    ap.add_argument("--phase-run", nargs=2, type=Path, metavar=("FILE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.phase_run:
        print(json.dumps(phase_run(args.phase_run[0], args.phase_run[1], args.memory_limit or "2GB")))
        return 0

    inputs = [(rows, *ensure_data(args.data_dir, rows, args.seed, args.gen_threads)) for rows in args.rows]
    if args.generate_only:
        return 0

    out_root = args.out_dir or (args.data_dir / "out")
    out_root.mkdir(parents=True, exist_ok=True)
    # A folder of its own, so that two benchmarks started at the same time never share an output folder.
    out_root = Path(tempfile.mkdtemp(prefix="run-", dir=out_root))
    results: list[Result] = []
    phase_reports: list[str] = []
    for rows, path, _meta in inputs:
        out = out_root / f"dataset-{rows}"
        for run in range(1, args.repeat + 1):
            res = run_ingest(path, rows, out, run, args.memory_limit, out_root / f"ingest-{rows}-{run}.log")
            results.append(res)
            print(
                f"# {rows:,} rows run {run}: {res.wall_s:.1f} s, peak RSS {res.peak_rss_mb:,.0f} MB"
                + (f"  ERROR {res.error}" if res.error else ""),
                file=sys.stderr,
                flush=True,
            )
        if args.phases:
            ph = run_phases(path, out_root / f"dataset-{rows}-phases", args.memory_limit or "2GB")
            results[-1].phases = ph
            phase_reports.append(phases_markdown(rows, ph))
            if not args.keep:
                shutil.rmtree(out_root / f"dataset-{rows}-phases", ignore_errors=True)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    all_ok = all(r.ok and r.accounting_ok for r in results)
    if all_ok and not args.keep:
        shutil.rmtree(out_root, ignore_errors=True)
    else:
        print(f"# outputs and logs kept in {out_root}", file=sys.stderr)

    digests = sorted({r.src_digest or "?" for r in results} | {source_digest() or "?"})
    print(f"overt source digest {', '.join(digests)} (sha256 of src/overt/**/*.py; changes with any edit)")
    if len(digests) > 1:
        print("WARNING: the overt source changed while the benchmark ran; the runs measured different code.")
    print()
    print(markdown(results))
    for rep in phase_reports:
        print()
        print(rep)
    if args.json:
        old = json.loads(args.json.read_text()) if args.json.exists() else []
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        old.extend({"when": stamp, "machine": machine(), **asdict(r)} for r in results)
        args.json.write_text(json.dumps(old, indent=2, ensure_ascii=False) + "\n")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
