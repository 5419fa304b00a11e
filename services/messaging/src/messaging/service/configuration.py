"""Staff configuration: the themes parents write to and the reply templates agents use."""

from __future__ import annotations

import uuid

import structlog
from servicekit.identity import Identity

from .. import schemas
from ..domain import threads as rules
from ..domain.errors import InvalidInput, NotFound, UnknownTheme
from ..domain.text import slugify
from ..store import UnitOfWork
from ..store.views import configuration as views
from .deps import Messaging

log = structlog.get_logger(__name__)


async def list_themes(ctx: Messaging) -> schemas.ThemeList:
    """The active themes, as a parent chooses among them."""
    async with ctx.read() as conn:
        return await views.active_themes(conn)


async def admin_themes(ctx: Messaging) -> schemas.AdminThemeList:
    async with ctx.read() as conn:
        return await views.admin_themes(conn)


async def create_theme(ctx: Messaging, cmd: schemas.ThemeCreate) -> schemas.AdminThemeOut:
    role = rules.ensure_theme_role(cmd.staff_role)
    async with ctx.uow() as uow:
        row = await uow.themes.add(cmd.code or slugify(cmd.label), cmd.label, role, cmd.position)
        await uow.commit()
    log.info("theme_created", theme_id=str(row["id"]))
    return views.admin_theme(row)


async def update_theme(ctx: Messaging, theme_id: uuid.UUID, cmd: schemas.ThemeUpdate) -> schemas.AdminThemeOut:
    changes = cmd.model_dump(exclude_unset=True)
    if changes.get("staff_role") is not None:
        rules.ensure_theme_role(changes["staff_role"])
    changes = {k: v for k, v in changes.items() if v is not None}
    async with ctx.uow() as uow:
        row = await uow.themes.update(theme_id, changes)
        if row is None:
            raise NotFound("Ce thème n'existe pas.")
        await uow.commit()
    log.info("theme_updated", theme_id=str(theme_id), fields=sorted(changes))
    return views.admin_theme(row)


async def reply_templates(ctx: Messaging, caller: Identity) -> schemas.ReplyTemplateList:
    """Messaging staff see every template; a theme's agents those of their themes."""
    async with ctx.read() as conn:
        theme_ids = None
        if not caller.has_role(rules.MESSAGING_STAFF):
            roles = rules.handled_roles(caller.roles)
            themes = await views.all_themes(conn)
            theme_ids = [t["id"] for t in themes if roles is None or t["staff_role"] in roles]
        return await views.reply_templates(conn, theme_ids)


async def create_reply_template(ctx: Messaging, cmd: schemas.ReplyTemplateCreate) -> schemas.ReplyTemplateOut:
    async with ctx.uow() as uow:
        await _check_template_theme(uow, cmd.theme_id)
        row = await uow.templates.add(cmd.title, cmd.body, cmd.theme_id)
        await uow.commit()
    log.info("reply_template_created", template_id=str(row["id"]))
    return views.reply_template(row)


async def update_reply_template(
    ctx: Messaging, template_id: uuid.UUID, cmd: schemas.ReplyTemplateUpdate
) -> schemas.ReplyTemplateOut:
    changes = cmd.model_dump(exclude_unset=True)
    if changes.get("title", "") is None or changes.get("body", "") is None:
        raise InvalidInput("Le titre et le texte ne peuvent pas être vides.", code="required")
    async with ctx.uow() as uow:
        await _check_template_theme(uow, changes.get("theme_id"))
        row = await uow.templates.update(template_id, changes)
        if row is None:
            raise NotFound("Ce modèle de réponse n'existe pas.")
        await uow.commit()
    log.info("reply_template_updated", template_id=str(template_id))
    return views.reply_template(row)


async def delete_reply_template(ctx: Messaging, template_id: uuid.UUID) -> None:
    async with ctx.uow() as uow:
        if not await uow.templates.delete(template_id):
            raise NotFound("Ce modèle de réponse n'existe pas.")
        await uow.commit()
    log.info("reply_template_deleted", template_id=str(template_id))


async def _check_template_theme(uow: UnitOfWork, theme_id: uuid.UUID | None) -> None:
    if theme_id is not None and await uow.themes.get(theme_id) is None:
        raise UnknownTheme(field="theme_id")
