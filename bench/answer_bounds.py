"""Peak Python memory (tracemalloc) of one ``get_email`` whose answer has no end, against a local server.

Three answers, each far beyond the 8 MiB bound: 256 MiB of body (chunked), the same with a declared
``Content-Length``, and a gzip bomb (256 MiB of zeros in about 260 KiB on the wire). Each call ends in
``UnreadableAnswerError``; the figure is the peak while it ran. Before the bounds, a 256 MiB answer peaked at
516 MiB (measured once on the previous release with this script's server), and an endless one had no end.
"""

from __future__ import annotations

import os
import tempfile
import tracemalloc

from tests.conftest import conn_json
from tests.hostile_server import MIB, HostileServer, gzip_bomb, streamed, zeros


def main() -> None:
    os.environ["LEGALLYMAIL_PROVIDER_STATE_DIR"] = tempfile.mkdtemp(prefix="bench-answer-bounds-")
    from airflow_provider_legallymail.exceptions import UnreadableAnswerError
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

    answers = {
        "256 MiB chunked": streamed(zeros),
        "256 MiB declared": streamed(zeros, length=256 * MIB),
        "gzip bomb, 256 MiB": streamed(gzip_bomb, gzip=True),
    }
    print("Peak Python memory of one get_email with an oversized answer (bound: 8 MiB)")
    for name, answer in answers.items():
        with HostileServer({"/api/email": answer}) as server:
            os.environ["AIRFLOW_CONN_LEGALLYMAIL_DEFAULT"] = conn_json(
                "legallymail", server.url, requests_per_minute=0, max_retries=0
            )
            hook = LegallyMailHook()
            tracemalloc.start()
            try:
                hook.get_email("cm_1")
            except UnreadableAnswerError as exc:
                outcome = str(exc)
            else:
                outcome = "no error (unexpected)"
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        print(f"  {name:20} peak {peak / MIB:6.1f} MiB   {outcome}")


if __name__ == "__main__":
    main()
