"""Which package modules a deferred ``SignatureSensor`` wait runs through, traced at run time.

Starts a sandbox, requests a signature, signs it, then runs the wait's trigger (``LegallyMailWaitTrigger``,
what ``SignatureSensor(deferrable=True)`` defers to) until its event, with ``sys.setprofile`` on every
thread (the hook runs in worker threads). Prints the distinct modules of ``airflow_provider_legallymail``
entered, the moves between modules (a call or return from a function of one module into another; calls
outside the package are skipped over), the modules entered most often, and the waiting side's size.

Run: ``.venv/bin/python -m bench.wait_trace``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

import airflow_provider_legallymail

PACKAGE = "airflow_provider_legallymail"
ROOT = Path(airflow_provider_legallymail.__file__).parent


class Tracer:
    """Counts moves between package modules, per thread (each thread has its own current module)."""

    def __init__(self) -> None:
        self.modules: Counter[str] = Counter()  # module -> times control entered it from another module
        self.moves = 0
        self.current: dict[int, str] = {}
        self.lock = threading.Lock()

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event not in ("call", "return"):
            return
        target = frame if event == "call" else frame.f_back
        if target is None:
            return
        module = target.f_globals.get("__name__", "")
        if not module.startswith(PACKAGE):
            return
        thread = threading.get_ident()
        with self.lock:
            before = self.current.get(thread)
            if module != before:
                self.current[thread] = module
                self.modules[module] += 1
                if before is not None:
                    self.moves += 1


def waiting_size() -> tuple[int, int]:
    files = [p for p in (ROOT / "waiting").glob("*.py") if p.name != "__init__.py"]
    return len(files), sum(len(p.read_text().splitlines()) for p in files)


def run() -> Tracer:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from airflow_provider_legallymail.triggers.legallymail import LegallyMailWaitTrigger
    from airflow_provider_legallymail.waiting.wait import wait_spec
    from legallymail_sandbox.config import SandboxConfig
    from legallymail_sandbox.server import SandboxServer

    with SandboxServer(SandboxConfig(speed=0.0, rate_limit=0)) as sandbox:
        os.environ.update(sandbox.connection_env(requests_per_minute=0))
        hook = LegallyMailHook()
        pdf = sandbox.sample_pdf()
        sent = hook.request_signature(pdf, "contract.pdf", [{"name": "Ana", "email": "ana@example.com"}])
        sandbox.sign(sent.uuid)
        spec = wait_spec("signature", sent.uuid, "signed", "all", deadline=time.time() + 600)
        trigger = LegallyMailWaitTrigger(spec.to_json())

        async def first_event() -> dict[str, Any]:
            async for event in trigger.run():
                return dict(event.payload)
            raise AssertionError("no event")

        tracer = Tracer()
        threading.setprofile(tracer)
        sys.setprofile(tracer)
        try:
            event = asyncio.run(first_event())
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
        assert event["status"] == "reached", event
        return tracer


def main() -> None:
    files, lines = waiting_size()
    tracer = run()
    short = {m: n for m, n in tracer.modules.items()}
    print(f"waiting/: {files} modules, {lines} lines")
    print(f"deferred SignatureSensor wait: {len(short)} package modules, {tracer.moves} moves between modules")
    for module, count in tracer.modules.most_common():
        print(f"  {count:4d}  {module.removeprefix(PACKAGE + '.')}")


if __name__ == "__main__":
    main()
