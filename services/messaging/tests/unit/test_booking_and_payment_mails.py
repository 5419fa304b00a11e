"""What the booking and payment e-mails say: days per child and activity, French amounts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from messaging.domain.bookings import UNKNOWN_ACTIVITY, days_by_child
from messaging.mail.compose import MailComposer, format_money_fr, join_fr
from messaging.service.payments import CREDIT_REASONS

MAIL = MailComposer(public_url="https://portail.ville.fr/", mail_from="Portail Famille <ne-pas-repondre@ville.fr>")
ARTHUR, LEA = uuid.uuid4(), uuid.uuid4()
CANTINE, MATIN = uuid.uuid4(), uuid.uuid4()
NAMES = {ARTHUR: "Arthur", LEA: "Léa"}
ACTIVITIES = {CANTINE: "2026/2027 - Cantine (11h30 à 13h30)", MATIN: "2026/2027 - Périscolaire matin (7h à 8h30)"}


@dataclass(frozen=True)
class Day:
    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date


DAYS = [
    Day(LEA, CANTINE, date(2026, 12, 8)),
    Day(ARTHUR, CANTINE, date(2026, 12, 10)),
    Day(ARTHUR, CANTINE, date(2026, 12, 7)),
    Day(ARTHUR, MATIN, date(2026, 12, 7)),
    Day(ARTHUR, CANTINE, date(2026, 12, 7)),  # a duplicate line is one day
]

CONTEXTS = {
    "booking_confirmation": dict(
        children=days_by_child(DAYS, NAMES, ACTIVITIES),
        payment={"total_cents": 1122, "credit_used_cents": 0, "reference": "PF-2026-0042"},
        link="https://portail.ville.fr/planning",
    ),
    "closure_notice": dict(
        label="Grève",
        starts_on=date(2026, 12, 7),
        ends_on=date(2026, 12, 8),
        children=days_by_child(DAYS, NAMES, ACTIVITIES),
        link="https://portail.ville.fr/planning",
    ),
    "booking_reminder": dict(
        children=["Arthur", "Léa"],
        week_starts_on=date(2026, 12, 14),
        deadline_at=datetime(2026, 12, 11, 22, 59, tzinfo=UTC),
        link="https://portail.ville.fr/planning",
    ),
    "payment_receipt": dict(
        total_cents=1122,
        amount_cents=1122,
        credit_used_cents=0,
        reference="PF-2026-0042",
        for_invoice=False,
        paid_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        link="https://portail.ville.fr/facturation/paiements/1",
    ),
    "credit_notice": dict(
        amount_cents=374,
        reason_text=CREDIT_REASONS["cancellation"],
        link="https://portail.ville.fr/facturation/historique",
    ),
    "invoice_issued": dict(
        number="2026-000042",
        period="novembre 2026",
        total_cents=1622,
        due_on=date(2026, 12, 31),
        link="https://portail.ville.fr/facturation/factures",
    ),
}


def render(kind: str, **overrides):
    return MAIL.compose(
        kind, to_address="a@b.fr", to_name="Arnaud LE DERF", dedupe_key="k", context={**CONTEXTS[kind], **overrides}
    )


def test_days_are_grouped_per_child_then_activity_in_order():
    listing = days_by_child(DAYS, NAMES, ACTIVITIES)
    assert [c["first_name"] for c in listing] == ["Arthur", "Léa"]
    arthur = listing[0]["activities"]
    assert [a["name"] for a in arthur] == [ACTIVITIES[CANTINE], ACTIVITIES[MATIN]]
    assert arthur[0]["days"] == [date(2026, 12, 7), date(2026, 12, 10)]
    unknown = days_by_child([Day(ARTHUR, uuid.uuid4(), date(2026, 12, 7))], NAMES, {})
    assert unknown[0]["activities"][0]["name"] == UNKNOWN_ACTIVITY


def test_booking_confirmation_lists_the_days_and_the_amount():
    email = render("booking_confirmation")
    assert email.subject == "Vos réservations sont confirmées"
    text = email.body_text
    assert (
        "Arthur\n  2026/2027 - Cantine (11h30 à 13h30) :\n  - lundi 7 décembre 2026\n  - jeudi 10 décembre 2026" in text
    )
    assert "Léa\n  2026/2027 - Cantine (11h30 à 13h30) :\n  - mardi 8 décembre 2026" in text
    assert "Montant réglé : 11,22\u00a0€, référence PF-2026-0042." in text
    assert "https://portail.ville.fr/planning" in text
    assert "<li>jeudi 10 décembre 2026</li>" in email.body_html and "<strong>11,22\u00a0€</strong>" in email.body_html


def test_booking_confirmation_before_the_payment_is_known_points_to_the_receipt():
    email = render("booking_confirmation", payment=None)
    assert "Montant réglé" not in email.body_text
    assert "figure dans le reçu de paiement" in email.body_text and "reçu de paiement" in email.body_html


def test_booking_confirmation_says_what_the_credit_covered():
    email = render("booking_confirmation", payment={"total_cents": 1122, "credit_used_cents": 374, "reference": "R1"})
    assert "Montant réglé : 11,22\u00a0€ (dont 3,74\u00a0€ déduits de votre avoir), référence R1." in email.body_text


def test_closure_notice_says_which_days_of_which_child_and_activity_and_that_they_are_credited():
    email = render("closure_notice", label="Grève <du personnel>")
    assert email.subject == "Fermeture « Grève <du personnel> » : des journées réservées sont annulées"
    text = email.body_text
    assert "fermeture « Grève <du personnel> » du lundi 7 décembre 2026 au mardi 8 décembre 2026" in text
    assert (
        "Arthur\n  2026/2027 - Cantine (11h30 à 13h30) :\n  - lundi 7 décembre 2026\n  - jeudi 10 décembre 2026" in text
    )
    assert "Léa\n  2026/2027 - Cantine (11h30 à 13h30) :\n  - mardi 8 décembre 2026" in text
    assert "rendu en totalité sous forme d'avoir sur votre compte famille" in text
    assert "https://portail.ville.fr/planning" in text
    assert "Grève &lt;du personnel&gt;" in email.body_html and "<li>mardi 8 décembre 2026</li>" in email.body_html
    one_day = render("closure_notice", ends_on=date(2026, 12, 7))
    assert "fermeture « Grève » du lundi 7 décembre 2026, décidée" in one_day.body_text


def test_booking_reminder_names_the_children_the_week_and_the_deadline_in_paris_time():
    email = render("booking_reminder")
    assert email.subject == "Pensez à réserver pour la semaine du lundi 14 décembre 2026"
    assert "Aucune activité n'est réservée pour Arthur et Léa la semaine du lundi 14 décembre 2026." in email.body_text
    assert "jusqu'au vendredi 11 décembre 2026 à 23h59" in email.body_text  # 22:59 UTC is 23:59 in Paris
    assert "<strong>Arthur et Léa</strong>" in email.body_html


def test_payment_receipt_gives_the_amount_in_french_and_the_reference():
    email = render("payment_receipt")
    assert email.subject == "Votre paiement de 11,22\u00a0€ a bien été reçu"
    assert "paiement de vos réservations le 01/12/2026 à 10h00." in email.body_text
    assert "Montant : 11,22\u00a0€\nRéférence : PF-2026-0042" in email.body_text
    assert "dont" not in email.body_text
    assert "https://portail.ville.fr/facturation/paiements/1" in email.body_text


def test_payment_receipt_for_an_invoice_with_credit():
    email = render("payment_receipt", total_cents=123456, amount_cents=123082, credit_used_cents=374, for_invoice=True)
    assert email.subject == "Votre paiement de 1\u202f234,56\u00a0€ a bien été reçu"
    assert "paiement de votre facture" in email.body_text
    assert "dont payé en ligne : 1\u202f230,82\u00a0€" in email.body_text
    assert "dont déduit de votre avoir : 3,74\u00a0€" in email.body_text


def test_credit_notice_with_and_without_a_known_reason():
    email = render("credit_notice")
    assert email.subject == "Un avoir de 3,74\u00a0€ a été ajouté à votre compte"
    assert "ajouté à votre compte : une journée déjà payée a été annulée." in email.body_text
    bare = render("credit_notice", reason_text=None)
    assert "ajouté à votre compte.\n" in bare.body_text


def test_french_helpers():
    assert format_money_fr(0) == "0,00\u00a0€"
    assert join_fr(["Arthur"]) == "Arthur" and join_fr(["A", "B", "C"]) == "A, B et C"
    with pytest.raises(TypeError):
        format_money_fr(11.22)
