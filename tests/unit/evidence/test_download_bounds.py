"""Downloads without end, from a real local server: bounded in size and time, and never kept as evidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.client.answers import DOWNLOAD_MAX_BYTES, Bounds
from airflow_provider_legallymail.client.settings import ClientSettings
from airflow_provider_legallymail.client.transport import ApiClient
from airflow_provider_legallymail.exceptions import MailApiError, UnreadableAnswerError
from airflow_provider_legallymail.operators.evidence import ArchiveEvidenceOperator
from tests import api_examples as ex
from tests.conftest import LM_URL, TOKEN, conn_json
from tests.hostile_server import HostileServer, gzip_bomb, json_answer, streamed, trickle, zeros

CERTS = "/emails/download-certificate"


class FakeTI:
    def __init__(self) -> None:
        self.xcom: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcom[key] = value


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "certificate",
    [streamed(zeros), streamed(gzip_bomb, gzip=True), streamed(zeros, length=DOWNLOAD_MAX_BYTES + 1)],
    ids=["endless", "gzip bomb", "huge declared"],
)
def test_an_endless_certificate_is_stopped_at_the_bound_and_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, sleeps: list[float], tmp_path: Path, certificate: Any
) -> None:
    with HostileServer({"/api/email": json_answer({}), CERTS: certificate}) as server:
        status = json.loads(json.dumps(ex.LM_EMAIL).replace(LM_URL, server.url))
        server.routes["/api/email"] = json_answer(status)
        monkeypatch.setenv(
            "AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", conn_json("legallymail", server.url, requests_per_minute=0)
        )
        op = ArchiveEvidenceOperator(task_id="archive", evidence="cm_abc123", kind="email", destination=tmp_path / "a")
        context: Any = {"ti": FakeTI(), "ds": "2024-01-15"}
        with pytest.raises(MailApiError, match="50 MiB") as caught:
            op.execute(context)
    assert files_under(tmp_path / "a") == []  # no certificate, no partial file, no manifest claiming one
    assert TOKEN not in str(caught.value)


def test_a_trickled_download_ends_at_its_deadline() -> None:
    received: list[bytes] = []
    with HostileServer({CERTS: trickle()}) as server:
        api = ApiClient(
            ClientSettings(base_url=server.url, token=TOKEN, max_retries=0), bounds=Bounds(download_seconds=1)
        )
        with pytest.raises(UnreadableAnswerError, match=r"within 1s"):
            api.download_to(f"{server.url}{CERTS}?id=cm_1", received.append)


def test_download_returns_bytes_within_the_same_bound() -> None:
    with HostileServer({CERTS: streamed(zeros)}) as server:
        api = ApiClient(
            ClientSettings(base_url=server.url, token=TOKEN, max_retries=0), bounds=Bounds(download_bytes=1000)
        )
        with pytest.raises(UnreadableAnswerError, match="1000 bytes"):
            api.download(f"{server.url}{CERTS}?id=cm_1")
