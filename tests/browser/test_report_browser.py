"""The report in a real browser: Debian's Chromium driven by Playwright (no browser download).

Skipped, with the reason, when /usr/bin/chromium or Playwright is missing (``.ci/run`` installs Chromium).
Screenshots go to ``$OVERT_TEST_ARTIFACTS`` when it is set, else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[dev]')")
# Waits (up to 5 s) for the state to hold: the page's script applies a click or key press asynchronously.
expect = sync_api.expect

try:  # the scored fixture scan of the report's unit tests, when they provide one
    from tests.unit.report.conftest import scored_scan  # noqa: F401

    HAVE_SCORED_SCAN = True
except ImportError:
    HAVE_SCORED_SCAN = False


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ["OVERT_TEST_ARTIFACTS"]) if os.environ.get("OVERT_TEST_ARTIFACTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report of a real (small, scored) scan when the fixture exists, else of the hand-made data model."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    if HAVE_SCORED_SCAN:
        from overt.report.render import write_report

        return write_report(request.getfixturevalue("scored_scan"), out)
    from overt.report.render import render
    from tests.unit.report.test_render import sample_data

    out.write_text(render(sample_data()), encoding="utf-8")
    return out


class Page:
    """A page with its console errors and every request it made."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url)
        self.data: dict[str, Any] = json.loads(self.page.locator("#overt-data").text_content() or "{}")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def page(browser: Any, report: Path) -> Iterator[Page]:
    p = Page(browser, report)
    yield p
    p.close()


def test_opens_without_errors_or_requests_and_draws_the_network(page: Page, artifacts: Path) -> None:
    pg = page.page
    pg.wait_for_timeout(300)
    shot = artifacts / "report-overview.png"
    pg.screenshot(path=str(shot))
    first = pg.locator("section.cluster.current svg.network")
    first.scroll_into_view_if_needed()
    pg.screenshot(path=str(artifacts / "report-network.png"))
    assert page.errors == []
    assert page.requests == [page.url]  # the file itself, nothing else
    assert pg.evaluate("() => document.querySelectorAll('svg circle').length") > 0
    assert first.locator("circle").count() == len(page.data["clusters"][0]["members"])
    assert shot.stat().st_size > 0


def test_choosing_a_cluster_in_the_index_shows_its_evidence(page: Page) -> None:
    pg = page.page
    clusters = page.data["clusters"]
    assert len(clusters) >= 2, "the fixture should have two detailed clusters"
    first, second = clusters[0]["cluster"], clusters[1]["cluster"]
    expect(pg.locator(f"#cluster-{second}")).to_be_hidden()  # one cluster at a time
    pg.locator(f'#cluster-index a[data-cluster="{second}"]').click()
    section = pg.locator(f"#cluster-{second}")
    expect(section).to_be_visible()
    expect(pg.locator(f"#cluster-{first}")).to_be_hidden()
    rows = section.locator("table.evidence tbody tr")
    assert rows.count() == len(clusters[1]["evidence"]) > 0
    expect(rows.first).to_be_visible()
    assert pg.locator(f'#cluster-index tr[data-cluster="{second}"]').get_attribute("aria-current") == "true"
    # The keyboard does the same: focus the first cluster's link, Enter.
    pg.locator(f'#cluster-index a[data-cluster="{first}"]').focus()
    pg.keyboard.press("Enter")
    expect(pg.locator(f"#cluster-{first}")).to_be_visible()
    expect(section).to_be_hidden()
    expect(pg.locator(f"#cluster-{first} table.evidence tbody tr").first).to_be_visible()
    assert page.errors == []


