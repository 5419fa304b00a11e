"""/static/portail.css: the parts of static/css/ joined in the declared order, from memory."""

from __future__ import annotations

import pytest
from gateway.app import create_app
from gateway.settings import GatewaySettings

from gateway import stylesheet

from .standins import IDENTITY_SECRET, SESSION_SECRET


def parts_in_order() -> bytes:
    texts = [(stylesheet.PARTS_DIR / name).read_text(encoding="utf-8") for name in stylesheet.PARTS]
    return "\n".join(texts).encode()


async def test_the_stylesheet_is_the_parts_in_their_order(gateway):
    resp = await gateway.get("/static/portail.css")
    assert resp.status == 200
    assert resp.content_type == "text/css" and resp.charset == "utf-8"
    body = await resp.read()
    assert body == parts_in_order()
    # The frame first (the colours every part uses), the month grid last.
    assert body.index(b"--blue: #1f3a68;") < body.index(b".site-header {") < body.index(b".month-grid th,")
    etag = resp.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10  # strong: no W/
    assert resp.headers["Cache-Control"] == "no-cache"


async def test_an_unchanged_stylesheet_is_a_304(gateway):
    etag = (await gateway.get("/static/portail.css")).headers["ETag"]
    for if_none_match in (etag, f"W/{etag}", f'"autre", {etag}', "*"):
        resp = await gateway.get("/static/portail.css", headers={"If-None-Match": if_none_match})
        assert resp.status == 304, if_none_match
        assert await resp.read() == b""
        assert resp.headers["ETag"] == etag
        assert resp.headers["Cache-Control"] == "no-cache"
    resp = await gateway.get("/static/portail.css", headers={"If-None-Match": '"une-ancienne-version"'})
    assert resp.status == 200
    assert await resp.read() == parts_in_order()


async def test_head_and_the_other_static_files_have_the_same_cache_policy(gateway):
    head = await gateway.head("/static/portail.css")
    assert head.status == 200 and head.headers["ETag"]
    script = await gateway.get("/static/messaging.js")
    assert script.status == 200
    assert script.headers["Cache-Control"] == "no-cache"
    assert script.headers["ETag"]


def test_every_part_is_listed_and_of_a_readable_size():
    on_disk = {p.name for p in stylesheet.PARTS_DIR.glob("*.css")}
    assert on_disk == set(stylesheet.PARTS)
    for name in stylesheet.PARTS:
        lines = (stylesheet.PARTS_DIR / name).read_text(encoding="utf-8").count("\n")
        assert lines < 300, f"{name}: {lines} lines, split it"


def test_a_missing_part_stops_the_start_up(tmp_path, monkeypatch):
    (tmp_path / "base.css").write_text(":root {}\n")
    with pytest.raises(stylesheet.StylesheetError, match=r"missing .*: forms\.css"):
        stylesheet.build(tmp_path, ("base.css", "forms.css"))

    monkeypatch.setattr(stylesheet, "PARTS", (*stylesheet.PARTS, "absent.css"))
    settings = GatewaySettings(identity_secret=IDENTITY_SECRET, session_secret=SESSION_SECRET, environment="test")
    with pytest.raises(stylesheet.StylesheetError, match=r"absent\.css"):
        create_app(settings)


def test_a_part_left_out_of_the_list_stops_the_start_up(tmp_path):
    for name in ("base.css", "extra.css"):
        (tmp_path / name).write_text("a {}\n")
    with pytest.raises(stylesheet.StylesheetError, match=r"does not list: extra\.css"):
        stylesheet.build(tmp_path, ("base.css",))
    assert stylesheet.build(tmp_path, ("base.css", "extra.css")).body == b"a {}\n\na {}\n"
