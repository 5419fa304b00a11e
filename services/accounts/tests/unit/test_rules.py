"""The pure rules: names, usernames, passwords, contacts, throttle maths, audit, roles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from accounts.domain import throttle, tokens
from accounts.domain.audit import changed_fields
from accounts.domain.contact import normalise_email, normalise_phone
from accounts.domain.names import name_key
from accounts.domain.password_policy import common_passwords, is_common, normalise_password, password_errors
from accounts.domain.roles import may_change_roles, unknown_roles
from accounts.domain.sessions import needs_touch, session_expired
from accounts.domain.text import TextError, clean_text
from accounts.domain.usernames import candidates, normalise_username, slug, username_problem


@pytest.mark.parametrize(
    "typed", ["LE DERF", "le derf", "  Le   Dérf ", "LE-DERF", "Le\u00a0Derf", "LÉ DERF", "le'derf"]
)
def test_name_key_ignores_case_accents_and_spacing(typed):
    assert name_key(typed) == "LE DERF"


def test_name_key_keeps_different_names_apart():
    assert name_key("LE DERF") != name_key("LEDERF") and name_key("Martin") != name_key("Martine")


def test_username_suggestions():
    assert slug("Le Dérf") == "lederf" and slug("Lœuillet") == "loeuillet" and slug("Müller-Straße") == "mullerstrasse"
    options = candidates("Le Derf", "Arnaud")
    assert options[:5] == ["lederf", "lederf2", "lederf3", "arnaud.lederf", "alederf"]
    assert all(username_problem(o) is None for o in options) and len(set(options)) == len(options)
    assert candidates("Li", "Wu")[0] == "wuli"
    assert candidates("李", "")[0] == "parent"
    assert all(len(o) <= 40 for o in candidates("x" * 80, "y" * 80))


def test_the_username_typed_is_offered_first():
    # What the parent typed comes first (lower case), then a variant, then the names' ones.
    assert candidates("Le Derf", "Arnaud", wanted="Arnaud95")[:4] == ["arnaud95", "arnaud952", "lederf", "lederf2"]
    # Typed with spaces or accents: offered as a username can be written.
    assert candidates("Le Derf", "Arnaud", wanted="Arnaud Le Dérf")[0] == "arnaudlederf"
    # Nothing usable typed (too short, reserved): the names' suggestions only.
    assert candidates("Le Derf", "Arnaud", wanted="x") == candidates("Le Derf", "Arnaud")
    assert candidates("Le Derf", "Arnaud", wanted="admin") == candidates("Le Derf", "Arnaud")
    options = candidates("Le Derf", "Arnaud", wanted="lederf")
    assert options[:2] == ["lederf", "lederf2"] and len(set(options)) == len(options)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("lederf", True),
        ("a.b-c_d9", True),
        ("ab", False),
        ("x" * 41, False),
        ("lé derf", False),
        ("le derf", False),
        ("LEDERF", True),
    ],
)
def test_username_rules(raw, ok):
    assert (username_problem(normalise_username(raw)) is None) is ok


def test_password_policy():
    def codes(pw, **kw):
        return [e.code for e in password_errors(normalise_password(pw), **kw)]

    assert codes("le chat de la voisine mange des crêpes") == []
    assert codes("correct-horse-battery-8472") == []
    assert codes("court") == ["password_too_short"]
    assert codes("x" * 257) == ["password_too_long"]
    for common in (
        "motdepasse123",
        "azertyuiop123",
        "Password1234",
        "P@ssw0rd1234",
        "123456789012",
        "aaaaaaaaaaaa",
        "mot de passe 123",
    ):
        assert "password_too_common" in codes(common), common
    assert "password_contains_username" in codes("bonjour-lederf-2026!", username="lederf")
    assert "password_is_email" in codes("Arnaud@Example.org", email="arnaud@example.org")
    assert codes("abc\x00defghijklmn") == ["password_forbidden_characters"]
    assert normalise_password("ﬁnal") == "final"  # NFKC: the same phrase from any keyboard
    assert len(common_passwords()) >= 1000 and all(len(p) >= 12 for p in common_passwords())
    assert not is_common("une phrase que personne n'a jamais tapée")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0612345678", "06 12 34 56 78"),
        ("06.12.34.56.78", "06 12 34 56 78"),
        ("06-12-34-56-78", "06 12 34 56 78"),
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("+33 (0)1 23 45 67 89", "01 23 45 67 89"),
        ("0033612345678", "06 12 34 56 78"),
        ("+44 7700 900123", "+447700900123"),
    ],
)
def test_phone_normalisation(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["12345", "0012", "06 12 34 56", "00 0 12 34", "abc", "06123456789", "+0612345678", "06\u202e12345678"]
)
def test_bad_phones(raw):
    with pytest.raises(TextError):
        normalise_phone(raw)


def test_email_and_text():
    assert normalise_email(" Arnaud.Le-Derf@Example.ORG ") == "Arnaud.Le-Derf@example.org"
    for bad in ("arnaud", "a@b", "a@@b.fr", "a b@c.fr", "a@b..fr", "a@-b.fr", "a@b.f1", "x" * 250 + "@b.fr", ".a@b.fr"):
        with pytest.raises(TextError):
            normalise_email(bad)
    assert clean_text("  Le   Derf ") == "Le Derf"
    for bad in ("a\x00b", "a\u202eb", "a\u200bb", "a\ud800"):
        with pytest.raises(TextError):
            clean_text(bad)
    with pytest.raises(TextError):
        clean_text("   ")


def test_throttle_delays():
    assert [throttle.login_delay_seconds(n) for n in range(12)] == [0, 0, 0, 0, 0, 15, 30, 60, 120, 240, 480, 900]
    assert throttle.login_delay_seconds(10_000) == 900
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert throttle.login_retry_after(4, now, now) is None
    assert throttle.login_retry_after(5, now - timedelta(seconds=10), now) == 5
    assert throttle.login_retry_after(5, now - timedelta(seconds=15), now) is None
    assert throttle.login_retry_after(7, now - timedelta(seconds=0.5), now) == 60
    assert throttle.window_retry_after(None, now) is None
    assert throttle.window_retry_after(now - timedelta(minutes=14), now) == 60
    assert throttle.window_retry_after(now - timedelta(minutes=15), now) is None


def test_sessions_expire_idle_and_absolute():
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    kw = {"expires_at": now + timedelta(hours=1), "revoked": False}
    assert not session_expired(last_seen_at=now - timedelta(minutes=29), now=now, **kw)
    assert session_expired(last_seen_at=now - timedelta(minutes=30), now=now, **kw)
    assert session_expired(last_seen_at=now, now=now, expires_at=now, revoked=False)
    assert session_expired(last_seen_at=now, now=now, expires_at=now + timedelta(hours=1), revoked=True)
    assert not needs_touch(now - timedelta(seconds=59), now) and needs_touch(now - timedelta(seconds=60), now)


def test_tokens_are_long_random_and_hashed():
    a, b = tokens.new_token(), tokens.new_token()
    assert a != b and len(a) >= 43 and tokens.plausible_token(a)
    assert tokens.token_hash(a) != a and len(tokens.token_hash(a)) == 64
    assert not tokens.plausible_token("short") and not tokens.plausible_token("a" * 30 + "\x00")


def test_audit_keeps_only_changed_fields():
    before = {"phone_mobile": "06 12 34 56 78", "email": "a@example.org", "phone_home": None}
    assert changed_fields(before, {"phone_mobile": "06 12 34 56 78", "phone_home": "01 23 45 67 89"}) == (
        {"phone_home": None},
        {"phone_home": "01 23 45 67 89"},
    )
    assert changed_fields(before, {"email": "a@example.org"}) == ({}, {})


def test_roles():
    assert unknown_roles(["planning_staff", "root"]) == ["root"]
    assert may_change_roles({"accounts_staff"}, [], ["planning_staff"])
    assert not may_change_roles({"accounts_staff"}, [], ["admin"])
    assert not may_change_roles({"accounts_staff"}, ["admin"], ["planning_staff"])
    assert may_change_roles({"admin"}, ["admin"], [])


def test_dates_for_children():
    from accounts.domain.dossiers import birth_date_problem, parse_french_or_iso_date

    assert parse_french_or_iso_date("02/04/2019") == date(2019, 4, 2) == parse_french_or_iso_date("2019-04-02")
    with pytest.raises(TextError):
        parse_french_or_iso_date("31/02/2019")
    assert birth_date_problem(date(2030, 1, 1), date(2026, 1, 1))
    assert birth_date_problem(date(1990, 1, 1), date(2026, 1, 1))
    assert birth_date_problem(date(2019, 1, 1), date(2026, 1, 1)) is None
