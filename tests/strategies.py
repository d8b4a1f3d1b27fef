"""Shared hypothesis strategies."""

from __future__ import annotations

from hypothesis import strategies as st

from overt.ingest.normalise import registrable_domain

# Hosts that are registrable domains themselves: a name like x0.com is a public suffix (a private entry of the
# Public Suffix List), under which www.x0.com is a site of its own and keeps its www.
hosts = st.from_regex(r"(www\.)?[a-z][a-z0-9-]{0,10}\.(com|org|co\.uk|de|blogspot\.com)", fullmatch=True).filter(
    lambda h: registrable_domain(h.removeprefix("www.")) == h.removeprefix("www.")
)
paths = st.lists(st.from_regex(r"[A-Za-z0-9_~-]{1,8}", fullmatch=True), max_size=3).map(lambda p: "/" + "/".join(p))
params = st.lists(
    st.tuples(
        st.sampled_from(["id", "q", "page", "utm_source", "utm_campaign", "fbclid", "gclid", "v"]),
        st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True),
    ),
    max_size=4,
)
urls = st.builds(
    lambda scheme, host, path, query, fragment: (
        f"{scheme}://{host}{path}" + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "") + fragment
    ),
    st.sampled_from(["http", "https", "HTTP", "HTTPS"]),
    hosts.map(lambda h: "".join(c.upper() if i % 3 == 0 else c for i, c in enumerate(h))),
    paths,
    params,
    st.sampled_from(["", "#top", "#x=1"]),
)
