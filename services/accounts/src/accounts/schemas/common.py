"""Field types shared by the request models, each with a French message and a stable code."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from ..domain.contact import normalise_email, normalise_phone
from ..domain.dossiers import normalise_dossier_number, normalise_postal_code
from ..domain.names import person_name_problem
from ..domain.text import TextError, clean_text, has_forbidden_characters
from ..domain.usernames import normalise_username, username_problem, username_reserved


class RequestModel(BaseModel):
    """Unknown fields are refused: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _wrap(convert):
    def validator(value: str) -> str:
        try:
            return convert(value)
        except TextError as exc:
            raise PydanticCustomError(exc.code, exc.message) from None

    return validator


def _empty_as_none(value):
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _username(value: str) -> str:
    value = normalise_username(clean_text(value))
    problem = username_problem(value)
    if problem:
        raise PydanticCustomError("invalid_username", problem)
    return value


def _person_name(value: str) -> str:
    problem = person_name_problem(value)
    if problem:
        raise PydanticCustomError(*problem)
    return value


def _parent_username(value: str) -> str:
    if username_reserved(value):
        raise PydanticCustomError("username_reserved", "Ce nom d'utilisateur est réservé. Merci d'en choisir un autre.")
    return value


def _no_hidden_characters(value: str) -> str:
    if has_forbidden_characters(value):
        raise PydanticCustomError("forbidden_characters", "Ce texte contient des caractères non autorisés.")
    return value


Name = Annotated[str, StringConstraints(max_length=100), AfterValidator(_wrap(clean_text))]
ShortText = Annotated[str, StringConstraints(max_length=40), AfterValidator(_wrap(clean_text))]
School = Annotated[str, StringConstraints(max_length=100), AfterValidator(_wrap(clean_text))]
Level = Annotated[str, StringConstraints(max_length=20), AfterValidator(_wrap(clean_text))]
AddressLine = Annotated[str, StringConstraints(max_length=200), AfterValidator(_wrap(clean_text))]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_wrap(normalise_email))]
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_wrap(normalise_phone))]
PostalCode = Annotated[str, StringConstraints(max_length=10), AfterValidator(_wrap(normalise_postal_code))]
DossierNumber = Annotated[str, StringConstraints(max_length=40), AfterValidator(_wrap(normalise_dossier_number))]
Username = Annotated[str, StringConstraints(max_length=60), AfterValidator(_wrap(_username))]
# What a parent registering may use: a person's name (it is printed in the e-mails sent to
# the address typed next to it) and a username that does not pass for the town.
PersonName = Annotated[
    str, StringConstraints(max_length=100), AfterValidator(_wrap(clean_text)), AfterValidator(_person_name)
]
ParentUsername = Annotated[Username, AfterValidator(_parent_username)]
# Checked against the policy by the use case (it needs the username and e-mail too);
# the bound here only stops absurd bodies early.
Password = Annotated[str, StringConstraints(max_length=256), AfterValidator(_no_hidden_characters)]
# What a login form sends is not validated beyond size: a malformed username is just unknown.
LoginName = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_hidden_characters)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]

# "" clears an optional contact field in a PATCH, like null.
OptionalPhone = Annotated[Phone | None, BeforeValidator(_empty_as_none)]
OptionalEmail = Annotated[Email | None, BeforeValidator(_empty_as_none)]
OptionalName = Annotated[Name | None, BeforeValidator(_empty_as_none)]
OptionalSchool = Annotated[School | None, BeforeValidator(_empty_as_none)]
OptionalLevel = Annotated[Level | None, BeforeValidator(_empty_as_none)]
OptionalAddressLine = Annotated[AddressLine | None, BeforeValidator(_empty_as_none)]
OptionalPostalCode = Annotated[PostalCode | None, BeforeValidator(_empty_as_none)]
