"""Where one task instance keeps the small JSON documents its later tries read: send ledger, deadline.

Two stores, one interface (``read(name)`` / ``write(name, doc)``):

- ``StateStoreDocuments``: Airflow 3.3+'s task state store (AIP-103, ``context["task_state_store"]``), under
  the keys ``legallymail/<name>``. It lives in the metadata database, is read by every later try on any
  host, and shows in the UI and the REST API. The default on Airflow 3.3+.
- ``PathDocuments``: files under an ``ObjectStoragePath`` root, ``<root>/<dag_id>/<run_id>/<task_id>
  [.<map_index>].json`` for the ledger and ``...<task>[.<map_index>].<name>.json`` beside it. Used when a
  root is given (the operator's ``ledger_path``, or ``[legallymail] ledger_path``), and on Airflow 3.1/3.2,
  where the default root is ``$AIRFLOW_HOME/legallymail/ledger``: a disk of one host. On a local disk each
  document is a private file (0600, folders 0700) replaced whole (``private_files.write_private``).

``task_documents`` chooses. Documents an earlier release wrote to the default root are still read when the
state store has none (``fallback``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from airflow_provider_legallymail.private_files import write_private
from airflow_provider_legallymail.storage import configured_location, configured_option, location, segment
from airflow_provider_legallymail.topology import is_distributed_executor

log = logging.getLogger(__name__)

LEDGER = "ledger"
STATE_KEY_PREFIX = "legallymail/"


class DocumentStore(Protocol):
    """Named JSON documents of one task instance."""

    where: str

    def read(self, name: str) -> dict[str, Any] | None:
        """The document, None when it does not exist; raises ``OSError``/``ValueError`` when unreadable."""

    def write(self, name: str, doc: Mapping[str, Any]) -> None:
        """Store the document; raises when it cannot be stored."""


class PathDocuments:
    """Documents as files under ``root`` (any ObjectStoragePath URL), one folder per DAG run."""

    def __init__(self, root: str, dag_id: str, run_id: str, task_id: str, map_index: int | None = -1) -> None:
        self.folder = location(root, segment(dag_id), segment(run_id))
        self.stem = segment(task_id) + (f".{map_index}" if map_index is not None and map_index >= 0 else "")
        self.where = str(self.file(LEDGER))

    def file(self, name: str) -> Any:
        return self.folder / (f"{self.stem}.json" if name == LEDGER else f"{self.stem}.{name}.json")

    def read(self, name: str) -> dict[str, Any] | None:
        path = self.file(name)
        if not path.exists():
            return None
        doc = json.loads(path.read_text())
        if not isinstance(doc, dict):
            raise ValueError(f"{path}: not a JSON object")
        return doc

    def write(self, name: str, doc: Mapping[str, Any]) -> None:
        write_private(self.file(name), json.dumps(doc, indent=1, default=str).encode())


class StateStoreDocuments:
    """Documents in Airflow's task state store, each under the key ``legallymail/<name>``.

    ``fallback``: where an earlier release kept this task instance's documents; read while the state store
    has none, so a ledger written before an upgrade still counts.
    """

    def __init__(self, accessor: Any, fallback: DocumentStore | None = None) -> None:
        self.accessor = accessor
        self.fallback = fallback
        self.where = "the task instance's state store (key legallymail/ledger)"

    def read(self, name: str) -> dict[str, Any] | None:
        try:
            doc = self.accessor.get(STATE_KEY_PREFIX + name)
        except Exception as exc:  # the store did not answer: unreadable, never "empty"
            raise OSError(f"task state store: {type(exc).__name__}: {exc}") from None
        if doc is None and self.fallback is not None:
            return self.fallback.read(name)
        if doc is not None and not isinstance(doc, dict):
            raise ValueError(f"task state store key {STATE_KEY_PREFIX}{name}: not a JSON object")
        return doc

    def write(self, name: str, doc: Mapping[str, Any]) -> None:
        # JSON-native values only (the store serialises with json.dumps); never expire: a ledger is proof
        value = json.loads(json.dumps(doc, default=str))
        self.accessor.set(STATE_KEY_PREFIX + name, value, retention=_never_expire())


def _never_expire() -> Any:
    try:
        from airflow.sdk.execution_time.context import NEVER_EXPIRE
    except ImportError:  # Airflow < 3.3 has no task state store; only tests' stand-ins get here
        return None
    return NEVER_EXPIRE


def task_documents(context: Mapping[str, Any], explicit_root: str | None = None) -> DocumentStore:
    """The store of the running task instance: an explicit or configured root, else the state store (3.3+),
    else the default root on this host (with a warning when the executor runs tasks on several hosts)."""
    ti = context["ti"]
    map_index = getattr(ti, "map_index", -1)
    key = (ti.dag_id, ti.run_id, ti.task_id, map_index if map_index is not None else -1)
    root = explicit_root or configured_option("ledger_path")
    if root:
        return PathDocuments(root, *key)
    default = PathDocuments(configured_location("ledger_path", "ledger"), *key)
    accessor = context.get("task_state_store")
    if accessor is not None:
        return StateStoreDocuments(accessor, fallback=default)
    warn_if_local_on_several_hosts(default.where)
    return default


def sent_index(documents: DocumentStore) -> DocumentStore | None:
    """Where a ledger kept outside ``ledger_path`` copies what went out, for the event triggers to read."""
    return documents.fallback if isinstance(documents, StateStoreDocuments) else None


def warn_if_local_on_several_hosts(where: str) -> None:
    """Say loudly that a retry on another host will not see ``where`` (a local default)."""
    if is_distributed_executor():
        log.warning(
            "LEGALLYMAIL: the send ledger is at %s, on this worker's own disk, and the executor runs tasks on "
            "several hosts: a retry on another host cannot see what this try sent and will look it up in the "
            "API instead (or fail when it cannot). Set [legallymail] ledger_path to storage every worker "
            "shares (s3://..., or a shared mount), or upgrade to Airflow 3.3+, where the ledger lives in "
            "Airflow's task state store.",
            where,
        )
