"""« Renvoyer l'e-mail »: a new activation link, asked by address, telling nothing about it."""

from __future__ import annotations

from datetime import timedelta

RESEND = "/api/accounts/activation-resends"
RESENT = "accounts.user.activation_resent"


async def pending_parent(h) -> tuple[dict, dict]:
    body = h.registration(without_dossier=True)
    _, reg = await h.call("POST", "/api/accounts/registrations", json=body, client=h.ip(), expect=201)
    return body, reg


async def test_a_pending_account_gets_a_new_link_and_the_old_one_stops(h):
    body, reg = await pending_parent(h)
    first = await h.activation_token(reg["user_id"])

    resp, answer = await h.call("POST", RESEND, json={"email": body["email"].upper()}, client=h.ip(), expect=202)
    assert answer == {"status": "accepted"}
    event = await h.last_event(RESENT, user_id=reg["user_id"])
    registered = await h.last_event("accounts.user.registered", user_id=reg["user_id"])
    assert set(event["data"]) == set(registered["data"])  # the activation e-mail's fields, again
    assert "password" not in str(event["data"]).lower()
    token = event["data"]["activation_token"]
    assert token != first

    await h.call("POST", "/api/accounts/activations", json={"token": first}, expect=404)
    await h.call("POST", "/api/accounts/activations", json={"token": token}, expect=200)
    assert await h.count("audit_log", "entity_id = $1 AND action = 'activation_resent'", reg["user_id"]) == 1

    # Active now: asking again sends nothing, and the answer is the same.
    before = len(await h.events(RESENT, user_id=reg["user_id"]))
    await h.call("POST", RESEND, json={"email": body["email"]}, client=h.ip(), expect=202)
    assert len(await h.events(RESENT, user_id=reg["user_id"])) == before


async def test_an_unknown_address_gets_the_same_answer(h):
    before = await h.count("outbox", "event_type = $1", RESENT)
    resp, answer = await h.call(
        "POST", RESEND, json={"email": f"personne-{h.unique()}@example.org"}, client=h.ip(), expect=202
    )
    assert answer == {"status": "accepted"}
    assert await h.count("outbox", "event_type = $1", RESENT) == before


async def test_resends_are_throttled_per_address_whether_it_is_known_or_not(h):
    body, reg = await pending_parent(h)
    unknown = f"personne-{h.unique()}@example.org"
    for address in (body["email"], unknown):
        for _ in range(h.settings.resend_per_email):
            await h.call("POST", RESEND, json={"email": address}, client=h.ip(), expect=202)
        resp, problem = await h.call("POST", RESEND, json={"email": address.upper()}, client=h.ip(), expect=429)
        assert problem["type"].endswith("/too_many_activation_resends")
        assert "Merci de réessayer" in problem["title"]
        assert 0 < int(resp.headers["Retry-After"]) <= 15 * 60 and problem["retry_after"] > 0
    assert len(await h.events(RESENT, user_id=reg["user_id"])) == h.settings.resend_per_email

    h.clock.advance(timedelta(minutes=16))
    try:
        await h.call("POST", RESEND, json={"email": body["email"]}, client=h.ip(), expect=202)
    finally:
        h.clock.reset()


async def test_resends_are_throttled_per_client(h):
    client = h.ip()
    for _ in range(h.settings.resend_per_client):
        await h.call("POST", RESEND, json={"email": f"p-{h.unique()}@example.org"}, client=client, expect=202)
    await h.call("POST", RESEND, json={"email": f"p-{h.unique()}@example.org"}, client=client, expect=429)
    await h.call("POST", RESEND, json={"email": f"p-{h.unique()}@example.org"}, client=h.ip(), expect=202)


async def test_a_pending_account_gets_a_few_links_a_day_at_most_silently(h):
    body, reg = await pending_parent(h)
    try:
        for _ in range(3):  # past the per-address window each time, not past the day
            for _ in range(h.settings.resend_per_email):
                await h.call("POST", RESEND, json={"email": body["email"]}, client=h.ip(), expect=202)
            h.clock.advance(timedelta(minutes=16))
    finally:
        h.clock.reset()
    sent = await h.events(RESENT, user_id=reg["user_id"])
    assert len(sent) == h.settings.resend_per_account_per_day


async def test_bad_input_is_refused_and_changes_nothing(h):
    before = await h.counts()
    _, problem = await h.call("POST", RESEND, json={"email": "pas-une-adresse"}, client=h.ip(), expect=422)
    assert problem["errors"][0]["field"] == "email"
    await h.call("POST", RESEND, json={"email": "a@example.org", "autre": 1}, client=h.ip(), expect=422)
    assert await h.counts() == before
