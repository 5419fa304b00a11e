"""« Planning »: the child chooser, the month grid, « Modifier » → « Valider ».

Against in-process stand-ins of accounts, planning and billing (``conftest``): real HTTP
servers that record what they receive, so these tests check what the gateway sent
(the wanted days) as well as what the parent sees.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from html import unescape

from gateway.ui.formats import current_month

from ..browser import csrf_in
from .support import MONTH, hidden, month_path, tick

CANTINE = "2026/2027 - Cantine (11h30 à 13h30)"


def cantine(town):
    return town.activity("Cantine").id


def puts(town) -> list[dict]:
    return [r for r in town.received if r["method"] == "PUT"]


# --- signed out -------------------------------------------------------------------------


async def test_signed_out_visitors_go_to_the_login_page(browser, town):
    child = uuid.uuid4()
    for path in ("/planning", f"/planning/{child}/{MONTH}", f"/planning/{child}/{MONTH}/modifier", "/planning/panier"):
        page = await browser.get(path)
        assert page.status == 303 and page.location.startswith("/connexion?next=/planning"), path
    page = await browser.post(f"/planning/{child}/{MONTH}/modifier", {"x": "y"})
    assert page.status == 303 and page.location == f"/connexion?next=/planning/{child}/{MONTH}/modifier"
    assert town.received == []


# --- « Cliquez sur l'enfant » -----------------------------------------------------------


async def test_one_child_goes_straight_to_this_month(parent):
    page = await parent.get("/planning")
    assert page.status == 303
    assert page.location == f"/planning/{parent.child.id}/{current_month()}"


async def test_several_children_are_offered_to_choose_from(parent, town):
    lea = town.add_child(parent.dossier, "Léa")
    page = await parent.get("/planning")
    assert page.status == 200
    assert "Cliquez sur l'enfant" in page.text
    assert f'href="/planning/{lea.id}/{current_month()}"' in page.html
    assert f'href="/planning/{parent.child.id}/{current_month()}"' in page.html
    assert "Léa Le Derf" in page.text and CANTINE in page.text


async def test_a_family_without_enrolled_child_is_told_so(browser, accounts, town):
    accounts.add_user("lederf", dossier_id=accounts.add_dossier("404", "LE DERF"))
    await browser.login()
    page = await browser.get("/planning")
    assert page.status == 200 and "Aucun enfant de votre dossier n'est inscrit" in page.text


# --- the month --------------------------------------------------------------------------


async def test_the_month_is_a_table_of_activities_and_days_with_states_in_words(parent, town):
    town.reservations.add((parent.child.id, cantine(town), "2026-12-03"))
    town.fill(cantine(town), "2026-12-14")
    page = await parent.get(month_path(parent))
    assert page.status == 200
    assert "<h1>Arthur : Décembre 2026</h1>" in page.html
    assert "<caption" in page.html and "Réservations : Arthur, Décembre 2026" in page.text
    # One row per activity, its name a row header; one column per day, headed « Ma 01 ».
    assert f'<th scope="row" class="activity-col">{CANTINE}</th>' in page.html
    assert page.html.count('<th scope="row"') == 3
    assert page.html.count('<th scope="col" class="day-col') == 31
    assert (
        '<span aria-hidden="true">Ma<br>01</span><span class="visually-hidden">mardi 1er décembre</span>' in page.html
    )
    row = re.search(
        rf"<tr>\s*<th scope=\"row\" class=\"activity-col\">{re.escape(CANTINE)}</th>(.*?)</tr>", page.html, re.S
    )
    cells = [
        (state, unescape(title))
        for state, title in re.findall(r'<td class="day day-(\w+)[^"]*" title="([^"]*)"', row.group(1))
    ]
    assert cells[0] == ("locked", "Délai dépassé")  # Tue 1st: past its deadline
    assert cells[1] == ("closed", "Fermé : Pas d'activité ce jour")  # Wednesday: no canteen
    assert cells[2] == ("booked", "Réservé")
    assert cells[13] == ("full", "Complet")
    assert cells[24] == ("closed", "Fermé : Noël")
    assert cells[7][0] == "bookable" and cells[7][1].startswith("Réservable, ")
    # The words are there for screen readers, not only in the title.
    assert '<span class="visually-hidden">Fermé : Noël</span>' in page.html
    assert "Légende" in page.text and "En attente de paiement" in page.text


async def test_month_arrows_have_accessible_names(parent):
    page = await parent.get(month_path(parent))
    assert f'href="/planning/{parent.child.id}/2026-11" rel="prev"' in page.html
    assert f'href="/planning/{parent.child.id}/2027-01" rel="next"' in page.html
    assert "Mois précédent : Novembre 2026" in page.text and "Mois suivant : Janvier 2027" in page.text


async def test_a_month_not_open_says_so_and_offers_no_change(parent):
    page = await parent.get(month_path(parent, "2027-02"))
    assert page.status == 200
    assert "Ce mois n'est pas ouvert aux réservations" in page.text
    assert "/modifier" not in page.html
    page = await parent.get(month_path(parent, "2027-02") + "/modifier")
    assert page.status == 303 and page.location == month_path(parent, "2027-02")


async def test_another_familys_child_is_the_french_404_page(parent, town):
    other = town.add_child(str(uuid.uuid4()), "Zoé")
    for path in (f"/planning/{other.id}/{MONTH}", f"/planning/{other.id}/{MONTH}/modifier"):
        page = await parent.get(path)
        assert page.status == 404, path
        assert "Page introuvable" in page.text and "Cet enfant n'existe pas." in page.text
    assert (await parent.get(f"/planning/{parent.child.id}/2026-13")).status == 404


# --- « Modifier » → « Valider » ---------------------------------------------------------


async def test_modifier_offers_a_labelled_checkbox_per_editable_day(parent, town):
    page = await parent.get(month_path(parent) + "/modifier")
    assert page.status == 200
    assert "Cochez les jours de présence souhaités et cliquez sur « Valider »." in page.text
    box = re.search(r'<input type="checkbox" id="(j-0-2026-12-07)" name="([^"]+)" value="2026-12-07"', page.html)
    assert box and box.group(2) == cantine(town)
    assert (
        f'<label class="visually-hidden" for="{box.group(1)}">Réserver Cantine le lundi 7 décembre</label>' in page.html
    )
    # Past their deadline, closed: text, no box.
    assert 'value="2026-12-01"' not in page.html and 'value="2026-12-25"' not in page.html
    assert "Valider" in page.text and f'href="{month_path(parent)}">Annuler' in page.html


async def test_valider_sends_the_wanted_days_then_shows_the_cost(parent, town):
    town.reservations.add((parent.child.id, cantine(town), "2026-12-03"))  # past its deadline: kept
    town.reservations.add((parent.child.id, cantine(town), "2026-12-08"))  # editable, unticked: removed
    days = ["2026-12-07", "2026-12-10", "2026-12-11"]
    page = await tick(parent, {cantine(town): days})
    assert page.status == 303
    assert page.location.startswith(month_path(parent) + "?valide=")
    sent = puts(town)[-1]["json"]["activities"]
    assert {"activity_id": cantine(town), "booked_dates": ["2026-12-03", *days]} in sent
    assert len(sent) == 3  # every activity of the grid, the others unchanged (empty)

    page = await parent.get(page.location)
    assert "Les modifications ont été validées." in page.text
    assert "Coût de la période : 7,48 €" in page.text.replace("\u202f", " ").replace("\xa0", " ")
    assert f'href="/planning/panier?enfant={parent.child.id}&amp;mois={MONTH}">Terminer les modifications' in page.html
    # The days now wait for the payment.
    assert page.html.count('title="En attente de paiement"') == 3


async def test_an_unticked_booked_day_waits_as_a_cancellation_and_stays_unticked(parent, town):
    town.reservations.add((parent.child.id, cantine(town), "2026-12-08"))
    page = await tick(parent, {cantine(town): []})  # 8 December unticked
    assert page.status == 303
    assert town.basket(parent.dossier).changes == {(parent.child.id, cantine(town), "2026-12-08"): "remove"}
    month = await parent.get(month_path(parent))
    assert 'title="Annulation en attente de validation"' in month.html
    # Shown unticked, and « Valider » again keeps the cancellation instead of booking it back.
    edit = await parent.get(month_path(parent) + "/modifier")
    assert re.search(r'value="2026-12-08"\s+aria-describedby', edit.html)
    await tick(parent, {cantine(town): []})
    assert puts(town)[-1]["json"]["activities"][0]["booked_dates"] == []
    assert town.basket(parent.dossier).changes == {(parent.child.id, cantine(town), "2026-12-08"): "remove"}


async def test_a_forged_cost_is_not_shown(parent):
    page = await parent.get(month_path(parent) + "?valide=eyJjb3N0IjoiMCJ9.abc")
    assert page.status == 200 and "Coût de la période" not in page.text


async def test_a_refusal_per_day_is_shown_beside_the_grid_and_changes_nothing(parent, town):
    edit = await parent.get(month_path(parent) + "/modifier")
    town.deadline_passed_before = date(2026, 12, 15)  # the deadline passed while the page was open
    data = [
        ("csrf_token", csrf_in(edit.html)),
        (f"offert:{cantine(town)}", hidden(edit.html, f"offert:{cantine(town)}")),
    ]
    data += [(cantine(town), "2026-12-08"), (cantine(town), "2026-12-17")]
    page = await parent.page(await parent.client.post(month_path(parent) + "/modifier", data=data))
    assert page.status == 422
    assert "Certains jours ne peuvent pas être modifiés. Vos réservations n'ont pas été modifiées." in page.text
    assert "Cantine, mardi 8 décembre : Le délai pour modifier ce jour est dépassé." in page.text
    assert 'class="day day-locked day-error"' in page.html
    # Still ticked as the parent left it.
    assert re.search(r'value="2026-12-17"\s+checked', page.html)
    assert town.basket(parent.dossier).changes == {}


async def test_billing_away_changes_nothing_and_says_so(parent, town):
    town.billing_down = True
    page = await tick(parent, {cantine(town): ["2026-12-07"]})
    assert page.status == 503
    assert (
        "Le calcul du coût est momentanément indisponible. Vos modifications n'ont pas été enregistrées." in page.text
    )
    assert re.search(r'value="2026-12-07"\s+checked', page.html)
    assert town.basket(parent.dossier).changes == {}


async def test_a_basket_being_paid_cannot_change(parent, town):
    await tick(parent, {cantine(town): ["2026-12-07"]})
    town.basket(parent.dossier).status = "checking_out"
    edit_data = [("csrf_token", csrf_in((await parent.get(month_path(parent))).html))]
    edit_data += [(f"offert:{cantine(town)}", "2026-12-08"), (cantine(town), "2026-12-08")]
    page = await parent.page(await parent.client.post(month_path(parent) + "/modifier", data=edit_data))
    assert page.status == 409
    assert "Un paiement est en cours" in page.text


async def test_valider_needs_the_csrf_token(parent, town):
    page = await parent.post(month_path(parent) + "/modifier", {f"offert:{cantine(town)}": "2026-12-07"})
    assert page.status == 403 and "Votre formulaire a expiré" in page.text
    assert puts(town) == []
