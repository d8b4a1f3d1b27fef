#!/usr/bin/env python
"""Build the state-media reference list shipped with overt, and its provenance note, from ../shared/data.

    python scripts/build_state_media.py [--profiles DIR] [--laundromat DIR] [--out-dir DIR]

Reads two upstream folders (each with a SOURCE.md naming repository, commit and licence):

- ``state_media_profiles_asd``: the State Media Matrix of the Alliance for Securing Democracy. Kept: the rows typed
  SC (state-controlled), CaPu (captured public) or CaPr (captured private); the other types are editorially
  independent public or state-funded media (BBC-like) and are no sign of a state operation.
- ``disinfo_laundromat_asd``: ``sites_of_concern.csv``, filtered by its ``Source`` column (see :data:`KEEP` and
  :data:`DROP` for what is kept and why).

Writes ``state_media.csv`` (one row per identifier, sorted, so a rebuild is byte-identical) and ``state_media.md``
(what was kept, dropped and why, with the counts of this run, upstream commits, file hashes and licences) into
``src/overt/signals/data``. A test rebuilds both and compares them with the shipped files.

Identifiers are normalised with overt's own functions (:mod:`overt.ingest.normalise`): a web address becomes the
host of :func:`normalise_url` (lower case, no ``www.``); a State Media Matrix site is reduced to its registrable
domain (:func:`registrable_domain`: the outlet owns the domain, ``de.rt.com`` is RT), while a laundromat site keeps
its host, because those lists name single sites, several on hosts that belong to someone else (a subdomain of
opera.com, medium.com or a news agency that re-posted RT). An entry under another listed entry (``de.rt.com`` under
``rt.com``) is folded into it: the signal matches subdomains anyway, and one link must not count twice.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from overt.ingest.normalise import normalise_url, registrable_domain
from overt.signals.state_media import SOCIAL_HOSTS

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
OUT_DIR = REPO / "src" / "overt" / "signals" / "data"

PROFILES = "state_media_profiles_asd"
LAUNDROMAT = "disinfo_laundromat_asd"
MATRIX = "State_Media_Matrix.csv"
SITES = "sites_of_concern.csv"

COLUMNS = ("kind", "platform", "identifier", "outlet", "company", "country", "typology", "source")

#: State Media Matrix typologies kept, strongest state control first (the order settles a conflict).
TYPOLOGIES = ("SC", "CaPu", "CaPr")
TYPOLOGY_NAMES = {"SC": "state-controlled", "CaPu": "captured public", "CaPr": "captured private"}

#: Laundromat sources kept, with the country their category implies ("" when it implies none).
KEEP = {
    "RT Mirror/Repost": (
        "Russia",
        "sites mirroring or re-posting RT (Russian state broadcaster), several set up to evade the EU ban",
    ),
    "Viginum (Portal Kombat)": (
        "Russia",
        "the 'Portal Kombat' / Pravda network of pro-Russian sites documented by the French agency Viginum (2024)",
    ),
    "Intel/Suspected": (
        "",
        "outlets named by government reports as run by or for state intelligence services (SouthFront, "
        "Strategic Culture, News Front, NEO, ...), of several countries",
    ),
}
#: Laundromat sources dropped, and why.
DROP = {
    "Wikidata All News": "a generic list of news sites, not state media and not disinformation",
    "Pink Slime": "US domestic partisan 'fake local news' sites: deceptive, but not state media",
    "Wikipedia Fake News": "hoax and clickbait sites, mostly commercial and domestic: not state media",
    "Newsguard AI": "AI-generated content farms (commercial): not state media",
    "EuVsDisinfo": (
        "every site where EUvsDisinfo saw a pro-Kremlin claim: it includes platforms (youtube.com, twitter.com, "
        "t.me, vk.com, facebook.com, web.archive.org) and unrelated outlets (aljazeera.net, breitbart.com), so a "
        "link to one is no sign of state media; the Russian state outlets it names (RT, Sputnik, RIA, TASS) are "
        "in the State Media Matrix"
    ),
}
#: Hosts in the kept laundromat sources that are general services carrying everything (RT among it), not outlets.
NOT_OUTLETS = {
    "wn.com": "news aggregator",
    "newstral.com": "news aggregator",
    "news.feed-reader.net": "RSS aggregator",
    "en.pressbee.net": "news aggregator",
    "mediametrics.ru": "news aggregator",
    "nairaland.com": "general discussion forum (Nigeria)",
    "forums.mixedmartialarts.com": "sports forum",
    "findglocal.com": "business directory",
    "lite.operafootball.com": "browser news feed (Opera)",
    "lucky-wap-ams.op-mobile.opera.com": "browser news feed (Opera)",
}


@dataclass(frozen=True)
class Social:
    """A State Media Matrix column of social accounts: the platform and what a valid handle looks like there."""

    column: str
    platform: str
    handle: str  # regex of a valid handle (the platform's own rule), lower case

    @property
    def hosts(self) -> tuple[str, ...]:
        # The signal's own table of profile-link hosts, so that what is built is what is matched.
        return tuple(host for host, platform in SOCIAL_HOSTS.items() if platform == self.platform)


SOCIAL = (
    Social("Twitter Link", "twitter", r"[a-z0-9_]{1,15}"),
    Social("Telegram Link", "telegram", r"[a-z][a-z0-9_]{3,31}"),
    Social("Instagram Link", "instagram", r"[a-z0-9._]{1,30}"),
    # Facebook page names have a letter; a number is a profile id (and upstream ones are spreadsheet-rounded).
    Social("Facebook Link", "facebook", r"(?=[a-z0-9.\-]*[a-z])[a-z0-9.\-]{2,50}"),
    Social("VK Link", "vk", r"[a-z0-9_.]{2,32}"),
    Social("Tiktok Link", "tiktok", r"[a-z0-9_.]{2,24}"),
    Social("Ok.ru link", "ok", r"[a-z0-9_.]{2,50}"),
)
#: Handles the Matrix gives for an outlet that plainly belong to someone else.
WRONG_HANDLES = {
    ("facebook", "alhilal.saudi.fc"): "the Saudi football club Al Hilal, listed for Egypt's Dar Al Hilal publisher",
}
#: Matrix columns not used, and why.
SKIPPED_COLUMNS = {
    "Youtube Link": "channel ids (UC...), not handles; a video link does not name its channel",
    "Linkedin link": "company pages: not where reposts or links come from",
    "Rutube Link": "numeric channel ids, not handles",
    "streaming media URL": "live-stream addresses (CDN hosts such as akamaized.net); the outlet's own site is in URL",
}
#: First path segments that are platform pages, not accounts.
NOT_HANDLES = frozenset({"group", "groups", "channel", "pages", "profile.php", "share", "s", "joinchat", "c", "user"})


@dataclass(frozen=True)
class Entry:
    """One upstream row's claim about one identifier."""

    kind: str
    platform: str
    identifier: str
    outlet: str
    company: str
    country: str
    typology: str
    source: str
    exact: bool  # the upstream value named this identifier itself (not a subdomain or path of it)


