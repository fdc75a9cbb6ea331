"""``SandboxServer``: run the sandbox in a background thread on a free port, with small control helpers.

with SandboxServer() as sandbox:
    os.environ.update(sandbox.connection_env(requests_per_minute=0))
    ...  # hooks now talk to the sandbox
    sandbox.advance(60)
"""

from __future__ import annotations

import json
import socket
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import requests
import uvicorn

from legallymail_sandbox.apis import CONTROL_PREFIX, LEGALLYMAIL_PREFIX, LEGITMAILER_PREFIX
from legallymail_sandbox.app import create_app
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.protocol import SandboxH11Protocol
from legallymail_sandbox.runtime import Sandbox
from legallymail_sandbox.samples import SAMPLE_PDF_PATH

STARTUP_TIMEOUT = 15.0
LEGALLYMAIL_ONLY_EXTRAS = frozenset({"credentials_in_body", "token_in_body", "sandbox_speed", "rate_window"})
DEFAULT_RATE_WINDOW = 60.0


def uvicorn_config(sandbox: Sandbox, sock: socket.socket, log_level: str = "warning") -> uvicorn.Config:
    """The uvicorn settings both runners use (h11 protocol exposing the transport, quiet logs)."""
    host, port = sock.getsockname()[:2]
    return uvicorn.Config(
        create_app(sandbox=sandbox),
        host=host,
        port=port,
        http=SandboxH11Protocol,
        lifespan="off",
        access_log=False,
        date_header=False,  # the middleware sends the sandbox clock's Date
        log_level=log_level,
        timeout_graceful_shutdown=2,
    )


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class SandboxServer:
    """A context manager: starts uvicorn in a thread, waits until it answers, stops it on exit."""

    def __init__(self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.sandbox: Sandbox | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> SandboxServer:
        if self._server is not None:
            return self
        self.sandbox = Sandbox(self.config)
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(uvicorn_config(self.sandbox, sock))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="legallymail-sandbox", daemon=True
        )
        self._thread.start()
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("the sandbox server thread died while starting")
            try:
                if self._session.get(f"{self.url}{CONTROL_PREFIX}/clock", timeout=1).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to answer on a busy host
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"the sandbox did not answer on {self.url} within {STARTUP_TIMEOUT:g}s")

    def stop(self) -> None:
        self._session.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.sandbox is not None:
            self.sandbox.close()
        self._server = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses and connections -----------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def legallymail_url(self) -> str:
        return self.url + LEGALLYMAIL_PREFIX

    @property
    def legitmailer_url(self) -> str:
        return self.url + LEGITMAILER_PREFIX

    @property
    def legallymail_token(self) -> str:
        return self.config.legallymail_token

    @property
    def legitmailer_token(self) -> str:
        return self.config.legitmailer_token

    def connection_env(self, *, legitmailer_extra: dict[str, Any] | None = None, **extras: Any) -> dict[str, str]:
        """``AIRFLOW_CONN_LEGALLYMAIL_DEFAULT`` and ``AIRFLOW_CONN_LEGITMAILER_DEFAULT`` pointing here.

        ``extras`` go to both connections (except LegallyMail-only ones such as ``credentials_in_body``);
        ``legitmailer_extra`` replaces them for the Legitmailer connection. A sandbox whose clock runs faster
        than real time adds ``sandbox_speed`` to the LegallyMail connection, so waits count its seconds; one
        whose rate window is not 60 s adds ``rate_window``, so the client's request budget counts over it.
        """
        extras = {**self._sandbox_extras(), **extras}
        lt_extra = (
            dict(legitmailer_extra)
            if legitmailer_extra is not None
            else {k: v for k, v in extras.items() if k not in LEGALLYMAIL_ONLY_EXTRAS}
        )
        lm = {
            "conn_type": "legallymail",
            "host": self.legallymail_url,
            "password": self.legallymail_token,
            "extra": extras,
        }
        lt = {
            "conn_type": "legitmailer",
            "host": self.legitmailer_url,
            "password": self.legitmailer_token,
            "extra": lt_extra,
        }
        return {"AIRFLOW_CONN_LEGALLYMAIL_DEFAULT": json.dumps(lm), "AIRFLOW_CONN_LEGITMAILER_DEFAULT": json.dumps(lt)}

    def connection_uris(self) -> dict[str, str]:
        """The same two connections in Airflow's URI form, ``legitmailer://:KEY@127.0.0.1:PORT/legitmailer``:
        host and port of this server, the API's prefix as the path (which Airflow puts in ``schema``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = urlencode({name: f"{value:g}" for name, value in self._sandbox_extras().items()})  # as connection_env
        forms = (
            (
                "AIRFLOW_CONN_LEGALLYMAIL_DEFAULT",
                "legallymail",
                self.legallymail_token,
                LEGALLYMAIL_PREFIX + (f"?{query}" if query else ""),
            ),
            ("AIRFLOW_CONN_LEGITMAILER_DEFAULT", "legitmailer", self.legitmailer_token, LEGITMAILER_PREFIX),
        )
        return {
            name: f"{scheme}://:{quote(token, safe='')}@{host}:{self.port}{prefix}"
            for name, scheme, token, prefix in forms
        }

    def _sandbox_extras(self) -> dict[str, float]:
        """The LegallyMail extras this sandbox's settings call for: its clock speed and rate window."""
        extras: dict[str, float] = {}
        if self.speed > 1:
            extras["sandbox_speed"] = self.speed
        if self.rate_window != DEFAULT_RATE_WINDOW:
            extras["rate_window"] = self.rate_window
        return extras

    @property
    def rate_window(self) -> float:
        """The rate limit's window in seconds, as the running sandbox has it; before start, the config's."""
        return float(self.sandbox.limiter.window if self.sandbox is not None else self.config.rate_window)

    # -- control helpers ---------------------------------------------------------------------------
    def control(self, method: str, path: str, payload: Any = None, params: dict[str, Any] | None = None) -> Any:
        """Call the control API (``/_sandbox{path}``) and return its JSON; raises on an error status."""
        response = self._session.request(
            method, f"{self.url}{CONTROL_PREFIX}{path}", json=payload, params=params, timeout=10
        )
        if not response.ok:
            raise RuntimeError(f"sandbox control {method} {path}: HTTP {response.status_code} {response.text}")
        return response.json()

    def reset(self) -> None:
        self.control("POST", "/reset")

    def samples(self) -> dict[str, Any]:
        """Seeded templates (tokens), contact lists (columns), outcome tags and the sample PDF's URL."""
        result: dict[str, Any] = self.control("GET", "/samples")
        return result

    def sample_pdf(self) -> bytes:
        """The sample PDF to sign or attach (``GET /_sandbox/samples/contract.pdf``)."""
        response = self._session.get(f"{self.url}{SAMPLE_PDF_PATH}", timeout=10)
        response.raise_for_status()
        return response.content

    def clock(self) -> dict[str, Any]:
        result: dict[str, Any] = self.control("GET", "/clock")
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self.control("POST", "/clock/advance", {"seconds": seconds})
        return result

    @property
    def speed(self) -> float:
        """Sandbox seconds per real second, as the running clock has it (0: frozen); before start, the config's."""
        return float(self.sandbox.clock.speed if self.sandbox is not None else self.config.speed)

    def set_speed(self, factor: float) -> None:
        self.control("POST", "/speed", {"factor": factor})

    def fault(
        self,
        api: str,
        method: str | None,
        path: str,
        *,
        status: int | None = None,
        count: int | None = None,
        ratio: float | None = None,
        retry_after: float | None = None,
        latency: float | None = None,
        drop_response: bool = False,
        tamper: bool = False,
    ) -> dict[str, Any]:
        spec = {
            "api": api,
            "method": method,
            "path": path,
            "status": status,
            "count": count,
            "ratio": ratio,
            "retry_after": retry_after,
            "latency": latency,
            "drop_response": drop_response,
            "tamper": tamper,
        }
        result: dict[str, Any] = self.control("POST", "/faults", {k: v for k, v in spec.items() if v is not None})
        return result["fault"]  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def received(self, api: str | None = None, method: str | None = None, path: str | None = None) -> list[Any]:
        params = {k: v for k, v in {"api": api, "method": method, "path": path}.items() if v is not None}
        return list(self.control("GET", "/requests", params=params)["requests"])

    def legitmailer_sent(self) -> list[Any]:
        return list(self.control("GET", "/legitmailer/sent")["sent"])

    def certified_sent(self) -> list[Any]:
        """Certified emails as sent: recipients, subject, message (the body) and attachments' names."""
        return list(self.control("GET", "/legallymail/sent")["sent"])

    def set_credits(self, emails: int | None = None, sms: int | None = None) -> dict[str, Any]:
        payload = {k: v for k, v in {"emails": emails, "sms": sms}.items() if v is not None}
        result: dict[str, Any] = self.control("POST", "/credits", payload)
        return result

    def set_rate_limit(self, limit: int | None = None, window: float | None = None) -> dict[str, Any]:
        payload = {k: v for k, v in {"limit": limit, "window": window}.items() if v is not None}
        result: dict[str, Any] = self.control("POST", "/rate-limit", payload)
        return result

    def elapse_rate_window(self, seconds: float) -> None:
        self.control("POST", "/rate-limit/elapse", {"seconds": seconds})

    def mark_read(self, tracking_id: str) -> list[str]:
        return list(self.control("POST", f"/emails/{tracking_id}/read")["marked"])

    def sign(self, uuid: str, signer_email: str | None = None) -> str:
        payload = {"signer_email": signer_email} if signer_email else None
        return str(self.control("POST", f"/signatures/{uuid}/sign", payload)["status"])

    def decline(self, uuid: str, signer_email: str | None = None) -> str:
        payload = {"signer_email": signer_email} if signer_email else None
        return str(self.control("POST", f"/signatures/{uuid}/decline", payload)["status"])
