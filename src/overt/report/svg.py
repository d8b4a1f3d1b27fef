"""The report's charts as inline SVG: the cluster network, the coordination timeline and the hour-of-week heatmap.

Pure functions from the report's data model (:mod:`overt.report.data`) to SVG strings. Everything that comes from
the data (handles, ids, trace names) is escaped here, so the strings can go into the page as they are. No
third-party JavaScript draws anything: the network is laid out in Python (igraph, in the data model) and the
page's own script (``static/report.js``) only pans, zooms and selects.

Colours are the Okabe–Ito palette, which stays distinguishable under the common colour-vision deficiencies;
beyond eight traces the colours repeat with a dash pattern, so no two traces look alike.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from html import escape
from typing import Any

#: Okabe & Ito (2008), "Color Universal Design": colour-blind safe. Blue first: the most common trace gets it.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442")

#: Dash patterns for traces past the eighth (colours repeat, the pattern tells them apart).
DASHES = (None, "6 3", "2 3", "8 3 2 3")

#: Detectors in a fixed order, so that a trace has the same colour in every report.
TRACE_ORDER = (
    "co_repost",
    "co_hashtag",
    "co_link",
    "co_text",
    "co_similar_text",
    "co_mention",
    "co_media",
    "co_reply",
    "fast_repost",
    "co_domain",
    "hashtag_sequence",
    "co_repost_similarity",
    "time_sync",
)

#: The reported location's office outline: Okabe–Ito bluish green, apart from the fitted office's vermillion and
#: the cells' blue.
REPORTED_COLOUR = "#009E73"

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def attr(value: object) -> str:
    """*value* escaped for an attribute or text node."""
    return escape(str(value), quote=True)


def num(value: float) -> str:
    """A coordinate with two decimals at most (smaller files; SVG does not need more)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def trace_style(trace: str) -> tuple[str, str | None]:
    """(colour, dash pattern or None) of a trace: fixed for known detectors, stable for any other name."""
    index = TRACE_ORDER.index(trace) if trace in TRACE_ORDER else len(TRACE_ORDER) + zlib.crc32(trace.encode()) % 24
    return OKABE_ITO[index % len(OKABE_ITO)], DASHES[(index // len(OKABE_ITO)) % len(DASHES)]


def _stroke(trace: str) -> str:
    colour, dash = trace_style(trace)
    return f' stroke="{colour}"' + (f' stroke-dasharray="{dash}"' if dash else "")


def legend_swatch(trace: str) -> str:
    """A short line in the trace's colour and dash, for legends written in HTML."""
    return (
        '<svg class="swatch" width="28" height="10" viewBox="0 0 28 10" aria-hidden="true" focusable="false">'
        f'<line x1="1" y1="5" x2="27" y2="5" stroke-width="3"{_stroke(trace)}/></svg>'
    )


def _fmt_score(score: object) -> str:
    return "no score" if not isinstance(score, int | float) else f"score {score:.2f}"


def _ring_positions(ids: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Positions on a circle for members the layout does not place (it should place all; this keeps them visible)."""
    n = max(len(ids), 1)
    return {
        a: (0.5 + 0.45 * math.cos(2 * math.pi * i / n), 0.5 + 0.45 * math.sin(2 * math.pi * i / n))
        for i, a in enumerate(ids)
    }


def network_svg(
    cluster: Mapping[str, Any],
    *,
    width: int = 960,
    height: int = 600,
    max_edges: int = 4000,
    max_labels: int = 15,
) -> str:
    """The cluster's fused network: members as circles at their layout positions, edges coloured by first trace.

    A node's radius grows with its centrality; flagged members are filled dark, leaders get a thick ring. Every
    node is a ``g.node`` carrying ``data-account`` (the account id) and an accessible label; the first node (the
    most central) is in the tab order and the page's script moves focus between nodes with the arrow keys (one
    tab stop per network, not one per node). Above *max_edges* only the heaviest edges are drawn (the caption
    says so); the *max_labels* most central members are labelled, every node has a tooltip.
    """
    number = cluster.get("cluster", "")
    members: list[Mapping[str, Any]] = list(cluster.get("members") or [])
    layout: Mapping[str, Sequence[float]] = cluster.get("layout") or {}
    pad = 28.0

    def place(x: float, y: float) -> tuple[float, float]:
        return pad + x * (width - 2 * pad), pad + y * (height - 2 * pad)

    unplaced = [str(m["account_id"]) for m in members if str(m["account_id"]) not in layout]
    fallback = _ring_positions(unplaced)
    pos: dict[str, tuple[float, float]] = {}
    for m in members:
        a = str(m["account_id"])
        xy = layout.get(a)
        x, y = (float(xy[0]), float(xy[1])) if xy is not None and len(xy) >= 2 else fallback[a]
        pos[a] = place(min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0))

    edges = [e for e in cluster.get("edges") or [] if str(e["a"]) in pos and str(e["b"]) in pos]
    total_edges = len(edges)
    if total_edges > max_edges:
        edges = sorted(edges, key=lambda e: (-float(e.get("weight") or 0), str(e["a"]), str(e["b"])))[:max_edges]
    max_w = max((float(e.get("weight") or 0) for e in edges), default=1.0) or 1.0

    label = f"Network of cluster {number}: {len(members)} accounts, {total_edges} edges"
    if total_edges > len(edges):
        label += f" (the {len(edges)} heaviest drawn)"
    # Dense networks draw their edges fainter (a class, set in the style sheet), so that the nodes stay readable.
    dense = " dense" if len(edges) > 300 else ""
    out = [
        f'<svg class="network{dense}" viewBox="0 0 {width} {height}" data-cluster="{attr(number)}" '
        f'data-width="{width}" data-height="{height}" role="group" aria-label="{attr(label)}">',
        f"<title>{attr(label)}</title>",
        '<g class="edges">',
    ]
    for e in edges:
        a, b = str(e["a"]), str(e["b"])
        traces = [str(t) for t in e.get("traces") or []] or ["unknown"]
        w = float(e.get("weight") or 0)
        (x1, y1), (x2, y2) = pos[a], pos[b]
        out.append(
            f'<line class="edge" x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}"'
            f'{_stroke(traces[0])} stroke-width="{num(0.8 + 3.2 * w / max_w)}" '
            f'data-a="{attr(a)}" data-b="{attr(b)}">'
            f"<title>{attr(a)} – {attr(b)}: {attr(', '.join(traces))} (weight {w:.2f})</title></line>"
        )
    out.append("</g>")

    labels = _label_places(members, pos, width, max_labels)
    # Most central first: the first node is the network's tab stop and arrow keys walk this order.
    out.append('<g class="nodes">')
    for i, m in enumerate(sorted(members, key=_centrality_key)):
        a = str(m["account_id"])
        name = str(m.get("label") or a)
        centrality = m.get("centrality")
        c = float(centrality) if isinstance(centrality, int | float) else 0.3
        r = 5 + 9 * min(max(c, 0.0), 1.0)
        x, y = pos[a]
        role = str(m.get("role") or "member")
        flagged = bool(m.get("flagged"))
        tip = f"{name} ({role}, {_fmt_score(m.get('score'))}{', flagged' if flagged else ''})"
        classes = "node" + (" flagged" if flagged else "") + (" leader" if role == "leader" else "")
        out.append(
            f'<g class="{classes}" data-account="{attr(a)}" tabindex="{0 if i == 0 else -1}" role="button" '
            f'aria-pressed="false" aria-label="{attr(tip)}">'
            f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(r)}"/><title>{attr(tip)}</title>'
        )
        if a in labels:
            if labels[a]:
                out.append(f'<text x="{num(x - r - 3)}" y="{num(y + 4)}" text-anchor="end">{attr(name)}</text>')
            else:
                out.append(f'<text x="{num(x + r + 3)}" y="{num(y + 4)}">{attr(name)}</text>')
        out.append("</g>")
    out.append("</g></svg>")
    return "".join(out)


def _label_places(
    members: Sequence[Mapping[str, Any]], pos: Mapping[str, tuple[float, float]], width: int, limit: int
) -> dict[str, bool]:
    """Which members get a label (account id -> whether it goes left of the node): the most central first, up
    to *limit*, skipping any whose label would overlap one already placed (estimated 7 units a character).

    Labels go right of the node, or left of it in the right quarter, so that they stay in the picture.
    """
    placed: list[tuple[float, float, float, float]] = []
    out: dict[str, bool] = {}
    for m in sorted(members, key=_centrality_key):
        if len(out) >= limit:
            break
        a = str(m["account_id"])
        x, y = pos[a]
        w = 7.0 * len(str(m.get("label") or a)) + 18
        left = x > width * 0.75
        box = (x - w, y - 9, x, y + 9) if left else (x, y - 9, x + w, y + 9)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue
        placed.append(box)
        out[a] = left
    return out


def _centrality_key(m: Mapping[str, Any]) -> tuple[float, str]:
    c = m.get("centrality")
    return (-float(c) if isinstance(c, int | float) else 0.0, str(m["account_id"]))


def _parse(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


def timeline_svg(
    bins: Sequence[Mapping[str, Any]], unit: str | None = None, *, width: int = 960, height: int = 220
) -> str:
    """Co-actions over time, stacked by detector: one bar per time bin.

    ``bins`` are ``{"start": ISO, "detector": str, "coactions": int}``; *unit* (``"hour"`` or ``"day"``) is
    the bin width; without it, the smallest gap between distinct starts (one hour for a single start). Each bar
    segment has a tooltip with its time, detector and count.
    """
    rows = [(_parse(str(b["start"])), str(b["detector"]), int(b.get("coactions") or 0)) for b in bins]
    if not rows:
        return (
            f'<svg class="timeline" viewBox="0 0 {width} 40" role="img" aria-label="No co-actions to show">'
            '<text x="8" y="24">No co-actions to show.</text></svg>'
        )
    starts = sorted({t for t, _, _ in rows})
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    if unit in ("hour", "day"):
        step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    else:
        step = timedelta(seconds=min(gaps)) if gaps else timedelta(hours=1)
    t0, t1 = starts[0], starts[-1] + step
    span = (t1 - t0).total_seconds() or 1.0
    stacks: dict[datetime, list[tuple[str, int]]] = {}
    for t, d, n in sorted(rows, key=lambda r: (r[0], _trace_rank(r[1]), r[1])):
        stacks.setdefault(t, []).append((d, n))
    top = max(sum(n for _, n in s) for s in stacks.values()) or 1
    left, right, above, below = 48.0, 12.0, 12.0, 28.0
    plot_w, plot_h = width - left - right, height - above - below
    bar_w = max(plot_w * step.total_seconds() / span, 1.0)
    unit = "day" if step >= timedelta(days=1) else "hour"  # for the words; bars already have the step's width
    label = f"Co-actions per {unit} from {t0:%Y-%m-%d %H:%M} to {t1:%Y-%m-%d %H:%M} UTC, at most {top} in one {unit}"
    out = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" aria-label="{attr(label)}">',
        f"<title>{attr(label)}</title>",
        f'<line class="axis" x1="{left}" y1="{above + plot_h}" x2="{width - right}" y2="{above + plot_h}"/>',
        f'<line class="axis" x1="{left}" y1="{above}" x2="{left}" y2="{above + plot_h}"/>',
        f'<text class="tick" x="{left - 6}" y="{above + 4}" text-anchor="end">{top}</text>',
        f'<text class="tick" x="{left - 6}" y="{above + plot_h}" text-anchor="end">0</text>',
    ]
    fmt = "%Y-%m-%d" if unit == "day" or span > 3 * 86400 else "%m-%d %H:%M"
    for k in range(5):
        t = t0 + timedelta(seconds=span * k / 4)
        x = left + plot_w * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        out.append(
            f'<text class="tick" x="{num(x)}" y="{height - 8}" text-anchor="{anchor}">{attr(t.strftime(fmt))}</text>'
        )
    out.append('<g class="bars">')
    for t, stack in stacks.items():
        x = left + plot_w * (t - t0).total_seconds() / span
        y = above + plot_h
        for detector, n in stack:
            h = plot_h * n / top
            y -= h
            colour, _ = trace_style(detector)
            out.append(
                f'<rect x="{num(x)}" y="{num(y)}" width="{num(bar_w)}" height="{num(h)}" fill="{colour}">'
                f"<title>{attr(t.strftime('%Y-%m-%d %H:%M'))} UTC, {attr(detector)}: {n} co-actions</title></rect>"
            )
    out.append("</g></svg>")
    return "".join(out)


def _trace_rank(trace: str) -> int:
    return TRACE_ORDER.index(trace) if trace in TRACE_ORDER else len(TRACE_ORDER)


def office_segments(offset: float, start: float = 9.0, end: float = 18.0) -> list[tuple[int, float, float]]:
    """The UTC hour-of-week cells of local weekday office hours at UTC *offset*, as (row, from hour, to hour).

    Local time is UTC + offset, so local Monday *start* is UTC hour-of-week ``start - offset`` (mod 168). A
    block that crosses midnight UTC is split into two rows; one that crosses the end of the week wraps to Monday.
    """
    segments: list[tuple[int, float, float]] = []
    for day in range(5):
        at = (day * 24 + start - offset) % 168
        remaining = end - start
        while remaining > 1e-9:
            row = int(at // 24)
            within = at - row * 24
            take = min(remaining, 24 - within)
            segments.append((row, within, within + take))
            remaining -= take
            at = (at + take) % 168
    return segments


def heatmap_svg(
    counts168: Sequence[int | float] | None,
    offset: float | None = None,
    *,
    reported_offsets: Sequence[float] | None = None,
    office_start: float = 9.0,
    office_end: float = 18.0,
    cell_w: int = 30,
    cell_h: int = 22,
) -> str:
    """Posts by UTC hour of the week (rows Monday to Sunday, columns 00–23), with the fitted office outlined.

    *counts168* starts on Monday 00:00 UTC. With *offset* (the working_hours signal's fitted UTC offset, hours)
    the local weekday office hours (*office_start* to *office_end*, the signal's defaults) are outlined where
    they fall in UTC. With *reported_offsets* (the UTC offsets of the location the members report) the weekday
    office hours at the first of them are outlined too, dashed and in another colour, so that the fitted office
    and the one the profiles claim can be compared at a glance. The shade grows with the square root of the
    count; each cell has a tooltip with its count.
    """
    counts = [float(c or 0) for c in (counts168 or [])]
    if len(counts) != 168:
        raise ValueError(f"heatmap_svg needs 168 hour-of-week counts, got {len(counts)}")
    left, above = 40, 22
    width, height = left + 24 * cell_w + 8, above + 7 * cell_h + 4
    top = max(counts) or 1.0
    total = int(sum(counts))
    label = f"Posts by UTC hour of the week: {total} posts, at most {int(top)} in one hour"
    if offset is not None:
        label += f"; outlined: weekday {_clock(office_start)}–{_clock(office_end)} at {utc_offset(offset)}"
    reported = float(reported_offsets[0]) if reported_offsets else None
    if reported is not None:
        label += (
            f"; dashed outline: weekday {_clock(office_start)}–{_clock(office_end)} at {utc_offset(reported)}, "
            "the reported location's time"
        )
    out = [
        f'<svg class="heatmap" viewBox="0 0 {width} {height}" role="img" aria-label="{attr(label)}">',
        f"<title>{attr(label)}</title>",
    ]
    for h in range(0, 24, 3):
        out.append(f'<text class="tick" x="{left + h * cell_w + 2}" y="{above - 6}">{h:02d}</text>')
    for d, day in enumerate(DAYS):
        out.append(
            f'<text class="tick" x="{left - 6}" y="{above + d * cell_h + cell_h * 0.7}" text-anchor="end">{day}</text>'
        )
    out.append('<g class="cells">')
    for i, c in enumerate(counts):
        d, h = divmod(i, 24)
        # Square-root shading: a few peak hours would otherwise wash out the shape of the week.
        share = math.sqrt(c / top)
        # White to Okabe–Ito blue (0, 114, 178); empty hours stay a light grey so they read as "none".
        fill = (
            "#f2f2f2"
            if c == 0
            else "#{:02x}{:02x}{:02x}".format(*(round(255 + (v - 255) * (0.12 + 0.88 * share)) for v in (0, 114, 178)))
        )
        out.append(
            f'<rect class="cell" x="{left + h * cell_w}" y="{above + d * cell_h}" width="{cell_w - 1}" '
            f'height="{cell_h - 1}" fill="{fill}"><title>{day_name(d)} {h:02d}:00–{h:02d}:59 UTC: '
            f"{int(c)} posts</title></rect>"
        )
    out.append("</g>")
    if offset is not None:
        out.append('<g class="office">')
        for row, x0, x1 in office_segments(offset, office_start, office_end):
            out.append(
                f'<rect class="office" x="{num(left + x0 * cell_w - 1)}" y="{above + row * cell_h - 1}" '
                f'width="{num((x1 - x0) * cell_w + 1)}" height="{cell_h + 1}" fill="none"/>'
            )
        out.append("</g>")
    if reported is not None:
        # Inset by two pixels so that where both offices cover an hour, both outlines stay visible.
        out.append('<g class="reported">')
        for row, x0, x1 in office_segments(reported, office_start, office_end):
            out.append(
                f'<rect class="reported" x="{num(left + x0 * cell_w + 2)}" y="{above + row * cell_h + 2}" '
                f'width="{num(max((x1 - x0) * cell_w - 5, 1))}" height="{cell_h - 5}" fill="none" '
                f'stroke="{REPORTED_COLOUR}" stroke-dasharray="5 3"/>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def day_name(d: int) -> str:
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[d]


def _clock(hours: float) -> str:
    return f"{int(hours):02d}:{round((hours % 1) * 60):02d}"


def utc_offset(offset: float) -> str:
    """``UTC+8``, ``UTC-3:30``: an offset in hours as people write it."""
    sign = "+" if offset >= 0 else "-"
    h, m = divmod(round(abs(offset) * 60), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")