@dataclass
class Report:
    """Counts of one build, quoted in the provenance note."""

    matrix_rows: int = 0
    matrix_by_typology: Counter[str] = field(default_factory=Counter)
    matrix_kept: int = 0
    matrix_kept_with_url: int = 0
    matrix_bad_urls: list[str] = field(default_factory=list)
    handles_by_platform: Counter[str] = field(default_factory=Counter)
    handles_invalid: list[tuple[str, str]] = field(default_factory=list)
    handles_wrong: list[tuple[str, str]] = field(default_factory=list)
    skipped_columns: Counter[str] = field(default_factory=Counter)
    sites_rows: int = 0
    sites_by_source: Counter[str] = field(default_factory=Counter)
    sites_not_outlets: list[str] = field(default_factory=list)
    sites_bad: list[str] = field(default_factory=list)
    folded: int = 0
    both_sources: int = 0


def host_of(value: str) -> str | None:
    """The host of a web address as overt normalises it (lower case, no ``www.``); None when there is none."""
    value = value.strip().rstrip(",").strip()
    if not value:
        return None
    normalised = normalise_url(value)
    try:
        host = urllib.parse.urlsplit(normalised).hostname
    except ValueError:
        return None
    if not host or "." not in host or not registrable_domain(host):
        return None
    return host


