"""« Messagerie / nous contacter »: parents write, staff answer, ownership holds."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
from messaging.service import housekeeping
from servicekit.testing import eventually

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def form(
    fields: dict, *, file: bytes | None = None, filename: str = "piece.pdf", content_type: str = "application/pdf"
):
    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    if file is not None:
        data.add_field("attachment", file, filename=filename, content_type=content_type)
    return data


async def test_themes_offered_to_parents(harness, parent):
    response = await harness.client.get("/api/messaging/themes", headers=parent.headers)
    assert response.status == 200
    labels = [t["label"] for t in (await response.json())["themes"]]
    assert labels[:4] == ["Scolaire", "Périscolaire / Animation", "Restauration", "Facturation"]


async def test_a_parent_sends_a_message_and_finds_it_in_sent(harness, parent):
    theme_id = str(harness.themes["restauration"])
    response = await harness.client.post(
        "/api/messaging/threads",
        json={
            "theme_id": theme_id,
            "subject": "  Allergie  ",
            "body": "Arthur est allergique aux œufs.",
            "email_copy": False,
        },
        headers=parent.headers,
    )
    assert response.status == 201
    thread = await response.json()
    assert thread["theme_id"] == theme_id and thread["subject"] == "Allergie"  # trimmed
    assert thread["theme_label"] == "Restauration" and thread["state"] == "open"
    [message] = thread["messages"]
    assert message["author"] == "parent" and message["body"] == "Arthur est allergique aux œufs."

    sent = await (await harness.client.get("/api/messaging/threads?box=sent", headers=parent.headers)).json()
    assert [t["id"] for t in sent["threads"]] == [thread["id"]]
    assert sent["threads"][0]["unread_replies"] == 0 and sent["threads"][0]["has_reply"] is False
    inbox = await (await harness.client.get("/api/messaging/threads?box=inbox", headers=parent.headers)).json()
    assert inbox["threads"] == []

    row = await harness.db.fetchrow("SELECT * FROM threads WHERE id = $1", uuid.UUID(thread["id"]))
    assert row["user_id"] == parent.user_id and row["dossier_id"] == parent.dossier_id
    event = await harness.db.fetchrow(
        "SELECT envelope FROM outbox WHERE event_type = 'messaging.message.received' "
        "AND envelope->'data'->>'thread_id' = $1",
        thread["id"],
    )
    assert event["envelope"]["data"]["dossier_id"] == str(parent.dossier_id)


async def test_a_parent_without_dossier_may_write(harness):
    parent = await harness.make_parent(with_dossier=False)
    thread = await harness.start_thread(parent)
    row = await harness.db.fetchrow("SELECT user_id, dossier_id FROM threads WHERE id = $1", uuid.UUID(thread["id"]))
    assert row["user_id"] == parent.user_id and row["dossier_id"] is None


async def test_attachment_is_stored_sanitised_and_downloaded_safely(harness, parent):
    response = await harness.client.post(
        "/api/messaging/threads",
        data=form(
            {
                "theme_id": str(harness.themes["scolaire"]),
                "subject": "Certificat",
                "body": "Ci-joint.",
                "email_copy": "on",
            },
            file=PDF,
            filename="../../Certificat  médical <final>.pdf",
            content_type="application/octet-stream",
        ),
        headers=parent.headers,
    )
    assert response.status == 201, await response.text()
    thread = await response.json()
    [attachment] = thread["messages"][0]["attachments"]
    assert attachment["filename"] == "Certificat médical _final_.pdf"
    assert attachment["content_type"] == "application/pdf" and attachment["size_bytes"] == len(PDF)

    download = await harness.client.get(attachment["url"], headers=parent.headers)
    assert download.status == 200
    assert await download.read() == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Certificat%20m%C3%A9dical" in disposition

    staff_copy = await harness.client.get(
        attachment["url"].replace("/api/messaging/threads", "/api/messaging/admin/threads"),
        headers=harness.staff("messaging_staff"),
    )
    assert staff_copy.status == 200 and await staff_copy.read() == PDF
    # « Confirmation par email » ticked in the form: the copy names the attachment.
    [copy] = await harness.wait_for_mail(parent.email)
    assert "Pièce jointe : Certificat médical _final_.pdf" in copy.text


async def test_a_png_named_pdf_is_kept_as_png(harness, parent):
    response = await harness.client.post(
        "/api/messaging/threads",
        data=form(
            {"theme_id": str(harness.themes["scolaire"]), "subject": "Photo", "body": "Voici."},
            file=PNG,
            filename="scan.pdf",
        ),
        headers=parent.headers,
    )
    assert response.status == 201
    [attachment] = (await response.json())["messages"][0]["attachments"]
    assert attachment["filename"] == "scan.png" and attachment["content_type"] == "image/png"


async def test_a_parent_cannot_reach_another_parents_thread(harness, parent):
    other = await harness.make_parent()
    response = await harness.client.post(
        "/api/messaging/threads",
        data=form({"theme_id": str(harness.themes["scolaire"]), "subject": "Privé", "body": "Privé."}, file=PDF),
        headers=parent.headers,
    )
    thread = await response.json()
    tid = thread["id"]
    attachment_url = thread["messages"][0]["attachments"][0]["url"]
    before = await harness.count("messages", "thread_id = $1", uuid.UUID(tid))

    attempts = [
        harness.client.get(f"/api/messaging/threads/{tid}", headers=other.headers),
        harness.client.post(
            f"/api/messaging/threads/{tid}/messages", json={"body": "Intrusion"}, headers=other.headers
        ),
        harness.client.get(attachment_url, headers=other.headers),
        harness.client.delete(f"/api/messaging/threads/{tid}", headers=other.headers),
        harness.client.get(f"/api/messaging/threads/{uuid.uuid4()}", headers=other.headers),
        harness.client.get("/api/messaging/threads/not-a-uuid", headers=other.headers),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status == 404
        assert response.content_type == "application/problem+json"
    assert await harness.count("messages", "thread_id = $1", uuid.UUID(tid)) == before
    assert await harness.count("threads", "id = $1 AND hidden_by_parent_at IS NULL", uuid.UUID(tid)) == 1
    other_box = await (await harness.client.get("/api/messaging/threads?box=sent", headers=other.headers)).json()
    assert other_box["threads"] == []
    # The owner still reaches it.
    assert (await harness.client.get(f"/api/messaging/threads/{tid}", headers=parent.headers)).status == 200


async def test_staff_of_another_role_cannot_read_a_themes_inbox(harness, parent):
    thread = await harness.start_thread(parent, theme="facturation", subject="Facture de mars")
    tid = thread["id"]
    facturation = harness.themes["facturation"]
    planning = harness.staff("planning_staff")
    messaging_staff = harness.staff("messaging_staff")
    for headers in (planning, messaging_staff):
        assert (
            await harness.client.get(f"/api/messaging/admin/threads?theme_id={facturation}", headers=headers)
        ).status == 403
        assert (await harness.client.get(f"/api/messaging/admin/threads/{tid}", headers=headers)).status == 403
        response = await harness.client.post(
            f"/api/messaging/admin/threads/{tid}/replies", json={"body": "x"}, headers=headers
        )
        assert response.status == 403
    parent_as_staff = await harness.client.get("/api/messaging/admin/threads", headers=parent.headers)
    assert parent_as_staff.status == 403
    # messaging_staff's own inbox does not list it either.
    listing = await (
        await harness.client.get("/api/messaging/admin/threads?state=open", headers=messaging_staff)
    ).json()
    assert tid not in [t["id"] for t in listing["threads"]]

    billing = harness.staff("billing_staff")
    listing = await (
        await harness.client.get(f"/api/messaging/admin/threads?theme_id={facturation}", headers=billing)
    ).json()
    assert tid in [t["id"] for t in listing["threads"]]
    assert {t["staff_role"] for t in listing["threads"]} == {"billing_staff"}
    admin = await (
        await harness.client.get(f"/api/messaging/admin/threads/{tid}", headers=harness.staff("admin"))
    ).json()
    assert admin["parent"]["user_id"] == str(parent.user_id) and admin["parent"]["name"] == "Arnaud LE DERF"


async def test_a_reply_raises_the_unread_count_and_reading_clears_it(harness, parent):
    thread = await harness.start_thread(parent, subject="Sortie scolaire")
    tid = thread["id"]
    agent = harness.staff("messaging_staff")

    staff_view = await (await harness.client.get("/api/messaging/admin/threads?unread=true", headers=agent)).json()
    assert tid in [t["id"] for t in staff_view["threads"]]
    opened = await (await harness.client.get(f"/api/messaging/admin/threads/{tid}", headers=agent)).json()
    assert opened["messages"][0]["read_at"] is None  # new to staff until now
    staff_view = await (await harness.client.get("/api/messaging/admin/threads?unread=true", headers=agent)).json()
    assert tid not in [t["id"] for t in staff_view["threads"]]

    assert (await (await harness.client.get("/api/messaging/notifications", headers=parent.headers)).json()) == {
        "unread_replies": 0
    }
    response = await harness.client.post(
        f"/api/messaging/admin/threads/{tid}/replies", json={"body": "Bonjour, la sortie a lieu jeudi."}, headers=agent
    )
    assert response.status == 201
    reply = (await response.json())["messages"][-1]
    assert reply["author"] == "staff" and reply["read_at"] is None

    assert (await (await harness.client.get("/api/messaging/notifications", headers=parent.headers)).json()) == {
        "unread_replies": 1
    }
    inbox = await (await harness.client.get("/api/messaging/threads?box=inbox", headers=parent.headers)).json()
    [summary] = [t for t in inbox["threads"] if t["id"] == tid]
    assert summary["unread_replies"] == 1 and summary["has_reply"] is True

    seen = await (await harness.client.get(f"/api/messaging/threads/{tid}", headers=parent.headers)).json()
    assert seen["messages"][-1]["author_label"] == "Mairie – Scolaire"
    assert seen["messages"][-1]["read_at"] is None  # shown as new this once
    assert (await (await harness.client.get("/api/messaging/notifications", headers=parent.headers)).json()) == {
        "unread_replies": 0
    }
    again = await (await harness.client.get(f"/api/messaging/threads/{tid}", headers=parent.headers)).json()
    assert again["messages"][-1]["read_at"] is not None

    event = await harness.db.fetchrow(
        "SELECT envelope FROM outbox WHERE event_type = 'messaging.reply.sent' AND envelope->'data'->>'thread_id' = $1",
        tid,
    )
    assert event["envelope"]["data"]["user_id"] == str(parent.user_id)

    # « Répondre » continues the thread.
    response = await harness.client.post(
        f"/api/messaging/threads/{tid}/messages", json={"body": "Merci !"}, headers=parent.headers
    )
    assert response.status == 201
    assert [m["author"] for m in (await response.json())["messages"]] == ["parent", "staff", "parent"]


async def test_a_closed_thread_refuses_an_answer(harness, parent):
    thread = await harness.start_thread(parent)
    tid = thread["id"]
    agent = harness.staff("messaging_staff")
    closed = await harness.client.post(f"/api/messaging/admin/threads/{tid}/close", headers=agent)
    assert closed.status == 200 and (await closed.json())["state"] == "closed"
    before = await harness.count("messages", "thread_id = $1", uuid.UUID(tid))
    response = await harness.client.post(
        f"/api/messaging/threads/{tid}/messages", json={"body": "Encore une question"}, headers=parent.headers
    )
    assert response.status == 409
    problem = await response.json()
    assert problem["type"].endswith("/thread_closed") and "close" in problem["title"]
    assert await harness.count("messages", "thread_id = $1", uuid.UUID(tid)) == before
    reopened = await harness.client.post(f"/api/messaging/admin/threads/{tid}/reopen", headers=agent)
    assert (await reopened.json())["state"] == "open"
    response = await harness.client.post(
        f"/api/messaging/threads/{tid}/messages", json={"body": "Encore une question"}, headers=parent.headers
    )
    assert response.status == 201


async def test_delete_hides_from_the_parent_but_the_town_keeps_it(harness, parent):
    thread = await harness.start_thread(parent, subject="À supprimer")
    tid = thread["id"]
    agent = harness.staff("messaging_staff")
    await harness.client.post(f"/api/messaging/admin/threads/{tid}/replies", json={"body": "Réponse"}, headers=agent)
    assert (await (await harness.client.get("/api/messaging/notifications", headers=parent.headers)).json())[
        "unread_replies"
    ] == 1

    response = await harness.client.delete(f"/api/messaging/threads/{tid}", headers=parent.headers)
    assert response.status == 204
    assert (await harness.client.delete(f"/api/messaging/threads/{tid}", headers=parent.headers)).status == 204
    for box in ("inbox", "sent"):
        listing = await (await harness.client.get(f"/api/messaging/threads?box={box}", headers=parent.headers)).json()
        assert tid not in [t["id"] for t in listing["threads"]]
        assert listing["deleted_count"] == 1  # the box is empty because the parent emptied it
    assert (await (await harness.client.get("/api/messaging/notifications", headers=parent.headers)).json())[
        "unread_replies"
    ] == 0

    kept = await (await harness.client.get(f"/api/messaging/admin/threads/{tid}", headers=agent)).json()
    assert kept["hidden_by_parent"] is True and len(kept["messages"]) == 2
    assert await harness.count("messages", "thread_id = $1", uuid.UUID(tid)) == 2


async def test_replying_with_a_template(harness, parent):
    agent = harness.staff("messaging_staff")
    created = await harness.client.post(
        "/api/messaging/admin/reply-templates",
        json={
            "title": "Pièces à fournir",
            "body": "Merci de nous transmettre un certificat médical.",
            "theme_id": str(harness.themes["scolaire"]),
        },
        headers=agent,
    )
    assert created.status == 201
    template = await created.json()
    thread = await harness.start_thread(parent)
    response = await harness.client.post(
        f"/api/messaging/admin/threads/{thread['id']}/replies", json={"template_id": template["id"]}, headers=agent
    )
    assert response.status == 201
    reply = (await response.json())["messages"][-1]
    assert reply["body"] == template["body"] and reply["template_id"] == template["id"]

    other_theme = await harness.start_thread(parent, theme="restauration")
    response = await harness.client.post(
        f"/api/messaging/admin/threads/{other_theme['id']}/replies", json={"template_id": template["id"]}, headers=agent
    )
    assert response.status == 422
    assert (
        await harness.client.post(f"/api/messaging/admin/threads/{thread['id']}/replies", json={}, headers=agent)
    ).status == 422


async def test_idempotency_key_replays_the_first_answer(harness, parent):
    body = {
        "theme_id": str(harness.themes["scolaire"]),
        "subject": "Double clic",
        "body": "Une seule fois.",
        "email_copy": False,
    }
    headers = {**parent.headers, "Idempotency-Key": "envoi-" + uuid.uuid4().hex}
    first = await harness.client.post("/api/messaging/threads", json=body, headers=headers)
    second = await harness.client.post("/api/messaging/threads", json=body, headers=headers)
    assert first.status == second.status == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert (await first.json()) == (await second.json())
    assert await harness.count("threads", "user_id = $1 AND subject = 'Double clic'", parent.user_id) == 1
    changed = await harness.client.post("/api/messaging/threads", json={**body, "body": "Autre"}, headers=headers)
    assert changed.status == 422
    assert (await changed.json())["type"].endswith("/idempotency_key_reused")


async def test_concurrent_duplicates_make_one_thread(harness, parent):
    """Two requests with one key at once: one effect, both answered with it (servicekit's race)."""
    body = {"theme_id": str(harness.themes["scolaire"]), "subject": "Course", "body": "Deux fois ?"}
    headers = {**parent.headers, "Idempotency-Key": "course-" + uuid.uuid4().hex}
    answers = await asyncio.gather(
        *(harness.client.post("/api/messaging/threads", json=body, headers=headers) for _ in range(4))
    )
    assert {a.status for a in answers} == {201}
    assert len({(await a.json())["id"] for a in answers}) == 1
    assert await harness.count("threads", "user_id = $1 AND subject = 'Course'", parent.user_id) == 1
    assert await harness.count("outbox", "envelope->'data'->>'thread_id' = $1", (await answers[0].json())["id"]) == 1


async def test_expired_idempotency_answers_are_purged(harness, parent):
    headers = {**parent.headers, "Idempotency-Key": "purge-" + uuid.uuid4().hex}
    body = {"theme_id": str(harness.themes["scolaire"]), "subject": "Ancien", "body": "Il y a deux jours."}
    assert (await harness.client.post("/api/messaging/threads", json=body, headers=headers)).status == 201
    scope = f"user:{parent.user_id}"
    await harness.db.execute(
        "UPDATE idempotent_requests SET expires_at = now() - interval '1 hour' WHERE scope = $1", scope
    )
    assert await housekeeping.purge_once(harness.db) >= 1
    assert await harness.count("idempotent_requests", "scope = $1", scope) == 0


async def test_threads_are_paginated(harness):
    parent = await harness.make_parent()
    ids = [(await harness.start_thread(parent, subject=f"Message {i}"))["id"] for i in range(3)]
    page1 = await (await harness.client.get("/api/messaging/threads?box=sent&limit=2", headers=parent.headers)).json()
    assert [t["id"] for t in page1["threads"]] == ids[::-1][:2] and page1["next_cursor"]
    page2 = await (
        await harness.client.get(
            f"/api/messaging/threads?box=sent&limit=2&cursor={page1['next_cursor']}", headers=parent.headers
        )
    ).json()
    assert [t["id"] for t in page2["threads"]] == ids[:1] and page2["next_cursor"] is None
    bad = await harness.client.get("/api/messaging/threads?cursor=!!", headers=parent.headers)
    assert bad.status == 422
    # A cursor is signed: one edited by hand (the same position, re-encoded) is refused.
    body, _, signature = page1["next_cursor"].partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    edited = await harness.client.get(f"/api/messaging/threads?box=sent&cursor={forged}", headers=parent.headers)
    assert edited.status == 422
    assert [e["field"] for e in (await edited.json())["errors"]] == ["cursor"]


async def test_staff_manage_themes(harness, parent):
    agent = harness.staff("messaging_staff")
    created = await harness.client.post(
        "/api/messaging/admin/themes",
        json={"label": "Accueil de loisirs", "staff_role": "planning_staff", "position": 9},
        headers=agent,
    )
    assert created.status == 201
    theme = await created.json()
    assert theme["code"] == "accueil-de-loisirs" and theme["active"] is True
    tid = theme["id"]

    renamed = await harness.client.patch(
        f"/api/messaging/admin/themes/{tid}", json={"label": "ALSH", "staff_role": "messaging_staff"}, headers=agent
    )
    assert renamed.status == 200 and (await renamed.json())["label"] == "ALSH"
    offered = await (await harness.client.get("/api/messaging/themes", headers=parent.headers)).json()
    assert "ALSH" in [t["label"] for t in offered["themes"]]

    assert (
        await harness.client.patch(f"/api/messaging/admin/themes/{tid}", json={"active": False}, headers=agent)
    ).status == 200
    offered = await (await harness.client.get("/api/messaging/themes", headers=parent.headers)).json()
    assert "ALSH" not in [t["label"] for t in offered["themes"]]
    response = await harness.client.post(
        "/api/messaging/threads", json={"theme_id": tid, "subject": "x", "body": "y"}, headers=parent.headers
    )
    assert response.status == 422 and (await response.json())["errors"][0]["field"] == "theme_id"

    assert (
        await harness.client.patch(f"/api/messaging/admin/themes/{tid}", json={"staff_role": "root"}, headers=agent)
    ).status == 422
    assert (
        await harness.client.post(
            "/api/messaging/admin/themes",
            json={"label": "X", "staff_role": "billing_staff"},
            headers=harness.staff("billing_staff"),
        )
    ).status == 403
    duplicate = await harness.client.post(
        "/api/messaging/admin/themes", json={"label": "Scolaire", "staff_role": "messaging_staff"}, headers=agent
    )
    assert duplicate.status == 409
    listing = await (await harness.client.get("/api/messaging/admin/themes", headers=agent)).json()
    assert any(t["id"] == tid and t["active"] is False for t in listing["themes"])


async def test_the_reply_event_reaches_the_bus(harness, parent):
    probe = await harness.bus.channel.declare_queue(exclusive=True)
    await probe.bind(harness.settings.events_exchange, routing_key="messaging.#")
    thread = await harness.start_thread(parent)
    await harness.client.post(
        f"/api/messaging/admin/threads/{thread['id']}/replies",
        json={"body": "Bien reçu."},
        headers=harness.staff("admin"),
    )
    seen: list[str] = []

    async def both_published():
        while (message := await probe.get(no_ack=True, fail=False)) is not None:
            seen.append(message.type)
        return {"messaging.message.received", "messaging.reply.sent"} <= set(seen)

    await eventually(both_published)
    await probe.delete()


async def test_a_deleted_thread_is_gone_for_its_owner_and_missing_for_others(harness, parent):
    """The e-mail « La mairie a répondu » may link to a thread the parent has deleted since:
    they are told so (410 thread_deleted); anyone else still gets a plain 404."""
    other = await harness.make_parent()
    response = await harness.client.post(
        "/api/messaging/threads",
        data=form({"theme_id": str(harness.themes["scolaire"]), "subject": "Privé", "body": "Privé."}, file=PDF),
        headers=parent.headers,
    )
    thread = await response.json()
    tid = thread["id"]
    attachment_url = thread["messages"][0]["attachments"][0]["url"]
    assert (await harness.client.delete(f"/api/messaging/threads/{tid}", headers=parent.headers)).status == 204

    def attempts(who):
        return [
            harness.client.get(f"/api/messaging/threads/{tid}", headers=who.headers),
            harness.client.post(f"/api/messaging/threads/{tid}/messages", json={"body": "Et ?"}, headers=who.headers),
            harness.client.get(attachment_url, headers=who.headers),
        ]

    for attempt in attempts(parent):
        response = await attempt
        assert response.status == 410 and response.content_type == "application/problem+json"
        problem = await response.json()
        assert problem["type"].endswith("/thread_deleted") and "supprimé" in problem["title"]
    for attempt in attempts(other):
        response = await attempt
        assert response.status == 404
        assert "supprimé" not in await response.text() and "thread_deleted" not in await response.text()
    assert await harness.count("messages", "thread_id = $1", uuid.UUID(tid)) == 1  # nothing added
    # Other parents' boxes say nothing of it.
    for box in ("inbox", "sent"):
        listing = await (await harness.client.get(f"/api/messaging/threads?box={box}", headers=other.headers)).json()
        assert listing["deleted_count"] == 0


async def test_a_new_box_counts_no_deleted_thread(harness):
    parent = await harness.make_parent()
    for box in ("inbox", "sent"):
        listing = await (await harness.client.get(f"/api/messaging/threads?box={box}", headers=parent.headers)).json()
        assert listing == {"threads": [], "next_cursor": None, "deleted_count": 0}
    tid = (await harness.start_thread(parent))["id"]
    assert (await harness.client.delete(f"/api/messaging/threads/{tid}", headers=parent.headers)).status == 204
    inbox = await (await harness.client.get("/api/messaging/threads?box=inbox", headers=parent.headers)).json()
    sent = await (await harness.client.get("/api/messaging/threads?box=sent", headers=parent.headers)).json()
    # Never answered: it was only ever in « Message(s) envoyé(s) ».
    assert inbox["deleted_count"] == 0 and sent["deleted_count"] == 1


async def test_each_message_says_whether_its_copy_was_asked_for(harness, parent):
    thread = await harness.start_thread(parent, email_copy=True)
    [first] = thread["messages"]
    assert first["email_copy"] in ("pending", "sent")
    response = await harness.client.post(
        f"/api/messaging/threads/{thread['id']}/messages", json={"body": "Sans copie."}, headers=parent.headers
    )
    [_, second] = (await response.json())["messages"]
    assert second["email_copy"] is None
    without = await harness.start_thread(parent, email_copy=False)
    assert without["messages"][0]["email_copy"] is None
