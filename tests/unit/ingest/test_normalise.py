from __future__ import annotations

import urllib.parse

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from overt.ingest.normalise import (
    HASHTAG_RE,
    MENTION_RE,
    URL_RE,
    TimeFormat,
    normalise_url,
    registrable_domain,
    sql_domain,
    sql_extract,
    sql_normalise_url,
)
from tests.strategies import urls


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.COM:80/a/../b?utm_source=x&b=2&a=1#top", "http://example.com/b?a=1&b=2"),
        ("https://example.com:443/", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("example.com/path", "https://example.com/path"),
        ("https://m.facebook.com/story?fbclid=abc&story_fbid=1", "https://m.facebook.com/story?story_fbid=1"),
        (
            "https://www.youtube.com/watch?v=abc&gclid=1&feature=share",
            "https://youtube.com/watch?feature=share&v=abc",
        ),
        ("https://ex.com/%7Euser/ä", "https://ex.com/~user/%C3%A4"),
        ("https://www.co.uk/", "https://www.co.uk/"),  # 'www.co.uk' is a registrable name, not a www. prefix
        ("not a url", "not a url"),  # kept as given: nothing is lost
        ("mailto:a@b.org", "mailto:a@b.org"),
        ("  https://t.co/abc  ", "https://t.co/abc"),
    ],
)
def test_normalise_url_examples(raw, expected):
    assert normalise_url(raw) == expected


@given(urls)
def test_normalise_url_is_idempotent_and_drops_tracking(url):
    once = normalise_url(url)
    assert normalise_url(once) == once
    parts = urllib.parse.urlsplit(once)
    assert parts.fragment == ""
    assert parts.netloc == parts.netloc.lower()
    assert not parts.netloc.startswith("www.") or parts.netloc.count(".") < 2
    names = [k for k, _ in urllib.parse.parse_qsl(parts.query)]
    assert not any(k.startswith("utm_") or k in ("fbclid", "gclid") for k in names)
    assert names == sorted(names)


@given(urls)
def test_same_resource_same_string(url):
    # Case of scheme and host, www., tracking parameters and the fragment do not make a different link.
    parts = urllib.parse.urlsplit(url)
    variant = urllib.parse.urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower().removeprefix("www."), parts.path, parts.query, "")
    )
    assert normalise_url(variant) == normalise_url(url)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("RT.com", "rt.com"),
        ("someone.blogspot.com", "someone.blogspot.com"),  # private suffix: the blog is the site
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("localhost", None),
    ],
)
def test_registrable_domain(host, domain):
    assert registrable_domain(host) == domain


def _sql(expr: str, value: str) -> object:
    con = duckdb.connect()
    con.create_function("overt_url", lambda v: "PYTHON:" + v, ["VARCHAR"], "VARCHAR")
    con.create_function("overt_domain", lambda v: "DOMAIN:" + v, ["VARCHAR"], "VARCHAR")
    return con.execute(f"SELECT {expr}", {"v": value}).fetchall()[0][0]


@given(st.one_of(urls, st.from_regex(r"https?://[a-z0-9.-]{1,12}(/[A-Za-z0-9_~/.-]{0,12})?", fullmatch=True)))
def test_sql_fast_path_only_skips_urls_that_are_already_normal(url):
    # The SQL skips the Python normaliser for links that are already normal; it must never skip one that is not.
    result = _sql(sql_normalise_url("$v"), url)
    if not str(result).startswith("PYTHON:"):
        assert normalise_url(url) == url


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://t.co/abc", "t.co"),
        ("https://user:pw@example.com:8080/x?y#z", "example.com"),
        ("http://[::1]:8080/", "[::1]"),
        ("not a url", None),
    ],
)
def test_sql_domain_takes_the_host(url, host):
    assert _sql(sql_domain("$v"), url) == (None if host is None else "DOMAIN:" + host)


def _extract(pattern: str, text: str) -> list[str]:
    return duckdb.execute(f"SELECT {sql_extract('$t', pattern)}", {"t": text}).fetchall()[0][0]


def test_extract_hashtags_mentions_urls_from_text():
    text = "RT @Anna_1: #Election2016 vs #2016 &#39; see https://t.co/AbC, and www.rt.com/x. #Выборы @ok"
    assert _extract(HASHTAG_RE, text) == ["Election2016", "Выборы"]
    assert _extract(MENTION_RE, text) == ["Anna_1", "ok"]
    assert _extract(URL_RE, text) == ["https://t.co/AbC", "www.rt.com/x"]
    assert _extract(MENTION_RE, "mail me at a@b.com") == []


@pytest.mark.parametrize(
    ("fmt", "raw", "iso"),
    [
        (TimeFormat(("iso",)), "2021-06-01T00:35:27.000Z", "2021-06-01 00:35:27+00"),
        (TimeFormat(("iso",)), "2021-06-01T02:35:27+02:00", "2021-06-01 00:35:27+00"),
        (TimeFormat(("iso",), timezone="Europe/Moscow"), "2016-10-01 15:00:00", "2016-10-01 12:00:00+00"),
        (TimeFormat(("epoch",)), "1623881091.0", "2021-06-16 22:04:51+00"),
        (TimeFormat(("epoch_ms",)), "1623881091000", "2021-06-16 22:04:51+00"),
        (TimeFormat(("%m/%d/%Y %H:%M",)), "10/1/2016 19:58", "2016-10-01 19:58:00+00"),
        (TimeFormat(("%Y-%m-%d %H:%M",)), "not a time", None),
        (TimeFormat(("iso",)), "", None),
    ],
)
def test_time_formats_to_utc(fmt, raw, iso):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    value = con.execute(f"SELECT ({fmt.sql('$t')})::VARCHAR", {"t": raw}).fetchall()[0][0]
    assert value == iso


@given(st.datetimes(timezones=st.just(__import__("datetime").UTC)).filter(lambda d: d.year > 1900))
def test_iso_round_trip(moment):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    value = con.execute(f"SELECT {TimeFormat(('iso',)).sql('$t')}", {"t": moment.isoformat()}).fetchall()[0][0]
    assert value == moment
