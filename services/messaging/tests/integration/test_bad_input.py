"""Bad input is a clear problem document, never a 500, and never leaves a row behind."""

from __future__ import annotations

import json

import aiohttp
import pytest

PDF = b"%PDF-1.4\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200

TABLES = ("threads", "messages", "attachments", "emails", "outbox", "idempotent_requests")


async def counts(harness) -> dict[str, int]:
    return {t: await harness.count(t) for t in TABLES}


def valid(harness, **changes) -> dict:
    body = {"theme_id": str(harness.themes["scolaire"]), "subject": "Sujet", "body": "Texte", "email_copy": True}
    body.update(changes)
    return body


def multipart(fields: dict, file: bytes | None, filename: str = "justificatif.pdf") -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, str(value))
    if file is not None:
        data.add_field("attachment", file, filename=filename, content_type="application/pdf")
    return data


JSON_CASES = {
    "empty subject": (lambda h: valid(h, subject=""), 422, "subject"),
    "blank subject": (lambda h: valid(h, subject="   \t "), 422, "subject"),
    "subject of 151 characters": (lambda h: valid(h, subject="x" * 151), 422, "subject"),
    "line break in subject": (lambda h: valid(h, subject="Bonjour\r\nBcc: x@y.z"), 422, "subject"),
    "empty body": (lambda h: valid(h, body=""), 422, "body"),
    "body of 20k characters": (lambda h: valid(h, body="x" * 20_000), 422, "body"),
    "NUL in body": (lambda h: valid(h, body="Bonjour\x00"), 422, "body"),
    "escape character in body": (lambda h: valid(h, body="\x1b[31mrouge"), 422, "body"),
    "lone surrogate in body": (lambda h: json.dumps(valid(h)).replace('"Texte"', '"\\ud800"'), 422, None),
    "subject is a number": (lambda h: valid(h, subject=5), 422, "subject"),
    "email_copy is a string": (lambda h: valid(h, email_copy="yes"), 422, "email_copy"),
    "theme_id is a number": (lambda h: valid(h, theme_id=12), 422, "theme_id"),
    "theme_id is not a uuid": (lambda h: valid(h, theme_id="scolaire"), 422, "theme_id"),
    "unknown theme": (lambda h: valid(h, theme_id="00000000-0000-4000-8000-000000000000"), 422, "theme_id"),
    "unknown field": (lambda h: valid(h, priority="high"), 422, "priority"),
    "missing fields": (lambda h: {"subject": "x"}, 422, "theme_id"),
    "not an object": (lambda h: [valid(h)], 422, None),
    "malformed JSON": (lambda h: '{"theme_id": "', 400, None),
}


@pytest.mark.parametrize("case", JSON_CASES, ids=list(JSON_CASES))
async def test_bad_json_is_refused_and_writes_nothing(harness, parent, case):
    make, status, field = JSON_CASES[case]
    payload = make(harness)
    before = await counts(harness)
    response = await harness.client.post(
        "/api/messaging/threads",
        data=payload if isinstance(payload, str) else json.dumps(payload),
        headers={
            **parent.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": "k-" + case.replace(" ", "-"),
        },
    )
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == status and problem["type"].startswith("https://portail-famille.fr/problems/")
    assert problem["title"]  # French, fit to show a parent
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]]
    for error in problem.get("errors", []):  # French, beside the field
        assert error["message"] and "Input should" not in error["message"]
    assert await counts(harness) == before


