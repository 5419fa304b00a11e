"""Demonstration data (development only): the town's usual message themes and replies."""

from __future__ import annotations

import asyncpg

DEMO_THEMES = (
    ("scolaire", "Scolaire", "messaging_staff"),
    ("periscolaire", "Périscolaire / Animation", "messaging_staff"),
    ("restauration", "Restauration", "messaging_staff"),
    ("facturation", "Facturation", "billing_staff"),
)

# (title, body, theme code or None for every theme)
DEMO_REPLY_TEMPLATES = (
    (
        "Accusé de réception",
        "Bonjour,\n\nNous avons bien reçu votre message et le transmettons au service concerné. "
        "Nous revenons vers vous rapidement.\n\nCordialement,\nLe Service Enfance",
        None,
    ),
    (
        "Justificatif de quotient familial",
        "Bonjour,\n\nPour calculer votre quotient familial, merci de déposer votre dernier avis "
        "d'imposition ou votre attestation CAF dans « Mes documents ».\n\nCordialement,\nLe service Facturation",
        "facturation",
    ),
)


async def load(pool: asyncpg.Pool, settings) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for position, (code, label, role) in enumerate(DEMO_THEMES):
            await conn.execute(
                "INSERT INTO themes (code, label, staff_role, position) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (code) DO NOTHING",
                code,
                label,
                role,
                position,
            )
        for title, body, theme_code in DEMO_REPLY_TEMPLATES:
            await conn.execute(
                "INSERT INTO reply_templates (title, body, theme_id) "
                "SELECT $1, $2, (SELECT id FROM themes WHERE code = $3) "
                "WHERE NOT EXISTS (SELECT 1 FROM reply_templates WHERE title = $1)",
                title,
                body,
                theme_code,
            )
