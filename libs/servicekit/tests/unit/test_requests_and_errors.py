"""Reading requests (JSON, forms, path ids) and domain errors, as a client sees them."""

from __future__ import annotations

import uuid

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from servicekit.errors import Conflict, FieldError, Invalid, NotFound, Throttled, TooLarge
from servicekit.identity import (
    CLIENT_HEADER,
    IDENTITY_HEADER,
    Identity,
    identity_middleware,
    sign_client,
    sign_identity,
)
from servicekit.requests import client_address, path_uuid, read_command, read_form, read_json
from servicekit.testing import http_client
from servicekit.web import create_base_app


class Booking(BaseModel):
    seats: int = Field(ge=1, le=5)
    note: str = Field("", max_length=20)
    urgent: bool = False

    @field_validator("note")
    @classmethod
    def no_shouting(cls, value: str) -> str:
        if value.isupper():
            # A code Pydantic also uses: the model's own French message must win.
            raise PydanticCustomError("too_long", "Merci de ne pas écrire en majuscules.")
        return value


class SeatsTaken(Conflict):
    code = "seats_taken"
    title = "Ces places viennent d'être réservées par quelqu'un d'autre."


async def book_json(request):
    booking = await read_json(request, Booking)
    return web.json_response(booking.model_dump(), status=201)


async def book_any(request):
    booking, upload = await read_command(request, Booking, file_field="file", max_file_bytes=1024)
    return web.json_response(
        {
            **booking.model_dump(),
            "file": upload.filename if upload else None,
            "size": len(upload.content) if upload else 0,
        }
    )


def attachment_too_large() -> TooLarge:
    message = "La pièce jointe ne doit pas dépasser 1 Mo."
    return TooLarge("attachment_too_large", field="attachment", message=message)


async def book_with_attachment(request):
    _, upload = await read_form(
        request, Booking, file_field="attachment", max_file_bytes=1024, too_large=attachment_too_large
    )
    return web.json_response({"file": upload.filename if upload else None})


async def show(request):
    return web.json_response({"id": str(path_uuid(request, "thread_id"))})


async def refuse(request):
    kind = request.match_info["kind"]
    if kind == "conflict":
        raise SeatsTaken()
    if kind == "throttled":
        raise Throttled(retry_after=30)
    if kind == "invalid":
        raise Invalid(errors=[FieldError("seats", "too_many", "Pas plus de cinq places.")])
    raise NotFound("thread_not_found", "Ce message n'existe pas.")


SECRET = "a-test-identity-secret-of-40-characters!"


async def whoami(request):
    return web.json_response({"address": client_address(request)})


@pytest.fixture
async def client():
    app = create_base_app("demo", middlewares=[identity_middleware(SECRET)])
    app.router.add_post("/bookings", book_json)
    app.router.add_post("/any", book_any)
    app.router.add_post("/attach", book_with_attachment)
    app.router.add_get("/threads/{thread_id}", show)
    app.router.add_get("/refuse/{kind}", refuse)
    app.router.add_get("/whoami", whoami)
    async with http_client(app) as client:
        yield client


async def test_json_is_read_strictly(client):
    ok = await client.post("/bookings", json={"seats": 2})
    assert ok.status == 201 and (await ok.json())["seats"] == 2
    # A number as text is refused in JSON (strict), with a French message.
    resp = await client.post("/bookings", json={"seats": "2"})
    assert resp.status == 422
    assert (await resp.json())["errors"] == [
        {"field": "seats", "code": "int_type", "message": "Un nombre entier est attendu."}
    ]


async def test_wrong_content_type_is_415_in_french(client):
    resp = await client.post("/bookings", data=b"seats=2", headers={"Content-Type": "text/plain"})
    assert resp.status == 415
    assert resp.content_type == "application/problem+json"
    assert (await resp.json())["title"].startswith("Ce format n'est pas accepté")


