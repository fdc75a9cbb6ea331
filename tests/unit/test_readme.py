"""The README is the package's front page (PyPI shows it): one screenful-ish page whose links all resolve."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
REPO_URL = "https://github.com/legallymail/airflow-provider-legallymail/blob/main/"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def links() -> list[str]:
    return LINK.findall(README.read_text(encoding="utf-8"))


def test_the_readme_fits_on_a_page_and_links_into_the_docs() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    docs = [link for link in links() if link.startswith(REPO_URL + "docs/")]
    assert len(docs) >= 20  # every operator, sensor, trigger and notifier has its guide linked


def test_every_link_of_the_readme_resolves_to_a_file_of_the_repository() -> None:
    for link in links():
        assert link.startswith(REPO_URL), f"{link}: link into the repository with its absolute URL (PyPI shows it)"
        path, _, anchor = link.removeprefix(REPO_URL).partition("#")
        target = ROOT / path
        assert target.is_file(), f"{link}: no file {path}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(encoding="utf-8"), re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{link}: {path} has no heading #{anchor}"
