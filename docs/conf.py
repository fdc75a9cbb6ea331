"""Sphinx configuration of the provider's docs site (``make docs``; pages in MyST Markdown)."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import TypedDict, is_typeddict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airflow_provider_legallymail import __version__  # noqa: E402

project = "airflow-provider-legallymail"
author = "The airflow-provider-legallymail authors"
release = version = __version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"LegallyMail provider {version}"
html_static_path: list[str] = []
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}
nitpicky = False
suppress_warnings: list[str] = []


# The API reference shows public classes only: a private base class (``_LegallyMailSendOperator``) is shown as
# the public class it derives from, and the parameters its docstring lists are added to each subclass's.
def _public_bases(app: object, name: str, obj: object, options: object, bases: list[type]) -> None:
    if is_typeddict(obj):
        bases[:] = [TypedDict]  # type: ignore[list-item]
        return
    todo, public = list(bases), []
    while todo:
        base = todo.pop(0)
        if base.__name__.startswith("_") and base.__module__.startswith("airflow_provider_legallymail"):
            todo[:0] = base.__bases__
        elif base not in public:
            public.append(base)
    bases[:] = public


def _private_base_params(app: object, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    if what != "class" or not isinstance(obj, type):
        return
    documented = {match.group(1) for match in map(_PARAM.match, lines) if match}
    for base in obj.__mro__[1:]:
        if base.__name__.startswith("_") and base.__module__.startswith("airflow_provider_legallymail"):
            for param, block in _param_blocks(inspect.cleandoc(base.__doc__ or "").splitlines()):
                if param not in documented:
                    documented.add(param)
                    lines.extend(["", *block] if lines and lines[-1] and not _PARAM.match(lines[-1]) else block)


_PARAM = re.compile(r":param (\w+):")


def _param_blocks(doc: list[str]) -> list[tuple[str, list[str]]]:
    """Each ``:param name:`` of a docstring with its continuation lines."""
    blocks: list[tuple[str, list[str]]] = []
    for line in doc:
        match = _PARAM.match(line)
        if match:
            blocks.append((match.group(1), [line]))
        elif blocks and line.startswith(" "):
            blocks[-1][1].append(line)
        elif blocks and line.strip():
            break
    return blocks


def setup(app: object) -> None:
    app.connect("autodoc-process-bases", _public_bases)  # type: ignore[attr-defined]
    app.connect("autodoc-process-docstring", _private_base_params)  # type: ignore[attr-defined]
