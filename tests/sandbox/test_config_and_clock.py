"""The clock (speed, offset, continuity), both APIs' date formats, and start-time settings."""

from __future__ import annotations

import pytest

from legallymail_sandbox.clock import SandboxClock, lm_date, lt_date
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer
from tests.sandbox.support import lm_api, lm_error, lt_api

JUNE_26_2019_05_11_47 = 1561525907.0


def test_date_formats() -> None:
    assert lm_date(JUNE_26_2019_05_11_47, "Europe/Madrid") == "2019-06-26 07:11:47"
    assert lm_date(JUNE_26_2019_05_11_47, "UTC") == "2019-06-26 05:11:47"
    assert lm_date(None, "UTC") is None
    assert lt_date(JUNE_26_2019_05_11_47 + 0.25) == "2019-06-26T05:11:47.250+0000"


def test_clock_runs_at_its_speed_and_keeps_offsets_across_speed_changes() -> None:
    mono = [0.0]
    clock = SandboxClock(2.0, start=1000.0, monotonic=lambda: mono[0])
    mono[0] = 10.0
    assert clock.now() == 1020.0
    clock.advance(100)
    assert clock.now() == 1120.0
    clock.set_speed(0.0)
    mono[0] = 50.0
    assert clock.now() == 1120.0
    clock.reset(1.0, start=5.0)
    assert (clock.now(), clock.offset) == (5.0, 0.0)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"credits": -1}, "credits"),
        ({"max_recipients": 0}, "max_recipients"),
        ({"rate_window": 0}, "rate_window"),
        ({"speed": -1}, "speed"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"legallymail_token": " "}, "tokens"),
        ({"read_certificates": "both"}, "read_certificates"),
    ],
)
def test_invalid_config_is_refused(settings: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SandboxConfig(**settings)  # type: ignore[arg-type]


def test_start_settings_apply() -> None:
    config = SandboxConfig(
        speed=0.0,
        rate_limit=0,
        max_recipients=2,
        timezone="UTC",
        delivered_after=1,
        read_after=2,
        legallymail_token="lm-tok",
        legitmailer_token="lt-key",
    )
    with SandboxServer(config) as server:
        assert server.legallymail_token == "lm-tok" and server.legitmailer_token == "lt-key"
        lm, lt = lm_api(server), lt_api(server)
        assert lt.get("/api/template/list").status_code == 200
        three = {"recipient": "a@x.com, b@x.com, c@x.com", "subject": "s", "message": "m"}
        assert "at most 2" in lm_error(lm.post("/api/send", json=three), 400)
        tracking_id = lm.post("/api/send", json={**three, "recipient": "a@x.com"}).json()["data"]["tracking_id"]
        server.advance(2)
        email = lm.get("/api/email", params={"tracking_id": tracking_id}).json()["email"]
        assert email["status"] == "read"
        assert email["sent_at"] == lm_date(server.clock()["epoch"] - 2, "UTC")