async def test_an_inactive_theme_is_refused(harness, parent):
    theme = await harness.db.fetchval(
        "INSERT INTO themes (code, label, staff_role, active) "
        "VALUES ('ancien', 'Ancien thème', 'messaging_staff', false) "
        "ON CONFLICT (code) DO UPDATE SET active = false RETURNING id"
    )
    before = await counts(harness)
    response = await harness.client.post(
        "/api/messaging/threads", json=valid(harness, theme_id=str(theme)), headers=parent.headers
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["code"] == "unknown_theme"
    assert await counts(harness) == before


FORM_CASES = {
    "a Windows program named .pdf": (EXE, "facture.pdf", 415, "unsupported_attachment"),
    "plain text named .png": (b"hello, I am text", "photo.png", 415, "unsupported_attachment"),
    "5 MiB and one byte": (PDF + b"0" * (5 * 1024 * 1024 + 1 - len(PDF)), "gros.pdf", 413, "attachment_too_large"),
}


@pytest.mark.parametrize("case", FORM_CASES, ids=list(FORM_CASES))
async def test_bad_attachments_are_refused_and_write_nothing(harness, parent, case):
    content, filename, status, code = FORM_CASES[case]
    before = await counts(harness)
    response = await harness.client.post(
        "/api/messaging/threads", data=multipart(valid(harness), content, filename), headers=parent.headers
    )
    assert response.status == status
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["type"].endswith("/" + code)
    assert problem["errors"][0]["field"] == "attachment"
    assert await counts(harness) == before


async def test_an_attachment_of_exactly_5_mib_is_accepted(harness, parent):
    content = PDF + b"0" * (5 * 1024 * 1024 - len(PDF))
    response = await harness.client.post(
        "/api/messaging/threads", data=multipart(valid(harness, email_copy=False), content), headers=parent.headers
    )
    assert response.status == 201
    assert (await response.json())["messages"][0]["attachments"][0]["size_bytes"] == 5 * 1024 * 1024


async def test_form_fields_follow_the_same_rules(harness, parent):
    before = await counts(harness)
    response = await harness.client.post(
        "/api/messaging/threads", data=multipart(valid(harness, body="x" * 10_001), PDF), headers=parent.headers
    )
    assert response.status == 422
    response = await harness.client.post(
        "/api/messaging/threads", data=multipart(valid(harness, email_copy="peut-être"), None), headers=parent.headers
    )
    assert response.status == 422
    assert await counts(harness) == before


async def test_broken_or_foreign_bodies(harness, parent):
    before = await counts(harness)
    broken = await harness.client.post(
        "/api/messaging/threads",
        data=b'--xyz\r\nContent-Disposition: form-data; name="subject"\r\n\r\nabc',
        headers={**parent.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status == 400 and broken.content_type == "application/problem+json"
    text = await harness.client.post(
        "/api/messaging/threads", data="subject=x", headers={**parent.headers, "Content-Type": "text/plain"}
    )
    assert text.status == 415
    assert (await text.json())["title"].startswith("Ce format n'est pas accepté")
    staff_text = await harness.client.post(
        "/api/messaging/admin/themes",
        data="label=x",
        headers={**harness.staff("messaging_staff"), "Content-Type": "text/plain"},
    )
    assert staff_text.status == 415 and "JSON" in (await staff_text.json())["title"]
    anonymous = await harness.client.post("/api/messaging/threads", json=valid(harness))
    assert anonymous.status == 401
    forged = await harness.client.post(
        "/api/messaging/threads", json=valid(harness), headers={"X-Portail-Identity": "forged.token.value"}
    )
    assert forged.status == 401
    assert await counts(harness) == before


async def test_bad_replies_write_nothing(harness, parent):
    thread = await harness.start_thread(parent)
    tid = thread["id"]
    agent = harness.staff("messaging_staff")
    before = await counts(harness)
    for response in [
        await harness.client.post(f"/api/messaging/threads/{tid}/messages", json={"body": ""}, headers=parent.headers),
        await harness.client.post(
            f"/api/messaging/threads/{tid}/messages", json={"body": "\x00"}, headers=parent.headers
        ),
        await harness.client.post(
            f"/api/messaging/admin/threads/{tid}/replies", json={"body": "x" * 20_000}, headers=agent
        ),
        await harness.client.post(f"/api/messaging/admin/threads/{tid}/replies", json={"body": 3}, headers=agent),
        await harness.client.post(
            f"/api/messaging/admin/threads/{tid}/replies",
            json={"template_id": "00000000-0000-4000-8000-000000000000"},
            headers=agent,
        ),
    ]:
        assert response.status == 422, await response.text()
        assert response.content_type == "application/problem+json"
    assert await counts(harness) == before
