"""No code example on the docs site is typed by hand: each is included from a file a test runs.

A page shows Python (or configuration) only through ``literalinclude`` of a file under ``docs/snippets/`` or
``example_dags/``, between ``# [START name]`` / ``# [END name]`` markers that exist; every snippet file is run
by a test under ``tests/``. Shell commands (```` ```bash ````, ```` ```console ````) may be typed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.site import DOCS, ROOT

pytestmark = pytest.mark.docs

PAGES = sorted(path for path in DOCS.rglob("*.md") if "_build" not in path.parts)
SNIPPETS = sorted(path for path in (DOCS / "snippets").iterdir() if path.is_file() and path.suffix != ".pyc")
SHELL = {"bash", "console", "shell", "sh", "text"}
INCLUDE = re.compile(r"^```+\{literalinclude\}\s+(\S+)\n((?::[^\n]*\n)*)", re.M)
OPTION = re.compile(r'^:(start-after|end-before):\s*"?([^"\n]*)"?\s*$', re.M)
TESTS = [path for path in (ROOT / "tests").rglob("*.py")]


def _relative(page: Path) -> str:
    return str(page.relative_to(DOCS))


def typed_blocks(text: str) -> list[str]:
    """The opening line of every fenced block that holds typed code: any language but a shell's, or none."""
    typed, closing = [], ""
    for line in text.splitlines():
        fence = re.match(r"^(`{3,}|:{3,})(.*)$", line.strip())
        if fence is None:
            continue
        if closing:
            if fence.group(1) == closing and not fence.group(2).strip():
                closing = ""
            continue
        closing = fence.group(1)
        info = fence.group(2).strip()
        directive = re.match(r"^\{([\w-]+)\}\s*(\S*)", info)
        if directive is None:
            language = info.split()[0] if info else ""
        elif directive.group(1) in ("code-block", "code", "sourcecode"):
            language = directive.group(2)
        else:
            continue  # literalinclude, toctree, glossary, eval-rst, admonitions: not typed code
        if language not in SHELL:
            typed.append(line.strip())
    return typed


@pytest.mark.parametrize("page", PAGES, ids=_relative)
def test_no_page_has_typed_code(page: Path) -> None:
    typed = typed_blocks(page.read_text(encoding="utf-8"))
    assert not typed, f"{_relative(page)} has hand-typed code blocks {typed}: include them from a tested file"


def test_the_typed_code_check_tells_code_from_commands_and_directives() -> None:
    commands = ["```bash", "make test", "```", "```{literalinclude} ../snippets/x.py", "```"]
    page = "\n".join([*commands, "```", "x = 1", "```", "```{code-block} ini", "[a]", "```"])
    assert typed_blocks(page) == ["```", "```{code-block} ini"]


@pytest.mark.parametrize("page", PAGES, ids=_relative)
def test_every_include_names_a_tested_file_and_markers_it_has(page: Path) -> None:
    for target, options in INCLUDE.findall(page.read_text(encoding="utf-8")):
        source = (page.parent / target).resolve()
        assert source.is_file(), f"{_relative(page)} includes {target}, which does not exist"
        assert source.is_relative_to(DOCS / "snippets") or source.is_relative_to(ROOT / "example_dags"), (
            f"{_relative(page)} includes {target}: include from docs/snippets/ or example_dags/ only"
        )
        text = source.read_text(encoding="utf-8")
        for option, marker in OPTION.findall(options):
            assert marker in text, f"{_relative(page)}: {target} has no {option} marker {marker!r}"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda path: path.name)
def test_every_snippet_is_run_by_a_test(snippet: Path) -> None:
    if snippet.suffix == ".py":
        call = re.compile(rf"load_snippet\(\s*[\"']{re.escape(snippet.stem)}[\"']")
    else:
        call = re.compile(rf"snippet_text\(\s*[\"']{re.escape(snippet.name)}[\"']")
    runners = [test.name for test in TESTS if call.search(test.read_text(encoding="utf-8"))]
    assert runners, f"docs/snippets/{snippet.name} is not loaded by any test (load_snippet / snippet_text)"


def test_every_snippet_marker_is_paired() -> None:
    for snippet in SNIPPETS:
        if snippet.suffix != ".py":
            continue
        text = snippet.read_text(encoding="utf-8")
        starts = re.findall(r"# \[START (\w+)\]", text)
        ends = re.findall(r"# \[END (\w+)\]", text)
        assert starts == ends, f"{snippet.name}: START markers {starts} and END markers {ends} differ"
