"""Files and folders on this host that only the provider's own user can read or change.

Every state file the provider writes on a local disk (ledgers, deadlines, shards, sent index, notifier
claims, event-trigger state, budget files, contact snapshots, evidence) is created with mode 0600, every
folder it creates with 0700; folders that already exist keep their mode. Files are opened without following
symbolic links (``O_NOFOLLOW``), created exclusively (``O_CREAT | O_EXCL``) under a temporary name and
renamed over the final name: a link planted where a file goes is replaced, never written through.

``private_dir`` checks a state folder the provider keeps state in directly (the request budget's): it must
be a real folder (not a link) owned by this user with no group or other permission bits. Objects stores
(``s3://`` ...) have no file modes: there the bucket's policy decides who reads.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from typing import IO, Any

from airflow_provider_legallymail.topology import local_location

FILE_MODE = 0o600
DIR_MODE = 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UnsafeStateError(PermissionError):
    """A state folder or file is not this user's own and private; the message names the path and why."""


def current_uid() -> int:
    return getattr(os, "getuid", lambda: 0)()


def unsafe_reason(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` (which exists) is no private folder of this user; None when it is one."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if info.st_uid != current_uid():
        return f"it is owned by uid {info.st_uid}, not by this user (uid {current_uid()})"
    if info.st_mode & 0o077:
        return f"its mode is {stat.S_IMODE(info.st_mode):04o}: group or others have access (expected 0700)"
    return None


def private_dir(path: str | os.PathLike[str]) -> str:
    """``path`` as a private folder: created 0700 (with missing parents) or checked when it exists.

    :raises UnsafeStateError: it exists as a link, a file, another user's folder or one with group/other
        permission bits (naming the path and the reason).
    """
    folder = os.fspath(path)
    make_dirs(folder)
    reason = unsafe_reason(folder)
    if reason is not None:
        raise UnsafeStateError(f"state directory {folder} is not used: {reason}")
    return folder


def make_dirs(folder: str) -> None:
    """Create ``folder`` and its missing parents, each 0700; existing ones are left as they are."""
    missing = []
    current = os.path.abspath(folder)
    while not os.path.lexists(current):
        missing.append(current)
        current = os.path.dirname(current)
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            os.mkdir(created, DIR_MODE)


def open_existing_or_new(path: str) -> IO[str]:
    """``path`` opened for reading and writing (created 0600 when missing), never through a link.

    :raises UnsafeStateError: ``path`` is a link, not a regular file, or another user's file.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC, FILE_MODE)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeStateError(f"state file {path} is not used: it is a symbolic link") from None
        raise exc
    info = os.fstat(fd)
    reason = None
    if not stat.S_ISREG(info.st_mode):
        reason = "it is not a regular file"
    elif info.st_uid != current_uid():
        reason = f"it is owned by uid {info.st_uid}, not by this user (uid {current_uid()})"
    if reason is not None:
        os.close(fd)
        raise UnsafeStateError(f"state file {path} is not used: {reason}")
    return os.fdopen(fd, "r+", encoding="utf-8")


def create_new(path: str) -> IO[bytes]:
    """A new file at ``path``, mode 0600, for writing; fails if anything (a link included) is there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, FILE_MODE)
    return os.fdopen(fd, "wb")


def temporary_name(final: str, suffix: str = ".part") -> str:
    """``.<name>.<random><suffix>`` beside ``final``."""
    folder, name = os.path.split(final)
    return os.path.join(folder, f".{name}.{secrets.token_hex(4)}{suffix}")


@contextlib.contextmanager
def replacing(final: str) -> Iterator[IO[bytes]]:
    """Write a private file that replaces ``final`` whole when the block ends (a link there included)."""
    make_dirs(os.path.dirname(final) or ".")
    temporary = temporary_name(final)
    try:
        with create_new(temporary) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)  # readers see the old file or the new one, never half of one
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)


def write_private(location: Any, data: bytes) -> None:
    """Write ``data`` to ``location`` (an ``ObjectStoragePath``): a private file replaced whole on a local
    disk, one upload on an object store (which replaces the object whole)."""
    if local_location(location):
        with replacing(str(location.path)) as handle:
            handle.write(data)
        return
    location.parent.mkdir(parents=True, exist_ok=True)
    location.write_bytes(data)
