"""The pages in a real browser: headless Chromium (Debian's, /usr/bin/chromium) driven by
Playwright. The Gantt's filters and presets are clicked and what is drawn is read back
from the figure plotly drew; pages are printed to PDF and their pages counted.

Skipped where Playwright or Chromium is missing; .ci/run installs both."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from test_reports import (
    CAL,
    _supply,
    make_fixture,
    make_large,
    make_travelling,
    replanned_fixture,
)
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.reports import write_gantt_html
from scheduler.schedule import Schedule

CHROMIUM = "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium")
DAY = 86_400_000
runner = CliRunner()


def ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Page:
    """A page of ours open in a tab; every console error and page error is kept."""

    def __init__(self, browser, path: Path, width: int = 1600) -> None:
        self.tab = browser.new_page(viewport={"width": width, "height": 1000})
        self.errors: list[str] = []
        self.tab.on("pageerror", lambda e: self.errors.append(str(e)))
        self.tab.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.tab.goto(path.resolve().as_uri())
        self.tab.evaluate("window.modschedReady")

    def shown(self) -> dict:
        """What the Gantt drew (every part of it): its counts, its rows and its traces."""
        self.tab.evaluate("window.modschedGantt.draw().then(() => window.modschedGantt.drawAll())")
        return self.tab.evaluate(
            """() => { const root = document.getElementById('gantt');
            const parts = [...root.querySelectorAll('.g-part')];
            return {...root.dataset, rows: parts.flatMap(p => p.layout.yaxis.categoryarray),
              traces: parts.flatMap(p => p.data.map(t => ({name: t.name, y: t.y, base: t.base,
                x: t.x, text: t.text, customdata: t.customdata})))}; }"""
        )

    def pick(self, what: str, label: str) -> None:
        self.tab.select_option(f"#gantt select[data-f='{what}']", label=label)

    def trace(self, name: str) -> dict:
        """The traces of that name of every part, as one."""
        found: dict = {}
        for trace in self.shown()["traces"]:
            if trace["name"] == name:
                for key, values in trace.items():
                    if isinstance(values, list):
                        found[key] = found.get(key, []) + values
        assert found, name
        return found


@pytest.fixture
def fixture_page(browser, tmp_path):
    page = Page(browser, write_gantt_html(make_fixture(), tmp_path / "gantt.html"))
    yield page
    assert page.errors == []
    page.tab.close()


def test_gantt_filters_by_site_deployment_phase_and_pool(fixture_page):
    page = fixture_page
    first = page.shown()
    assert (first["modules"], first["tasks"], first["merged"]) == ("3", "8", "0")
    assert first["rows"] == ["m:s1-rfs", "s:0", "r:0", "r:1", "s:1", "r:2"]
    page.pick("site", "s2")
    s2 = page.shown()
    # s1-rfs follows s1-power only: it goes with s1
    assert (s2["modules"], s2["tasks"], s2["rows"]) == ("1", "2", ["s:1", "r:2"])
    options = page.tab.eval_on_selector_all(
        "#gantt select[data-f='dep'] option", "os => os.map(o => o.textContent)"
    )
    assert options == ["all deployments", "s2-cool"]
    page.pick("site", "all sites")
    page.pick("dep", "s1-power")
    assert page.shown()["rows"] == ["m:s1-rfs", "s:0", "r:0", "r:1"]
    page.pick("dep", "all deployments")
    page.pick("pool", "cx")  # energise and ist of s1-power/1 have a cx crew
    cx = page.shown()
    assert (cx["modules"], cx["tasks"]) == ("1", "2")
    ids = sorted(
        c[0] for t in cx["traces"] if t["name"] == "commissioning" for c in t["customdata"]
    )
    assert ids == ["s1-power/1/energise", "s1-power/1/ist"]
    page.pick("pool", "all crew pools")
    page.tab.uncheck("#gantt input[data-phase='6']")  # commissioning
    no_cx = page.shown()
    assert no_cx["tasks"] == "5"
    assert "commissioning" not in [t["name"] for t in no_cx["traces"]]


def test_gantt_bar_spans_labels_and_hover(fixture_page):
    bars = fixture_page.trace("commissioning")
    k = [c[0] for c in bars["customdata"]].index("s1-power/1/ist")
    # ist: working days 8-9 = Fri 2027-01-15 and Mon 2027-01-18: the bar ends 2027-01-19
    assert bars["base"][k] == ms(date(2027, 1, 15)) and bars["x"][k] == 4 * DAY
    assert bars["customdata"][k][2] == "2027-01-15 → 2027-01-18"
    assert bars["text"][k] == "ist"  # labels: plotly hides those that do not fit
    assert fixture_page.shown()["labels"] == "1"


def test_gantt_date_presets_and_lead_time(fixture_page):
    page = fixture_page
    page.tab.click("#gantt button[data-w='2w']")  # no status date: from the program start
    shown = page.shown()
    assert (shown["from"], shown["to"]) == ("2027-01-03", "2027-01-18")
    page.tab.click("#gantt button[data-w='6w']")
    assert page.shown()["to"] == "2027-02-15"
    page.tab.fill("#gantt input[data-f='from']", "2027-01-10")
    page.tab.fill("#gantt input[data-f='to']", "2027-01-20")
    page.tab.dispatch_event("#gantt input[data-f='to']", "change")
    assert (page.shown()["from"], page.shown()["to"]) == ("2027-01-10", "2027-01-20")
    page.tab.click("#gantt button[data-w='whole']")
    assert page.shown()["from"] == "2027-01-02"
    # lead time (here: factory) as one thin bar a module
    page.tab.check("#gantt input[data-f='lead']")
    lead = page.trace("lead time")
    assert lead["y"] == ["r:0", "r:1"]
    # fabricate of s1-power/1: Mon 2027-01-04 to Fri 01-08
    assert lead["base"][0] == ms(date(2027, 1, 4)) and lead["x"][0] == 5 * DAY
    assert "factory" not in [t["name"] for t in page.shown()["traces"]]


def test_gantt_labels_of_close_supplies_do_not_collide(browser, tmp_path):
    backfeed = _supply(CAL, "s1", "backfeed", "backfeed", 2.0, 7)  # from 2027-01-14
    schedule = make_fixture()
    schedule = replace(schedule, supplies=(*schedule.supplies, backfeed))
    page = Page(browser, write_gantt_html(schedule, tmp_path / "g.html"))
    assert page.trace("temporary power")["text"] == ["gas turbines +4 MW (+1 more)"]
    assert page.trace("backfeed power")["text"] == [""]
    page.tab.fill("#gantt input[data-f='from']", "2027-01-12")  # wider days: room for both
    page.tab.fill("#gantt input[data-f='to']", "2027-01-16")
    page.tab.dispatch_event("#gantt input[data-f='to']", "change")
    assert page.trace("backfeed power")["text"] == ["backfeed +2 MW"]
    assert page.errors == []


def test_user_text_is_shown_as_text_never_as_a_link(browser, tmp_path):
    link = '<a href="https://evil.example/login">click me</a>'
    schedule = make_fixture()
    supply = replace(schedule.supplies[0], name=link)
    schedule = replace(schedule, supplies=(supply, *schedule.supplies[1:]))
    page = Page(browser, write_gantt_html(schedule, tmp_path / "g.html"))
    assert page.trace("temporary power")["text"][0].startswith("&lt;a href=")
    assert page.tab.eval_on_selector_all("a[href*='evil']", "a => a.length") == 0
    assert page.errors == []


# each figure drawn by page.js: did plotly have to widen a margin (and so draw it twice)?
WIDENED = """() => [...document.querySelectorAll('.lazy-fig')].map(d => {
  const s = d._fullLayout._size, m = d.layout.margin;
  return [d.id, ['l', 'r', 't', 'b'].filter(k => s[k] > (m[k] || 0))]; })"""


def test_figures_are_drawn_with_margins_that_hold_their_labels(browser, tmp_path):
    """page.js measures the y labels and makes room for a colour bar before drawing:
    plotly widens no margin (it would draw the figure a second time to do so)."""
    page = Page(browser, write_gantt_html(make_travelling(), tmp_path / "g.html"))
    page.tab.evaluate("window.modschedDrawAll()")
    widened = page.tab.evaluate(WIDENED)
    assert [d for d, _ in widened] == ["crews", "crew-view", "power"]
    assert all(sides == [] for _, sides in widened), widened
    assert page.errors == []


def test_replan_ghosts_the_baseline_and_labels_the_status_date(browser, tmp_path):
    page = Page(browser, write_gantt_html(replanned_fixture(), tmp_path / "g.html"))
    ghost = page.trace("baseline")
    assert len(ghost["y"]) == 8
    label = page.tab.eval_on_selector(".g-axis", "d => d.layout.annotations[0].text")
    assert label == "status date 2027-01-12"
    page.tab.click("#gantt button[data-w='2w']")  # from the status date
    assert (page.shown()["from"], page.shown()["to"]) == ("2027-01-11", "2027-01-26")
    assert page.errors == []


def test_every_row_of_10000_tasks_is_reachable_under_a_date_axis_in_view(browser, tmp_path):
    page = Page(browser, write_gantt_html(make_large(), tmp_path / "big.html"))
    shown = page.shown()
    assert len([r for r in shown["rows"] if r.startswith("r:")]) == 700
    assert shown["merged"] == "1"
    assert page.tab.is_disabled("#gantt input[data-f='links']")
    # no scrolling box of its own: the page scrolls, the last row comes into view, and the
    # date axis with it
    page.tab.evaluate(
        "window.scrollTo(0, document.querySelector('#gantt .g-plot')"
        ".getBoundingClientRect().bottom + window.scrollY - 900)"
    )
    tick = page.tab.locator("#gantt .g-plot .g-label", has_text="site10-d7/10")
    tick.wait_for(state="visible")  # its part is drawn as it comes near the screen
    box = page.tab.eval_on_selector(".g-axis", "d => d.getBoundingClientRect().toJSON()")
    assert 0 <= box["top"] < 200
    page.pick("dep", "site3-d2")
    one = page.shown()
    assert (one["merged"], one["modules"]) == ("0", "10")
    assert page.errors == []


def test_driving_links_on_demand(browser, tmp_path):
    schedule = make_fixture()
    tasks = list(schedule.tasks)
    tasks[3] = replace(tasks[3], driver="link:s1-power/1/energise", driver_kind="link")
    page = Page(
        browser, write_gantt_html(replace(schedule, tasks=tuple(tasks)), tmp_path / "g.html")
    )
    assert "driving link" not in [t["name"] for t in page.shown()["traces"]]
    page.tab.check("#gantt input[data-f='links']")
    (line, _) = [t for t in page.shown()["traces"] if t["name"] == "driving link"]
    # from the end of energise (Thu 2027-01-14) to the start of ist (Fri 2027-01-15)
    assert line["x"][:2] == [ms(date(2027, 1, 15)), ms(date(2027, 1, 15))]
    assert page.errors == []


def pdf_pages(path: Path) -> list[tuple[float, float]]:
    """Width and height in points of each page of a PDF Chromium wrote."""
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", path.read_bytes())
    return [(float(w), float(h)) for w, h in boxes]


def three_sites() -> Schedule:
    """3 sites of 40 modules each, 560 tasks."""
    return make_large(
        n_sites=3, deployments_per_site=4, modules_per_dep=10, tasks_per_module=4, extra_tasks=0
    )


def test_report_prints_landscape_pages_the_gantt_split_by_site(tmp_path):
    page = write_gantt_html(three_sites(), tmp_path / "gantt.html")
    pdf = tmp_path / "plan.pdf"
    result = runner.invoke(app, ["report", str(page), "--pdf", str(pdf), "--paper", "letter"])
    assert result.exit_code == 0, result.output
    pages = pdf_pages(pdf)
    assert {(round(w), round(h)) for w, h in pages} == {(792, 612)}  # Letter, landscape
    # 41 rows a site: a page each on Letter (39 rows a page: two), beside the tables
    assert len(pages) >= 1 + 3 * 2
    a3 = tmp_path / "a3.pdf"
    assert runner.invoke(app, ["report", str(page), "--pdf", str(a3)]).exit_code == 0
    assert {(round(w), round(h)) for w, h in pdf_pages(a3)} == {(1191, 842)}
    assert len(pdf_pages(a3)) < len(pages)


def test_print_layout_has_no_scrollbar_and_cuts_nothing(browser, tmp_path):
    page = Page(browser, write_gantt_html(three_sites(), tmp_path / "g.html"), width=1511)
    page.tab.emulate_media(media="print")
    page.tab.evaluate("location.hash = '#print=a3'; 0")
    page.tab.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    found = page.tab.evaluate(
        """() => ({pages: document.querySelectorAll('.g-print-page').length,
        wide: [...document.querySelectorAll('#gantt-print .js-plotly-plot')]
          .filter(d => d.getBoundingClientRect().width > 1511).length,
        scrolling: [...document.querySelectorAll('*')].filter(e => ['auto', 'scroll'].includes(
          getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight).length})"""
    )
    assert found["pages"] == 3 * 2 and found["wide"] == 0 and found["scrolling"] == 0
    # the header is the head of a table around the page: repeated on every printed page
    head = page.tab.eval_on_selector(".frame > thead", "e => getComputedStyle(e).display")
    assert head == "table-header-group"
    assert page.errors == []


def test_report_without_chromium_says_what_to_install(tmp_path, monkeypatch):
    page = write_gantt_html(make_fixture(), tmp_path / "gantt.html")
    monkeypatch.setattr(shutil, "which", lambda _: None)
    result = runner.invoke(app, ["report", str(page), "--pdf", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert " ".join(result.output.split()) == (
        "report: printing to PDF needs headless Chromium and none is on the PATH (looked for "
        "chromium, chromium-browser, google-chrome); install it (Debian: apt-get install "
        "chromium) or print the page from a browser"
    )
    assert not (tmp_path / "x.pdf").exists()


def test_comparison_page_fits_1600_px_with_deltas_and_numbers(browser, tmp_path):
    import pandas as pd

    from scheduler.replanning.compare import (
        Comparison,
        ScenarioResult,
        comparison_html,
        comparison_table,
    )

    base = make_fixture()
    late = replanned_fixture()  # s1-power/2/ship two working days later
    name = "a long scenario name: the utility of site s1 slips four weeks <b>"
    changes = pd.DataFrame({"task_id": ["s1-power/2/ship"], "shift_days": [2]})
    results = [ScenarioResult(name, late, changes, "slip")]
    comparison = Comparison(base, results, comparison_table(base, results))
    path = tmp_path / "comparison.html"
    path.write_text(comparison_html(comparison), encoding="utf-8")
    page = Page(browser, path)
    page.tab.evaluate("window.modschedDrawAll()")
    assert page.tab.evaluate("document.documentElement.scrollWidth") <= 1600
    deltas = page.tab.eval_on_selector("#deltas", "d => d.data.map(t => t.text[0])")
    # makespan 10, weighted late days 1, late days 1 in both; one task moved
    assert deltas == ["+0 (10)", "+0 (1)", "+0 (1)", "+1 (1)"]
    heat = page.tab.eval_on_selector("#shifts", "d => d.data[0].texttemplate")
    assert heat == "%{z:+d}"
    assert page.tab.locator("a[href='slip/gantt.html']").count() == 1
    assert page.tab.locator("th", has_text="weighted late days").count() == 2
    assert all(sides == [] for _, sides in page.tab.evaluate(WIDENED))  # drawn once
    assert page.errors == []


def test_why_late_button_shows_the_chain_in_its_deployment(browser, tmp_path):
    """s1-rfs is late through s1-power/1's ist, which waited for a cx crew: the button
    narrows the Gantt to s1-power, where ist is outlined as the driving chain."""
    from scheduler.explain import WhyStep

    schedule = make_fixture()
    why = (WhyStep("s1-power/1/ist", "crew", "crew:cx#1<-s1-power/1/energise", 2),)
    milestones = (replace(schedule.milestones[0], why=why),)
    page = Page(
        browser, write_gantt_html(replace(schedule, milestones=milestones), tmp_path / "g.html")
    )
    page.tab.click("button.why-show")
    shown = page.shown()
    assert shown["rows"] == ["m:s1-rfs", "s:0", "r:0", "r:1"]
    assert page.tab.eval_on_selector("#gantt select[data-f='dep']", "s => s.value") == "0"
    chain = page.trace("why late: driving chain")
    assert [c[0] for c in chain["customdata"]] == ["s1-power/1/ist"]
    assert page.errors == []
