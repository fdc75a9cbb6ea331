"""A local HTTP server answering each path with a crafted body: huge, endless, compressed, trickled..."""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Answer = Callable[[BaseHTTPRequestHandler], None]
MIB = 1024 * 1024


def json_answer(body: Any, status: int = 200) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    return answer


def zeros(total: int = 256 * MIB) -> Iterator[bytes]:
    """``total`` bytes (far beyond any bound: as good as endless, and an old client still ends)."""
    for _ in range(total // (64 * 1024)):
        yield b"0" * (64 * 1024)


def gzip_bomb(total: int = 256 * MIB) -> Iterator[bytes]:
    """A gzip stream of ``total`` zeros: about 1 KiB on the wire per MiB decoded."""
    encoder = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"0" * MIB
    for _ in range(total // MIB):
        yield encoder.compress(block) + encoder.flush(zlib.Z_SYNC_FLUSH)
    yield encoder.flush()


def streamed(
    chunks: Callable[[], Iterator[bytes]], *, gzip: bool = False, length: int | None = None, status: int = 200
) -> Answer:
    """An answer whose body is ``chunks()`` (chunked unless ``length`` is declared), until the client hangs up."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if gzip:
            handler.send_header("Content-Encoding", "gzip")
        if length is None:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        for chunk in chunks():
            if chunk:
                handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if length is None else chunk)
        if length is None:
            handler.wfile.write(b"0\r\n\r\n")

    return answer


def trickle(*, in_headers: bool = False, every: float = 0.05, seconds: float = 20.0) -> Answer:
    """One byte every ``every`` seconds for ``seconds`` (as good as for ever): in the body, or before the headers
    end; then the connection closes."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        if in_headers:
            handler.wfile.write(b"X-Slow: ")
        else:
            handler.wfile.write(b"Content-Length: 1000000\r\n\r\n[")
        handler.wfile.flush()
        for _ in range(int(seconds / every)):
            time.sleep(every)
            handler.wfile.write(b"a" if in_headers else b"1,")
            handler.wfile.flush()

    return answer


@dataclass
class HostileServer:
    """``with HostileServer({"/api/email": trickle()}) as server:``; ``received`` lists "METHOD /path?query"."""

    routes: dict[str, Answer]
    received: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HostileServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.received.append(f"{self.command} {self.path}")
                server.headers.append(dict(self.headers.items()))
                answer = server.routes.get(self.path.split("?", 1)[0]) or json_answer({"message": "no route"}, 404)
                try:
                    answer(self)
                except OSError:  # the client hung up: what these answers wait for
                    self.close_connection = True

            do_GET = do_POST = _any

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