def handle_of(value: str, social: Social) -> str | None:
    """The lower-cased handle of a profile link of *social*'s platform; None when the link names none."""
    normalised = normalise_url(value.strip())
    parts = urllib.parse.urlsplit(normalised)
    if (parts.hostname or "") not in social.hosts:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return None
    handle = urllib.parse.unquote(segments[0]).lstrip("@").lower()
    if handle in NOT_HANDLES or not re.fullmatch(social.handle, handle):
        return None
    return handle


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in csv.DictReader(f)]


def matrix_entries(folder: Path, report: Report) -> list[Entry]:
    rows = read_csv(folder / MATRIX)
    report.matrix_rows = len(rows)
    report.matrix_by_typology = Counter(r["Typology"] or "(empty row)" for r in rows)
    out: list[Entry] = []
    for row in rows:
        typology = row["Typology"]
        if typology not in TYPOLOGIES:
            continue
        report.matrix_kept += 1
        common = {
            "outlet": row["Main assets"],
            "company": row["Media company"],
            "country": row["Country"],
            "typology": typology,
            "source": "state_media_profiles",
        }
        if row["URL"]:
            report.matrix_kept_with_url += 1
            host = host_of(row["URL"])
            if host is None:
                report.matrix_bad_urls.append(row["URL"])
            else:
                domain = registrable_domain(host) or host
                out.append(Entry("domain", "", domain, exact=host == domain, **common))
        for social in SOCIAL:
            link = row[social.column]
            if not link:
                continue
            handle = handle_of(link, social)
            if handle is None:
                report.handles_invalid.append((social.platform, link))
                continue
            if (social.platform, handle) in WRONG_HANDLES:
                report.handles_wrong.append((social.platform, handle))
                continue
            report.handles_by_platform[social.platform] += 1
            out.append(Entry("handle", social.platform, handle, exact=True, **common))
        for column in SKIPPED_COLUMNS:
            if row[column]:
                report.skipped_columns[column] += 1
    return out


def laundromat_entries(folder: Path, report: Report) -> list[Entry]:
    rows = read_csv(folder / SITES)
    report.sites_rows = len(rows)
    report.sites_by_source = Counter(r["Source"] for r in rows)
    unknown = set(report.sites_by_source) - set(KEEP) - set(DROP)
    if unknown:
        raise SystemExit(f"{folder / SITES}: unknown Source values {sorted(unknown)}: decide to keep or drop them")
    out: list[Entry] = []
    for row in rows:
        if row["Source"] not in KEEP:
            continue
        host = host_of(row["Domain"])
        if host is None:
            report.sites_bad.append(row["Domain"])
            continue
        if host in NOT_OUTLETS:
            report.sites_not_outlets.append(host)
            continue
        country, _ = KEEP[row["Source"]]
        out.append(
            Entry(
                "domain",
                "",
                host,
                outlet=row["Name"],
                company=row["Threat Actor"],
                country=country,
                typology=row["Source"],
                source=f"disinfo_laundromat:{row['Source']}",
                exact=True,
            )
        )
    return out


def _parent(identifier: str, listed: set[str]) -> str | None:
    """The widest listed domain *identifier* is a subdomain of, if any (so that chains fold into one row)."""
    labels = identifier.split(".")
    for i in range(len(labels) - 2, 0, -1):
        candidate = ".".join(labels[i:])
        if candidate in listed:
            return candidate
    return None


def _pick(values: Iterable[str]) -> str:
    """The most common non-empty value, first seen on a tie ('' when there is none)."""
    counts = Counter(v for v in values if v)
    if not counts:
        return ""
    best = max(counts.values())
    return next(v for v in counts if counts[v] == best)


