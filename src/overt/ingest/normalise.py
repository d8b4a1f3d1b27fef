"""Normalisation written once: URLs, domains, hashtags, mentions and timestamps.

Readers hand over raw values; the ingest pipeline calls these functions (directly on Arrow arrays, or as SQL
expressions inside DuckDB) so that every format is normalised the same way.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import urllib.parse
from dataclasses import dataclass

# tldextract fetches the public suffix list over the network unless told not to; overt never goes online.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
import tldextract
from url_normalize import url_normalize

#: Query parameters that only track the click, never select the content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
        "s_cid",
        "vero_id",
        "wickedid",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "__twitter_impression",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _valid_host(host: str) -> bool:
    if not host or any(ch.isspace() for ch in host):
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        labels = host.rstrip(".").split(".")
        return len(labels) >= 2 and all(labels) and all(len(label) <= 63 for label in labels)
    return True


@functools.lru_cache(maxsize=1_000_000)
def normalise_url(url: str) -> str:
    """Normalise one link so that the same resource gets the same string.

    Lower-cases scheme and host, drops ``www.``, default ports, the fragment and tracking parameters, sorts
    the remaining query parameters and normalises percent-encoding (via ``url-normalize``). A value that is
    not a web address (no valid host) is returned stripped but otherwise unchanged: nothing is lost.

    Examples
    --------
    >>> normalise_url("HTTP://WWW.Example.COM:80/a/../b?utm_source=x&b=2&a=1#top")
    'http://example.com/b?a=1&b=2'
    """
    value = url.strip()
    if not value or value.lower().startswith(("mailto:", "tel:", "javascript:", "data:")):
        return value
    try:
        normalised = url_normalize(value, default_scheme="https")
    except (ValueError, UnicodeError):
        return value
    if not normalised:
        return value
    parts = urllib.parse.urlsplit(normalised)
    if parts.scheme not in ("http", "https"):
        return value
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # an unparseable port: not a usable address
        return value
    if not _valid_host(host):
        return value
    if host.startswith("www.") and _EXTRACT(host).subdomain.split(".")[0] == "www":  # not 'www.co.uk' itself
        host = host[4:]
    netloc = host if port is None else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    kept = sorted((k, v) for k, v in query if not _is_tracking(k))
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path or "/",
            urllib.parse.urlencode(kept, quote_via=urllib.parse.quote),
            "",
        )
    )


@functools.lru_cache(maxsize=1_000_000)
def registrable_domain(host: str) -> str | None:
    """The registrable domain (eTLD+1) of a host name; an IP address is its own domain; None when it has none.

    Examples
    --------
    >>> registrable_domain("news.bbc.co.uk")
    'bbc.co.uk'
    """
    host = host.strip("[]").lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        domain: str = _EXTRACT(host).top_domain_under_public_suffix
        return domain or None
    return host


# A link that normalise_url() would return unchanged: lower-case http(s) scheme and host, no www., port, userinfo,
# query, fragment, percent-escape or dot segment. Most links in real data (t.co short links) are like this, and
# skipping the Python call for them is what keeps ingest fast; a property test holds the two in step.
CANONICAL_URL_RE = r"^https?://[a-z0-9-]+(\.[a-z0-9-]+)+(/[A-Za-z0-9_~/.-]*)?$"
# The host of a normalised http(s) URL (after any userinfo; IPv6 in brackets).
HOST_RE = r"^https?://(?:[^/?#@]*@)?(\[[^\]]+\]|[^/:?#]+)"


def sql_normalise_url(column: str) -> str:
    """A DuckDB expression normalising the URL in *column* (the ``overt_url`` UDF wraps :func:`normalise_url`)."""
    return (
        f"CASE WHEN regexp_full_match({column}, '{CANONICAL_URL_RE}') AND NOT starts_with({column}, 'https://www.') "
        f"AND NOT starts_with({column}, 'http://www.') AND NOT contains({column}, '/.') "
        f"AND regexp_matches({column}, '^https?://[^/]+/') "
        f"THEN {column} ELSE overt_url({column}) END"
    )


def sql_domain(column: str) -> str:
    """A DuckDB expression giving the registrable domain of normalised URL *column* (NULL for non-URLs)."""
    return f"overt_domain(nullif(regexp_extract({column}, '{HOST_RE}', 1), ''))"


# Entity extraction for sources without hashtag/mention/URL fields. These run inside DuckDB (RE2 syntax).
# Hashtags: '#' not preceded by a word character or '&' (HTML entities), letters/digits/underscore after it,
# at least one letter (Twitter's rule: '#2016' is not a hashtag).
_HASHTAG_LEAD = r"(?:^|[^\p{L}\p{N}_&])[#＃]"
_HASHTAG = r"[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*"
_MENTION_LEAD = r"(?:^|[^\p{L}\p{N}_])[@＠]"
_MENTION = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?(?:@[A-Za-z0-9.-]+)?"
HASHTAG_RE = f"{_HASHTAG_LEAD}({_HASHTAG})"
MENTION_RE = f"{_MENTION_LEAD}({_MENTION})"
URL_RE = r"((?:https?://|www\.)[^\s<>\"'\p{Zs}]+[^\s<>\"'.,;:!?)\]}\p{Zs}])"

# RE2 finds a capture group with a second, slower engine: for the tag patterns that costs three times as much
# as finding the whole match (1.5 s against 0.5 s per million texts). Their group is the whole match after
# its lead, at most one boundary character and then one sigil, and a tag never starts with a sigil: matching
# the pattern whole and cutting the lead off gives the same list.
_TAGS = {
    HASHTAG_RE: (_HASHTAG_LEAD + _HASHTAG, ("#", "＃")),
    MENTION_RE: (_MENTION_LEAD + _MENTION, ("@", "＠")),
}


def sql_extract(column: str, pattern: str) -> str:
    """A DuckDB expression extracting every match of *pattern*'s first group from *column* as VARCHAR[]."""
    text = f"coalesce({column}, '')"
    if pattern in _TAGS:
        whole, sigils = _TAGS[pattern]
        escaped = whole.replace("'", "''")
        any_sigil = " OR ".join(f"contains({text}, '{s}')" for s in sigils)
        quoted = ", ".join(f"'{s}'" for s in sigils)
        # Most texts hold no sigil: skip the regex for them. substring() counts code points, as RE2 does.
        return (
            f"CASE WHEN {any_sigil} THEN list_transform(regexp_extract_all({text}, '{escaped}'), "
            f"lambda m: substring(m, CASE WHEN substring(m, 2, 1) IN ({quoted}) THEN 3 ELSE 2 END)) "
            "ELSE []::VARCHAR[] END"
        )
    escaped = pattern.replace("'", "''")
    return f"regexp_extract_all({text}, '{escaped}', 1)"


