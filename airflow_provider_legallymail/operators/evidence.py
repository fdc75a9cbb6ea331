"""``ArchiveEvidenceOperator``: keep the certificates, signed documents and actas, verified, in an archive.

See ``airflow_provider_legallymail.evidence`` for what is fetched, how files are written and verified.

Imports inside methods are only those that load what a running task needs and a DAG file's parse does not
(the hooks, the API models and client, the pollers, the Legitmailer workers, the archiver: the list is
``RUNNING_MACHINERY`` in ``tests/unit/test_import_light.py``, which checks it); every other import is at the top.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from airflow.sdk import BaseOperator

from airflow_provider_legallymail import __version__
from airflow_provider_legallymail.bounded import active_requests
from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.evidence.destination import archive_root
from airflow_provider_legallymail.evidence.targets import parse_targets
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.hooks.lazy import LazyHook, legallymail_hook
from airflow_provider_legallymail.links import EVIDENCE_LINKS_XCOM_KEY, MAX_EVIDENCE_LINKS, evidence_links
from airflow_provider_legallymail.storage import location
from airflow_provider_legallymail.validation import fail

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_legallymail.contracts import ArchiveRun, ArchiveSummary
    from airflow_provider_legallymail.evidence.collect import EvidenceItem
    from airflow_provider_legallymail.evidence.targets import Target
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

DEFAULT_LAYOUT = "{{ kind }}/{{ id }}"
MAX_LOGGED_READS = 5


class ArchiveEvidenceOperator(BaseOperator):
    """Download, verify and archive the evidence of certified emails, signature requests and SMS.

    Every certificate PDF (per recipient and stage), the original document and, once signed, the acta,
    and the SMS certificate are streamed into ``destination``, checked against the SHA-256 the API
    publishes (``file_hash``, ``document_hash``, ``signed_document_hash``), and described in a
    ``manifest.json`` beside them. A second run downloads nothing that is already archived intact.

    :param evidence: what to archive: a tracking id or uuid (with ``kind``), a list of them, the return
        value of ``SendCertifiedEmailOperator`` / ``SignatureRequestOperator`` / ``SmsOperator``, a sensor's
        (or ``wait_for=``'s) ``WaitResult`` or a list of them (mapped sensors), an event trigger's asset event
        or payload, or ``{"kind", "id"}``, e.g. from XCom. Templated. What a wait or an event observed (each
        certificate, the original and acta, their published hashes) is archived without reading the status
        again: only the downloads are requests. Anything else (an id, a send without ``wait_for=``) costs one
        status request per item; the log names those.
    :param destination: an ``ObjectStoragePath`` or URL of the archive root (a local folder,
        ``s3://bucket/prefix``, ``gs://...``). Templated. Default: ``[legallymail] evidence_path``, else
        ``file://$AIRFLOW_HOME/legallymail/evidence``. Under a distributed executor a local destination
        fails the task before any request unless ``[legallymail] evidence_path_shared`` is True.
    :param layout: the folder of each archived id below ``destination``, a Jinja template rendered with the
        task's context plus ``kind`` (email / signature / sms), ``id``, ``tracking_id`` and ``uuid`` (the
        id as a folder name: itself when plain, ``cm_abc123``; else a slug, ``~`` and a hash of the exact id,
        so distinct ids never share a folder). Default ``{{ kind }}/{{ id }}``; for example
        ``{{ ds }}/{{ kind }}/{{ id }}``. Two ids given one folder fail the task before any request.
    :param kind: ``email``, ``signature`` or ``sms`` for bare ids (None: tell from the input). Templated.
    :param max_active_downloads: files downloaded at the same time (1..32, default 4).
    :param legallymail_conn_id: the LegallyMail connection.
    """

    template_fields: Sequence[str] = ("evidence", "destination", "kind", "legallymail_conn_id")
    template_fields_renderers = {"evidence": "json"}
    operator_extra_links = evidence_links()
    ui_color = "#efe4f6"

    hook: LazyHook[LegallyMailHook] = LazyHook(legallymail_hook, "legallymail_conn_id")

    def __init__(
        self,
        *,
        evidence: Any,
        destination: Any = None,
        layout: str = DEFAULT_LAYOUT,
        kind: str | None = None,
        max_active_downloads: int = 4,
        legallymail_conn_id: str = "legallymail_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.legallymail_evidence_links: list[dict[str, str]] = []  # links.EVIDENCE_LINKS_ATTRIBUTE
        self.evidence = evidence
        self.destination = destination
        self.layout = layout
        self.kind = kind
        self.max_active_downloads = max_active_downloads
        self.legallymail_conn_id = legallymail_conn_id

    # -- input -------------------------------------------------------------------------------------
    def _folder(self, root: Any, target: Target, context: Context) -> Any:
        from airflow_provider_legallymail.evidence.archive_index import INDEX_DIR

        name = target.folder_name  # the id itself when plain, else a slug and a hash of it: never "/" or ".."
        variables = {"kind": target.kind, "id": name, "tracking_id": None, "uuid": None}
        variables["tracking_id" if target.kind == "email" else "uuid"] = name
        try:
            rendered = str(self.render_template(self.layout, cast("Context", {**context, **variables})))
        except Exception as exc:
            raise fail("layout", f"{self.layout!r} could not be rendered: {type(exc).__name__}: {exc}") from None
        parts = [p for p in rendered.strip().split("/") if p]
        if not parts or any(p in (".", "..") for p in parts) or parts[0] == INDEX_DIR:
            raise fail(
                "layout",
                f"{self.layout!r} rendered {rendered!r}: expected a relative folder without '..' or {INDEX_DIR}",
            )
        return location(root, *parts)

    def _plan(self, context: Context) -> tuple[Any, list[Target], dict[Target, Any], int]:
        """Every check, before any request: the root, targets, their folders, the number of parallel downloads."""

        targets = parse_targets(self.evidence, self.kind)
        max_active = active_requests(self.max_active_downloads, "max_active_downloads")
        root = archive_root(self.destination)
        folders = {t: self._folder(root, t, context) for t in targets}
        counts = Counter(str(f) for f in folders.values())
        shared = [t for t in targets if counts[str(folders[t])] > 1]
        if shared:
            raise fail(
                "layout",
                f"{self.layout!r} gives {', '.join(f'{t.kind} {t.id}' for t in shared)} one folder: "
                "distinct ids never share a folder (name {{ id }} in the layout)",
            )
        return root, targets, folders, max_active

    # -- run ---------------------------------------------------------------------------------------
    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_legallymail.evidence.archive import Archiver
        from airflow_provider_legallymail.evidence.links import hook_origin, link_entries
        from airflow_provider_legallymail.evidence.observed import from_observations

        try:
            root, targets, folders, max_active = self._plan(context)
        except ValidationError as exc:
            raise AirflowFailException(str(exc)) from exc  # bad input: retrying cannot help
        observed, to_read = from_observations(targets, self.hook.settings.token)
        self._log_sources(len(observed), to_read)
        ti = context["ti"]
        candidates: list[tuple[str, str]] = []
        own_origin = hook_origin(self.hook)

        def saw(item: EvidenceItem) -> None:  # links first: they show even when a download then fails
            candidates.extend((f"{f.label} ({item.id})", f.source_url) for f in item.files)
            links = link_entries(candidates, own_origin, MAX_EVIDENCE_LINKS)  # as many as there are buttons
            ti.xcom_push(key=EVIDENCE_LINKS_XCOM_KEY, value=links)
            self.legallymail_evidence_links = links

        archiver = Archiver(
            self.hook, folders.__getitem__, root=root, max_active=max_active, now=_now, on_item=saw, observed=observed
        )
        results = archiver.run(targets)
        archives = [r.final_summary or r.summary() for r in results]
        summary: ArchiveRun = {
            "archives": archives,
            "downloaded": sum(a["downloaded"] for a in archives),
            "already_present": sum(a["already_present"] for a in archives),
        }
        self.log.info(
            "Archived %d item(s): %d file(s) downloaded, %d already present",
            len(archives),
            summary["downloaded"],
            summary["already_present"],
        )
        self._announce(context, archives)
        return dict(summary)

    def _log_sources(self, observed: int, to_read: list[str]) -> None:
        if observed:
            self.log.info("%d item(s) archived from what a wait or an event observed: no status request", observed)
        if to_read:
            shown = "; ".join(to_read[:MAX_LOGGED_READS]) + (" ..." if len(to_read) > MAX_LOGGED_READS else "")
            self.log.info("Reading the status of %d item(s) (one request each): %s", len(to_read), shown)

    def _announce(self, context: Context, archives: list[ArchiveSummary]) -> None:
        """Give each Asset in ``outlets`` an event ``extra`` with the ids, statuses, manifests and hashes."""
        from airflow.sdk import Asset

        assets = [o for o in self.outlets or [] if isinstance(o, Asset)]
        if not assets:
            return
        extra: dict[str, Any] = {
            "archives": [
                {
                    "kind": a["kind"],
                    "id": a["id"],
                    "status": a["status"],
                    "statuses": a["statuses"],
                    "manifest": a["manifest"],
                    "files": a["files"],
                }
                for a in archives
            ],
            "provider_version": __version__,
        }
        events = context["outlet_events"]
        for asset in assets:
            events[asset].extra = extra


def _now() -> str:
    import pendulum

    return str(pendulum.now("UTC").isoformat())