def merge(entries: list[Entry], report: Report) -> list[dict[str, str]]:
    """One row per (kind, platform, identifier), children folded into listed parents, sorted."""
    domains = {e.identifier for e in entries if e.kind == "domain"}
    groups: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
    for e in entries:
        key = (e.kind, e.platform, e.identifier)
        if e.kind == "domain" and (parent := _parent(e.identifier, domains)) is not None:
            report.folded += 1
            # The parent row keeps its own name; the child only adds its source.
            e = Entry(e.kind, "", parent, "", "", "", "", e.source, exact=False)
            key = (e.kind, e.platform, parent)
        groups[key].append(e)
    rows = []
    for (kind, platform, identifier), group in sorted(groups.items()):
        matrix = [e for e in group if e.source == "state_media_profiles"]
        named = matrix or [e for e in group if e.typology]
        # The outlet is the row that names this very site (www.rt.com: RT International); else the one name all
        # rows give; else, when rows name different services (lt./az.sputniknews.ru), the company behind them.
        exact = [e for e in named if e.exact]
        company = _pick(e.company for e in named)
        outlet = _pick(e.outlet for e in exact)
        if not outlet:
            names = {e.outlet for e in named if e.outlet}
            outlet = names.pop() if len(names) == 1 else company
        company = _pick(e.company for e in named if e.outlet == outlet) or company
        if matrix:
            countries = sorted({e.country for e in matrix if e.country})
            typology = min((e.typology for e in matrix), key=TYPOLOGIES.index)
        else:
            countries = sorted({e.country for e in named if e.country})
            typology = "; ".join(sorted({e.typology for e in named}))
        sources = sorted({e.source for e in group})
        if "state_media_profiles" in sources and len(sources) > 1:
            report.both_sources += 1
        rows.append(
            {
                "kind": kind,
                "platform": platform,
                "identifier": identifier,
                "outlet": outlet,
                "company": company,
                "country": "; ".join(countries),
                "typology": typology,
                "source": "; ".join(sources),
            }
        )
    return rows


def render_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def upstream(folder: Path) -> dict[str, str]:
    """Repository, commit and licence as the folder's SOURCE.md states them."""
    text = (folder / "SOURCE.md").read_text(encoding="utf-8")
    found = {}
    for key, pattern in (
        ("repository", r"Repository:\s*(\S+)"),
        ("commit", r"Commit:\s*([0-9a-f]{40})[^;\n]*"),
        ("license", r"License:\s*([^\n]+)"),
    ):
        match = re.search(pattern, text)
        if match is None:
            raise SystemExit(f"{folder / 'SOURCE.md'}: no {key} line")
        found[key] = match.group(0).split(":", 1)[1].strip() if key == "commit" else match.group(1).strip()
    return found


