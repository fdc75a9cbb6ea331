"""Authentication: LegallyMail takes a Bearer token, the bare token or a body "token"; Legitmailer only Bearer."""

from __future__ import annotations

import pytest
import requests

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lm_error, lt_error, send_email

MESSAGE = {"recipient": "ana@example.com", "subject": "s", "message": "m"}


def test_legallymail_accepts_bearer_bare_and_body_token(sandbox: SandboxServer) -> None:
    token = sandbox.legallymail_token
    url = sandbox.legallymail_url
    assert requests.get(f"{url}/api/info", headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 200
    assert requests.get(f"{url}/api/info", headers={"Authorization": token}, timeout=5).status_code == 200
    assert requests.post(f"{url}/api/send", json={**MESSAGE, "token": token}, timeout=5).status_code == 200
    # GET requests may carry the token in a JSON body too (the provider's token_in_body mode).
    assert requests.get(f"{url}/api/emails?limit=5", json={"token": token}, timeout=5).status_code == 200


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, None),
        ({"Authorization": "Bearer wrong"}, None),
        ({"Authorization": "wrong"}, None),
        ({}, {"token": "wrong"}),
        ({"Authorization": "Basic c2FuZGJveA=="}, None),
    ],
)
def test_legallymail_wrong_or_missing_token_is_401(
    sandbox: SandboxServer, headers: dict[str, str], body: dict[str, str] | None
) -> None:
    response = requests.get(f"{sandbox.legallymail_url}/api/info", headers=headers, json=body, timeout=5)
    assert "token" in lm_error(response, 401).lower()


def test_unauthenticated_send_creates_nothing(sandbox: SandboxServer, lm: Api) -> None:
    lm_error(requests.post(f"{sandbox.legallymail_url}/api/send", json=MESSAGE, timeout=5), 401)
    assert lm.get("/api/emails", params={"limit": 25}).json()["count"] == 0


def test_downloads_need_the_legallymail_token(sandbox: SandboxServer, lm: Api) -> None:
    data = send_email(lm, "ana@example.com")
    sandbox.advance(10)
    url = lm.get("/api/email", params={"tracking_id": data["tracking_id"]}).json()["email"]["certificates"][0][
        "pdf_download_url"
    ]
    lm_error(requests.get(url, timeout=5), 401)
    assert requests.get(url, headers={"Authorization": f"Bearer {sandbox.legallymail_token}"}, timeout=5).ok


def test_legitmailer_accepts_only_a_bearer_key(sandbox: SandboxServer, lt: Api) -> None:
    url = f"{sandbox.legitmailer_url}/api/template/list"
    assert lt.get("/api/template/list").status_code == 200
    lt_error(requests.get(url, timeout=5), 401)
    lt_error(requests.get(url, headers={"Authorization": sandbox.legitmailer_token}, timeout=5), 401)
    lt_error(requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5), 401)
    lt_error(requests.get(url, headers={"Authorization": f"Bearer {sandbox.legallymail_token}"}, timeout=5), 401)


def test_the_two_apis_do_not_share_credentials(sandbox: SandboxServer) -> None:
    headers = {"Authorization": f"Bearer {sandbox.legitmailer_token}"}
    lm_error(requests.get(f"{sandbox.legallymail_url}/api/info", headers=headers, timeout=5), 401)
