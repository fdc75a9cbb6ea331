"""Files of an archive on any ``ObjectStoragePath``: hashed by streaming, and written complete or not at all.

A file is first written to a temporary name and only then given its final name. On a local folder the
temporary file sits beside the final one (``.<name>.<random>.part``) and ``os.replace`` renames it
atomically. On an object store it is staged in a local temporary file and uploaded to the final key in
one write (an object store shows an object once its upload completes). Either way no reader ever sees a
half-written file under the final name, and memory stays flat in the file's size. Local files are private
(0600, new folders 0700) and created without following links (``private_files``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from typing import IO, Any

from airflow_provider_legallymail.private_files import create_new, make_dirs, temporary_name
from airflow_provider_legallymail.topology import local_location

CHUNK = 1024 * 1024
PART_SUFFIX = ".part"
STALE_PART_SECONDS = 600.0
"""A temporary file not written to for this long belongs to no running download (they time out sooner)."""


def to_path(location: Any) -> Any:
    """An ``ObjectStoragePath`` for ``location`` (an ``ObjectStoragePath``, a URL or a local path)."""
    from airflow.sdk import ObjectStoragePath

    return location if isinstance(location, ObjectStoragePath) else ObjectStoragePath(str(location))


def is_local(path: Any) -> bool:
    """True for an ``ObjectStoragePath`` on this host's filesystem (written with ``os`` calls)."""
    return local_location(path)


def sha256_of(path: Any) -> tuple[str, int]:
    """SHA-256 (hex) and size of a stored file, read in chunks.

    Read through the filesystem itself: ``ObjectStoragePath.open`` would also record every file read as
    hook lineage, a list that grows with the size of the archive.
    """
    digest = hashlib.sha256()
    size = 0
    with path.fs.open(path.path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class StagedFile:
    """A temporary local file that hashes what is written to it."""

    def __init__(self, local_path: str, handle: IO[bytes]) -> None:
        self.local_path = local_path
        self._handle = handle
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self._digest.update(chunk)
        self.size += len(chunk)

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


def is_part(name: str) -> bool:
    """True for the temporary name of a file being written (never evidence)."""
    return name.startswith(".") and name.endswith(PART_SUFFIX)


@contextlib.contextmanager
def staged(final: Any) -> Iterator[StagedFile]:
    """A ``StagedFile`` for ``final``; removed on exit unless ``publish`` moved it into place."""
    if is_local(final):
        make_dirs(os.path.dirname(final.path))
        local_path = temporary_name(final.path, PART_SUFFIX)
        staging = StagedFile(local_path, create_new(local_path))
    else:
        fd, local_path = tempfile.mkstemp(prefix="legallymail-evidence-", suffix=PART_SUFFIX)  # mode 0600
        staging = StagedFile(local_path, os.fdopen(fd, "wb"))
    try:
        yield staging
    finally:
        staging.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(local_path)


def publish(staging: StagedFile, final: Any) -> None:
    """Give the staged file its final name: an atomic rename locally, one upload on an object store."""
    staging.close()
    if is_local(final):
        os.replace(staging.local_path, final.path)
    else:
        final.parent.mkdir(parents=True, exist_ok=True)
        final.fs.put_file(staging.local_path, final.path)


def write_bytes(final: Any, data: bytes) -> None:
    """Write a small file (the manifest) under the same rule: complete or not at all."""
    with staged(final) as staging:
        staging.write(data)
        publish(staging, final)


def remove_parts(final: Any) -> int:
    """Remove temporary files an interrupted earlier run left for ``final`` (local folders only).

    Only parts untouched for ``STALE_PART_SECONDS``: a younger one may be another archive writing the same
    file at this moment (two DAGs archiving one contract), whose rename would then fail.
    """
    if not is_local(final):
        return 0
    folder = os.path.dirname(final.path)
    prefix = f".{final.name}."
    cutoff = time.time() - STALE_PART_SECONDS
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(folder):
            if name.startswith(prefix) and name.endswith(PART_SUFFIX):
                part = os.path.join(folder, name)
                with contextlib.suppress(FileNotFoundError):
                    if os.stat(part).st_mtime < cutoff:
                        os.remove(part)
                        removed += 1
    return removed
