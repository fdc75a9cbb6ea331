"""Error answers: documented codes and each API's error body, for unknown paths, methods and bad JSON."""

from __future__ import annotations

from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import Api, lm_error, lt_error


def test_legallymail_wrong_method_is_405(lm: Api) -> None:
    response = lm.get("/api/send")
    lm_error(response, 405)
    assert "POST" in response.headers["allow"]
    lm_error(lm.delete("/api/emails"), 405)


def test_legitmailer_wrong_method_is_405(lt: Api) -> None:
    lt_error(lt.get("/api/email"), 405)
    lt_error(lt.post("/api/template/list"), 405)


def test_unknown_paths_are_404(lm: Api, lt: Api) -> None:
    lm_error(lm.get("/api/nothing-here"), 404)
    lt_error(lt.get("/api/nothing-here"), 404)


def test_invalid_json_is_400(lm: Api, lt: Api) -> None:
    headers = {"Content-Type": "application/json"}
    assert "json" in lm_error(lm.post("/api/send", data="{not json", headers=headers), 400).lower()
    assert "json" in lt_error(lt.post("/api/email", data="{not json", headers=headers), 400).lower()
    assert "object" in lm_error(lm.post("/api/send", json=["a"]), 400)


def test_server_errors_keep_the_api_error_shape(sandbox: SandboxServer, lm: Api, lt: Api) -> None:
    sandbox.fault("legallymail", "GET", "/api/info", status=500, count=1)
    sandbox.fault("legitmailer", "GET", "/api/template/list", status=503, count=1)
    lm_error(lm.get("/api/info"), 500)
    lt_error(lt.get("/api/template/list"), 503)
    assert lm.get("/api/info").status_code == 200
    assert lt.get("/api/template/list").status_code == 200
