"""Rules of outgoing e-mail that need no server."""

from __future__ import annotations

from messaging.domain.emails import (
    Outcome,
    display_name,
    is_plausible_address,
    mask_address,
    outcome_for_code,
    redact_addresses,
    retry_delay_seconds,
)


def test_addresses_shown_to_staff_are_masked():
    assert mask_address("arnaud.lederf@example.org") == "a***f@example.org"
    assert mask_address("ab@example.org") == "a***@example.org"
    assert mask_address(None) is None


def test_server_texts_lose_their_addresses():
    text = "550 5.1.1 <arnaud@example.org>: Recipient address rejected"
    assert "arnaud@example.org" not in redact_addresses(text)
    assert redact_addresses(text).startswith("550 5.1.1 <<adresse>>")


def test_plausible_addresses():
    assert is_plausible_address("arnaud@example.org")
    for bad in ("arnaud", "a@b@c", "a b@c.d", "a@b.c\r\nBcc: x@y.z", "<a@b.c>", "x" * 250 + "@b.cd"):
        assert not is_plausible_address(bad)


def test_back_off_doubles_up_to_a_cap():
    assert [retry_delay_seconds(n, base=30, cap=3600) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay_seconds(20, base=30, cap=3600) == 3600


def test_smtp_codes():
    assert outcome_for_code(550) is Outcome.FAILED
    assert outcome_for_code(451) is Outcome.TRANSIENT
    assert outcome_for_code(None) is Outcome.TRANSIENT


def test_display_name_as_the_town_writes_it():
    assert display_name("Arnaud", "Le Derf") == "Arnaud LE DERF"
    assert display_name(None, None) == ""
