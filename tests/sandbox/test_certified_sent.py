"""The control API lists the certified emails as sent: what a test of a mail merge checks per recipient."""

from __future__ import annotations

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, b64


def test_each_certified_email_is_listed_with_its_body_and_attachments(sandbox: SandboxServer, lm: Api) -> None:
    attachment = {"filename": "a.txt", "content": b64(b"hello"), "mime_type": "text/plain"}
    first = {"recipient": "ana@example.com", "subject": "One", "message": "<p>1</p>", "attachments": [attachment]}
    assert lm.post("/api/send", json=first).ok
    assert lm.post("/api/send", json={"recipient": "a@x.com, b@x.com", "subject": "Two", "message": "<p>2</p>"}).ok
    one, two = sandbox.certified_sent()
    assert (one["recipients"], one["subject"], one["message"]) == (["ana@example.com"], "One", "<p>1</p>")
    assert one["attachments"] == [{"filename": "a.txt", "mime_type": "text/plain", "size": 5}]
    assert (two["recipients"], two["attachments"]) == (["a@x.com", "b@x.com"], [])


def test_info_reports_remaining_credits_and_a_send_beyond_them_is_refused(sandbox: SandboxServer, lm: Api) -> None:
    sandbox.set_credits(emails=1)
    assert lm.get("/api/info").json()["user"]["remaining_emails"] == 1
    assert lm.post("/api/send", json={"recipient": "a@x.com", "subject": "s", "message": "m"}).ok
    assert lm.get("/api/info").json()["user"]["remaining_emails"] == 0
    refused = lm.post("/api/send", json={"recipient": "b@x.com", "subject": "s", "message": "m"})
    assert refused.status_code == 403
    assert sandbox.certified_sent()[-1]["recipients"] == ["a@x.com"]
