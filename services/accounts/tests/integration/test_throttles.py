"""Throttles slow the guesser and never lock the real family out (issue 11, point 2).

Failures count per client and per (client, username) or (client, dossier number); the
client is the address the gateway signs, never an X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

LOGIN = "/api/accounts/sessions"
REGISTER = "/api/accounts/registrations"
WRONG = "une autre phrase fausse"


async def login(h, username, password, *, client=None, expect=None):
    body = {"username": username, "password": password}
    return await h.call("POST", LOGIN, json=body, client=client or h.ip(), expect=expect)


async def test_wrong_passwords_from_one_client_never_lock_the_user_out_from_another(h):
    parent = await h.active_parent(login=False)
    guesser, owner = h.ip(), h.ip()
    free = h.accounts.limits.login_free_failures
    for _ in range(free + 2):
        await login(h, parent.username, WRONG, client=guesser, expect=None)
    # the owner, from their own device, gets in at once
    await login(h, parent.username, parent.password, client=owner, expect=200)
    # the guesser is slowed, even with the right password (no oracle while it waits) ...
    resp, problem = await login(h, parent.username, parent.password, client=guesser, expect=429)
    assert int(resp.headers["Retry-After"]) == problem["retry_after"] > 0
    # ... and the owner's success forgave nothing of the guesser's
    await login(h, parent.username, parent.password, client=guesser, expect=429)


async def test_the_guessers_delay_grows_and_the_right_password_clears_it(h):
    parent = await h.active_parent(login=False)
    client = h.ip()
    limits = h.accounts.limits
    for _ in range(limits.login_free_failures):
        await login(h, parent.username, WRONG, client=client, expect=401)
    resp, problem = await login(h, parent.username, parent.password, client=client, expect=429)
    first = limits.login_first_delay_seconds
    assert resp.headers["Retry-After"] == str(first) and problem["retry_after"] == first
    h.clock.advance(timedelta(seconds=first + 1))
    await login(h, parent.username, parent.password, client=client, expect=200)
    # success cleared this client's count: a new mistake is a plain 401 again
    await login(h, parent.username, WRONG, client=client, expect=401)
    for _ in range(limits.login_free_failures):
        await login(h, parent.username, WRONG, client=client, expect=None)
        h.clock.advance(timedelta(minutes=1))
    # one failure past the free ones: the delay doubles, counted from the last failure
    h.clock.advance(timedelta(seconds=-60))
    resp, _ = await login(h, parent.username, parent.password, client=client, expect=429)
    assert resp.headers["Retry-After"] == str(2 * first)


async def test_a_guess_spread_over_many_clients_slows_each_guessing_client_only(h):
    parent = await h.active_parent(login=False)
    limits = h.accounts.limits
    guessers = [h.ip() for _ in range(limits.login_username_alert)]
    for client in guessers:
        await login(h, parent.username, WRONG, client=client, expect=401)
    # under attack, a client that already failed on the username gets no more free tries
    resp, _ = await login(h, parent.username, WRONG, client=guessers[0], expect=429)
    assert int(resp.headers["Retry-After"]) > 0
    # the owner has not failed: they get in
    await login(h, parent.username, parent.password, client=h.ip(), expect=200)


async def test_too_many_failures_from_one_client_are_refused_whatever_the_username(h):
    client = h.ip()
    for i in range(h.accounts.limits.login_client_failures):
        await login(h, f"ghost{i}-{h.unique()}", WRONG, client=client, expect=401)
    resp, _ = await login(h, "someone-else", WRONG, client=client, expect=429)
    assert int(resp.headers["Retry-After"]) > 0
    parent = await h.active_parent(login=False)
    await login(h, parent.username, parent.password, expect=200)  # other clients are not affected


async def test_a_forwarded_for_header_from_a_direct_caller_is_not_believed(h):
    """Whoever reaches accounts directly cannot pick a fresh address per guess: without the
    gateway's signature every request is the peer's, and the peer is throttled."""
    parent = await h.active_parent(login=False)

    async def direct(password, forwarded_for, expect):
        body = {"username": parent.username, "password": password}
        await h.call("POST", LOGIN, json=body, client=None, headers={"X-Forwarded-For": forwarded_for}, expect=expect)

    for i in range(h.accounts.limits.login_free_failures):
        await direct(WRONG, f"203.0.113.{i}", 401)
    await direct(parent.password, "203.0.113.99", 429)
    # through the gateway (a signed address), the owner is not concerned
    await login(h, parent.username, parent.password, expect=200)


async def test_a_burst_of_parallel_guesses_gets_no_extra_tries(h):
    parent = await h.active_parent(login=False)
    client = h.ip()
    free = h.accounts.limits.login_free_failures
    results = await asyncio.gather(*(login(h, parent.username, WRONG, client=client) for _ in range(4 * free)))
    statuses = sorted(resp.status for resp, _ in results)
    assert statuses.count(401) == free, statuses
    assert set(statuses) == {401, 429}


async def test_dossier_guesses_slow_the_guesser_never_the_family(h):
    limits = h.accounts.limits
    target = await h.new_dossier(family_name="PETIT")
    guesser = h.ip()
    for _ in range(limits.dossier_tries):
        await h.call(
            "POST",
            REGISTER,
            json=h.registration(dossier_number=target["number"], dossier_name="GRAND"),
            client=guesser,
            expect=422,
        )
    # the guesser now waits, even with the right name (no oracle while it waits) ...
    resp, by_number = await h.call(
        "POST",
        REGISTER,
        json=h.registration(dossier_number=target["number"], dossier_name="PETIT"),
        client=guesser,
        expect=429,
    )
    assert 1 <= int(resp.headers["Retry-After"]) <= limits.window_seconds
    assert by_number["type"].endswith("/too_many_dossier_attempts")
    # ... with the same answer as for a number that does not exist
    ghost, ghost_guesser = "G" + h.unique()[:8].upper(), h.ip()
    for _ in range(limits.dossier_tries):
        await h.call(
            "POST",
            REGISTER,
            json=h.registration(dossier_number=ghost, dossier_name="PETIT"),
            client=ghost_guesser,
            expect=422,
        )
    _, by_ghost = await h.call(
        "POST",
        REGISTER,
        json=h.registration(dossier_number=ghost, dossier_name="PETIT"),
        client=ghost_guesser,
        expect=429,
    )
    assert {k: v for k, v in by_number.items() if k not in ("request_id", "retry_after")} == {
        k: v for k, v in by_ghost.items() if k not in ("request_id", "retry_after")
    }
    # the family, from its own device, registers at once
    await h.call(
        "POST",
        REGISTER,
        json=h.registration(dossier_number=target["number"], dossier_name="petit"),
        client=h.ip(),
        expect=201,
    )


async def test_a_dossier_number_under_attack_from_many_clients_stays_open_to_the_family(h):
    limits = h.accounts.limits
    target = await h.new_dossier(family_name="ROUX")
    guessers = [h.ip() for _ in range(limits.dossier_number_alert)]
    for client in guessers:
        body = h.registration(dossier_number=target["number"], dossier_name="BLANC")
        await h.call("POST", REGISTER, json=body, client=client, expect=422)
    body = h.registration(dossier_number=target["number"], dossier_name="NOIR")
    await h.call("POST", REGISTER, json=body, client=guessers[0], expect=429)
    body = h.registration(dossier_number=target["number"], dossier_name="ROUX")
    await h.call("POST", REGISTER, json=body, client=h.ip(), expect=201)


async def test_one_client_trying_many_numbers_is_capped_then_the_window_passes(h):
    limits = h.accounts.limits
    dossier = await h.new_dossier(family_name="BERNARD")
    client = h.ip()
    for i in range(limits.dossier_client_tries):
        body = h.registration(dossier_number=f"X{i}{h.unique()[:6].upper()}", dossier_name="BERNARD")
        await h.call("POST", REGISTER, json=body, client=client, expect=422)
    body = h.registration(dossier_number=dossier["number"], dossier_name="BERNARD")
    await h.call("POST", REGISTER, json=body, client=client, expect=429)
    h.clock.advance(timedelta(seconds=limits.window_seconds + 1))
    await h.call("POST", REGISTER, json=body, client=client, expect=201)
