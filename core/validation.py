"""One declarative description of input fields, used by the portal's forms and the REST API.

A ``FormSpec`` parses raw input (form strings or JSON values) into clean Python values
and collects translatable field errors; it also builds the msgspec Structs the API
documents, so a field is described once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import msgspec

from core.errors import Message, ValidationError

Check = Callable[[Any], Message | None]

# Ids and whole numbers live in 32-bit integer columns (PostgreSQL ``integer``, Piccolo ``Serial``): a larger
# number names no row and cannot be stored, so input beyond it is refused as input (a field error, an OCPP
# CallError), never by the database.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no", ""}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "str"  # str | text | int | decimal | bool | choice | list | email | json
    required: bool = False
    max_length: int | None = None
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    checks: tuple[Check, ...] = ()
    label: str = ""
    pattern: str | None = None

    def bounds(self) -> tuple[Decimal | int | None, Decimal | int | None]:
        """The smallest and largest value; a whole number always fits the database's integer columns."""
        if self.kind != "int":
            return self.min_value, self.max_value
        low = INT32_MIN if self.min_value is None else max(self.min_value, INT32_MIN)
        high = INT32_MAX if self.max_value is None else min(self.max_value, INT32_MAX)
        return low, high

    def schema_bounds(self) -> dict[str, Any]:
        """``bounds`` as JSON Schema's minimum and maximum (msgspec.Meta's ge and le) for whole numbers."""
        low, high = self.bounds()
        return {"ge": low, "le": high} if self.kind == "int" else {}

    def python_type(self) -> Any:
        return {
            "int": int,
            "decimal": Decimal,
            "bool": bool,
            "list": list[str],
            "json": Any,
        }.get(self.kind, str)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email(text: str) -> bool:
    """An address a mail can go to (the same check as a form's email field)."""
    return bool(_EMAIL.match(text)) and len(text) <= 254


# Characters nobody types into a field: controls (NUL among them, which PostgreSQL cannot store), surrogates,
# and in one-line fields invisible format characters (zero-width, bidi overrides) and line separators, which
# make one id look like another. Multi-line text keeps tabs and line breaks and format characters (emoji).
_HIDDEN_IN_LINE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_HIDDEN_IN_TEXT = frozenset({"Cc", "Cs"})
_TEXT_CONTROLS = frozenset("\t\n\r")
_HIDDEN_MESSAGE = Message("Remove control characters and invisible characters.")


def has_hidden_characters(text: str, *, multiline: bool = False) -> bool:
    if text.isprintable():  # the usual case, in C
        return False
    hidden = _HIDDEN_IN_TEXT if multiline else _HIDDEN_IN_LINE
    return any(
        unicodedata.category(char) in hidden and not (multiline and char in _TEXT_CONTROLS) for char in text
    )


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _parse_value(f: Field, value: Any) -> tuple[Any, Message | None]:  # noqa: C901 - one branch per kind
    if f.kind == "bool":
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
        return None, Message("Enter yes or no.")
    if f.kind == "list":
        if isinstance(value, str):
            items = [item.strip() for item in re.split(r"[,;\n]", value) if item.strip()]
        elif isinstance(value, Iterable):
            items = [str(item).strip() for item in value if str(item).strip()]
        else:
            return None, Message("Enter a list.")
        if any(has_hidden_characters(item) for item in items):
            return None, _HIDDEN_MESSAGE
        if f.choices:
            bad = [item for item in items if item not in f.choices]
            if bad:
                return None, Message("Unknown value: %(value)s", {"value": ", ".join(bad)})
        return items, None
    if f.kind == "json":
        return value, None
    if f.kind == "int":
        try:
            number: Any = int(str(value).strip())
        except ValueError:
            return None, Message("Enter a whole number.")
    elif f.kind == "decimal":
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            return None, Message("Enter a number.")
        if not number.is_finite():
            return None, Message("Enter a number.")
    else:
        if not isinstance(value, str | int | float | Decimal):
            return None, Message("Enter text.")
        text = str(value).strip()
        if has_hidden_characters(text, multiline=f.kind == "text"):
            return None, _HIDDEN_MESSAGE
        if f.max_length is not None and len(text) > f.max_length:
            return None, Message("At most %(max)s characters.", {"max": f.max_length})
        if f.kind == "choice" and text not in f.choices:
            return None, Message("Choose one of the offered values.")
        if f.kind == "email" and text and not _EMAIL.match(text):
            return None, Message("Enter a valid e-mail address.")
        if f.pattern and text and not re.fullmatch(f.pattern, text):
            return None, Message("The format is not valid.")
        return text, None
    low, high = f.bounds()
    if low is not None and number < low:
        return None, Message("Must be at least %(min)s.", {"min": low})
    if high is not None and number > high:
        return None, Message("Must be at most %(max)s.", {"max": high})
    return number, None