def test_search_finds_an_account_and_jumps_to_it(page: Page) -> None:
    pg = page.page
    # An account of the second cluster: the jump must also switch the cluster shown.
    second = page.data["clusters"][1]
    account_id = next(str(m["account_id"]) for m in second["members"] if str(m["account_id"]) in page.data["accounts"])
    label = page.data["accounts"][account_id]["label"]
    box = pg.locator("#search-input")
    box.fill(label)
    expect(pg.locator("#search-results li").first).to_be_visible()
    box.press("Enter")
    section = pg.locator(f'article.account-section[data-account="{account_id}"]')
    section.wait_for(state="visible")
    anchor = section.get_attribute("id")
    assert pg.evaluate("() => decodeURIComponent(location.hash)") == f"#{anchor}"
    assert section.evaluate(
        "el => { const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }"
    )
    # By id too (the first cluster's most central member), from the search button.
    other = str(page.data["clusters"][0]["members"][0]["account_id"])
    box.fill(other)
    pg.locator("#search button[type=submit]").click()
    expect(pg.locator(f'article.account-section[data-account="{other}"]')).to_be_visible()
    expect(pg.locator(f"#cluster-{page.data['clusters'][0]['cluster']}")).to_be_visible()
    box.fill("no-such-account-xyz")
    assert "No account" in (pg.locator("#search-results").text_content() or "")
    assert page.errors == []


def test_keyboard_reaches_a_node_and_enter_selects_it(page: Page, artifacts: Path) -> None:
    pg = page.page
    pg.locator("body").focus()
    for _ in range(400):  # Tab from the top of the page until focus lands on a network node
        pg.keyboard.press("Tab")
        if pg.evaluate("() => !!document.activeElement.closest('g.node')"):
            break
    else:
        pytest.fail("Tab never reached a network node")
    node_id = pg.evaluate("() => document.activeElement.closest('g.node').dataset.account")
    pg.keyboard.press("ArrowRight")  # arrow keys walk the nodes
    moved = pg.evaluate("() => document.activeElement.closest('g.node').dataset.account")
    assert moved != node_id
    pg.keyboard.press("Enter")
    node = pg.locator(f'section.cluster.current g.node[data-account="{moved}"]')
    assert node.get_attribute("aria-pressed") == "true"
    row = pg.locator(f'section.cluster.current table.members tr[data-account="{moved}"]')
    assert "selected" in (row.get_attribute("class") or "")
    assert "Selected:" in (pg.locator("section.cluster.current .selection").text_content() or "")
    pg.screenshot(path=str(artifacts / "report-keyboard-selection.png"))
    assert page.errors == []


def test_clicking_a_node_offers_its_account_section_and_zoom_changes_the_view(page: Page) -> None:
    pg = page.page
    svg = pg.locator("section.cluster.current svg.network")
    with_section = [str(m["account_id"]) for m in page.data["clusters"][0]["members"]]
    target = next(a for a in with_section if a in page.data["accounts"])
    pg.locator(f'section.cluster.current g.node[data-account="{target}"] circle').click()
    link = pg.locator("section.cluster.current .selection a")
    expect(link).to_be_visible()
    before = svg.get_attribute("viewBox")
    pg.locator("section.cluster.current .toolbar button[data-zoom='in']").click()
    assert svg.get_attribute("viewBox") != before
    link.click()
    expect(pg.locator(f'article.account-section[data-account="{target}"]')).to_be_visible()
    assert page.errors == []


def test_a_scan_without_clusters_says_so(browser: Any, tmp_path: Path, artifacts: Path) -> None:
    from overt.report.render import render
    from tests.unit.report.test_render import no_clusters_data

    out = tmp_path / "empty.html"
    out.write_text(render(no_clusters_data()), encoding="utf-8")
    p = Page(browser, out)
    try:
        expect(p.page.locator("#overview .empty")).to_be_visible()
        assert "found no coordinated clusters" in (p.page.locator("#overview .empty").text_content() or "")
        p.page.locator("#search-input").fill("anything")
        p.page.screenshot(path=str(artifacts / "report-no-clusters.png"))
        assert p.errors == []
        assert p.requests == [p.url]
    finally:
        p.close()
