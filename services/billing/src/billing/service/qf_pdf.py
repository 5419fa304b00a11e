"""The QF card and the tax attestation as PDF (WeasyPrint), from small HTML documents.

Every value is escaped (``html.escape``): a family or child name is data, never markup. The
app's :class:`~billing.pdf.PdfPrinter` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from babel.dates import format_date

from ..domain.attestation import ChildAmount
from ..domain.money import format_cents
from ..domain.qf import QuotientFamilial

STYLE = """
@page { size: A4; margin: 2cm; @bottom-center { content: "Portail Famille — " string(town); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 11pt; color: #1b1b1b; }
h1 { font-size: 16pt; margin: 0 0 0.5cm; }
.town { string-set: town content(); font-weight: bold; font-size: 13pt; }
.card { border: 2px solid #000091; border-radius: 8px; padding: 0.6cm; width: 12cm; }
table { border-collapse: collapse; width: 100%; margin: 0.4cm 0; }
th, td { border: 1px solid #999; padding: 4px 6px; text-align: left; }
td.amount, th.amount { text-align: right; }
.small { font-size: 9pt; color: #444; }
"""


@dataclass(frozen=True)
class Family:
    number: str
    name: str


def day_fr(day: date) -> str:
    """« 1 février 2027 »."""
    return format_date(day, "d MMMM y", locale="fr_FR")


def _page(title: str, town: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>"
        f'<p class="town">Mairie de {escape(town)}</p>{body}</body></html>'
    )


def qf_card_html(town: str, family: Family, qf: QuotientFamilial) -> str:
    body = (
        '<div class="card"><h1>Carte quotient familial</h1>'
        f"<p>Famille {escape(family.name)} — dossier n° {escape(family.number)}</p>"
        f"<p>Quotient familial : <strong>{qf.value} €</strong></p>"
        f"<p>Valable du {day_fr(qf.valid_from)} au {day_fr(qf.valid_to)}</p>"
        f'<p class="small">Justificatif : {escape(qf.proof.label_fr)}. Les tarifs de la cantine, du '
        "périscolaire et de l'accueil de loisirs dépendent de ce quotient.</p></div>"
    )
    return _page("Carte quotient familial", town, body)


def attestation_html(town: str, family: Family, year: int, amounts: list[ChildAmount], issued_on: date) -> str:
    rows = "".join(
        f"<tr><td>{escape(a.child.first_name)} {escape(a.child.last_name)}</td>"
        f'<td>{a.child.birth_date:%d/%m/%Y}</td><td class="amount">{format_cents(a.amount_cents)}</td></tr>'
        for a in amounts
    )
    total = sum(a.amount_cents for a in amounts)
    table = (
        "<table><thead><tr><th>Enfant</th><th>Date de naissance</th>"
        f'<th class="amount">Montant payé en {year}</th></tr></thead><tbody>{rows}</tbody>'
        f'<tfoot><tr><th colspan="2">Total</th><th class="amount">{format_cents(total)}</th></tr></tfoot></table>'
        if amounts
        else f"<p>Aucun enfant de la famille n'avait moins de 6 ans au 1er janvier {year}.</p>"
    )
    body = (
        f"<h1>Attestation fiscale — frais de garde {year}</h1>"
        f"<p>Famille {escape(family.name)} — dossier n° {escape(family.number)}</p>"
        f"<p>La Mairie de {escape(town)} atteste que la famille a payé en {year}, pour la garde de ses enfants "
        f"âgés de moins de 6 ans au 1er janvier {year}, les sommes suivantes (frais de repas exclus) :</p>"
        f"{table}"
        f'<p class="small">Attestation établie le {day_fr(issued_on)}, à joindre à votre déclaration de revenus '
        "(crédit d'impôt pour frais de garde des jeunes enfants).</p>"
    )
    return _page(f"Attestation fiscale {year}", town, body)

