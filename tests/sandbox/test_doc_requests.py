"""Every request example of the vendor docs, sent verbatim (placeholders filled in), succeeds against the sandbox.

The examples are in ``tests/sandbox/doc_requests.py``; each answer is also checked against the documented
answer (``tests/api_examples.py``) where the docs show one.
"""

from __future__ import annotations

import copy
from typing import Any

import requests

from legallymail_sandbox.server import SandboxServer
from tests import api_examples as ex
from tests.sandbox import doc_requests as doc
from tests.sandbox.contract import assert_conforms, conforms
from tests.sandbox.support import Api, b64, lt_error


class Examples:
    """Sends documented examples through one API, filling in placeholders, and remembers which it sent."""

    def __init__(self, api: Api, values: dict[str, str]) -> None:
        self.api = api
        self.values = values
        self.sent: list[doc.DocRequest] = []

    def send(self, example: doc.DocRequest, *, fix_typo: bool = True) -> requests.Response:
        path, body = example.text(self.values, fix_typo=fix_typo)
        self.sent.append(example)
        headers = {"Content-Type": "application/json"}
        return self.api.request(example.method, path, data=body.encode() if body else None, headers=headers)

    def ok(self, example: doc.DocRequest) -> Any:
        response = self.send(example)
        assert response.status_code == 200, f"{example.source}: {response.status_code} {response.text}"
        return response.json()


def test_every_legallymail_request_example_succeeds(sandbox: SandboxServer, lm: Api) -> None:
    pdf = b64(sandbox.sample_pdf())  # GET /_sandbox/samples/contract.pdf
    run = Examples(lm, {"base64_encoded_file_content_here": pdf, "BASE64_CONTENT_HERE": pdf})
    multi = run.ok(doc.LM_SEND_MULTI)
    assert_conforms(multi, ex.LM_SEND_MULTI)
    assert (multi["data"]["success_count"], multi["data"]["fail_count"]) == (3, 0)
    assert_conforms(run.ok(doc.LM_SEND_SINGLE), ex.LM_SEND_SINGLE)
    assert_conforms(run.ok(doc.LM_INFO), ex.LM_INFO)
    sandbox.advance(60)
    listing = run.ok(doc.LM_EMAILS)
    assert_conforms(listing, ex.LM_EMAILS)
    assert listing["count"] == 2
    run.values["cm_abc123"] = multi["data"]["tracking_id"]
    detail = run.ok(doc.LM_EMAIL)
    assert_conforms(detail, ex.LM_EMAIL)
    assert [r["email"] for r in detail["email"]["recipients"]] == [f"recipient{i}@example.com" for i in (1, 2, 3)]
    single = run.ok(doc.LM_SIGNATURE_SEND)
    assert_conforms(single, ex.LM_SIGNATURE_SEND)
    assert_conforms(run.ok(doc.LM_SIGNATURE_SEND_MULTI), ex.LM_SIGNATURE_SEND)
    sandbox.advance(60)
    assert_conforms(run.ok(doc.LM_SIGNATURES), ex.LM_SIGNATURES)
    run.values["YOUR_UUID_HERE"] = single["data"]["uuid"]
    signature = run.ok(doc.LM_SIGNATURE)
    phoneless = copy.deepcopy(ex.LM_SIGNATURE)  # the documented signer has a phone; this example's has none
    phoneless["data"]["signers"][0]["signer_phone"] = None
    assert conforms(signature, [ex.LM_SIGNATURE, phoneless]) == []
    assert (signature["data"]["signer_name"], signature["data"]["status"]) == ("John Doe", "signed")
    assert tuple(run.sent) == doc.LEGALLYMAIL


def test_every_legitmailer_request_example_succeeds(sandbox: SandboxServer, lt: Api) -> None:
    run = Examples(lt, {})
    assert_conforms(run.ok(doc.LT_SEND), ex.LT_TRACKING)
    welcome = run.ok(doc.LT_SEND_TEMPLATE)
    assert_conforms(welcome, ex.LT_TRACKING)
    assert len(run.ok(doc.LT_BATCH)["trackingIds"]) == 1
    queued = run.ok(doc.LT_QUEUE)
    assert_conforms(queued, ex.LT_REQUEST)
    assert_conforms(run.ok(doc.LT_QUEUE_TEMPLATE), ex.LT_REQUEST)
    run.values["uhjxzc788"] = queued["requestId"]
    assert run.send(doc.LT_CANCEL).status_code == 204
    templates = {t["name"]: t["templateId"] for t in run.ok(doc.LT_TEMPLATES)["templates"]}
    assert templates["registration"] == "cmVnaXN0cmF0aW9u" and "welcome" in templates
    assert run.ok(doc.LT_TEMPLATE) == ex.LT_TEMPLATE_DOC
    lists = run.ok(doc.LT_CONTACT_LISTS)
    assert_conforms(lists, ex.LT_CONTACT_LISTS)
    assert {c["name"]: c["contactListId"] for c in lists["contactLists"]}["first"] == "c2Rmc2Rmc2Rm"
    added = run.ok(doc.LT_ADD_CONTACT)
    assert added == {**ex.LT_CONTACT_DOC, "contactListName": "first"}
    assert run.ok(doc.LT_GET_CONTACT) == added
    assert run.ok(doc.LT_UPDATE_CONTACT)["data"] == [{"name": "info"}]
    assert run.send(doc.LT_DELETE_CONTACT).status_code == 204
    assert tuple(run.sent) == doc.LEGITMAILER
    sandbox.advance(300)
    sent = {s["tracking_id"]: s for s in sandbox.legitmailer_sent()}
    assert sent[welcome["trackingId"]]["body"] == "<p>Hi legitmailer, welcome aboard!</p>"
    assert len(sent) == 4  # plain, welcome, batch, delayed welcome; the delayed plain one was cancelled


def test_the_two_documented_bodies_that_are_not_json_get_a_400_naming_the_problem(lt: Api) -> None:
    run = Examples(lt, {})
    assert lt.post("/api/contactlist/c2Rmc2Rmc2Rm/contact/43223", json={"email": "a@example.com", "data": []}).ok
    for example in (doc.LT_QUEUE_TEMPLATE, doc.LT_UPDATE_CONTACT):
        assert "invalid JSON body" in lt_error(run.send(example, fix_typo=False), 400)
    assert lt.get("/api/contactlist/c2Rmc2Rmc2Rm/contact/43223").json()["email"] == "a@example.com"
