"""The built docs site (``make docs`` builds it into ``docs/_build/html`` before these tests run)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BUILT = DOCS / "_build" / "html"


def built_site() -> Path:
    if not (BUILT / "index.html").is_file():
        raise RuntimeError(f"{BUILT} has no index.html: run `make docs`, which builds the site and then runs these")
    return BUILT


@contextmanager
def served(root: Path) -> Iterator[str]:
    """The folder over HTTP on a free loopback port (the search page loads its index with a request)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
