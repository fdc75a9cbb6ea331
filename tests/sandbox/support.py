"""Small helpers for the sandbox tests: an HTTP client bound to one API, sample PDFs, shape checks."""

from __future__ import annotations

import base64
from typing import Any

import requests

from legallymail_sandbox.pdf import render_pdf
from legallymail_sandbox.server import SandboxServer


class Api:
    """``requests`` against one API base URL, with that API's credentials unless told otherwise."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers.update(headers)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def lm_api(server: SandboxServer) -> Api:
    return Api(server.legallymail_url, {"Authorization": f"Bearer {server.legallymail_token}"})


def lt_api(server: SandboxServer) -> Api:
    return Api(server.legitmailer_url, {"Authorization": f"Bearer {server.legitmailer_token}"})


def sample_pdf(text: str = "Contract") -> bytes:
    return render_pdf("Sample document", [text])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def send_email(lm: Api, recipients: str, subject: str = "Hello", **extra: Any) -> dict[str, Any]:
    response = lm.post("/api/send", json={"recipient": recipients, "subject": subject, "message": "<p>Hi</p>", **extra})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def get_email(lm: Api, tracking_id: str) -> dict[str, Any]:
    response = lm.get("/api/email", params={"tracking_id": tracking_id})
    assert response.status_code == 200, response.text
    email: dict[str, Any] = response.json()["email"]
    return email


def request_signature(lm: Api, **fields: Any) -> dict[str, Any]:
    body = {
        "signer_name": "John Doe",
        "signer_email": "john.doe@example.com",
        "document": b64(sample_pdf()),
        "document_name": "Contract.pdf",
        **fields,
    }
    response = lm.post("/api/signature/send", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def get_signature(lm: Api, uuid: str) -> dict[str, Any]:
    response = lm.get("/api/signature", params={"uuid": uuid})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def lm_error(response: requests.Response, status: int) -> str:
    """Assert a LegallyMail error answer (status and body shape); return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    message: str = body["message"]
    return message


def lt_error(response: requests.Response, status: int) -> str:
    """Assert a Legitmailer error answer (status and body shape); return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    message: str = body["message"]
    return message
