"""Where an archive is written, and the rule that keeps it readable from every host.

The destination is the operator's ``destination`` argument, else ``[legallymail] evidence_path``
(``AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH``), else ``file://$AIRFLOW_HOME/legallymail/evidence``. Evidence
is kept for years and verified by later tasks that may run on any host: under a distributed executor a
destination on the worker's own disk is refused before any request, unless
``[legallymail] evidence_path_shared`` declares it the same mount on every host.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_legallymail.evidence.files import to_path
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.storage import configured_flag, configured_location, configured_option
from airflow_provider_legallymail.topology import executor_description, readable_by_every_host
from airflow_provider_legallymail.validation import fail

EVIDENCE_PATH = "evidence_path"
EVIDENCE_PATH_SHARED = "evidence_path_shared"
DEFAULT_FOLDER = "evidence"


def default_destination() -> str:
    """``[legallymail] evidence_path``, else ``file://$AIRFLOW_HOME/legallymail/evidence``."""
    return configured_location(EVIDENCE_PATH, DEFAULT_FOLDER)


def _origin(destination: Any) -> str:
    if destination is not None:
        return "the destination argument"
    if configured_option(EVIDENCE_PATH):
        return f"[legallymail] {EVIDENCE_PATH}"
    return f"the default under AIRFLOW_HOME ([legallymail] {EVIDENCE_PATH} is not set)"


def archive_root(destination: Any) -> Any:
    """The ``ObjectStoragePath`` evidence is written under: ``destination``, else the configured default.

    :raises ValidationError: an unusable location, or one on this worker's disk while tasks run on
        several hosts and ``[legallymail] evidence_path_shared`` is not set; raised before any request.
    """
    if destination is not None and not str(destination).strip():  # a template that rendered nothing
        raise fail("destination", f"empty; leave it out to use [legallymail] {EVIDENCE_PATH}")
    root_location = default_destination() if destination is None else destination
    try:
        root = to_path(root_location)
    except Exception as exc:
        raise fail("destination", f"{str(root_location)!r} is not usable: {exc}") from None
    try:
        shared = configured_flag(EVIDENCE_PATH_SHARED)
    except ValueError as exc:
        raise ValidationError(str(exc), field=EVIDENCE_PATH_SHARED) from None
    if not readable_by_every_host(root, declared_shared=shared):
        raise fail(
            "destination",
            f"{root} ({_origin(destination)}) is on this worker's own disk, and tasks run on several hosts "
            f"({executor_description()}): the evidence would stay on this host, and a task or auditor on "
            f"another host could not read or verify it. Set [legallymail] {EVIDENCE_PATH} "
            f"(AIRFLOW__LEGALLYMAIL__{EVIDENCE_PATH.upper()}) or the destination to object storage "
            f"(s3://bucket/evidence, gs://...), or, if this path is the same shared mount (NFS, EFS) on every "
            f"host, set [legallymail] {EVIDENCE_PATH_SHARED} = True. Nothing was downloaded.",
        )
    return root
