"""Archive the evidence of many ids: read each one's facts, stream its files a few at a time, verify, record.

For each target: one API call (``GET /api/email`` / ``/api/signature`` / ``/api/sms``), none for one that
what a wait or an event observed describes (``observed``, built by ``evidence.observed``), then its files,
downloaded on up to ``max_active`` threads (one HTTP session each) while the next targets are read, then
its ``manifest.json`` once all its files are in place, then its entry in the root's index
(``archive_index``). A folder whose manifest names another id is never written to. A file already
archived with the right hash is not downloaded again; one whose hash differs from the API's (or from the
manifest's, for files without a published hash) fails the run and is never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from airflow_provider_legallymail.bounded import HookPool, run_bounded
from airflow_provider_legallymail.contracts import ArchiveSummary
from airflow_provider_legallymail.evidence.archive_index import write_entry
from airflow_provider_legallymail.evidence.collect import (
    EvidenceFile,
    EvidenceItem,
    collect_email,
    collect_signature,
    collect_sms,
)
from airflow_provider_legallymail.evidence.files import publish, remove_parts, sha256_of, staged
from airflow_provider_legallymail.evidence.manifest import (
    MANIFEST_NAME,
    NO_HASH_NOTE,
    build_manifest,
    read_manifest,
    write_manifest,
)
from airflow_provider_legallymail.evidence.targets import Target
from airflow_provider_legallymail.exceptions import EvidenceIntegrityError, MailApiError

if TYPE_CHECKING:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

log = logging.getLogger(__name__)


@dataclass
class ItemResult:
    """One target archived: where, its statuses, and each file's hash; what this run downloaded."""

    item: EvidenceItem
    folder: Any
    previous: dict[str, Any] | None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    downloaded: int = 0
    present: int = 0
    failed: bool = False
    remaining: int = 0
    final_summary: ArchiveSummary | None = None

    def recorded(self, name: str) -> dict[str, Any]:
        for entry in (self.previous or {}).get("files", []):
            if isinstance(entry, dict) and entry.get("name") == name:
                return entry
        return {}

    def summary(self) -> ArchiveSummary:
        """What the task returns and announces for this id (small: the manifest has the rest)."""
        return {
            "kind": self.item.kind,
            "id": self.item.id,
            "status": self.item.status,
            "statuses": self.item.statuses(),
            "location": str(self.folder),
            "manifest": str(self.folder / MANIFEST_NAME),
            "files": {name: entry["sha256"] for name, entry in self.files.items()},
            "downloaded": self.downloaded,
            "already_present": self.present,
        }

    def release(self) -> None:
        """Once the manifest is written, keep only what ``summary`` needs: memory stays flat in N."""
        self.final_summary = self.summary()
        self.files, self.previous = {}, None
        self.item = replace(self.item, facts={}, files=[])


def fetch(hook: LegallyMailHook, target: Target) -> EvidenceItem:
    """One API call: the facts and file URLs of ``target``."""
    secret = hook.settings.token
    if target.kind == "email":
        return collect_email(hook.get_email(target.id), secret)
    if target.kind == "signature":
        return collect_signature(hook.get_signature(target.id), secret)
    return collect_sms(hook.get_sms(target.id), secret)


def _mismatch(item: EvidenceItem, f: EvidenceFile, actual: str, final: Any) -> EvidenceIntegrityError:
    whose = f"API's {f.hash_field}" if item.source is None else f"{f.hash_field} the {item.source['from']} observed"
    return EvidenceIntegrityError(
        f"{item.kind} {item.id}: {f.name} ({f.source_url}): the downloaded file's SHA-256 is {actual}, but the "
        f"{whose} is {f.expected_sha256}; nothing was written under {final}"
    )


def _changed(
    item: EvidenceItem, name: str, final: Any, actual: str, expected: str, source: str
) -> EvidenceIntegrityError:
    return EvidenceIntegrityError(
        f"{item.kind} {item.id}: {name} is already archived at {final} with SHA-256 {actual}, but {source} is "
        f"{expected}: it changed after archiving and is left untouched (move it away to archive it again)"
    )


