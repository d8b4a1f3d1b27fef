"""The investigation report as one self-contained HTML page.

:func:`render` turns the report's data model (:func:`overt.report.data.collect`) into a page with everything
inline: the style sheet, the page's own script, the charts as SVG and the data model itself as a JSON island
(``<script type="application/json" id="overt-data">``) for anyone who wants to take the numbers further. The
page loads nothing from anywhere: it works offline, and opening it tells no server that someone is reading it.
:func:`write_report` runs the whole step for a scan folder.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from overt.report import svg

_HERE = Path(__file__).parent


def data_json(data: Any) -> str:
    """*data* as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes (so no ``</script>`` or ``<!--`` can end the element
    early), as are the line separators JavaScript once rejected. NaN and infinities, which JSON cannot hold,
    become null.
    """
    text = json.dumps(_finite(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028")):
        text = text.replace(char, escaped)
    return text.replace("\u2029", "\\u2029")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def account_anchor(account_id: str) -> str:
    """The HTML id of an account's section: ``account-`` and the id, other characters than ``[A-Za-z0-9-]`` as
    ``_<hex>.`` (one to one, so two accounts never share an anchor, and safe in a URL fragment)."""
    return "account-" + re.sub(r"[^A-Za-z0-9-]", lambda m: f"_{ord(m.group()):x}.", str(account_id))


def _when(value: object) -> str:
    """An ISO time as ``2016-10-01 08:00:01 UTC`` (the data model's times are UTC)."""
    if not value:
        return "—"
    try:
        t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return t.strftime("%Y-%m-%d %H:%M:%S UTC" if t.second or t.minute or t.hour else "%Y-%m-%d")


def _score(value: object) -> str:
    return (
        f"{value:.2f}"
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        else "—"
    )


def _signed(value: object) -> str:
    return f"{value:+.2f}" if isinstance(value, int | float) and math.isfinite(value) else "—"


def _count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "—" if value is None else str(value)


def _plain(value: object) -> str:
    """A parameter value as people read it: scalars as they are, lists joined, anything else as JSON."""
    if isinstance(value, list | tuple) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def _environment(strict: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=True,
        # Strict in the tests (a misspelt key fails them); lenient otherwise (a part missing from an older scan's
        # data leaves a gap in the page rather than no page).
        undefined=StrictUndefined if strict else ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, score=_score, signed=_signed, num=_count, plain=_plain, anchor=account_anchor)
    env.globals.update(utc_offset=svg.utc_offset)
    return env


def _traces(data: Mapping[str, Any]) -> list[str]:
    """Every trace (detector) name the page may show, in the palette's order."""
    seen: set[str] = set()
    scan = data.get("scan") or {}
    seen.update(str(t) for t in scan.get("detectors") or {})
    seen.update(str(t) for t in (data.get("methodology") or {}).get("traces") or {})
    for c in [*(data.get("clusters") or []), *(data.get("other_clusters") or [])]:
        seen.update(str(t) for t in c.get("traces") or [])
        seen.update(str(t) for e in c.get("edges") or [] for t in e.get("traces") or [])
        seen.update(str(b["detector"]) for b in c.get("timeline") or [])
        seen.update(str(e["detector"]) for e in c.get("evidence") or [])
    return sorted(seen, key=lambda t: (svg._trace_rank(t), t))


def _swatches(traces: list[str]) -> tuple[dict[str, str], str]:
    """A CSS class per trace (its colour and dash as a short rule) and the style sheet that defines them.

    Swatches are CSS borders rather than little SVGs: they appear in every evidence row, and a class is a few
    bytes where an SVG is two hundred.
    """
    classes, rules = {}, []
    for i, trace in enumerate(traces):
        colour, dash = svg.trace_style(trace)
        style = "solid" if dash is None else "dotted" if dash == "2 3" else "dashed"
        classes[trace] = f"sw{i}"
        rules.append(f".sw{i}{{border-top-color:{colour};border-top-style:{style}}}")
    return classes, "\n".join(rules)


def _static(name: str) -> str:
    return (_HERE / "static" / name).read_text(encoding="utf-8")


def _cluster_view(cluster: Mapping[str, Any], accounts: Mapping[str, Any]) -> dict[str, Any]:
    """What the template needs for one cluster beyond the data: its charts and who has an account section."""
    edge_traces = {str(t) for e in cluster.get("edges") or [] for t in (e.get("traces") or [])[:1]}
    timeline_traces = {str(b["detector"]) for b in cluster.get("timeline") or []}
    legend = sorted(edge_traces | timeline_traces, key=lambda t: (svg._trace_rank(t), t))
    office = cluster.get("office")
    hour_of_week = cluster.get("hour_of_week")
    offset = float(office["offset"]) if office and office.get("offset") is not None else None
    labels = {str(m["account_id"]): str(m.get("label") or m["account_id"]) for m in cluster.get("members") or []}
    reported = (cluster.get("reported") or {}).get("offsets")
    heatmap = svg.heatmap_svg(hour_of_week, offset, reported_offsets=reported) if hour_of_week else None
    # Markup: the svg module escapes every value that comes from the data.
    return {
        "c": cluster,
        "network": Markup(svg.network_svg(cluster)),  # noqa: S704
        "timeline": Markup(svg.timeline_svg(cluster.get("timeline") or [], cluster.get("timeline_unit"))),  # noqa: S704
        "heatmap": Markup(heatmap) if heatmap else None,  # noqa: S704
        "legend": legend,
        "labels": labels,
        "sections": {a for a in labels if a in accounts},
    }


def render(data: Mapping[str, Any], *, strict: bool = False) -> str:
    """The report page for the data model *data*, as one HTML string with nothing to fetch.

    With *strict*, a key the templates use but *data* lacks is an error (for tests) instead of an empty spot.
    """
    accounts: Mapping[str, Any] = data.get("accounts") or {}
    clusters = [_cluster_view(c, accounts) for c in data.get("clusters") or []]
    labels: dict[str, str] = {}
    for view in clusters:
        labels.update(view["labels"])
    labels.update({str(a): str(acc.get("label") or a) for a, acc in accounts.items()})
    groups: list[dict[str, Any]] = []
    for view in clusters:
        number = view["c"]["cluster"]
        members = [a for a in (str(m["account_id"]) for m in view["c"].get("members") or []) if a in accounts]
        groups.append({"cluster": number, "accounts": [(a, accounts[a]) for a in members]})
    grouped = {a for g in groups for a, _ in g["accounts"]}
    rest = [(str(a), acc) for a, acc in accounts.items() if str(a) not in grouped]
    if rest:
        groups.append({"cluster": None, "accounts": rest})
    classes, swatch_css = _swatches(_traces(data))

    def swatch(trace: object) -> Markup:
        name = classes.get(str(trace))
        if name is None:  # a trace the walk above missed: draw it rather than fail
            return Markup(svg.legend_swatch(str(trace)))  # noqa: S704
        return Markup(f'<span class="sw {name}" aria-hidden="true"></span>')  # noqa: S704

    env = _environment(strict)
    env.globals["swatch"] = swatch
    template = env.get_template("report.html.j2")
    return template.render(
        data=data,
        swatch_css=swatch_css,
        clusters=clusters,
        groups=groups,
        labels=labels,
        css=Markup(_static("report.css")),  # noqa: S704
        js=Markup(_static("report.js")),  # noqa: S704
        data_json=Markup(data_json(data)),  # noqa: S704
    )


def write_report(scan_dir: str | os.PathLike[str], out: str | os.PathLike[str], **options: Any) -> Path:
    """Collect the report's data for *scan_dir*, write ``clusters.csv`` and ``evidence.csv`` next to *out* and the
    page to *out*; return *out*.

    *options* go to :func:`overt.report.data.collect` (``top``, ``redact``, ``redact_threshold``, ``redact_key``,
    ...).
    """
    from overt.report.data import collect
    from overt.report.exports import write_csvs

    scan_path, out_path = Path(scan_dir), Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = collect(scan_path, **options)
    # write_csvs also makes the scan's GEXF link relative to the page (and leaves it out of redacted reports).
    write_csvs(scan_path, out_path.parent, data)
    out_path.write_text(render(data), encoding="utf-8")
    _log_time(out_path, time.perf_counter() - started)
    return out_path


def _log_time(path: Path, seconds: float) -> None:
    import logging

    logging.getLogger(__name__).info("wrote %s (%.1f KiB) in %.2f s", path, path.stat().st_size / 1024, seconds)
