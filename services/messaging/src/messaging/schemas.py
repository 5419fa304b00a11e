"""The HTTP API's models: what comes in (validated) and what goes out.

Shared by api.py, admin_api.py (whose route tables publish them in the OpenAPI document)
and store/views/ (which builds the responses from rows). Problems use servicekit's shared
schema. Text fields go through the domain's rules (domain/text.py); JSON bodies
are validated strictly (``"email_copy": "yes"`` is a type error, not ``true``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from servicekit.pagination import MAX_CURSOR_LENGTH

from .domain import text
from .domain.errors import InvalidInput


def _rule(clean):
    def validate(value: str) -> str:
        try:
            return clean(value)
        except InvalidInput as exc:
            raise PydanticCustomError(exc.code, exc.message) from None

    return AfterValidator(validate)


Subject = Annotated[str, _rule(text.clean_subject)]
Body = Annotated[str, _rule(text.clean_body)]
Label = Annotated[str, _rule(text.clean_label)]
Title = Annotated[str, _rule(text.clean_title)]
Limit = Annotated[int, Field(ge=1, le=100)]
EmailState = Literal["pending", "sent", "bounced", "suppressed", "failed"]
# servicekit's signed cursor: base64url body "." base64url signature (servicekit.pagination).
Cursor = Annotated[str, Field(max_length=MAX_CURSOR_LENGTH, pattern=r"^[A-Za-z0-9_\-.]+$")]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Query(BaseModel):
    # Unknown query parameters are ignored (cache busters, tracking), never an error.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- parents -----------------------------------------------------------------------------


class NewThread(Input):
    """« Envoyer un message ». As JSON, or multipart/form-data with an ``attachment`` file."""

    theme_id: UUID
    subject: Subject
    body: Body
    email_copy: bool = Field(False, description="« Confirmation par email »: a copy to the parent")


class NewMessage(Input):
    """« Répondre ». As JSON, or multipart/form-data with an ``attachment`` file."""

    body: Body
    email_copy: bool = False


class ParentThreadsQuery(Query):
    box: Literal["inbox", "sent"] = Field(
        "inbox", description="inbox: threads with a reply from the town; sent: every thread the parent started"
    )
    limit: Limit = 20
    cursor: Cursor | None = None


class ThemeOut(Output):
    id: UUID
    code: str
    label: str


class ThemeList(Output):
    themes: list[ThemeOut]


class AttachmentOut(Output):
    id: UUID
    filename: str
    content_type: str
    size_bytes: int
    url: str


class MessageOut(Output):
    id: UUID
    author: Literal["parent", "staff"]
    author_label: str
    body: str
    created_at: datetime
    read_at: datetime | None = Field(description="when the other side read it; null: unread")
    attachments: list[AttachmentOut] = []
    email_copy: EmailState | None = Field(
        None, description="« Confirmation par email »: the delivery state of the copy asked for; null: none asked"
    )


class ThreadOut(Output):
    id: UUID
    theme_id: UUID
    theme_label: str
    subject: str
    state: Literal["open", "closed"]
    created_at: datetime
    last_message_at: datetime
    messages: list[MessageOut]


class ThreadSummary(Output):
    id: UUID
    theme_id: UUID
    theme_label: str
    subject: str
    state: Literal["open", "closed"]
    created_at: datetime
    last_message_at: datetime
    messages_count: int
    has_reply: bool
    unread_replies: int


class ThreadPage(Output):
    threads: list[ThreadSummary]
    next_cursor: str | None
    deleted_count: int = Field(
        0, description="threads of this box the parent removed (« Supprimer »): an empty box is then not a new one"
    )


class Notifications(Output):
    unread_replies: int


# --- staff -------------------------------------------------------------------------------


class StaffReply(Input):
    body: Body | None = Field(None, description="required unless template_id is given (then the template's text)")
    template_id: UUID | None = None

    @model_validator(mode="after")
    def _body_or_template(self):
        if self.body is None and self.template_id is None:
            raise PydanticCustomError("required", "Écrivez une réponse ou choisissez un modèle.")
        return self


class StaffThreadsQuery(Query):
    theme_id: UUID | None = None
    state: Literal["open", "closed"] | None = None
    unread: bool | None = Field(None, description="true: only threads with a parent's message not yet read by staff")
    limit: Limit = 20
    cursor: Cursor | None = None


class ParentInfo(Output):
    user_id: UUID
    name: str | None
    dossier_id: UUID | None
    dossier_number: str | None
    family_name: str | None


class StaffMessageOut(MessageOut):
    author_id: UUID
    template_id: UUID | None = None


class StaffThreadSummary(Output):
    id: UUID
    theme_id: UUID
    theme_label: str
    staff_role: str
    subject: str
    state: Literal["open", "closed"]
    created_at: datetime
    last_message_at: datetime
    closed_at: datetime | None
    messages_count: int
    unread_messages: int = Field(description="parent messages not yet read by staff")
    hidden_by_parent: bool = Field(description="the parent removed it from their box (« Supprimer »)")
    parent: ParentInfo


class StaffThreadOut(StaffThreadSummary):
    messages: list[StaffMessageOut]


class StaffThreadPage(Output):
    threads: list[StaffThreadSummary]
    next_cursor: str | None


class ThemeCreate(Input):
    label: Label
    staff_role: str = Field(description="the staff role that reads and answers this theme's threads")
    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")] | None = None
    position: Annotated[int, Field(ge=0, le=1000)] = 0


class ThemeUpdate(Input):
    """Rename, move, route to another role, or deactivate (``active: false``)."""

    label: Label | None = None
    staff_role: str | None = None
    active: bool | None = None
    position: Annotated[int, Field(ge=0, le=1000)] | None = None


class AdminThemeOut(ThemeOut):
    staff_role: str
    active: bool
    position: int
    created_at: datetime
    updated_at: datetime


class AdminThemeList(Output):
    themes: list[AdminThemeOut]


class ReplyTemplateCreate(Input):
    title: Title
    body: Body
    theme_id: UUID | None = Field(None, description="null: offered for every theme")


class ReplyTemplateUpdate(Input):
    title: Title | None = None
    body: Body | None = None
    theme_id: UUID | None = None


class ReplyTemplateOut(Output):
    id: UUID
    title: str
    body: str
    theme_id: UUID | None
    created_at: datetime
    updated_at: datetime


class ReplyTemplateList(Output):
    templates: list[ReplyTemplateOut]


class EmailLogQuery(Query):
    state: EmailState | None = None
    kind: Annotated[str, Field(max_length=40)] | None = None
    user_id: UUID | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


class EmailLogEntry(Output):
    id: UUID
    kind: str
    state: EmailState
    to: str | None = Field(description="the address, partially masked")
    user_id: UUID | None
    thread_id: UUID | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None = Field(description="when pending: the next try")


class EmailLogPage(Output):
    emails: list[EmailLogEntry]
    next_cursor: str | None


class PageQuery(Query):
    limit: Limit = 50
    cursor: Cursor | None = None


class BouncedAddressOut(Output):
    id: UUID
    address: str = Field(description="partially masked")
    user_id: UUID | None
    bounces: int
    first_bounced_at: datetime
    last_bounced_at: datetime
    last_error: str | None


class BouncedAddressPage(Output):
    addresses: list[BouncedAddressOut]
    next_cursor: str | None