class Archiver:
    """Archive targets under ``folder_for(target)`` with ``hook``'s connection, ``max_active`` files at a time."""

    def __init__(
        self,
        hook: LegallyMailHook,
        folder_for: Callable[[Target], Any],
        *,
        root: Any,
        max_active: int = 4,
        now: Callable[[], str],
        on_item: Callable[[EvidenceItem], None] = lambda item: None,
        observed: dict[Target, EvidenceItem] | None = None,
    ) -> None:
        self.hook = hook
        self.folder_for = folder_for
        self.root = root
        self.max_active = max_active
        self.now = now
        self.on_item = on_item
        self.observed = observed or {}  # targets described by what a wait or an event observed: no API call
        self._hooks = HookPool(hook)
        self._api = hook.settings.origin

    def run(self, targets: Iterable[Target]) -> list[ItemResult]:
        results: list[ItemResult] = []
        errors: list[BaseException] = []
        jobs = self._jobs(targets, results, lambda: bool(errors))
        for done in run_bounded(jobs, self._archive_file, self.max_active, stop=lambda: bool(errors)):
            result, f = done.item
            if done.error is not None:
                errors.append(done.error)
                result.failed = True
            else:
                entry, downloaded = done.result
                result.files[f.name] = entry
                result.downloaded += downloaded
                result.present += not downloaded
            result.remaining -= 1
            if result.remaining == 0 and not result.failed:
                self._finish(result)
        if errors:
            raise _combined(errors)
        return results

    # -- steps -------------------------------------------------------------------------------------
    def _jobs(
        self, targets: Iterable[Target], results: list[ItemResult], stop: Callable[[], bool]
    ) -> Iterator[tuple[ItemResult, EvidenceFile]]:
        for target in targets:
            if stop():
                return
            item = self.observed.pop(target, None) or fetch(self.hook, target)
            self.on_item(item)
            folder = self.folder_for(target)
            previous = read_manifest(folder)
            if previous is not None and (previous.get("kind"), previous.get("id")) != (item.kind, item.id):
                raise _shared(item, folder, previous)
            result = ItemResult(item, folder, previous, remaining=len(item.files))
            results.append(result)
            if not item.files:
                self._finish(result)
            for f in item.files:
                yield result, f

    def _archive_file(self, job: tuple[ItemResult, EvidenceFile]) -> tuple[dict[str, Any], bool]:
        result, f = job
        final = result.folder / f.name
        recorded = result.recorded(f.name)
        if final.exists():
            actual, size = sha256_of(final)
            if f.expected_sha256 is not None and actual != f.expected_sha256:
                source = f"the API's {f.hash_field}"
                raise _changed(result.item, f.name, final, actual, f.expected_sha256, source)
            if f.expected_sha256 is None and recorded.get("sha256") not in (None, actual):
                raise _changed(result.item, f.name, final, actual, str(recorded["sha256"]), "the manifest's sha256")
            return self._entry(f, actual, size, recorded.get("retrieved_at")), False
        remove_parts(final)
        with staged(final) as staging:
            self._hooks.get().download_to(f.url, staging.write)
            if f.expected_sha256 is not None and staging.sha256 != f.expected_sha256:
                raise _mismatch(result.item, f, staging.sha256, final)
            publish(staging, final)
        log.info("Archived %s (%d bytes, sha256 %s)", final, staging.size, staging.sha256)
        return self._entry(f, staging.sha256, staging.size, self.now()), True

    def _entry(self, f: EvidenceFile, sha256: str, size: int, retrieved_at: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": f.name,
            "kind": f.kind,
            "label": f.label,
            "party": f.party,
            "stage": f.stage,
            "confirmed_at": f.confirmed_at,
            "source_url": f.source_url,
            "sha256": sha256,
            "size": size,
            "api_hash_field": f.hash_field,
            "api_sha256": f.expected_sha256,
            "verified_against_api": f.expected_sha256 is not None,
            "retrieved_at": retrieved_at,
        }
        if f.expected_sha256 is None:
            entry["note"] = NO_HASH_NOTE
        return entry

    def _finish(self, result: ItemResult) -> None:
        files = [result.files[f.name] for f in result.item.files]
        listed = {entry["name"] for entry in files}
        for entry in (result.previous or {}).get("files", []):  # archived earlier, no longer listed by the API
            if isinstance(entry, dict) and entry.get("name") not in listed:
                files.append({**entry, "listed_by_api": False})
        manifest = build_manifest(result.item, files, self._api, self.now())
        if write_manifest(result.folder, manifest, result.previous):
            log.info("Wrote %s", result.folder / MANIFEST_NAME)
        manifest_sha256, _ = sha256_of(result.folder / MANIFEST_NAME)
        write_entry(self.root, result.folder, result.item.kind, result.item.id, manifest_sha256)
        result.release()


def _shared(item: EvidenceItem, folder: Any, previous: dict[str, Any]) -> EvidenceIntegrityError:
    return EvidenceIntegrityError(
        f"{item.kind} {item.id}: its folder {folder} already holds the archive of {previous.get('kind')} "
        f"{previous.get('id')}: distinct ids never share a folder (does the layout name the id?); nothing was written"
    )


def _combined(errors: list[BaseException]) -> BaseException:
    if len(errors) == 1:
        return errors[0]
    for extra in errors[1:]:
        log.error("Also failed: %s", extra)
    if all(isinstance(e, EvidenceIntegrityError) for e in errors):
        return EvidenceIntegrityError(f"{len(errors)} files failed verification: " + "; ".join(map(str, errors)))
    first = errors[0]
    return first if isinstance(first, MailApiError) else MailApiError(f"{len(errors)} downloads failed: {first}")
