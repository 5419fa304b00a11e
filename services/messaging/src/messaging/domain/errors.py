"""What the rules refuse, as servicekit's error kinds (which fix the HTTP status).

servicekit's problem middleware turns any of these into a problem document: no mapping
lives in messaging. Messaging's rules raise them as ``Error(message, field=, code=)``:
with a ``field``, the French ``message`` is that field's entry in ``errors`` (and the
title stays the kind's); without one, the message is the problem's ``title``.
"""

from __future__ import annotations

from servicekit import errors as kit


class MessagingError(kit.DomainError):
    """The ``(message, field=, code=)`` constructor of messaging's refusals."""

    def __init__(self, message: str | None = None, *, field: str | None = None, code: str | None = None):
        text = message or self.title
        if field is None:
            super().__init__(code, text)
        else:
            super().__init__(code, field=field, message=text)
        # What a Pydantic validator re-raises as its own message (schemas.py).
        self.message = text


class InvalidInput(MessagingError, kit.Invalid):
    pass


class NotFound(MessagingError, kit.NotFound):
    pass


class Forbidden(MessagingError, kit.Forbidden):
    pass


class Conflict(MessagingError, kit.Conflict):
    pass


class Gone(MessagingError, kit.Gone):
    pass


class ThreadClosed(Conflict):
    code = "thread_closed"
    title = "Cette conversation est close. Merci d'envoyer un nouveau message."


class ThreadDeleted(Gone):
    """The parent's own thread, which they removed from their box (« Supprimer »).

    Told apart from a missing one for its owner only: another family's thread stays a 404.
    """

    code = "thread_deleted"
    title = "Vous avez supprimé cette conversation de votre messagerie."


class UnknownTheme(InvalidInput):
    code = "unknown_theme"
    title = "Ce thème n'existe pas ou n'est plus proposé."


class UnsupportedAttachment(MessagingError, kit.UnsupportedMedia):
    code = "unsupported_attachment"
    title = "La pièce jointe doit être un fichier PDF, JPEG ou PNG."


class AttachmentTooLarge(MessagingError, kit.TooLarge):
    code = "attachment_too_large"
    title = "La pièce jointe est trop volumineuse."
