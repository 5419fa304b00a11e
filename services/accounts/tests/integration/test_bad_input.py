"""Hostile or broken input on every JSON endpoint: 4xx problems, never a 500, nothing written."""

from __future__ import annotations

import copy
import json
import re
import uuid

from accounts.routes import all_routes

LONG = "x" * 10_000
ODD = ["\u202eevil", "nul\x00byte", "\ud800", "\u200b", "\x1b[31m"]
WRONG_TYPES = [12345, 1.5, ["a"], {"a": 1}, True]
SQL = ["'; DROP TABLE users; --", "1' OR '1'='1"]
REFUSED = {400, 401, 403, 404, 409, 410, 415, 422, 429}
GOOD_PASSWORD = "une phrase de passe correcte"


def leaves(body, prefix=()):
    """Paths to every scalar of a JSON body (first item of lists)."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from leaves(value, (*prefix, key))
    elif isinstance(body, list) and body:
        yield from leaves(body[0], (*prefix, 0))
    else:
        yield prefix


def replaced(body, path, value):
    out = copy.deepcopy(body)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def value_at(body, path):
    for step in path:
        body = body[step]
    return body


def removed(body, path):
    out = copy.deepcopy(body)
    target = out
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return out


async def fixtures(h):
    parent = await h.active_parent()
    _, dossier = await h.call("GET", "/api/accounts/dossier", headers=parent.headers, expect=200)
    adult_id, child_id = dossier["adults"][0]["id"], dossier["children"][0]["id"]
    staff = h.staff("admin")
    _, draft = await h.call("POST", "/internal/registration-drafts", expect=201)
    ids = {
        "dossier_id": parent.dossier_id,
        "child_id": child_id,
        "user_id": str(uuid.uuid4()),
        "draft_id": draft["draft_id"],
    }
    child = {"first_name": "Léa", "last_name": "Martin", "birth_date": "2019-04-02", "school": "École", "level": "CE1"}
    adult = {"last_name": "Martin", "first_name": "Claire", "email": "c@example.org", "phone": "0612345678"}
    bases = {
        "/api/accounts/registrations": {
            "last_name": "Le Derf",
            "first_name": "Arnaud",
            "email": "a@example.org",
            "username": "someone",
            "password": GOOD_PASSWORD,
            "mobile_display": False,
            "dossier_number": "404",
            "dossier_name": "LE DERF",
            "terms_version": "2026-01",
        },
        "/api/accounts/activations": {"token": "A" * 43, "password": GOOD_PASSWORD},
        "/api/accounts/sessions": {"username": "someone", "password": GOOD_PASSWORD},
        "/api/accounts/password-resets": {"email": "a@example.org"},
        "/api/accounts/activation-resends": {"email": "a@example.org"},
        "/api/accounts/password-resets/confirm": {"token": "A" * 43, "new_password": GOOD_PASSWORD},
        "/api/accounts/email-changes/confirm": {"token": "A" * 43},
        "/api/accounts/me/password": {"current_password": GOOD_PASSWORD, "new_password": GOOD_PASSWORD},
        "/api/accounts/me/email": {"new_email": "n@example.org", "password": GOOD_PASSWORD},
        "/api/accounts/dossier": {
            "adults": [{"id": adult_id, "phone_mobile": "0612345678", "email": "x@example.org"}],
            "invoices_by_email": True,
        },
        "/api/accounts/dossier/link": {"dossier_number": "404", "family_name": "LE DERF"},
        "/api/accounts/admin/dossiers": {
            "number": "777",
            "family_name": "MARTIN",
            "address": {"postal_code": "95380"},
            "adults": [adult],
            "children": [child],
        },
        "/api/accounts/admin/dossiers/{dossier_id}": {
            "family_name": "MARTIN",
            "adults": [{"id": adult_id, "first_name": "Claire"}],
        },
        "/api/accounts/admin/dossiers/{dossier_id}/children": child,
        "/api/accounts/admin/dossiers/{dossier_id}/adults": adult,
        "/api/accounts/admin/children/{child_id}": {"level": "CE2", "birth_date": "2019-04-02"},
        "/api/accounts/admin/users/{user_id}/roles": {"roles": ["planning_staff"]},
        "/api/accounts/admin/staff-users": {
            "username": "agent",
            "email": "g@example.org",
            "last_name": "A",
            "first_name": "B",
            "roles": ["planning_staff"],
        },
        "/internal/sessions/resolve": {"token": "A" * 43},
        "/internal/sessions/revoke": {"token": "A" * 43},
        "/internal/registration-drafts/{draft_id}/identity": {
            "last_name": "Le Derf",
            "first_name": "Arnaud",
            "email": "a@example.org",
            "username": "someone",
            "password": GOOD_PASSWORD,
            "mobile_display": False,
        },
        "/internal/registration-drafts/{draft_id}/dossier": {"dossier_number": "404", "dossier_name": "LE DERF"},
        "/internal/registration-drafts/{draft_id}/terms": {"terms_version": "2026-01", "accepted": True},
    }
    headers = {"public": {}, "internal": {}, "user": parent.headers, "dossier": parent.headers, "staff": staff}
    return bases, headers, ids


def access_of(route) -> str:
    """The caller a route wants, from its table entry: internal, public, staff or a parent."""
    if route.path.startswith("/internal/"):
        return "internal"
    if route.public:
        return "public"
    return "staff" if route.roles else "user"


async def send(h, method, path, headers, *, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else json.dumps(body).encode()
    resp = await h.client.request(
        method, path, data=data, headers={**headers, "Content-Type": content_type, **h.client_headers(h.ip())}
    )
    text = await resp.text()
    return resp.status, text


async def test_every_json_endpoint_refuses_bad_input_cleanly(h):
    bases, headers, ids = await fixtures(h)
    json_routes = [r for r in all_routes() if r.body is not None]
    assert {r.path for r in json_routes} <= set(bases), "every JSON endpoint needs a base body here"
    checked = 0
    for route in json_routes:
        path = re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], route.path)
        hdrs = headers[access_of(route)]
        base = bases[route.path]
        # (kind, label, body, raw bytes, content type); only "optional" kinds may be accepted
        cases: list[tuple[str, str, dict | None, bytes | None, str]] = [
            ("bad", "not json", None, b"{not json", "application/json"),
            ("bad", "not utf-8", None, b'{"a": "\xff\xfe"}', "application/json"),
            ("bad", "array", None, b"[1, 2, 3]", "application/json"),
            ("bad", "nested", None, b"[" * 50_000 + b"]" * 50_000, "application/json"),
            ("bad", "null", None, b"null", "application/json"),
            ("bad", "form", None, b"a=1", "application/x-www-form-urlencoded"),
            ("bad", "unknown field", {**base, "is_admin": True}, None, "application/json"),
        ]
        for leaf in leaves(base):
            cases.append(("optional", f"missing {leaf}", removed(base, leaf), None, "application/json"))
            cases.append(("optional", f"{leaf}=None", replaced(base, leaf, None), None, "application/json"))
            original = value_at(base, leaf)
            for value in [LONG, *ODD, *WRONG_TYPES]:
                if type(value) is type(original) and not isinstance(value, str):
                    continue  # True for a boolean field is not bad input
                cases.append(("bad", f"{leaf}={value!r:.20}", replaced(base, leaf, value), None, "application/json"))
        for kind, label, body, raw, ctype in cases:
            before = await h.counts()
            status, text = await send(h, route.method, path, hdrs, body=body, raw=raw, content_type=ctype)
            checked += 1
            assert status != 500, (route.path, label, text)
            if status not in REFUSED:
                assert kind == "optional", (route.path, label, status, text)
                continue
            assert text.startswith("{") and '"type"' in text, (route.path, label, text)
            assert await h.counts() == before, (route.path, label)
    assert checked > 800


async def test_sql_looking_text_is_data_and_formatted_fields_refuse_it(h):
    staff = h.staff()
    for value in SQL:
        status, _ = await send(h, "POST", "/api/accounts/sessions", {}, body={"username": value, "password": value})
        assert status in (401, 422, 429)
        status, _ = await send(
            h, "POST", "/api/accounts/registrations", {}, body=h.registration(username=value, without_dossier=True)
        )
        assert status == 422
        status, _ = await send(
            h, "POST", "/api/accounts/registrations", {}, body=h.registration(email=value, without_dossier=True)
        )
        assert status == 422
        status, text = await send(h, "GET", "/api/accounts/admin/dossiers?q=" + value.replace(" ", "%20"), staff)
        assert status == 200 and json.loads(text)["items"] == []
    # in a free-text field it is just a name, stored as typed
    dossier = await h.new_dossier(family_name="O'BRIEN; DROP TABLE USERS; --")
    assert (
        await h.pool.fetchval("SELECT family_name FROM dossiers WHERE id = $1", uuid.UUID(dossier["id"]))
        == "O'BRIEN; DROP TABLE USERS; --"
    )
    assert await h.count("users") >= 1


async def test_query_strings_and_headers_are_checked_too(h):
    staff = h.staff()
    for query in (
        "q=" + "x" * 500,
        "q=%00",
        "q=%E2%80%AE",
        "limit=abc",
        "limit=100000",
        "cursor=" + "A" * 1000,
        "cursor=%00%01",
    ):
        status, text = await send(h, "GET", "/api/accounts/admin/dossiers?" + query, staff)
        assert status == 422, (query, text)
    status, _ = await send(h, "GET", "/api/accounts/username-suggestions?last_name=%00", {})
    assert status == 422
    status, _ = await send(h, "GET", f"/api/accounts/admin/dossiers/{'x' * 50}", staff)
    assert status == 404
    before = await h.counts()
    status, _ = await send(
        h,
        "POST",
        "/api/accounts/registrations",
        {"Idempotency-Key": "é" * 10},
        body=h.registration(without_dossier=True),
    )
    assert status == 400
    status, _ = await send(h, "DELETE", "/api/accounts/sessions/current", {"X-Session-Token": "x" * 5000})
    assert status in (204, 400)
    assert await h.counts() == before
