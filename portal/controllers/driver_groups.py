"""Driver groups (Nutzergruppen): list, create in reev's four steps, and the detail page with the boxes Tarif,
Ladegruppen (scope) and Ladekarten, rename, archive, restore, delete and the history. Rules live in
core.access.driver_groups and, for the steps, core.access.group_wizard."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from core.access import driver_groups, group_wizard
from core.errors import Conflict, Message, ValidationError
from core.tenancy.permissions import Permission
from portal.auth import actor_of, requires
from portal.controllers.infra_common import (
    AnyRequest,
    done,
    field_errors,
    flash,
    form_error_status,
    form_of,
    history,
    page,
    parse_id,
    raw_from_form,
)

MANAGE = [requires(Permission.DRIVER_GROUPS_MANAGE)]
# The fields each box of the detail page posts (one form per box, as reev's pencil and cog icons).
BOX_FIELDS = {"rename": ("name",), "tariff": ("tariff_id", "tariff_mode"), "scope": ("scope", "location_ids")}


def _url(driver_group_id: int) -> str:
    return f"/driver-groups/{driver_group_id}"


def _labels() -> dict[str, Any]:
    return {"kind_labels": driver_groups.KIND_LABELS, "mode_labels": driver_groups.MODE_LABELS,
            "kind_help": driver_groups.KIND_HELP,
            "kinds": list(driver_groups.GroupKind), "modes": list(driver_groups.TariffMode)}  # fmt: skip


async def _wizard_page(request: AnyRequest, state: group_wizard.WizardState) -> Response[str]:
    """One step of creating a group; the values of every step travel along as a signed draft."""
    actor = actor_of(request)
    context = {
        "step": state.step, "steps": group_wizard.STEPS, "values": state.values, "errors": state.errors,
        "draft": group_wizard.draft_token(actor, state.values), **_labels(), **await driver_groups.choices(actor),
    }  # fmt: skip
    status_code = form_error_status(request) if state.errors else 200
    return page(request, "driver_groups/wizard.html", context, status_code=status_code)


async def _detail_page(request: AnyRequest, driver_group_id: int, *, values: dict[str, Any] | None = None,
                       errors: dict[str, Message] | None = None, status_code: int = 200) -> Response[str]:  # fmt: skip
    actor = actor_of(request)
    group = await driver_groups.get_group(actor, driver_group_id)
    context: dict[str, Any] = {
        "group": group,
        "cards": await driver_groups.group_cards(actor, driver_group_id),
        "history": await history(actor, "driver_group", driver_group_id),
        # What the boxes show: the stored group, and what the user typed into the box that failed.
        "values": {
            "name": group["name"],
            "tariff_id": group["tariff"] or "",
            "tariff_mode": group["tariff_mode"],
            "scope": group["scope"],
            "location_ids": group["location_ids"],
            **(values or {}),
        },  # fmt: skip
        "errors": errors or {},
        **_labels(),
        **await driver_groups.choices(actor),
    }
    if actor.can(Permission.DRIVER_GROUPS_MANAGE):
        context["addable_cards"] = await driver_groups.addable_cards(actor, driver_group_id)
    return page(request, "driver_groups/detail.html", context, status_code=status_code)


async def _save_box(request: AnyRequest, driver_group_id: int, box: str) -> Response[Any]:
    """One box of the detail page saves only its own fields."""
    raw = raw_from_form(driver_groups.GROUP_SPEC, await form_of(request))
    raw = {key: value for key, value in raw.items() if key in BOX_FIELDS[box]}
    if box == "scope":
        raw.setdefault("location_ids", [])  # no location ticked: absent from the post
    try:
        await driver_groups.update_group(actor_of(request), driver_group_id, raw)
    except ValidationError as exc:
        return await _detail_page(request, driver_group_id, values=raw, errors=field_errors(exc),
                                  status_code=form_error_status(request))  # fmt: skip
    flash(request, Message("Driver group saved."))
    return done(request, _url(driver_group_id))


class DriverGroupController(Controller):
    path = "/driver-groups"
    guards = [requires(Permission.DRIVER_GROUPS_VIEW)]

    @get("/", name="driver_groups")
    async def index(self, request: AnyRequest, archived: str = "active") -> Response[str]:
        archived = driver_groups.archived_filter(archived)
        rows = await driver_groups.list_groups(actor_of(request), archived=archived)
        return page(request, "driver_groups/index.html", {"groups": rows, "archived": archived, **_labels()})

    @get("/new", guards=MANAGE)
    async def new(self, request: AnyRequest, kind: str = "") -> Response[str]:
        return await _wizard_page(request, group_wizard.start(kind))

    @post("/new", guards=MANAGE)
    async def step(self, request: AnyRequest) -> Response[str]:
        """Back or next from the step shown (reev's four steps, core.access.group_wizard)."""
        form = await form_of(request)
        posted = raw_from_form(driver_groups.GROUP_SPEC, form)
        state = await group_wizard.move(actor_of(request), str(form.get("draft", "")), str(form.get("step", "")),
                                        posted, str(form.get("go", "")))  # fmt: skip
        return await _wizard_page(request, state)

    @post("/", guards=MANAGE)
    async def create(self, request: AnyRequest) -> Response[Any]:
        """Step 4's "create": the whole draft is checked once more against the tenant."""
        actor = actor_of(request)
        token = str((await form_of(request)).get("draft", ""))
        try:
            group = await group_wizard.create(actor, token)
        except ValidationError as exc:
            try:
                values = group_wizard.read_draft(actor, token)
            except ValidationError:
                values = group_wizard.start().values
            step = group_wizard.step_with_error(exc.errors, group_wizard.STEPS[0])
            return await _wizard_page(request, group_wizard.WizardState(step, values, field_errors(exc)))
        flash(request, Message("Driver group %(name)s created.", {"name": group["name"]}))
        return done(request, _url(group["id"]))

    @get("/{driver_group_id:int}")
    async def detail(self, request: AnyRequest, driver_group_id: int) -> Response[str]:
        return await _detail_page(request, driver_group_id)

    @post("/{driver_group_id:int}/rename", guards=MANAGE)
    async def rename(self, request: AnyRequest, driver_group_id: int) -> Response[Any]:
        return await _save_box(request, driver_group_id, "rename")

    @post("/{driver_group_id:int}/tariff", guards=MANAGE)
    async def change_tariff(self, request: AnyRequest, driver_group_id: int) -> Response[Any]:
        return await _save_box(request, driver_group_id, "tariff")

    @post("/{driver_group_id:int}/scope", guards=MANAGE)
    async def change_scope(self, request: AnyRequest, driver_group_id: int) -> Response[Any]:
        return await _save_box(request, driver_group_id, "scope")

    @post("/{driver_group_id:int}/archive", guards=MANAGE)
    async def archive(self, request: AnyRequest, driver_group_id: int) -> Response[Any]:
        await driver_groups.archive_group(actor_of(request), driver_group_id)
        flash(request, Message("Driver group archived: its cards can no longer start sessions."))
        return done(request, _url(driver_group_id))

    @post("/{driver_group_id:int}/restore", guards=MANAGE)
    async def restore(self, request: AnyRequest, driver_group_id: int) -> Response[Any]:
        try:
            await driver_groups.restore_group(actor_of(request), driver_group_id)
        except ValidationError as exc:
            flash(request, exc.message, kind="error")
        else:
            flash(request, Message("Driver group restored."))
        return done(request, _url(driver_group_id))

    @post("/{driver_group_id:int}/delete", guards=MANAGE)
    async def delete(self, request: AnyRequest, driver_group_id: int) -> Response[Any]:
        try:
            await driver_groups.delete_group(actor_of(request), driver_group_id)
        except Conflict as exc:
            flash(request, exc.message, kind="error")
            return done(request, _url(driver_group_id))
        flash(request, Message("Driver group deleted."))
        return done(request, "/driver-groups")

    @post("/{driver_group_id:int}/cards", guards=MANAGE)
    async def add_card(self, request: AnyRequest, driver_group_id: int) -> Response[Any]:
        actor = actor_of(request)
        await driver_groups.get_group(actor, driver_group_id)  # another tenant's group: 404 before anything else
        card_id = parse_id((await form_of(request)).get("card_id"))
        try:
            if card_id is None:
                raise ValidationError({"card_id": Message("Choose a charging card.")})
            await driver_groups.set_card_group(actor, card_id, driver_group_id)
        except (Conflict, ValidationError) as exc:
            flash(request, exc.message, kind="error")
        else:
            flash(request, Message("Charging card added."))
        return done(request, _url(driver_group_id))

    @post("/{driver_group_id:int}/cards/{card_id:int}/remove", guards=MANAGE)
    async def remove_card(self, request: AnyRequest, driver_group_id: int, card_id: int) -> Response[Any]:
        await driver_groups.remove_card(actor_of(request), driver_group_id, card_id)
        flash(request, Message("Charging card removed from the group."))
        return done(request, _url(driver_group_id))
