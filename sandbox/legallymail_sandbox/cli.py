"""``legallymail-sandbox``: serve the sandbox in the foreground until Ctrl-C.

Prints both base URLs, the two ``AIRFLOW_CONN_...`` lines to paste into a shell (and the same connections
as URIs), where the samples are, and the seeded templates and contact lists.
"""

from __future__ import annotations

import argparse
import errno
import shlex
import sys
from collections.abc import Sequence

import uvicorn

from legallymail_sandbox.config import (
    DEFAULT_LEGALLYMAIL_TOKEN,
    DEFAULT_LEGITMAILER_TOKEN,
    READ_CERTIFICATES,
    SandboxConfig,
)
from legallymail_sandbox.runtime import Sandbox
from legallymail_sandbox.samples import SAMPLE_PDF_PATH, SAMPLES_PATH, seed_lines
from legallymail_sandbox.server import SandboxServer, bind, uvicorn_config

DEFAULT_PORT = 8765
STOP_HINT = "Serving until Ctrl-C."
EPILOG = "\n".join(
    [
        "Once running, the control API (no auth) says what you need to call the APIs:",
        f"  GET {SAMPLES_PATH:<32}templates (tokens), contact lists (columns), outcome tags, sample PDF",
        f"  GET {SAMPLE_PDF_PATH:<32}a PDF to sign (POST /api/signature/send) or attach",
        f"  GET {'/_sandbox/docs':<32}every control endpoint (OpenAPI)",
        "",
        *seed_lines(),
    ]
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="legallymail-sandbox",
        description="Local LegallyMail + Legitmailer API",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)")
    parser.add_argument("--speed", type=float, default=1.0, help="sandbox seconds per real second (default 1)")
    parser.add_argument("--rate-limit", type=int, default=10, help="LegallyMail requests per window per IP; 0: off")
    parser.add_argument("--rate-window", type=float, default=60.0, help="rate limit window in seconds (default 60)")
    parser.add_argument("--credits", type=int, default=100, help="email credits (default 100)")
    parser.add_argument("--sms-credits", type=int, default=50, help="SMS credits (default 50)")
    parser.add_argument("--max-recipients", type=int, default=10, help="recipients per send (default 10)")
    parser.add_argument(
        "--read-certificates",
        default="read_only",
        choices=READ_CERTIFICATES,
        help="certificates a recipient lists once read: read_only (as documented, default) or delivered_and_read",
    )
    parser.add_argument("--db", default=None, metavar="PATH", help="SQLite file to keep the state in")
    parser.add_argument("--legallymail-token", default=DEFAULT_LEGALLYMAIL_TOKEN)
    parser.add_argument("--legitmailer-token", default=DEFAULT_LEGITMAILER_TOKEN)
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        legallymail_token=args.legallymail_token,
        legitmailer_token=args.legitmailer_token,
        credits=args.credits,
        sms_credits=args.sms_credits,
        max_recipients=args.max_recipients,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        speed=args.speed,
        read_certificates=args.read_certificates,
        db_path=args.db,
    )


def banner(server: SandboxServer) -> str:
    lines = [
        f"LegallyMail sandbox: {server.legallymail_url}",
        f"Legitmailer sandbox: {server.legitmailer_url}",
        f"Control API:         {server.url}/_sandbox (docs: {server.url}/_sandbox/docs)",
        "",
    ]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in server.connection_env().items()]
    lines.append("# or the same connections as URIs (the path lands in the connection's schema field):")
    lines += [f"# export {name}={shlex.quote(value)}" for name, value in server.connection_uris().items()]
    lines += [
        "",
        f"Samples:             {server.url}{SAMPLES_PATH} (templates, contact lists, outcome tags)",
        f"Sample PDF to sign:  {server.url}{SAMPLE_PDF_PATH}",
        *seed_lines(),
        "",
        STOP_HINT,
    ]
    return "\n".join(lines)


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is taken (another sandbox, or another server, listens there); "
            "choose another with --port N, or --port 0 for any free port"
        )
    return f"cannot listen on {host} port {port}: {exc.strerror or exc}; check --host and --port"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as exc:
        print(f"legallymail-sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"legallymail-sandbox: {cannot_listen(args.host, args.port, exc)}", file=sys.stderr)
        return 1
    described = SandboxServer(config, host=args.host, port=sock.getsockname()[1])
    print(banner(described), flush=True)
    sandbox = Sandbox(config)
    try:
        uvicorn.Server(uvicorn_config(sandbox, sock, args.log_level)).run(sockets=[sock])
    except KeyboardInterrupt:  # pragma: no cover - uvicorn handles SIGINT itself
        pass
    finally:
        sandbox.close()
        sock.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
