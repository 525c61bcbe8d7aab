"""What every REST API resource shares: paging, the OCPI-named shape of a FormSpec, error answers.

A resource's ``Shape`` is the one place that maps API attribute names (OCPI 2.2.1 where OCPI has
one, e.g. ``coordinates.latitude``) to the FormSpec fields and columns of ``core`` (``latitude``).
It builds the msgspec input types the OpenAPI document shows, turns a request body into the raw
mapping ``core`` parses, a row into the API's JSON, and ``core``'s field errors into API names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, Router
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from core import safejson
from core.errors import Message, ValidationError
from core.validation import INT32_MAX, FormSpec
from portal.controllers.infra_common import loaded
from portal.errors import domain_error

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Offset = Annotated[int, Parameter(ge=0, le=INT32_MAX, description="Rows to skip.")]
# An id in a body, and in a query (path ids: portal.errors.ids_in_range).
Id = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]
QueryId = Annotated[int | None, Parameter(ge=1, le=INT32_MAX)]
Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"Rows per page (at most {MAX_LIMIT}).")]
IncludeDecommissioned = Annotated[bool, Parameter(description="Also list decommissioned objects.")]


class ErrorBody(msgspec.Struct):
    """Every 4xx/5xx answer of the API: ``errors`` maps an attribute (dotted for nested ones) to its message."""

    status_code: int
    detail: str
    errors: dict[str, str] = {}


class DepthLimitedRequest(Request[Any, Any, Any]):
    """The app's request class: a JSON body nested deeper than core.safejson allows is a 400 answer before
    Litestar's decoder meets it (msgspec raises RecursionError at about 1,000 levels, which was a 500)."""

    async def json(self) -> Any:
        if safejson.too_deep(await self.body()):
            raise ValidationException(detail=f"The JSON body nests deeper than {safejson.MAX_DEPTH} levels.")
        return await super().json()


def page(items: list[dict[str, Any]], total: int, offset: int, limit: int) -> dict[str, Any]:
    """One page of a list: the rows, how many there are in all, and where this page starts."""
    return {"items": items, "total": total, "offset": offset, "limit": limit}


@dataclass(frozen=True)
class Attr:
    """One attribute of a resource in the API.

    ``name`` is the API name, dotted when nested (``coordinates.latitude``); ``field`` the FormSpec
    field behind it (default: the last part of the name); ``column`` the row key it is read from
    (default: ``field``). ``encode``/``decode`` convert when one attribute stands for several fields
    (``capabilities`` for the ``auth_*`` switches): ``decode`` turns the API value into fields,
    ``encode`` a row into the API value; ``fields`` names the fields for error messages.
    """

    name: str
    field: str = ""
    column: str = ""
    api_type: Any = None
    out_type: Any = None  # the type in answers, when ``encode`` makes it differ from the input type
    write_only: bool = False
    read_only: bool = False
    encode: Callable[[dict[str, Any]], Any] | None = None
    decode: Callable[[Any], dict[str, Any]] | None = None
    fields: tuple[str, ...] = ()

    @property
    def spec_field(self) -> str:
        return self.field or self.name.rsplit(".", 1)[-1]

    @property
    def spec_fields(self) -> tuple[str, ...]:
        return self.fields or (self.spec_field,)

    @property
    def row_key(self) -> str:
        return self.column or self.spec_field


