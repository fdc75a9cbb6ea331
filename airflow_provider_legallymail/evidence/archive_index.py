"""The index of an archive root: which archive folders exist, and the SHA-256 of each one's manifest.

Deleting evidence must not pass verification. A folder's own manifest can only say what is in the folder;
the index says which folders there are. It is one small JSON file per archive folder,
``<root>/.index/<digest of the folder's path below the root>.json`` (``folder``, ``kind``, ``id``,
``manifest_sha256``), written by the archive task right after the folder's manifest. One file per folder,
never one shared list: archive tasks on several hosts writing one root (a shared mount, a bucket) never
read-modify-write the same object, so none loses another's entry. Two tasks archiving the *same* id at the
same moment may leave the entry naming the other's manifest; verification then reports it, and the next
run of either task rewrites the entry.

``list_files`` and ``index_problems`` are verification's half: every indexed folder must exist with the
manifest the index names, every manifest must be indexed, every folder with files must have a manifest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_legallymail.evidence.files import is_part, write_bytes
from airflow_provider_legallymail.storage import digest

INDEX_DIR = ".index"
MAX_DEPTH = 64


def relative(root: Any, folder: Any) -> str:
    """``folder``'s path below ``root`` (``signature/<uuid>``)."""
    base, inner = str(root).rstrip("/"), str(folder).rstrip("/")
    if not inner.startswith(base + "/"):
        raise ValueError(f"{folder} is not below the archive root {root}")
    return inner[len(base) + 1 :]


def entry_path(root: Any, rel: str) -> Any:
    return root / INDEX_DIR / f"{digest(rel, length=32)}.json"


def write_entry(root: Any, folder: Any, kind: str, ident: str, manifest_sha256: str) -> bool:
    """Record ``folder`` (below ``root``) with its manifest's hash; False when the entry already says so."""
    rel = relative(root, folder)
    entry = {"folder": rel, "kind": kind, "id": ident, "manifest_sha256": manifest_sha256}
    path = entry_path(root, rel)
    try:
        if path.exists() and json.loads(path.read_text()) == entry:
            return False
    except ValueError:  # unreadable: written again below
        pass
    write_bytes(path, (json.dumps(entry, indent=1, sort_keys=True) + "\n").encode())
    return True


@dataclass
class Listing:
    """Every file below a scope, by folder (fs paths, no protocol), and the index entries that apply to it."""

    scope: str
    folders: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    indexed: dict[str, str] = field(default_factory=dict)  # folder -> manifest sha256 the index records
    errors: list[str] = field(default_factory=list)

    def in_scope(self, folder: str) -> bool:
        return folder == self.scope or folder.startswith(self.scope + "/")


def _read_entries(fs: Any, root: str, names: list[str], listing: Listing) -> None:
    for name in names:
        try:
            with fs.open(f"{root}/{INDEX_DIR}/{name}", "rb") as handle:
                entry = json.loads(handle.read())
            folder, recorded = f"{root}/{entry['folder']}", str(entry["manifest_sha256"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            listing.errors.append(f"{root}/{INDEX_DIR}/{name}: unreadable index entry ({type(exc).__name__})")
            continue
        if listing.in_scope(folder):
            listing.indexed[folder] = recorded


def list_files(scope: Any) -> Listing:
    """The files below ``scope`` and the index entries of every index at, above or below it."""
    fs, base = scope.fs, scope.path.rstrip("/")
    listing = Listing(base)
    roots: dict[str, list[str]] = defaultdict(list)
    for found in fs.find(base):
        folder, _, name = str(found).rpartition("/")
        if folder.rsplit("/", 1)[-1] == INDEX_DIR:
            roots[folder.rsplit("/", 1)[0]].append(name)
        elif not is_part(name):
            listing.folders[folder].add(name)
    above = scope
    for _ in range(MAX_DEPTH):  # the nearest index above the scope (verifying one archive of a root)
        if str(above.parent) == str(above):
            break
        above = above.parent
        if (above / INDEX_DIR).exists():
            ancestor = above.path.rstrip("/")
            roots[ancestor] = [p.rsplit("/", 1)[-1] for p in fs.find(f"{ancestor}/{INDEX_DIR}")]
            break
    for root, names in roots.items():
        _read_entries(fs, root, sorted(names), listing)
    return listing


def index_problems(listing: Listing, manifest_name: str, manifest_sha256: dict[str, str]) -> list[str]:
    """What deletion or tampering the index reveals; ``manifest_sha256``: per folder with a manifest, its hash."""
    problems = []
    for folder, recorded in sorted(listing.indexed.items()):
        actual = manifest_sha256.get(folder)
        if folder not in listing.folders:
            problems.append(f"MISSING archive {folder}: in the index, no longer in the archive")
        elif actual is None:
            problems.append(f"MISSING {folder}/{manifest_name}: the index lists this archive, its manifest is gone")
        elif actual != recorded:
            problems.append(f"CHANGED {folder}/{manifest_name}: index sha256 {recorded}, file sha256 {actual}")
    for folder, names in sorted(listing.folders.items()):
        if folder not in listing.indexed and manifest_name in names:
            problems.append(
                f"UNINDEXED {folder}: not in the archive index (archives written before the index existed are "
                "indexed once with legallymail-verify-archive --adopt ROOT)"
            )
        elif folder not in listing.indexed and manifest_name not in names:
            problems.append(f"NO MANIFEST {folder}: holds {len(names)} file(s) and no {manifest_name}")
    return problems
