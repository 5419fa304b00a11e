"""planning's and billing's events → e-mails to the family, on the real broker, DB and SMTP.

planning and billing data follow docs/saga.md (checked against the producers' schemas by
``harness.publish`` once they are in the catalogue); accounts' events are its classes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from accounts import events as accounts_events
from servicekit.testing import eventually


async def known_child(harness, parent, first_name: str = "Arthur") -> uuid.UUID:
    child_id = uuid.uuid4()
    await harness.publish(
        accounts_events.ChildAdded(
            dossier_id=parent.dossier_id,
            child_id=child_id,
            first_name=first_name,
            last_name="Le Derf",
            birth_date=date(2018, 5, 14),
            school="École Jules Ferry",
            level="CE2",
        )
    )
    await eventually(lambda: _exists(harness, "children", "child_id", child_id))
    return child_id


async def known_activity(harness, name: str = "Cantine (11h30 à 13h30)") -> uuid.UUID:
    activity_id = uuid.uuid4()
    await harness.publish(
        "planning.activity.created",
        {
            "activity_id": str(activity_id),
            "school_year": "2026/2027",
            "code": "cantine-" + activity_id.hex[:6],
            "name": name,
            "display_name": f"2026/2027 - {name}",
            "weekdays": [1, 2, 4, 5],
            "holiday_weekdays": [],
            "capacity": 120,
        },
    )
    await eventually(lambda: _exists(harness, "activities", "activity_id", activity_id))
    return activity_id


async def _exists(harness, table: str, column: str, value) -> bool:
    return await harness.count(table, f"{column} = $1", value) == 1


def payment_succeeded(parent, *, amount_cents=1122, credit_used_cents=0, reference="PF-2026-0042", basket=True):
    return {
        "payment_id": str(uuid.uuid4()),
        "dossier_id": str(parent.dossier_id),
        "basket_id": str(uuid.uuid4()) if basket else None,
        "checkout_id": str(uuid.uuid4()) if basket else None,
        "amount_cents": amount_cents,
        "credit_used_cents": credit_used_cents,
        "total_cents": amount_cents + credit_used_cents,
        "reference": reference,
        "provider": "simulated",
        "paid_at": "2026-12-06T17:42:00+00:00",
        "lines": [],
    }


async def delivered_once(harness, envelope, kind: str, user_id: uuid.UUID) -> None:
    """Redeliver ``envelope`` twice: still one e-mail of ``kind`` for the user."""
    await harness.publish(None, envelope=envelope)
    await harness.publish(None, envelope=envelope)

    async def handled():
        return await harness.count("inbox", "event_id = $1", envelope.id) == 1

    await eventually(handled)
    # A later event handled means the redeliveries were handled before it (one queue).
    marker = harness.unique_address("marker")
    await harness.publish("accounts.user.registered", harness.registered_event(marker))
    await harness.wait_for_mail(marker)
    assert await harness.count("emails", "kind = $1 AND user_id = $2", kind, user_id) == 1


async def test_booking_confirmation_lists_the_days_and_the_amount_paid(harness, parent):
    arthur = await known_child(harness, parent)
    cantine = await known_activity(harness)
    paid = payment_succeeded(parent, amount_cents=748, credit_used_cents=374)
    await harness.publish("billing.payment.succeeded", paid)
    await eventually(lambda: _exists(harness, "payments", "payment_id", uuid.UUID(paid["payment_id"])))
    confirmed = {
        "basket_id": paid["basket_id"],
        "checkout_id": paid["checkout_id"],
        "dossier_id": str(parent.dossier_id),
        "payment_id": paid["payment_id"],
        "reservations": [
            {
                "reservation_id": str(uuid.uuid4()),
                "child_id": str(arthur),
                "activity_id": str(cantine),
                "date": day,
                "label": "Arthur - 2026/2027 - Cantine (11h30 à 13h30)",
            }
            for day in ("2026-12-10", "2026-12-07")
        ],
    }
    envelope = await harness.publish("planning.reservations.confirmed", confirmed)
    mails = await harness.wait_for_mail(parent.email, n=2)
    [mail] = [m for m in mails if m.message["Subject"] == "Vos réservations sont confirmées"]
    assert (
        "Arthur\n  2026/2027 - Cantine (11h30 à 13h30) :\n  - lundi 7 décembre 2026\n  - jeudi 10 décembre 2026"
        in mail.text
    )
    assert (
        "Montant réglé : 11,22\u00a0€ (dont 3,74\u00a0€ déduits de votre avoir), référence PF-2026-0042." in mail.text
    )
    assert mail.link("/planning")
    assert "<li>lundi 7 décembre 2026</li>" in mail.html
    await delivered_once(harness, envelope, "booking_confirmation", parent.user_id)


async def test_a_closure_notice_names_the_child_the_days_the_activity_and_the_credit(harness, parent):
    arthur = await known_child(harness, parent)
    cantine = await known_activity(harness)
    closed = {
        "closure_id": str(uuid.uuid4()),
        "dossier_id": str(parent.dossier_id),
        "label": "Grève du personnel",
        "starts_on": "2026-12-07",
        "ends_on": "2026-12-08",
        "days": [
            {"child_id": str(arthur), "activity_id": str(cantine), "date": d} for d in ("2026-12-08", "2026-12-07")
        ],
    }
    envelope = await harness.publish("planning.closure.days_cancelled", closed)
    [mail] = await harness.wait_for_mail(parent.email)
    assert mail.message["Subject"] == "Fermeture « Grève du personnel » : des journées réservées sont annulées"
    assert "du lundi 7 décembre 2026 au mardi 8 décembre 2026, décidée par la mairie" in mail.text
    assert (
        "Arthur\n  2026/2027 - Cantine (11h30 à 13h30) :\n  - lundi 7 décembre 2026\n  - mardi 8 décembre 2026"
        in mail.text
    )
    assert "rendu en totalité sous forme d'avoir" in mail.text and mail.link("/planning")
    await delivered_once(harness, envelope, "closure_notice", parent.user_id)


async def test_booking_confirmation_before_the_payment_points_to_the_receipt(harness, parent):
    confirmed = {
        "basket_id": str(uuid.uuid4()),
        "checkout_id": str(uuid.uuid4()),
        "dossier_id": str(parent.dossier_id),
        "payment_id": str(uuid.uuid4()),
        "reservations": [
            {
                "reservation_id": str(uuid.uuid4()),
                "child_id": str(uuid.uuid4()),
                "activity_id": str(uuid.uuid4()),
                "date": "2026-12-08",
                "label": "Léa - 2026/2027 - Cantine (11h30 à 13h30)",
            }
        ],
    }
    await harness.publish("planning.reservations.confirmed", confirmed)
    [mail] = await harness.wait_for_mail(parent.email)
    assert "Votre enfant\n  Activité :\n  - mardi 8 décembre 2026" in mail.text
    assert "figure dans le reçu de paiement" in mail.text


async def test_payment_receipt_goes_to_every_contact_of_the_family(harness, parent):
    other = await harness.make_parent()
    # The second parent of the same family file (accounts says so in contact_changed).
    await harness.publish(
        accounts_events.UserContactChanged(
            user_id=other.user_id,
            email=other.email,
            first_name="Claire",
            last_name="Le Derf",
            dossier_id=parent.dossier_id,
        )
    )

    async def same_family():
        return await harness.count("contacts", "dossier_id = $1", parent.dossier_id) == 2

    await eventually(same_family)
    paid = payment_succeeded(parent)
    envelope = await harness.publish("billing.payment.succeeded", paid)
    [mail] = await harness.wait_for_mail(parent.email)
    [second] = await harness.wait_for_mail(other.email)
    for received in (mail, second):
        assert received.message["Subject"] == "Votre paiement de 11,22\u00a0€ a bien été reçu"
        assert "Montant : 11,22\u00a0€\nRéférence : PF-2026-0042" in received.text
        assert received.link(f"/facturation/paiements/{paid['payment_id']}")
    assert "Bonjour Claire LE DERF" in second.text and "paiement de vos réservations" in second.text
    await delivered_once(harness, envelope, "payment_receipt", parent.user_id)


async def test_booking_reminder_names_the_children_and_the_deadline(harness, parent):
    reminder = {
        "dossier_id": str(parent.dossier_id),
        "week_starts_on": "2026-12-14",
        "deadline_at": datetime(2026, 12, 11, 22, 59, tzinfo=UTC).isoformat(),
        "children": [{"first_name": "Arthur"}, {"first_name": "Léa"}],
    }
    envelope = await harness.publish("planning.booking_reminder.due", reminder)
    [mail] = await harness.wait_for_mail(parent.email)
    assert mail.message["Subject"] == "Pensez à réserver pour la semaine du lundi 14 décembre 2026"
    assert "pour Arthur et Léa la semaine du lundi 14 décembre 2026" in mail.text
    assert "jusqu'au vendredi 11 décembre 2026 à 23h59" in mail.text
    assert mail.link("/planning")
    await delivered_once(harness, envelope, "booking_reminder", parent.user_id)


async def test_credit_notice(harness, parent):
    credit = {
        "credit_id": str(uuid.uuid4()),
        "dossier_id": str(parent.dossier_id),
        "amount_cents": 374,
        "reason": "cancellation",
        "label": "Annulation du 08/12/2026",
        "granted_at": "2026-12-06T17:42:00+00:00",
    }
    envelope = await harness.publish("billing.credit.granted", credit)
    [mail] = await harness.wait_for_mail(parent.email)
    assert mail.message["Subject"] == "Un avoir de 3,74\u00a0€ a été ajouté à votre compte"
    assert "une journée déjà payée a été annulée" in mail.text
    assert mail.link("/facturation/historique")
    await delivered_once(harness, envelope, "credit_notice", parent.user_id)


async def test_a_family_without_a_known_contact_is_recorded_not_lost(harness):
    dossier_id = uuid.uuid4()
    credit = {
        "credit_id": str(uuid.uuid4()),
        "dossier_id": str(dossier_id),
        "amount_cents": 100,
        "reason": "staff",
        "label": "Geste commercial",
        "granted_at": "2026-12-06T17:42:00+00:00",
    }
    envelope = await harness.publish("billing.credit.granted", credit)

    async def recorded():
        return await harness.count("emails", "dedupe_key = $1 AND state = 'suppressed'", f"credit_notice:{envelope.id}")

    await eventually(recorded)
    row = await harness.db.fetchrow("SELECT * FROM emails WHERE dedupe_key = $1", f"credit_notice:{envelope.id}")
    assert row["last_error"] == "no_address" and row["to_address"] is None
