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


async def fill_registration_identity(page, base: str, *, email: str, username: str, password: str) -> None:
    """Step 1 of « Inscrivez-vous » for Claire Martin, saved: the browser is on step 2 after."""
    await page.fill("#f-last_name", "Martin")
    await page.fill("#f-first_name", "Claire")
    await page.fill("#f-email", email)
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    await page.click("form.form button:has-text('Enregistrer')")
    await page.wait_for_url(base + "/inscription/dossier")
