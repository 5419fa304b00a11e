"""Helpers of the browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

import pytest
from portal_stack.stack import text_of

ARTIFACTS = Path(__file__).parent / "artifacts"


def required() -> bool:
    return os.environ.get("E2E_REQUIRED") == "1"


def unavailable(reason: str):
    """Skip, or fail when the environment says these tests must run (E2E_REQUIRED=1)."""
    if required():
        pytest.fail(f"E2E_REQUIRED=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def body_text(message: EmailMessage) -> str:
    """Every text part of a message, decoded (quoted-printable, base64) and joined."""
    return text_of(message)


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
