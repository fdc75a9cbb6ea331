"""Every internal link and anchor of the built site resolves."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.docs.site import built_site

pytestmark = pytest.mark.docs


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("name"):
            self.ids.add(str(values["name"]))
        for attribute in ("href", "src"):
            if values.get(attribute) and not (tag == "link" and values.get("rel") in ("preconnect", "dns-prefetch")):
                self.links.append(str(values[attribute]))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def broken_links(root: Path) -> list[str]:
    """``page: link (why)`` for each internal link whose file or anchor does not exist."""
    pages = {path: _parse(path) for path in sorted(root.rglob("*.html"))}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue  # external: not checked here (no network)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(root)}: {link}"
            if not target.exists():
                shown = target.relative_to(root) if target.is_relative_to(root) else target
                broken.append(f"{where} (no file {shown})")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no anchor #{parts.fragment})")
    return broken


def test_every_internal_link_and_anchor_of_the_built_site_resolves() -> None:
    root = built_site()
    assert len(list(root.rglob("*.html"))) > 5
    assert broken_links(root) == []


def test_the_checker_finds_a_missing_page_and_a_missing_anchor(tmp_path: Path) -> None:
    page = '<p id="here"></p><a href="b.html">b</a><a href="#gone">x</a><a href="#here">y</a>'
    (tmp_path / "a.html").write_text(page)
    (tmp_path / "c.html").write_text('<a href="a.html#here">ok</a><a href="a.html#nope">no</a>')
    assert broken_links(tmp_path) == [
        "a.html: b.html (no file b.html)",
        "a.html: #gone (no anchor #gone)",
        "c.html: a.html#nope (no anchor #nope)",
    ]
