"""Helpers of the « Planning » and « Facturation » page tests (fixtures: conftest.py)."""

from __future__ import annotations

import re

from ..browser import Browser, csrf_in

MONTH = "2026-12"


def month_path(parent: Browser, month: str = MONTH) -> str:
    return f"/planning/{parent.child.id}/{month}"


async def tick(parent: Browser, days: dict[str, list[str]], month: str = MONTH):
    """« Modifier », tick ``days`` (activity id → dates) among the boxes offered, « Valider »."""
    edit = await parent.get(month_path(parent, month) + "/modifier")
    assert edit.status == 200, edit.text[:300]
    data: list[tuple[str, str]] = [("csrf_token", csrf_in(edit.html, month_path(parent, month) + "/modifier"))]
    for name, value in re.findall(r'<input type="hidden" name="(offert:[^"]+)" value="([^"]*)"', edit.html):
        data.append((name, value))
    for activity_id, dates in days.items():
        data += [(activity_id, d) for d in dates]
    return await parent.page(
        await parent.client.post(month_path(parent, month) + "/modifier", data=data, allow_redirects=False)
    )


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)
