"""Domain errors that every adapter maps to its own answer (form message, HTTP status, OCPI code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A translatable message: an English msgid and its named parameters."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    plural: str = ""  # the plural msgid of a message about params["count"] things

    def render(self, gettext: Any = None, ngettext: Any = None) -> str:
        count = int(self.params.get("count", 0)) if self.plural else 0
        if self.plural and ngettext:
            text = ngettext(self.msgid, self.plural, count)
        elif self.plural:
            text = self.msgid if count == 1 else self.plural
        else:
            text = gettext(self.msgid) if gettext else self.msgid
        if not self.params:
            return text
        # A parameter may itself be a message (a weekday in a sentence): the same language for both.
        return text % {k: v.render(gettext) if isinstance(v, Message) else v for k, v in self.params.items()}

    def __str__(self) -> str:
        return self.render()


class DomainError(Exception):
    """Base for errors a user can act on."""

    def __init__(self, message: Message | str) -> None:
        self.message = message if isinstance(message, Message) else Message(message)
        super().__init__(str(self.message))


class NotFound(DomainError):
    """The object does not exist for this tenant (never tells which of the two)."""

    def __init__(self, what: str = "object") -> None:
        super().__init__(Message("Not found"))
        self.what = what


class PermissionDenied(DomainError):
    def __init__(self) -> None:
        super().__init__(Message("You are not allowed to do this."))


class Conflict(DomainError):
    """The request is valid but clashes with the current state."""


class Throttled(Exception):
    """Too many failed attempts (logins, API keys): refused without a look at the credentials for a while."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("throttled")
        self.retry_after = max(1, int(retry_after + 0.999))  # whole seconds, rounded up


class ValidationError(DomainError):
    """Field errors; ``errors`` maps a field name (or ``__all__``) to a message."""

    def __init__(self, errors: dict[str, Message]) -> None:
        self.errors = errors
        first = next(iter(errors.values())) if errors else Message("Invalid input")
        super().__init__(first)

    def as_dict(self, gettext: Any = None) -> dict[str, str]:
        return {name: message.render(gettext) for name, message in self.errors.items()}
