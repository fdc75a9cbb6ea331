"""The built site in a real browser (headless Chromium): the start page, the search and a guide render."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docs.site import built_site, served

pytestmark = pytest.mark.docs


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("headless Chromium is missing: `make docs` installs it from the OS packages")
    return found


def rendered(url: str, screenshot: Path | None = None) -> str:
    """The DOM after the page's scripts ran (the search fills its results from JavaScript)."""
    common = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000"]
    if screenshot is not None:
        subprocess.run(
            [*common, f"--screenshot={screenshot}", "--window-size=1280,900", url],
            check=True,
            capture_output=True,
            timeout=120,
        )
    done = subprocess.run([*common, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120)
    return done.stdout


def test_the_start_page_renders_with_its_navigation(tmp_path: Path) -> None:
    with served(built_site()) as base:
        dom = rendered(f"{base}/index.html", screenshot=tmp_path / "start.png")
    assert "LegallyMail provider for Apache Airflow" in dom
    assert 'href="glossary.html"' in dom  # the navigation lists the guides
    assert (tmp_path / "start.png").stat().st_size > 10_000  # a page was painted, not a blank window


def test_the_search_finds_the_glossary_entry_for_acta() -> None:
    with served(built_site()) as base:
        dom = rendered(f"{base}/search.html?q=acta")
    assert 'id="search-results"' in dom
    results = dom.split('id="search-results"', 1)[1]
    assert 'href="glossary.html#term-acta"' in results  # the term itself, found by the page's JavaScript


def test_a_guide_renders() -> None:
    with served(built_site()) as base:
        dom = rendered(f"{base}/glossary.html")
    assert "audit trail of a signature request" in dom