@dataclass(frozen=True)
class Shape:
    """A resource of the API over one FormSpec (see the module docstring)."""

    resource: str
    spec: FormSpec
    attrs: tuple[Attr, ...]
    computed: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # read-only attributes from a row
    computed_types: tuple[tuple[str, Any], ...] = ()  # name and type of each computed attribute, for the schema
    _error_names: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = {f: attr.name for attr in self.attrs for f in attr.spec_fields if not attr.read_only}
        object.__setattr__(self, "_error_names", names)

    # --- input ---------------------------------------------------------------------------------

    def _type_of(self, attr: Attr) -> Any:
        if attr.api_type is not None:
            return attr.api_type
        spec_field = self.spec[attr.spec_field]
        typ: Any = spec_field.python_type()
        meta: dict[str, Any] = {}
        if spec_field.kind == "choice":
            meta["description"] = "One of: " + ", ".join(c for c in spec_field.choices if c)
        elif spec_field.kind == "list" and spec_field.choices:
            meta["description"] = "Any of: " + ", ".join(spec_field.choices)
        elif spec_field.label:
            meta["description"] = spec_field.label
        if spec_field.max_length and spec_field.kind in {"str", "text", "email", "choice"}:
            meta["max_length"] = spec_field.max_length
        if spec_field.pattern:
            meta["pattern"] = f"^(?:{spec_field.pattern})$"
        meta.update(spec_field.schema_bounds())
        return Annotated[typ, msgspec.Meta(**meta)] if meta else typ

    def _required(self, attr: Attr) -> bool:
        return "." not in attr.name and attr.encode is None and self.spec[attr.spec_field].required

    def _struct(self, name: str, attrs: list[tuple[str, Attr]], partial: bool) -> type[msgspec.Struct]:
        """``attrs``: (local name, attribute); nested groups become their own Struct."""
        fields: list[tuple[str, Any, Any]] = []
        for member, item in _members(attrs):
            if isinstance(item, list):
                typ, required = self._struct(_nested_name(name, member), item, partial), False
            else:
                typ, required = self._type_of(item), not partial and self._required(item)
            if required:
                fields.append((member, typ, msgspec.NODEFAULT))
            elif partial:
                fields.append((member, typ | None | msgspec.UnsetType, msgspec.UNSET))
            else:
                fields.append((member, typ | None, None))
        fields.sort(key=lambda f: f[2] is not msgspec.NODEFAULT)  # required ones first
        return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True)

    def struct(self, name: str, *, partial: bool = False) -> type[msgspec.Struct]:
        """The input type of create (``partial=False``) or update (PATCH, ``partial=True``)."""
        return self._struct(name, [(a.name, a) for a in self.attrs if not a.read_only], partial)

    def output_struct(self, name: str) -> type[msgspec.Struct]:
        """The answer's type, for the OpenAPI document (answers are built by ``to_api``)."""
        return self._output(name, [(a.name, a) for a in self.attrs if not a.write_only], top=True)

    def _output(self, name: str, attrs: list[tuple[str, Attr]], top: bool = False) -> type[msgspec.Struct]:
        fields: list[tuple[str, Any, Any]] = [("id", int, msgspec.NODEFAULT)] if top else []
        for member, item in _members(attrs):
            if isinstance(item, list):
                typ = self._output(_nested_name(name, member), item)
            else:
                typ = item.out_type or item.api_type or self.spec[item.spec_field].python_type()
            fields.append((member, typ | None, None))
        if top:
            fields += [(n, t | None, None) for n, t in self.computed_types]
            fields += [(n, datetime | None, None) for n in ("created_at", "last_updated", "decommissioned_at")]
        return msgspec.defstruct(name, fields, kw_only=True)

    def page_struct(self, name: str, item: type[msgspec.Struct]) -> type[msgspec.Struct]:
        return msgspec.defstruct(name, [("items", list[item]), ("total", int), ("offset", int), ("limit", int)])  # type: ignore[valid-type]

    def to_raw(self, data: msgspec.Struct, *, partial: bool = False) -> dict[str, Any]:
        """A decoded body as the FormSpec's raw mapping. Absent attributes stay absent; on create a
        null is the same as absent (the default applies), on update it clears the field."""
        body = msgspec.to_builtins(data)
        raw: dict[str, Any] = {}
        for attr in self.attrs:
            if attr.read_only:
                continue
            present, value = _lookup(body, attr.name)
            if not present or (value is None and not partial):
                continue
            if attr.decode is not None:
                raw.update(attr.decode(value))
            else:
                raw[attr.spec_field] = value
        return raw

    # --- output --------------------------------------------------------------------------------

    def to_api(self, row: dict[str, Any]) -> dict[str, Any]:
        row = loaded(dict(row))
        out: dict[str, Any] = {"id": row["id"]}
        for attr in self.attrs:
            if attr.write_only:
                continue
            value = attr.encode(row) if attr.encode is not None else row.get(attr.row_key)
            _place(out, attr.name, value)
        if self.computed is not None:
            out.update(self.computed(row))
        out.update(
            {
                "created_at": _iso(row.get("created_at")),
                "last_updated": _iso(row.get("updated_at") or row.get("created_at")),
            }
        )
        if "decommissioned_at" in row:
            out["decommissioned_at"] = _iso(row["decommissioned_at"])
        return out

    # --- errors --------------------------------------------------------------------------------

    def api_error(self, exc: ValidationError) -> ValidationError:
        return ValidationError({self._error_names.get(key, key): message for key, message in exc.errors.items()})

    @contextmanager
    def api_names(self) -> Iterator[None]:
        """Field errors of ``core`` come out under the API's attribute names."""
        try:
            yield
        except ValidationError as exc:
            raise self.api_error(exc) from None


