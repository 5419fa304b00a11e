from __future__ import annotations

import json
import logging

import structlog
from servicekit.logging import clean_request_id, configure_logging


def test_json_lines_carry_bound_context(capsys):
    configure_logging("json", "INFO", service="demo")
    structlog.contextvars.bind_contextvars(request_id="req-1", correlation_id="corr-1")
    try:
        structlog.get_logger("t").info("dossier_updated", fields=2)
        logging.getLogger("stdlib").warning("plain_stdlib_line")
    finally:
        structlog.contextvars.clear_contextvars()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    ours = next(line for line in lines if line["event"] == "dossier_updated")
    assert ours["request_id"] == "req-1" and ours["correlation_id"] == "corr-1"
    assert ours["service"] == "demo" and ours["level"] == "info" and ours["fields"] == 2
    assert any(line["event"] == "plain_stdlib_line" for line in lines)


def test_request_ids_from_clients_are_sanitised():
    assert clean_request_id("abc_123-x.y") == "abc_123-x.y"
    assert clean_request_id("a\nb") != "a\nb"
    assert len(clean_request_id(None)) == 32
