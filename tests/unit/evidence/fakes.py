"""The LegallyMail API at the HTTP boundary for evidence tests: the documented examples with real PDFs.

Each download URL serves a small PDF whose SHA-256 the API response publishes, as the real API does.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any
from urllib.parse import quote

import requests_mock as rm

from tests import api_examples as ex
from tests.conftest import LM_URL

UUID = "550e8400-e29b-41d4-a716-446655440000"
SMS_UUID = "8d7f2a10-2c1e-4c55-9e55-0b7d5d0c1a11"


def pdf(label: str) -> bytes:
    return f"%PDF-1.4\n% {label}\n%%EOF\n".encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FakeApi:
    """Registers documented responses (hashes made real) and their files on a ``requests_mock.Mocker``."""

    def __init__(self, m: rm.Mocker) -> None:
        self.m = m
        self.files: dict[str, bytes] = {}

    def _file(self, url: str, label: str) -> str:
        data = self.files[url] = pdf(label)
        self.m.get(url, content=data)
        return sha(data)

    def email(self, *, delivered_and_read: bool = False) -> dict[str, Any]:
        """``LM_EMAIL``: recipient 1 read (only a read certificate, or also a delivered one), 2 delivered."""
        body = copy.deepcopy(ex.LM_EMAIL)
        first = body["email"]["recipients"][0]
        if delivered_and_read:
            delivered = {**first["certificates"][0], "certificate_type": "delivered"}
            delivered["pdf_download_url"] = delivered["pdf_download_url"].replace("status=read", "status=delivered")
            delivered["confirmed_at"] = first["delivered_at"]
            first["certificates"].insert(0, delivered)
        for recipient in body["email"]["recipients"]:
            for cert in recipient["certificates"]:
                url = cert["pdf_download_url"]
                cert["file_hash"] = self._file(url, url)
        self.m.get(f"{LM_URL}/api/email?tracking_id={body['email']['tracking_id']}", json=body)
        return body

    def signature(self, status: str = "signed", uuid: str = UUID) -> dict[str, Any]:
        body = copy.deepcopy(ex.LM_SIGNATURE)
        data = body["data"]
        data["uuid"] = uuid
        data["status"] = status
        data["download_original_url"] = f"{LM_URL}/dashboard/electronic-signature/download-original/{quote(uuid)}"
        data["download_acta_url"] = f"{LM_URL}/dashboard/electronic-signature/download-acta/{quote(uuid)}"
        data["document_hash"] = self._file(data["download_original_url"], f"original {uuid}")
        acta = self._file(data["download_acta_url"], f"acta {uuid}") if status == "signed" else None
        data["signed_document_hash"] = acta
        self.m.get(f"{LM_URL}/api/signature?uuid={quote(uuid, safe='')}", json=body)
        return body

    def sms(self, status: str = "delivered") -> dict[str, Any]:
        body = copy.deepcopy(ex.LM_SMS)
        data = body["data"]
        data["uuid"] = SMS_UUID
        data["status"] = status
        data["download_certificate_url"] = f"{LM_URL}/dashboard/certified-sms/download-certificate/{SMS_UUID}"
        self._file(data["download_certificate_url"], "sms")
        self.m.get(f"{LM_URL}/api/sms?uuid={SMS_UUID}", json=body)
        return body

    def downloads(self) -> int:
        """How many file downloads (not API calls) were made."""
        return sum(1 for r in self.m.request_history if not r.path.startswith("/api/"))
