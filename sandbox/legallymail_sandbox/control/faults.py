"""Fault injection from the control API: add, list, clear (all or one)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from legallymail_sandbox.apis import ApiError
from legallymail_sandbox.faults import FaultSpecError
from legallymail_sandbox.requestdata import raw_json, sandbox_of

router = APIRouter()


@router.get("/faults")
async def list_faults(request: Request) -> dict[str, Any]:
    return {"faults": [f.to_dict() for f in sandbox_of(request).faults.faults]}


@router.post("/faults")
async def add_fault(request: Request) -> dict[str, Any]:
    try:
        fault = sandbox_of(request).faults.add(await raw_json(request))
    except FaultSpecError as exc:
        raise ApiError(400, str(exc)) from None
    return {"fault": fault.to_dict()}


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    book = sandbox_of(request).faults
    count = len(book.faults)
    book.clear()
    return {"cleared": count}


@router.delete("/faults/{fault_id}")
async def remove_fault(request: Request, fault_id: int) -> dict[str, Any]:
    if not sandbox_of(request).faults.remove(fault_id):
        raise ApiError(404, f"no fault {fault_id}")
    return {"cleared": 1}
