"""A tiny HTTP server that records every request it gets and answers with a redirect or a PDF."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Received:
    method: str
    target: str  # the request line's target: path and query
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        """Everything the server got, as one string to search for a secret in."""
        headers = "\n".join(f"{name}: {value}" for name, value in self.headers.items())
        return f"{self.method} {self.target}\n{headers}\n\n{self.body.decode('latin-1')}"


@dataclass
class RecordingServer:
    """``with RecordingServer("127.0.0.2") as other:``; ``redirects`` maps a path to a Location."""

    host: str = "127.0.0.1"
    redirects: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    def __enter__(self) -> RecordingServer:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
                location = recorder.redirects.get(self.path.split("?", 1)[0])
                self.send_response(302 if location else 200)
                if location:
                    self.send_header("Location", location)
                payload = b"" if location else b"%PDF-1.4 from " + recorder.host.encode()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