@dataclass(frozen=True)
class TimeFormat:
    """How a reader's time column is written.

    Parameters
    ----------
    formats:
        ``strptime`` formats tried in order (DuckDB syntax), or the single value ``"epoch"`` (seconds since
        1970, possibly fractional) or ``"epoch_ms"``, or ``"iso"`` (ISO 8601 with or without zone).
    timezone:
        IANA zone the values are in when they carry no offset. Recorded in the manifest as assumed.
    has_zone:
        Whether the values carry their own offset (then *timezone* is not an assumption).
    """

    formats: tuple[str, ...] = ("iso",)
    timezone: str = "UTC"
    has_zone: bool = False

    def sql(self, column: str) -> str:
        """A DuckDB expression turning VARCHAR *column* into TIMESTAMPTZ, NULL when it does not parse."""
        col = f"nullif(trim({column}), '')"
        if self.formats == ("epoch",):
            return f"to_timestamp(try_cast({col} AS DOUBLE))"
        if self.formats == ("epoch_ms",):
            return f"to_timestamp(try_cast({col} AS DOUBLE) / 1000.0)"
        zone = self.timezone.replace("'", "''")
        parts = []
        for fmt in self.formats:
            if fmt == "iso":
                # ISO values with an offset parse as TIMESTAMPTZ directly; without one they are local to `zone`.
                parts.append(
                    f"CASE WHEN regexp_matches({col}, '(Z|[+-]\\d\\d:?\\d\\d)$') "
                    f"THEN try_cast({col} AS TIMESTAMPTZ) "
                    f"ELSE timezone('{zone}', try_cast({col} AS TIMESTAMP)) END"
                )
            elif "%z" in fmt or "%Z" in fmt:
                parts.append(f"try_strptime({col}, '{fmt}')::TIMESTAMPTZ")
            else:
                parts.append(f"timezone('{zone}', try_strptime({col}, '{fmt}')::TIMESTAMP)")
        return parts[0] if len(parts) == 1 else "coalesce(" + ", ".join(parts) + ")"
