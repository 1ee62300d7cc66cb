"""Draw time of the HTML pages in headless Chromium, as a ratio to the floor.

The floor is a bare page holding plotly.js and one empty figure: what any page of ours
pays to parse the library. Two floors: the full plotly.js bundle of the Python plotly
package (the floor issue 23 set the target against, what the pages embedded before) and
the cartesian bundle the pages embed now (`scheduler.reports.page.PLOTLY_JS`, same
plotly.js version); each page's time is given as a ratio to both. A page is timed from
navigation start until what is on its first screen is drawn (``window.modschedReady``,
page.js), and again until every figure of the page is drawn (``window.modschedDrawAll()``,
what a reader scrolling to the end waits for at most). Each page is loaded ``--runs`` times
in a fresh tab, interleaved with the floors, no network (file:// pages, self-contained);
the medians are reported.

    .venv/bin/python benchmarks/pages.py --make out/pages --shots docs/img --write
    .venv/bin/python benchmarks/pages.py --write \\
        three-sites=out/pages/three-sites/gantt.html atlas-27=out/pages/atlas-27/gantt.html \\
        comparison=out/pages/whatif/comparison.html

``--make`` plans three-sites and atlas-27 with the greedy scheme (fast and the same every
run; the page does not depend on the plan's quality) and runs a what-if of three-sites
with the two scenarios of docs/WHATIF.md (CP-SAT, 20 s, one worker each). Needs the
``dev`` extra (Playwright) and Debian's chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import machine, write_section  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# pages written before page.js (no modschedReady) draw every figure as they load: timed
# until each plotly div has been drawn
DRAWN = """new Promise(done => { const check = () => [...document.querySelectorAll(
  '.plotly-graph-div')].every(d => d._fullLayout) ? done(performance.now())
  : requestAnimationFrame(check); check(); })"""


def floor_page(folder: Path, bundle: str) -> Path:
    """The floor with the ``full`` plotly.js bundle or the ``shipped`` one."""
    from plotly.offline import get_plotlyjs

    from scheduler.reports.page import PLOTLY_JS

    shipped = ROOT / "scheduler" / "reports" / PLOTLY_JS
    js = get_plotlyjs() if bundle == "full" else shipped.read_text(encoding="utf-8")
    path = folder / f"floor-{bundle}.html"
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<script>{js}</script></head><body><div id='f'></div>"
        "<script>window.modschedReady = Plotly.newPlot('f', [], {});"
        "window.modschedDrawAll = () => Promise.resolve();</script></body></html>"
    )
    return path


def time_page(browser, path: Path) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(ms to the first screen drawn, ms to every figure drawn) from navigation start."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    if page.evaluate("window.modschedReady === undefined"):  # a page of an earlier version
        ready = drawn = page.evaluate(DRAWN)
    else:
        ready = page.evaluate("window.modschedReady.then(() => performance.now())")
        drawn = page.evaluate("window.modschedDrawAll().then(() => performance.now())")
    page.close()
    if errors:
        raise RuntimeError(f"{path}: {errors[0]}")
    return ready, drawn


def measure(pages: dict[str, Path], runs: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        floors = {b: floor_page(Path(tmp), b) for b in ("full", "shipped")}
        floors_mb = {b: f.stat().st_size / 1e6 for b, f in floors.items()}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for floor in floors.values():
            time_page(browser, floor)  # warm the disk cache and the browser
        floor_ms: dict[str, list[float]] = {b: [] for b in floors}
        found: dict[str, list[tuple[float, float]]] = {name: [] for name in pages}
        for _ in range(runs):
            for b, floor in floors.items():
                floor_ms[b].append(time_page(browser, floor)[0])
            for name, path in pages.items():
                found[name].append(time_page(browser, path))
        browser.close()
    full = statistics.median(floor_ms["full"])
    shipped = statistics.median(floor_ms["shipped"])
    rows = [
        {
            "page": "floor: full plotly.js (the issue's floor), one empty figure",
            "mb": round(floors_mb["full"], 2),
            "ready_ms": round(full),
            "ready_x": 1.0,
            "ready_xs": round(full / shipped, 2),
        },
        {
            "page": "floor: shipped plotly.js (cartesian), one empty figure",
            "mb": round(floors_mb["shipped"], 2),
            "ready_ms": round(shipped),
            "ready_x": round(shipped / full, 2),
            "ready_xs": 1.0,
        },
    ]
    for name, times in found.items():
        ready = statistics.median(t[0] for t in times)
        drawn = statistics.median(t[1] for t in times)
        rows.append(
            {
                "page": name,
                "mb": round(pages[name].stat().st_size / 1e6, 2),
                "ready_ms": round(ready),
                "ready_x": round(ready / full, 2),
                "ready_xs": round(ready / shipped, 2),
                "all_ms": round(drawn),
                "all_x": round(drawn / full, 2),
                "all_xs": round(drawn / shipped, 2),
            }
        )
    return rows


def screenshots(pages: dict[str, Path], folder: Path) -> None:
    """docs/img: the three-site Gantt from the site work on, and the comparison page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1600, "height": 1100})
        tab.goto(pages["three-sites"].resolve().as_uri())
        tab.evaluate("window.modschedReady")
        tab.click("#gantt button[data-w='site']")
        tab.evaluate("document.getElementById('program').scrollIntoView()")
        tab.wait_for_timeout(500)
        tab.screenshot(path=folder / "gantt.png")
        tab.goto(pages["comparison"].resolve().as_uri())
        tab.evaluate("window.modschedReady.then(() => window.modschedDrawAll())")
        tab.wait_for_timeout(500)
        tab.screenshot(path=folder / "comparison.png")
        browser.close()


