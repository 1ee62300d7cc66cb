"""A page of ours (gantt.html, comparison.html) printed to PDF by headless Chromium.

The page lays itself out for print when opened as ``PAGE#print=a3|letter|tabloid``
(page.js): landscape pages of that size, the header on every page, the Gantt split by
site. Chromium is found on the PATH (``chromium``, ``chromium-browser``, ``google-chrome``);
none there is a `ReportError` saying what to install.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from scheduler.io import write_bytes

PAPERS = ("a3", "letter", "tabloid")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
#: virtual time the page gets to draw before it is printed (the browser fast-forwards it)
DRAW_BUDGET_MS = 120_000


class ReportError(Exception):
    """The PDF cannot be made; the message says why and what to do."""


def find_chromium() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def print_pdf(page: Path, pdf: Path, paper: str = "a3", timeout: float = 300) -> Path:
    """Print ``page`` to ``pdf`` (written whole or not at all) on landscape ``paper``."""
    if paper not in PAPERS:
        raise ReportError(f"paper {paper!r} is not one of {', '.join(PAPERS)}")
    if not page.is_file():
        raise ReportError(f"{page}: no such page (give a gantt.html or comparison.html)")
    browser = find_chromium()
    if browser is None:
        raise ReportError(
            "printing to PDF needs headless Chromium and none is on the PATH (looked for "
            f"{', '.join(BROWSERS)}); install it (Debian: apt-get install chromium) or "
            "print the page from a browser"
        )
    with tempfile.TemporaryDirectory(prefix="modsched-pdf-") as tmp:
        staged = Path(tmp) / "out.pdf"
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # CI and containers run as root, where the sandbox refuses
            "--disable-gpu",
            f"--user-data-dir={tmp}/profile",
            "--no-pdf-header-footer",
            f"--virtual-time-budget={DRAW_BUDGET_MS}",
            f"--print-to-pdf={staged}",
            page.resolve().as_uri() + f"#print={paper}",
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise ReportError(f"{browser} did not print {page} within {timeout:.0f} s") from e
        if done.returncode != 0 or not staged.is_file() or staged.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ReportError(f"{browser} could not print {page}: {last}")
        write_bytes(pdf, staged.read_bytes())
    return pdf