def _members(attrs: list[tuple[str, Attr]]) -> list[tuple[str, Attr | list[tuple[str, Attr]]]]:
    """The top-level members in order: an attribute, or the (rest of the name, attribute) pairs of a nested object."""
    members: dict[str, Any] = {}
    for local, attr in attrs:
        head, dot, rest = local.partition(".")
        if dot:
            members.setdefault(head, []).append((rest, attr))
        else:
            members[local] = attr
    return list(members.items())


def _nested_name(parent: str, member: str) -> str:
    return parent + "".join(part.title() for part in member.split("_"))


def _lookup(body: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    value: Any = body
    for part in dotted.split("."):
        if value is None:  # a nested object sent as null clears its members
            return True, None
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _place(out: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        out = out.setdefault(part, {})
    out[last] = value


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def _api_name(request: Request[Any, Any, Any], key: str) -> str:
    """A parameter as the API spells it: a handler's ``parent`` is the query's ``location_id``."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    alias = getattr(getattr(parameter, "kwarg_definition", None), "query", None)
    return str(alias or key)


def invalid_body(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """A body or query parameter of the wrong type answers like a field error of ``core``."""
    errors: dict[str, Message] = {}
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", "Invalid value"))
            key = str(item.get("key") or "").removeprefix("data").removeprefix(".").removeprefix("$.")
            key = _api_name(request, key)
            named = _NAMED_FIELD.search(message)
            if named:  # msgspec names a missing or unknown attribute only in its message
                key = f"{key}.{named.group(1)}" if key else named.group(1)
            errors[key or "__all__"] = Message(message)
    return domain_error(request, ValidationError(errors or {"__all__": Message(exc.detail)}))


API_EXCEPTION_HANDLERS: dict[Any, Any] = {ValidationException: invalid_body}

_ERRORS = {
    400: "Invalid input: `errors` names each attribute and what is wrong with it.",
    401: "No valid API key (Authorization: Bearer ...).",
    403: "The API key does not grant this permission.",
    404: "No such object for this tenant.",
}
RESPONSES: dict[int, ResponseSpec] = {
    status: ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
    for status, text in _ERRORS.items()
}


def error_answer(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=description, generate_examples=False)


def api_router(handlers: list[Any]) -> Router:
    """The whole REST API: every operation answers errors as ``ErrorBody`` (invalid input too, by attribute)
    and documents the answers any operation can give (RESPONSES) besides those it names itself (the generic
    resource routers of portal.api.resources pass RESPONSES themselves)."""
    for item in handlers:
        if isinstance(item, type) and issubclass(item, Controller):
            for value in vars(item).values():
                if isinstance(value, HTTPRouteHandler):
                    value.responses = {**RESPONSES, **(value.responses or {})}
    return Router("/", route_handlers=handlers, exception_handlers=API_EXCEPTION_HANDLERS)