def _copyright(source: dict[str, str]) -> str:
    match = re.search(r"Copyright [^)]+", source["license"])
    if match is None:
        raise SystemExit(f"no copyright notice in the licence line {source['license']!r}")
    return match.group(0).strip()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def render_note(rows: list[dict[str, str]], report: Report, profiles: Path, laundromat: Path) -> str:
    """The provenance and licence note (state_media.md); every number is from this build."""
    smp, dl = upstream(profiles), upstream(laundromat)
    by_kind = Counter(r["kind"] if r["kind"] == "domain" else f"handle ({r['platform']})" for r in rows)
    by_source = Counter(s for r in rows for s in r["source"].split("; "))
    by_typology = Counter(r["typology"] for r in rows)
    kept_sites = sum(report.sites_by_source[s] for s in KEEP)
    lines = [
        "# State-media reference list: provenance and licence",
        "",
        "`state_media.csv` lists the web domains and social-media handles of state-controlled and captured media",
        "and of sites that mirror or launder them. The `state_media` signal measures how much of an account's",
        "linking and reposting goes to them; reports and the DISARM tagger name outlets from it",
        "(`overt.signals.state_media.reference()`).",
        "",
        "Generated by `scripts/build_state_media.py` from the two folders below; do not edit by hand. Every number",
        "on this page comes from that run, and a test rebuilds the list and this page and compares them.",
        "",
        "## Columns",
        "",
        "| column | meaning |",
        "|---|---|",
        "| `kind` | `domain` (a web site) or `handle` (a social-media account) |",
        "| `platform` | a handle's platform: twitter, telegram, instagram, facebook, vk, tiktok, ok (ok.ru) |",
        "| `identifier` | domain: lower-case host, no `www.` (its subdomains match too); handle: lower case, no `@` |",
        "| `outlet` | the outlet's name upstream (State Media Matrix `Main assets`; empty for laundromat-only sites) |",
        "| `company` | the owning media company (`Media company`) |",
        "| `country` | the state behind it (Matrix `Country`, several joined by `; `); laundromat sites: below |",
        "| `typology` | SC state-controlled, CaPu captured public, CaPr captured private; else the laundromat list |",
        "| `source` | `state_media_profiles` and/or `disinfo_laundromat:<list>`, joined by `; ` |",
        "",
        f"Rows: {len(rows):,} ({_counts(by_kind)}). By source (a row may have several): {_counts(by_source)}.",
        f"By typology: {_counts(by_typology)}.",
        f"Identifiers given by both sources: {report.both_sources:,}.",
        "",
        "## Sources",
        "",
        f"### State Media Matrix ({PROFILES})",
        "",
        f"- Repository {smp['repository']}, commit {smp['commit']}; file `{MATRIX}`, "
        f"sha256 `{sha256(profiles / MATRIX)}`.",
        f"- Licence: {smp['license']}.",
        f"- {report.matrix_rows:,} rows; by typology: {_counts(report.matrix_by_typology)}.",
        f"- Kept: the {report.matrix_kept:,} rows typed "
        + ", ".join(f"{t} ({TYPOLOGY_NAMES[t]})" for t in TYPOLOGIES)
        + ". Dropped: ISFM, IP, ISF, ISM (and 'ISFM?'): editorially independent public or state-funded media, "
        "which ordinary people link to every day.",
        f"- Domains: {report.matrix_kept_with_url:,} kept rows have a URL"
        + (
            f" ({len(report.matrix_bad_urls)} unusable: {', '.join(report.matrix_bad_urls)})"
            if report.matrix_bad_urls
            else ""
        )
        + "; each is reduced to its registrable domain (the outlet owns it: `de.rt.com` is RT);"
        " many rows share one.",
        f"- Handles: {_counts(report.handles_by_platform)} links give a handle. "
        f"{len(set(report.handles_invalid))} distinct links were dropped because the handle is not valid on the "
        "platform (an Instagram-style name in the Twitter column, a name with spaces, a numeric group page): "
        + ", ".join(f"{p} `{link}`" for p, link in sorted(set(report.handles_invalid)))
        + ".",
        f"- Handles dropped as plainly someone else's ({len(set(report.handles_wrong))}): "
        + "; ".join(f"{p} `{h}`: {WRONG_HANDLES[(p, h)]}" for p, h in sorted(set(report.handles_wrong)))
        + ".",
        "- Columns not used: "
        + "; ".join(f"{c} ({report.skipped_columns[c]:,} links: {why})" for c, why in SKIPPED_COLUMNS.items())
        + ".",
        "- A site listed with two typologies gets the stronger (SC, then CaPu, then CaPr); countries are joined.",
        "",
        f"### Disinfo Laundromat sites of concern ({LAUNDROMAT})",
        "",
        f"- Repository {dl['repository']}, commit {dl['commit']}; file `{SITES}`, "
        f"sha256 `{sha256(laundromat / SITES)}`.",
        f"- Licence: {dl['license']}.",
        f"- {report.sites_rows:,} rows; by `Source`: {_counts(report.sites_by_source)}. "
        "`Threat Actor` and `Name` are empty in this version.",
        f"- Kept ({kept_sites:,} rows):",
    ]
    for source, (country, why) in KEEP.items():
        note = f"country recorded as {country}" if country else "no country recorded"
        lines.append(f"  - {source} ({report.sites_by_source[source]:,}): {why}; {note}.")
    lines.append("- Dropped:")
    for source, why in DROP.items():
        lines.append(f"  - {source} ({report.sites_by_source[source]:,}): {why}.")
    lines += [
        f"- Within the kept lists, {len(report.sites_not_outlets)} hosts are general services that carry "
        "everything, RT among it, and are not outlets: "
        + ", ".join(f"{h} ({NOT_OUTLETS[h]})" for h in sorted(set(report.sites_not_outlets)))
        + ".",
        f"- Unusable values (no host): {len(report.sites_bad)}"
        + (f" ({', '.join(report.sites_bad)})" if report.sites_bad else "")
        + ".",
        "- A laundromat site keeps its full host (not its registrable domain): the lists name single sites, "
        "several on hosts owned by others (a subdomain of a news agency, of a blog platform).",
        "",
        "## Merging",
        "",
        "One row per (kind, platform, identifier). An identifier from both sources keeps the State Media Matrix's",
        "name, country and typology and records both sources. A domain under another listed domain (`de.rt.com`",
        f"under `rt.com`, a laundromat mirror under a Matrix domain) is folded into it: {report.folded:,} entries"
        " were.",
        "The outlet name is the one of the row that names the site itself (`www.rt.com`: RT International), else",
        "the one name all its rows give, else (rows naming different services) the company. Rows are sorted by",
        "kind, platform and identifier.",
        "",
        "## Caveats",
        "",
        "- Overt state media, not covert accounts: the list says where an account's links go, not who runs it.",
        "- The Matrix's social links are entered by hand and incomplete (a handle missing here is not matched);",
        "  a few may name the wrong account (only plain cases are dropped above). RT International, for one, is",
        "  listed with the Twitter handle `rt`, not its main account `RT_com`, and no Sputnik Twitter handle is",
        "  valid; their web domains are listed.",
        "- 'RT Mirror/Repost' mixes RT's own mirror domains with third-party sites that re-published RT articles;",
        "  its rows carry that category as typology so a reviewer can weigh them.",
        "",
        "## Licence",
        "",
        "Both upstream repositories are under the MIT licence; this list is a substantial portion of them and is",
        "distributed under the same terms, with their notices:",
        "",
        f"    {_copyright(smp)} ({smp['repository']})",
        f"    {_copyright(dl)} ({dl['repository']})",
        "",
        "    Permission is hereby granted, free of charge, to any person obtaining a copy of this software and",
        '    associated documentation files (the "Software"), to deal in the Software without restriction,',
        "    including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense,",
        "    and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so,",
        "    subject to the following conditions:",
        "",
        "    The above copyright notice and this permission notice shall be included in all copies or substantial",
        "    portions of the Software.",
        "",
        '    THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT',
        "    LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN",
        "    NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,",
        "    WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE",
        "    SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.",
        "",
    ]
    return "\n".join(lines)


def build(profiles: Path, laundromat: Path) -> tuple[str, str]:
    """The CSV text and the provenance note built from the two upstream folders."""
    report = Report()
    rows = merge(matrix_entries(profiles, report) + laundromat_entries(laundromat, report), report)
    return render_csv(rows), render_note(rows, report, profiles, laundromat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=Path, default=SHARED / PROFILES, help="state_media_profiles_asd folder")
    parser.add_argument("--laundromat", type=Path, default=SHARED / LAUNDROMAT, help="disinfo_laundromat_asd folder")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="where state_media.csv/.md are written")
    args = parser.parse_args(argv)
    table, note = build(args.profiles, args.laundromat)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "state_media.csv").write_text(table, encoding="utf-8", newline="")
    (args.out_dir / "state_media.md").write_text(note, encoding="utf-8", newline="")
    sys.stdout.write(f"wrote {table.count(chr(10)) - 1} rows to {args.out_dir / 'state_media.csv'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
