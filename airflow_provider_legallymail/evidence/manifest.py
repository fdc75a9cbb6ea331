"""The JSON manifest beside an archive's files, and ``verify_archive``: the check an auditor runs later.

``manifest.json`` records what was archived for one email, signature request or SMS: ids, recipients or
signers, statuses, timestamps, and per file its source URL (without any token), SHA-256, size, the API's
hash and where it came from, and when it was retrieved. An archive made from what a wait or an event
observed (``evidence.observed``) also records ``source``: ``{"from": "wait" / "event", "observed_at"}``.
``verify_archive`` re-hashes every file listed and reports files missing or changed since, files in the
folder the manifest does not list, and what the archive root's index (``archive_index``) shows deleted:
archives, manifests, or manifests changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_legallymail import __version__
from airflow_provider_legallymail.evidence.archive_index import Listing, index_problems, list_files, write_entry
from airflow_provider_legallymail.evidence.collect import EvidenceItem
from airflow_provider_legallymail.evidence.files import sha256_of, to_path, write_bytes

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
PROVIDER = "airflow-provider-legallymail"
NO_HASH_NOTE = "the API publishes no hash for this file: sha256 was computed when it was retrieved"


def build_manifest(item: EvidenceItem, files: list[dict[str, Any]], api_origin: str, now: str) -> dict[str, Any]:
    source = {"source": item.source} if item.source is not None else {}  # from what a wait or event observed
    return {
        **source,
        "manifest_version": MANIFEST_VERSION,
        "provider": PROVIDER,
        "provider_version": __version__,
        "api": api_origin,
        "kind": item.kind,
        "id": item.id,
        "status": item.status,
        "statuses": item.statuses(),
        "facts": item.facts,
        "files": files,
        "written_at": now,
    }


def read_manifest(folder: Any) -> dict[str, Any] | None:
    path = to_path(folder) / MANIFEST_NAME
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else None


def write_manifest(folder: Any, manifest: dict[str, Any], previous: dict[str, Any] | None) -> bool:
    """Write ``manifest`` unless the one in place says the same (apart from when it was written)."""
    if previous is not None and {**previous, "written_at": None} == {**manifest, "written_at": None}:
        return False
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_bytes(to_path(folder) / MANIFEST_NAME, text.encode())
    return True


# -- verification ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileCheck:
    """One listed file: ``ok``, ``missing`` or ``changed`` (with the recorded and the current hash)."""

    archive: str
    name: str
    state: str
    recorded_sha256: str | None
    actual_sha256: str | None = None

    def describe(self) -> str:
        where = f"{self.archive}/{self.name}"
        if self.state == "changed":
            return f"CHANGED {where}: manifest sha256 {self.recorded_sha256}, file sha256 {self.actual_sha256}"
        return f"{self.state.upper()} {where}"


@dataclass
class VerifyReport:
    """What ``verify_archive`` found; ``ok``: every archive is indexed and whole, every file listed and unchanged."""

    archives: list[str] = field(default_factory=list)
    checks: list[FileCheck] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    index: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[FileCheck]:
        return [c for c in self.checks if c.state != "ok"]

    @property
    def ok(self) -> bool:
        return bool(self.archives) and not (self.problems or self.unlisted or self.index or self.errors)

    def to_text(self) -> str:
        lines = [c.describe() for c in self.problems]
        lines += [f"UNLISTED {name}: in the folder, not in its manifest" for name in self.unlisted]
        lines += self.index
        lines += [f"ERROR {error}" for error in self.errors]
        verdict = "OK" if self.ok else "FAILED"
        summary = (
            f"{verdict}: {len(self.archives)} archive(s), {len(self.checks)} file(s) checked, "
            f"{len(self.problems)} problem(s), {len(self.unlisted)} unlisted, {len(self.index)} index problem(s)"
        )
        return "\n".join([*lines, summary])


def _at(scope: Any, listing: Listing, folder: str) -> Any:
    return scope if folder == listing.scope else scope / folder[len(listing.scope) + 1 :]


def _verify_one(manifest_path: Any, names: set[str], report: VerifyReport) -> str:
    """Check one archive folder against its manifest; the manifest's SHA-256."""
    folder = manifest_path.parent
    report.archives.append(str(folder))
    manifest_sha256, _ = sha256_of(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text())
        listed = {str(f["name"]): f.get("sha256") for f in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        report.errors.append(f"{manifest_path}: unreadable manifest ({type(exc).__name__})")
        return manifest_sha256
    for name, recorded in listed.items():
        path = folder / name
        if name not in names:
            report.checks.append(FileCheck(str(folder), name, "missing", recorded))
            continue
        actual, _ = sha256_of(path)
        state = "ok" if actual == recorded else "changed"
        report.checks.append(FileCheck(str(folder), name, state, recorded, actual))
    report.unlisted += [f"{folder}/{name}" for name in sorted(names - set(listed) - {MANIFEST_NAME})]
    return manifest_sha256


def verify_archive(path: Any) -> VerifyReport:
    """Re-check an archive: ``path`` is a manifest, an archive folder, or any folder above (the root).

    Every ``manifest.json`` found under ``path`` is checked: every file it lists is there with its SHA-256,
    every file in its folder is listed. The archive index (``archive_index``) at, above or below ``path``
    is checked both ways: every indexed archive is there with the manifest it recorded, every manifest is
    indexed, every folder holding files has a manifest. No manifest at all is not ``ok``.
    """
    target = to_path(path)
    scope = target.parent if target.name == MANIFEST_NAME else target
    report = VerifyReport()
    listing = list_files(scope)
    hashes = {
        folder: _verify_one(_at(scope, listing, folder) / MANIFEST_NAME, names, report)
        for folder, names in sorted(listing.folders.items())
        if MANIFEST_NAME in names
    }
    report.index = index_problems(listing, MANIFEST_NAME, hashes)
    report.errors += listing.errors
    if not report.archives:
        report.errors.append(f"no {MANIFEST_NAME} found at or under {target}")
    return report


def adopt_unindexed(root: Any) -> list[str]:
    """Index the archives under ``root`` that no index lists (written before the index existed), as they
    are now; the folders indexed."""
    root = to_path(root)
    listing = list_files(root)
    adopted = []
    for folder, names in sorted(listing.folders.items()):
        if MANIFEST_NAME in names and folder not in listing.indexed and folder != listing.scope:
            manifest_path = _at(root, listing, folder) / MANIFEST_NAME
            manifest = read_manifest(manifest_path.parent) or {}
            sha256, _ = sha256_of(manifest_path)
            write_entry(root, manifest_path.parent, str(manifest.get("kind")), str(manifest.get("id")), sha256)
            adopted.append(str(manifest_path.parent))
    return adopted