def make(out: Path) -> dict[str, Path]:
    from scheduler.pipeline import plan_project, write_outputs
    from scheduler.replanning.compare import compare, write_comparison
    from scheduler.solvers.budget import SolveOptions

    pages = {}
    for name in ("three-sites", "atlas-27"):
        started = time.perf_counter()
        outcome = plan_project(ROOT / "projects" / f"{name}.yaml", solver="greedy")
        write_outputs(outcome.schedule, out / name)
        pages[name] = out / name / "gantt.html"
        print(f"{name}: planned and written in {time.perf_counter() - started:.1f} s")
    comparison = compare(
        ROOT / "projects" / "three-sites.yaml",
        out / "three-sites" / "schedule.json",
        [ROOT / "projects" / "scenarios" / s for s in ("power-slip.yaml", "late-generator.yaml")],
        options=SolveOptions(time_limit=20, workers=1),
        processes=1,
    )
    write_comparison(comparison, out / "whatif")
    pages["comparison"] = out / "whatif" / "comparison.html"
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="NAME=PATH of a page")
    parser.add_argument("--make", type=Path, help="plan the examples and write their pages here")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    parser.add_argument("--shots", type=Path, help="write gantt.png and comparison.png here")
    args = parser.parse_args()
    pages = make(args.make) if args.make else {}
    for item in args.pages:
        name, _, path = item.partition("=")
        pages[name] = Path(path)
    if args.shots:
        screenshots(pages, args.shots)
    load_before = os.getloadavg()[0]
    rows = measure(pages, args.runs)
    load_after = os.getloadavg()[0]
    lines = [
        "| page | size MB | first screen drawn, ms | x full floor | x shipped floor "
        "| every figure drawn, ms | x full floor | x shipped floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['page']} | {r.get('mb', '')} | {r['ready_ms']} | {r['ready_x']} | "
            f"{r['ready_xs']} | {r.get('all_ms', '')} | {r.get('all_x', '')} | "
            f"{r.get('all_xs', '')} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write:
        body = (
            f"## Pages: draw time in headless Chromium\n\n{date.today()} · {machine()} · "
            f"Chromium at {CHROMIUM}, viewport 1600x1000, median of {args.runs} loads each, "
            f"interleaved with the two floors; 1-minute load average {load_before:.1f} before, "
            f"{load_after:.1f} after (the machine is shared).\n\n`.venv/bin/python "
            "benchmarks/pages.py --make out/pages --shots docs/img --write` (the pages: see "
            'the script\'s docstring). "x full floor": against a bare page with the full '
            "plotly.js bundle and one empty figure, the floor issue 23 set the 1.3x target "
            'against; "x shipped floor": against the same bare page with the cartesian '
            "bundle the pages embed now (`scheduler/reports/vendor/`).\n\n" + table
        )
        write_section("pages", body, rows)


if __name__ == "__main__":
    main()
