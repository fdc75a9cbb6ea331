"""The JSON manifest beside an archive's files, and ``verify_archive``: the check an auditor runs later.

``manifest.json`` records what was archived for one email, signature request or SMS: ids, recipients or
signers, statuses, timestamps, and per file its source URL (without any token), SHA-256, size, the API's
hash and where it came from, and when it was retrieved. ``verify_archive`` re-hashes every file listed
and reports files missing or changed since, and files in the folder the manifest does not list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_legallymail import __version__
from airflow_provider_legallymail.evidence.collect import EvidenceItem
from airflow_provider_legallymail.evidence.files import is_part, sha256_of, to_path, write_bytes

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
PROVIDER = "airflow-provider-legallymail"
NO_HASH_NOTE = "the API publishes no hash for this file: sha256 was computed when it was retrieved"


def build_manifest(item: EvidenceItem, files: list[dict[str, Any]], api_origin: str, now: str) -> dict[str, Any]:
    return {
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
    """What ``verify_archive`` found; ``ok`` is True when every listed file is present and unchanged."""

    archives: list[str] = field(default_factory=list)
    checks: list[FileCheck] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[FileCheck]:
        return [c for c in self.checks if c.state != "ok"]

    @property
    def ok(self) -> bool:
        return bool(self.archives) and not self.problems and not self.errors

    def to_text(self) -> str:
        lines = [c.describe() for c in self.problems]
        lines += [f"UNLISTED {name}: in the folder, not in its manifest" for name in self.unlisted]
        lines += [f"ERROR {error}" for error in self.errors]
        verdict = "OK" if self.ok else "FAILED"
        summary = (
            f"{verdict}: {len(self.archives)} archive(s), {len(self.checks)} file(s) checked, "
            f"{len(self.problems)} problem(s), {len(self.unlisted)} unlisted"
        )
        return "\n".join([*lines, summary])


def _manifests(root: Any) -> list[Any]:
    if root.name == MANIFEST_NAME:
        return [root]
    if not root.exists():
        return []
    direct = root / MANIFEST_NAME
    if direct.exists():
        return [direct]
    return sorted((p for p in root.rglob(MANIFEST_NAME)), key=str)


def _verify_one(manifest_path: Any, report: VerifyReport) -> None:
    folder = manifest_path.parent
    report.archives.append(str(folder))
    try:
        manifest = json.loads(manifest_path.read_text())
        listed = {str(f["name"]): f.get("sha256") for f in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        report.errors.append(f"{manifest_path}: unreadable manifest ({type(exc).__name__})")
        return
    for name, recorded in listed.items():
        path = folder / name
        if not path.exists():
            report.checks.append(FileCheck(str(folder), name, "missing", recorded))
            continue
        actual, _ = sha256_of(path)
        state = "ok" if actual == recorded else "changed"
        report.checks.append(FileCheck(str(folder), name, state, recorded, actual))
    for child in folder.iterdir():
        if child.is_file() and child.name not in listed and child.name != MANIFEST_NAME and not is_part(child.name):
            report.unlisted.append(f"{folder}/{child.name}")


def verify_archive(path: Any) -> VerifyReport:
    """Re-check an archive against its manifest(s): ``path`` is a manifest, its folder, or any folder above.

    Every ``manifest.json`` found under ``path`` is checked; an empty result (no manifest) is not ``ok``.
    """
    root = to_path(path)
    report = VerifyReport()
    for manifest_path in _manifests(root):
        _verify_one(manifest_path, report)
    if not report.archives:
        report.errors.append(f"no {MANIFEST_NAME} found at or under {root}")
    return report
