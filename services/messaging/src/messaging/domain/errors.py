"""What the rules refuse. Entry points turn these into problem documents."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a caller can act on; ``code`` is stable, ``message`` is French."""

    code = "domain_error"
    message = "Cette action n'est pas possible."

    def __init__(self, message: str | None = None, *, field: str | None = None, code: str | None = None):
        self.message = message or self.message
        self.field = field
        if code:
            self.code = code
        super().__init__(self.code)


class InvalidInput(DomainError):
    code = "validation_error"
    message = "Certaines informations saisies ne sont pas valides."


class NotFound(DomainError):
    code = "not_found"
    message = "Cette ressource n'existe pas."


class Forbidden(DomainError):
    code = "forbidden"
    message = "Vous n'avez pas les droits nécessaires pour cette action."


class Conflict(DomainError):
    code = "conflict"
    message = "Cette action entre en conflit avec l'état actuel."


class ThreadClosed(Conflict):
    code = "thread_closed"
    message = "Cette conversation est close. Merci d'envoyer un nouveau message."


class UnknownTheme(InvalidInput):
    code = "unknown_theme"
    message = "Ce thème n'existe pas ou n'est plus proposé."


class UnsupportedAttachment(DomainError):
    code = "unsupported_attachment"
    message = "La pièce jointe doit être un fichier PDF, JPEG ou PNG."


class AttachmentTooLarge(DomainError):
    code = "attachment_too_large"
    message = "La pièce jointe est trop volumineuse."


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = "Cette clé d'idempotence a déjà servi pour une autre demande."