@dataclass(frozen=True)
class FormSpec:
    name: str
    fields: tuple[Field, ...]
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def parse(self, raw: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Clean values; raises ValidationError with every field error at once.

        ``partial`` (PATCH) only looks at the fields present in ``raw``. Unknown keys are
        refused so that a typo in an API call is not silently ignored.
        """
        errors: dict[str, Message] = {}
        unknown = [key for key in raw if key not in self._by_name and key not in {"_csrf_token", "csrf_token"}]
        for key in unknown:
            errors[key] = Message("Unknown field.")
        clean: dict[str, Any] = {}
        for f in self.fields:
            present = f.name in raw
            if partial and not present:
                continue
            value = raw.get(f.name)
            if f.kind == "bool" and not present and not partial:
                # An unticked checkbox is simply absent from a form post.
                clean[f.name] = bool(f.default) if f.default is not None else False
                continue
            if _is_blank(value) or (f.kind == "list" and value == []):
                if f.required:
                    errors[f.name] = Message("This field is required.")
                    continue
                if f.kind == "list":
                    clean[f.name] = []
                elif f.kind in {"str", "text", "email", "choice"}:
                    clean[f.name] = f.default if f.default is not None else ""
                else:
                    clean[f.name] = f.default
                continue
            parsed, error = _parse_value(f, value)
            if error is None:
                for check in f.checks:
                    error = check(parsed)
                    if error is not None:
                        break
            if error is not None:
                errors[f.name] = error
            else:
                clean[f.name] = parsed
        if errors:
            raise ValidationError(errors)
        return clean

    def struct(self, name: str, *, partial: bool = False) -> type[msgspec.Struct]:
        """A msgspec Struct describing this input for the API's OpenAPI document."""
        fields: list[tuple[str, Any, Any]] = []
        for f in self.fields:
            typ: Any = f.python_type()
            meta: dict[str, Any] = {}
            if f.max_length and f.kind not in {"int", "decimal", "bool", "list", "json"}:
                meta["max_length"] = f.max_length
            meta.update(f.schema_bounds())
            if f.label:
                meta["description"] = f.label
            if meta:
                typ = Annotated[typ, msgspec.Meta(**meta)]
            if partial:
                fields.append((f.name, typ | msgspec.UnsetType, msgspec.UNSET))
            elif f.required:
                fields.append((f.name, typ, msgspec.NODEFAULT))
            else:
                fields.append((f.name, typ | None, None))
        required = [x for x in fields if x[2] is msgspec.NODEFAULT]
        optional = [x for x in fields if x[2] is not msgspec.NODEFAULT]
        return msgspec.defstruct(
            name,
            [(n, t) for n, t, _ in required] + list(optional),
            kw_only=True,
            forbid_unknown_fields=True,
        )


def to_raw(obj: msgspec.Struct) -> dict[str, Any]:
    """A Struct from the API back to a raw mapping, leaving out UNSET (PATCH) fields."""
    return {key: value for key, value in msgspec.structs.asdict(obj).items() if value is not msgspec.UNSET}
