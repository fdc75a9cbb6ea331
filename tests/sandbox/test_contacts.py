"""Legitmailer contact lists: the seeded lists and add/get/update/delete by customer id."""

from __future__ import annotations

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lt_error

NEWSLETTER = "/api/contactlist/bmV3c2xldHRlcg"


def sizes(lt: Api) -> dict[str, int]:
    return {c["name"]: c["size"] for c in lt.get("/api/contactlist").json()["contactLists"]}


def test_seeded_lists(lt: Api) -> None:
    body = lt.get("/api/contactlist").json()
    assert body["count"] == 3
    lists = {c["name"]: c for c in body["contactLists"]}
    assert set(lists) == {"newsletter", "customers", "first"}
    assert lists["first"]["contactListId"] == "c2Rmc2Rmc2Rm"  # the id the vendor's contact examples use
    assert lists["newsletter"]["contactListId"] == "bmV3c2xldHRlcg"
    assert lists["customers"]["createdOn"].endswith(".000+0000")


def test_contact_round_trip(sandbox: SandboxServer, lt: Api) -> None:
    path = f"{NEWSLETTER}/contact/43223"
    added = lt.post(path, json={"email": "ana@example.com", "data": [{"first_name": "Ana"}, {"city": "Madrid"}]})
    assert added.status_code == 200
    assert added.json() == {
        "contactListName": "newsletter",
        "customerId": "43223",
        "email": "ana@example.com",
        "data": [{"first_name": "Ana"}, {"city": "Madrid"}],
    }
    assert sizes(lt) == {"newsletter": 1, "customers": 0, "first": 0}
    assert lt.get(path).json() == added.json()
    assert "already exists" in lt_error(lt.post(path, json={"email": "ana@example.com", "data": []}), 400)
    updated = lt.put(path, json={"email": "info@example.com", "data": [{"city": "Sevilla"}]})
    assert updated.json()["email"] == "info@example.com"
    assert lt.get(path).json()["data"] == [{"city": "Sevilla"}]
    deleted = lt.delete(path)
    assert deleted.status_code == 204
    lt_error(lt.get(path), 404)
    lt_error(lt.delete(path), 404)
    lt_error(lt.put(path, json={"email": "info@example.com", "data": []}), 404)
    assert sizes(lt) == {"newsletter": 0, "customers": 0, "first": 0}


def test_contact_errors(lt: Api) -> None:
    path = f"{NEWSLETTER}/contact/1"
    message = lt_error(lt.post(path, json={"email": "ana@example.com", "data": [{"plan": "gold"}]}), 400)
    assert "unknown column 'plan'" in message
    assert lt_error(lt.post(path, json={"email": "nope", "data": []}), 400).startswith("email")
    assert lt_error(lt.post(path, json={"email": "ana@example.com", "data": {"city": "x"}}), 400).startswith("data")
    lt_error(lt.get("/api/contactlist/bm9wZQ/contact/1"), 404)
    lt_error(lt.post("/api/contactlist/bm9wZQ/contact/1", json={"email": "ana@example.com", "data": []}), 404)
