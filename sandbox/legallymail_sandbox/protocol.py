"""A uvicorn h11 protocol that lets the app reach its connection's transport, to drop a response.

ASGI gives an app no way to close a connection without answering; ``SandboxH11Protocol`` puts the
asyncio transport in ``scope["extensions"]["sandbox.transport"]`` so the fault middleware can abort it.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

TRANSPORT_KEY = "sandbox.transport"


class SandboxH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app_with_transport(scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("extensions", {})[TRANSPORT_KEY] = self.transport
            await inner(scope, receive, send)

        self.app = app_with_transport
