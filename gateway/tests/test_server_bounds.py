"""The gateway server's bounds as settings, and what it logs about accept failures."""

from __future__ import annotations

import errno

import pytest
from gateway.server import AcceptErrorReporter


class FakeLoop:
    def __init__(self):
        self.passed_on: list[dict] = []

    def default_exception_handler(self, context):
        self.passed_on.append(context)


def test_accept_failures_are_reported_once_per_interval(caplog, capsys):
    now = [0.0]
    reporter = AcceptErrorReporter(interval=60, clock=lambda: now[0])
    loop = FakeLoop()
    context = {"message": AcceptErrorReporter.MESSAGE, "exception": OSError(errno.EMFILE, "Too many open files")}
    for _ in range(500):
        reporter(loop, context)
        now[0] += 0.01
    now[0] += 60
    reporter(loop, context)
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err + caplog.text).splitlines() if "accept_failed" in line]
    assert len(lines) == 2, lines
    assert "failures_since_last_report=499" in lines[1] or '"failures_since_last_report": 499' in lines[1]
    assert loop.passed_on == []


def test_other_loop_errors_go_to_the_default_handler():
    loop = FakeLoop()
    AcceptErrorReporter()(loop, {"message": "Task exception was never retrieved"})
    assert loop.passed_on == [{"message": "Task exception was never retrieved"}]


@pytest.mark.parametrize("name", ["keepalive_seconds", "client_body_idle_seconds", "form_read_seconds"])
def test_the_bounds_are_settings(name, monkeypatch):
    from gateway.settings import GatewaySettings

    monkeypatch.setenv(f"GATEWAY_{name.upper()}", "7")
    assert getattr(GatewaySettings(environment="development"), name) == 7
