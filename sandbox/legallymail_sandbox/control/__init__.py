"""The control API at ``/_sandbox`` (no auth): clock, outcomes, credits, rate limit, faults, inspection, samples."""

from __future__ import annotations

from fastapi import APIRouter

from legallymail_sandbox.control import account, faults, inspect, samples, timeline


def build_router() -> APIRouter:
    router = APIRouter()
    for module in (timeline, account, inspect, faults, samples):
        router.include_router(module.router)
    return router
