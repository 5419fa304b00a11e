"""The stand-in planning's « Valider », basket, « Tout supprimer » and « Payer » (see
``fake_planning``, which serves them)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from .fake_planning import (
    HOLD,
    UNIT_PRICE_CENTS,
    Basket,
    State,
    day_doc,
    dossier_of,
    euros,
    month_days,
    own_child,
    problem,
    state,
)

# --- « Valider » --------------------------------------------------------------------

# Planning's per-day codes (its DayProblem), each with the fake's own sentence.
RULE_MESSAGES = {
    "deadline_passed": "Le délai pour modifier ce jour est dépassé.",
    "cancellation_deadline_passed": "Le délai pour annuler ce jour est dépassé.",
    "activity_not_running": "L'activité n'a pas lieu ce jour-là.",
    "month_closed": "Les réservations ne sont pas ouvertes pour ce mois.",
    "day_full": "Ce jour est complet.",
    "date_outside_month": "Ce jour n'est pas dans le mois affiché.",
}


def refused_code(doc: dict[str, Any], adding: bool) -> str:
    """Why planning refuses to change a day that is not editable (grid.change_problem)."""
    if doc["state"] == "closed":
        return "month_closed" if doc["reason"] == "month_closed" else "activity_not_running"
    if doc["state"] == "full":
        return "day_full"
    return "deadline_passed" if adding else "cancellation_deadline_passed"


def is_wanted(day: dict[str, Any]) -> bool:
    """Booked once the basket is paid (planning's reading of a day)."""
    return day["pending_change"] == "add" if day["pending_change"] else day["booked"]


def line_doc(st: State, key: tuple[str, str, str], change: str) -> dict[str, Any]:
    child_id, activity_id, day = key
    child, activity = st.children[child_id], st.activities[activity_id]
    paid = key in st.reservations
    cents = UNIT_PRICE_CENTS if change == "add" else (-UNIT_PRICE_CENTS if paid else 0)
    return {
        "date": day,
        "child_id": child_id,
        "activity_id": activity_id,
        "element": f"{child.first_name} - {activity.name}",
        "label": f"{child.first_name} - {activity.name}",
        "pricing": "à l'unité",
        "change": change,
        "amount_cents": cents,
        "amount": euros(cents),
    }


async def put_month(request: web.Request) -> web.Response:
    st, child, month = state(request), own_child(request), request.match_info["month"]
    basket = st.basket(child.dossier_id)
    if basket.status == "checking_out":
        return problem(
            409,
            "basket_frozen",
            "Un paiement est en cours : vos réservations ne peuvent pas être modifiées pour l'instant.",
        )
    body = await request.json()
    wanted = {a["activity_id"]: set(a["booked_dates"]) for a in body["activities"]}
    days = {d.isoformat(): d for d in month_days(month)}
    errors, diff = [], {}
    for activity_id, dates in wanted.items():
        if activity_id not in st.activities:
            return problem(404, "unknown_activity", "Cette activité n'existe pas.")
        if activity_id not in child.activity_ids:  # refused whole, as planning does: no days
            return problem(422, "not_enrolled", "L'enfant n'est pas inscrit à cette activité.")
        activity = st.activities[activity_id]
        current = {d for d in days if is_wanted(day_doc(st, child, activity, days[d], month))}
        for day in sorted(dates ^ current):
            if day not in days:
                errors.append({"date": day, "activity_id": activity_id, "code": "date_outside_month"})
                continue
            doc = day_doc(st, child, activity, days[day], month)
            if not doc["editable"]:
                errors.append({"date": day, "activity_id": activity_id, "code": refused_code(doc, day in dates)})
                continue
            diff[(child.id, activity_id, day)] = "add" if day in dates else "remove"
    if errors:
        for e in errors:
            e["message"] = RULE_MESSAGES[e["code"]]
        return problem(422, "rules_violated", "Certains jours ne peuvent pas être modifiés.", days=errors)
    if st.billing_down:
        return billing_unavailable()
    for key, change in diff.items():
        if basket.changes.get(key) and basket.changes[key] != change:
            basket.changes.pop(key)  # undoing a pending change
        elif change == "add" or key in st.reservations:
            basket.changes[key] = change
    mine = [
        line_doc(st, key, change)
        for key, change in sorted(basket.changes.items(), key=lambda kv: kv[0][2])
        if key[0] == child.id and key[2] in days
    ]
    cost = sum(line["amount_cents"] for line in mine)
    changes = [
        {k: line[k] for k in ("date", "activity_id", "child_id", "change", "label", "amount_cents", "amount")}
        for line in mine
    ]
    return web.json_response({"changes": changes, "period_cost_cents": cost, "period_cost": euros(cost)})


def billing_unavailable() -> web.Response:
    return problem(
        503,
        "billing_unavailable",
        "Le paiement en ligne est momentanément indisponible. Vos réservations n'ont pas été modifiées. "
        "Veuillez réessayer dans quelques minutes.",
    )


# --- the basket ---------------------------------------------------------------------


def basket_doc(st: State, basket: Basket) -> dict[str, Any]:
    lines = [line_doc(st, key, change) for key, change in sorted(basket.changes.items(), key=lambda kv: kv[0][2])]
    for line in lines:
        line.pop("label")
    total = sum(line["amount_cents"] for line in lines)
    credit = st.billing.credit_of(basket.dossier_id) if st.billing else 0
    applied = min(credit, max(total, 0))
    return {
        "id": basket.id,
        "status": basket.status,
        "expires_at": basket.expires_at.isoformat() if basket.expires_at else None,
        "lines": lines,
        "total_cents": total,
        "total": euros(total),
        "credit_applied_cents": applied,
        "credit_applied": euros(applied),
        "to_pay_cents": max(total, 0) - applied,
        "to_pay": euros(max(total, 0) - applied),
        "priced": True,
    }


async def get_basket(request: web.Request) -> web.Response:
    st = state(request)
    return web.json_response(basket_doc(st, st.basket(dossier_of(request))))


async def delete_basket(request: web.Request) -> web.Response:
    st = state(request)
    basket = st.basket(dossier_of(request))
    if basket.status == "checking_out":
        return problem(
            409, "basket_frozen", "Un paiement est en cours : vos modifications ne peuvent pas être effacées."
        )
    basket.changes.clear()
    return web.Response(status=204)


async def checkout(request: web.Request) -> web.Response:
    st, dossier = state(request), dossier_of(request)
    key = request.headers.get("Idempotency-Key")
    if key and (dossier, key) in st.idempotency:
        return web.json_response(st.idempotency[(dossier, key)])
    basket = st.basket(dossier)
    if basket.status == "checking_out" and basket.answer is not None:
        return web.json_response(basket.answer)  # a second click within the hold: the same payment
    if not basket.changes:
        return problem(409, "basket_empty", "Aucune modification n'est en attente de paiement.")
    late = sorted(k for k in basket.changes if date.fromisoformat(k[2]) < st.deadline_passed_before)
    if late:
        days = [
            {
                "date": k[2],
                "activity_id": k[1],
                "code": "deadline_passed" if basket.changes[k] == "add" else "cancellation_deadline_passed",
                "message": f"Le délai pour modifier le {date.fromisoformat(k[2]).strftime('%d/%m/%Y')} est dépassé.",
            }
            for k in late
        ]
        for k in late:
            basket.changes.pop(k)
        return problem(422, "rules_violated", "Certains jours ne peuvent plus être modifiés.", days=days)
    full = [
        k
        for k, change in basket.changes.items()
        if change == "add" and st.booked_count(k[1], k[2]) >= st.activities[k[1]].capacity
    ]
    if full:
        days = [
            {
                "date": k[2],
                "activity_id": k[1],
                "child_id": k[0],
                "code": "day_full",
                "message": f"Le {date.fromisoformat(k[2]).strftime('%d/%m/%Y')} est complet.",
            }
            for k in full
        ]
        for k in full:
            basket.changes.pop(k)
        return problem(409, "days_full", "Certains jours sont complets et ont été retirés de votre panier.", days=days)
    if st.billing_down or st.billing is None:
        return billing_unavailable()
    doc = basket_doc(st, basket)
    basket.status, basket.checkout_id = "checking_out", str(uuid.uuid4())
    if doc["to_pay_cents"] == 0:
        st.billing.use_credit(dossier, doc["credit_applied_cents"])
        st.confirm(basket.id)
        answer = {"basket_id": basket.id, "status": "confirmed"}
    else:
        basket.expires_at = datetime.now(UTC) + HOLD
        payment = st.billing.create_payment(dossier, basket.id, doc)
        answer = {
            "basket_id": basket.id,
            "status": "payment_pending",
            "payment_url": f"{st.provider_url}?idop={payment.idop}",
            "payment_id": payment.id,
        }
        basket.answer = answer
    if key:
        st.idempotency[(dossier, key)] = answer
    return web.json_response(answer)