@pytest.mark.parametrize("body", [b"{nope", b"\xff\xfe", b"[" * 100_000])
async def test_broken_json_is_400(client, body):
    resp = await client.post("/bookings", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert (await resp.json())["title"] == "Le contenu envoyé n'est pas du JSON valide."


async def test_json_that_is_not_an_object_is_422(client):
    resp = await client.post("/bookings", json=[1, 2])
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["message"] == "Un objet JSON est attendu."


async def test_a_models_own_french_message_is_kept(client):
    resp = await client.post("/bookings", json={"seats": 1, "note": "VITE"})
    assert (await resp.json())["errors"] == [
        {"field": "note", "code": "too_long", "message": "Merci de ne pas écrire en majuscules."}
    ]


async def test_urlencoded_form_with_a_checkbox(client):
    resp = await client.post("/any", data={"seats": "3", "urgent": "on", "unknown": "dropped"})
    assert resp.status == 200
    assert await resp.json() == {"seats": 3, "note": "", "urgent": True, "file": None, "size": 0}


async def test_multipart_form_with_its_file(client):
    form = aiohttp.FormData()
    form.add_field("seats", "1")
    form.add_field("file", b"%PDF-1.4 tiny", filename="a.pdf", content_type="application/pdf")
    resp = await client.post("/any", data=form)
    assert await resp.json() == {"seats": 1, "note": "", "urgent": False, "file": "a.pdf", "size": 13}


async def test_a_part_with_headers_aiohttp_cannot_parse_is_400_not_500(client):
    # What the schemathesis pass sent: a part header line with no colon (InvalidHeader).
    body = (
        b"--B\r\nContent-Disposition: form-data; name=\"seats\"\r\nnot a header line\r\n\r\n1\r\n--B--\r\n"
    )
    resp = await client.post("/any", data=body, headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert resp.status == 400
    assert resp.content_type == "application/problem+json"


async def test_oversized_file_is_413_naming_the_field(client):
    form = aiohttp.FormData()
    form.add_field("seats", "1")
    form.add_field("file", b"x" * 4096, filename="big.pdf", content_type="application/pdf")
    resp = await client.post("/any", data=form)
    assert resp.status == 413
    assert (await resp.json())["errors"][0]["field"] == "file"


async def test_the_service_says_what_too_large_means(client):
    form = aiohttp.FormData()
    form.add_field("seats", "1")
    form.add_field("attachment", b"x" * 4096, filename="big.pdf", content_type="application/pdf")
    resp = await client.post("/attach", data=form)
    assert resp.status == 413
    assert (await resp.json())["errors"] == [
        {"field": "attachment", "code": "attachment_too_large", "message": "La pièce jointe ne doit pas dépasser 1 Mo."}
    ]


async def test_an_overlong_text_field_is_413_naming_it(client):
    form = aiohttp.FormData()
    form.add_field("seats", "1")
    form.add_field("note", "a" * (129 * 1024))
    form.add_field("attachment", b"%PDF", filename="a.pdf")  # makes it multipart
    resp = await client.post("/attach", data=form)
    assert resp.status == 413
    assert (await resp.json())["errors"][0]["field"] == "note"


async def test_form_reader_refuses_other_types_in_french(client):
    resp = await client.post("/any", data=b"<x/>", headers={"Content-Type": "application/xml"})
    assert resp.status == 415
    assert "JSON ou un formulaire" in (await resp.json())["title"]


async def test_typed_path_id(client):
    thread_id = uuid.uuid4()
    assert (await (await client.get(f"/threads/{thread_id}")).json()) == {"id": str(thread_id)}
    resp = await client.get("/threads/not-a-uuid")
    assert resp.status == 404
    assert (await resp.json())["title"] == "Cette ressource n'existe pas."


async def test_domain_errors_become_problems(client):
    conflict = await client.get("/refuse/conflict")
    body = await conflict.json()
    assert conflict.status == 409
    assert body["type"].endswith("/seats_taken")
    assert body["title"] == "Ces places viennent d'être réservées par quelqu'un d'autre."
    assert body["instance"] == "/refuse/conflict"

    throttled = await client.get("/refuse/throttled")
    assert throttled.status == 429
    assert throttled.headers["Retry-After"] == "30"
    assert (await throttled.json())["retry_after"] == 30

    invalid = await client.get("/refuse/invalid")
    assert invalid.status == 422
    assert (await invalid.json())["errors"] == [
        {"field": "seats", "code": "too_many", "message": "Pas plus de cinq places."}
    ]

    missing = await client.get("/refuse/other")
    assert missing.status == 404
    assert (await missing.json())["type"].endswith("/thread_not_found")


async def test_client_address_is_only_what_the_gateway_signed(client):
    # A plain X-Forwarded-For is anyone's to write: it is not believed.
    resp = await client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
    assert await resp.json() == {"address": "127.0.0.1"}
    # The signed client header is.
    resp = await client.get("/whoami", headers={CLIENT_HEADER: sign_client("203.0.113.9", SECRET)})
    assert await resp.json() == {"address": "203.0.113.9"}
    # A forged or stale one counts as nothing (the peer's address), not as an error.
    for forged in (
        sign_client("203.0.113.9", "another-secret-" + "x" * 30),
        sign_client("203.0.113.9", SECRET, now=1e6),
        "junk",
    ):
        resp = await client.get("/whoami", headers={CLIENT_HEADER: forged})
        assert await resp.json() == {"address": "127.0.0.1"}
    # The identity's own claim comes first.
    who = Identity(uuid.uuid4(), client_ip="2001:db8::7")
    headers = {IDENTITY_HEADER: sign_identity(who, SECRET), CLIENT_HEADER: sign_client("203.0.113.9", SECRET)}
    resp = await client.get("/whoami", headers=headers)
    assert await resp.json() == {"address": "2001:db8::7"}
