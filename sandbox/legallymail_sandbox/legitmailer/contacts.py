"""Contact lists: ``GET /api/contactlist`` and add/get/update/delete of a contact by customer id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.legitmailer.catalog import CONTACT_LISTS, ContactListSeed, contact_list
from legallymail_sandbox.legitmailer.compose import address
from legallymail_sandbox.records import ContactRecord
from legallymail_sandbox.requestdata import json_object, sandbox_of

router = APIRouter()
CONTACT_PATH = "/api/contactlist/{contact_list_id}/contact/{customer_id}"


@router.get("/api/contactlist")
async def list_contact_lists(request: Request) -> JSONResponse:
    contacts = sandbox_of(request).state.contacts
    items = [
        {
            "name": seed.name,
            "description": seed.description,
            "size": sum(1 for list_id, _ in contacts if list_id == seed.contact_list_id),
            "createdOn": seed.created_on,
            "contactListId": seed.contact_list_id,
        }
        for seed in CONTACT_LISTS
    ]
    return JSONResponse({"count": len(items), "contactLists": items})


def _list(contact_list_id: str) -> ContactListSeed:
    seed = contact_list(contact_list_id)
    if seed is None:
        raise ApiError(404, f"Contact list not found: {contact_list_id!r}")
    return seed


def _data(value: Any, seed: ContactListSeed) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ApiError(400, "data: required, a list of {column: value} objects")
    for item in value:
        for column in item:
            if column not in seed.columns:
                known = ", ".join(seed.columns)
                raise ApiError(
                    400, f"data: unknown column {column!r} for contact list {seed.name!r} (columns: {known})"
                )
    return [dict(item) for item in value]


def _json(seed: ContactListSeed, contact: ContactRecord) -> JSONResponse:
    return JSONResponse(
        {"contactListName": seed.name, "customerId": contact.customer_id, "email": contact.email, "data": contact.data}
    )


async def _checked(request: Request, seed: ContactListSeed, customer_id: str) -> ContactRecord:
    body = await json_object(request)
    return ContactRecord(
        seed.contact_list_id, customer_id, address(body.get("email"), "email", False), _data(body.get("data"), seed)
    )


@router.post(CONTACT_PATH)
async def add_contact(request: Request, contact_list_id: str, customer_id: str) -> JSONResponse:
    seed = _list(contact_list_id)
    contact = await _checked(request, seed, customer_id)
    state = sandbox_of(request).state
    if (seed.contact_list_id, customer_id) in state.contacts:
        raise ApiError(400, f"Contact {customer_id!r} already exists in list {seed.name!r}")
    state.save_contact(contact)
    return _json(seed, contact)


def _existing(request: Request, seed: ContactListSeed, customer_id: str) -> ContactRecord:
    contact = sandbox_of(request).state.contacts.get((seed.contact_list_id, customer_id))
    if contact is None:
        raise ApiError(404, f"Contact not found: {customer_id!r} in list {seed.name!r}")
    return contact


@router.get(CONTACT_PATH)
async def get_contact(request: Request, contact_list_id: str, customer_id: str) -> JSONResponse:
    seed = _list(contact_list_id)
    return _json(seed, _existing(request, seed, customer_id))


@router.put(CONTACT_PATH)
async def update_contact(request: Request, contact_list_id: str, customer_id: str) -> JSONResponse:
    seed = _list(contact_list_id)
    _existing(request, seed, customer_id)
    contact = await _checked(request, seed, customer_id)
    sandbox_of(request).state.save_contact(contact)
    return _json(seed, contact)


@router.delete(CONTACT_PATH)
async def delete_contact(request: Request, contact_list_id: str, customer_id: str) -> Response:
    seed = _list(contact_list_id)
    _existing(request, seed, customer_id)
    sandbox_of(request).state.delete_contact(seed.contact_list_id, customer_id)
    return Response(status_code=204)
