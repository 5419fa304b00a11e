"""The invoice and credit-note PDF: the Jinja2 template ``templates/invoice.html`` printed by
WeasyPrint. Rendered once, right after the document is issued, and stored: a re-download gives
the same bytes (the document never changes, so neither does its PDF).

:func:`render_html` makes the HTML; the app's :class:`~billing.pdf.PdfPrinter` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..domain.invoicing import InvoiceLine
from ..domain.ledger import PARIS
from ..domain.money import Money

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Town:
    name: str
    address: tuple[str, ...]


def address_lines(address: dict | None) -> list[str]:
    """accounts' address (line1, line2, postal_code, city) as printed lines."""
    if not address:
        return []
    city = " ".join(x for x in (address.get("postal_code"), address.get("city")) if x)
    return [x for x in (address.get("line1"), address.get("line2"), city) if x]


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def context(row, lines: list[InvoiceLine], town: Town, credited_number: str | None = None) -> dict:
    family = row["family"]
    is_credit_note = row["kind"] == "credit_note"
    return {
        "town": town,
        "family": {"name": family["name"], "number": family["number"], "address": address_lines(family.get("address"))},
        "doc": {
            "title": "Avoir" if is_credit_note else "Facture",
            "is_credit_note": is_credit_note,
            "number": row["number"],
            "issued_on": _day(row["issued_at"].astimezone(PARIS).date()),
            "period": format_date(row["month"], "MMMM y", locale="fr_FR") if row["month"] else None,
            "due_on": _day(row["due_on"]) if row["due_on"] else None,
            "total": Money(row["total_cents"]).format_fr(),
            "credited_number": credited_number,
            "reason": row["reason"],
        },
        "lines": [
            {
                "date": _day(x.day),
                "child": x.child_name,
                "label": x.label,
                "unit_price": x.unit_price.format_fr(),
                "quantity": x.quantity,
                "amount": x.amount.format_fr(),
            }
            for x in lines
        ],
    }


def render_html(ctx: dict) -> str:
    return _ENV.get_template("invoice.html").render(**ctx)

