"""Creating a driver group in the four steps of reev's manual (seed 004, "Nutzergruppe erstellen"):

1. name the group (and its kind, which reev asks for on the button that starts the creation);
2. optionally a tariff with which every session of the group is documented (or billed);
3. whole infrastructure or "benutzerdefiniert": chosen charge groups (locations today);
4. summary, then create.

What was entered travels from step to step as a draft in a hidden field, signed for the user and tenant
(core.signing), so neither a back step nor a form error loses input. Signing is no trust: each step checks every
step up to itself again, and creating checks everything once more against the tenant (``validate_group``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import signing
from core.access import driver_groups
from core.access.driver_groups import GroupKind, Scope
from core.errors import Message, ValidationError
from core.tenancy.actor import Actor

STEPS = ("name", "tariff", "scope", "summary")
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "kind"),
    "tariff": ("tariff_id", "tariff_mode"),
    "scope": ("scope", "location_ids"),
    "summary": (),
}
# What a step not reached yet counts as while the earlier steps are checked.
_UNTOUCHED: dict[str, Any] = {"tariff_id": "", "tariff_mode": "", "scope": Scope.ALL.value, "location_ids": []}
_FIELDS = tuple(name for names in STEP_FIELDS.values() for name in names)
BACK, NEXT = "back", "next"


@dataclass
class WizardState:
    step: str
    values: dict[str, Any]
    errors: dict[str, Message] = field(default_factory=dict)


def _purpose(actor: Actor) -> str:
    return f"driver_group_draft:{actor.tenant_id}:{actor.user_id}"


def start(kind: str = "") -> WizardState:
    """Step 1, with the kind the "new group" button named (cards only when it named none or an unknown one)."""
    chosen = kind if kind in tuple(GroupKind) else GroupKind.CARDS_ONLY.value
    return WizardState("name", {"name": "", "kind": chosen, **_UNTOUCHED})


def draft_token(actor: Actor, values: dict[str, Any]) -> str:
    return signing.sign(_purpose(actor), {key: values.get(key, _UNTOUCHED.get(key, "")) for key in _FIELDS})


def read_draft(actor: Actor, token: str) -> dict[str, Any]:
    """The values of a draft this user made for this tenant; a changed or foreign draft is refused."""
    draft = signing.unsign(_purpose(actor), token)
    if draft is None:
        raise ValidationError({"__all__": Message("The entries could not be read back. Please start again.")})
    values = start(str(draft.get("kind", ""))).values
    for key in _FIELDS:
        value = draft.get(key, values[key])
        values[key] = [str(item) for item in value] if isinstance(value, list) else str(value)
    return values


def step_of(value: str) -> str:
    return value if value in STEPS else STEPS[0]


def merge(values: dict[str, Any], step: str, posted: dict[str, Any]) -> dict[str, Any]:
    """The draft with the fields of ``step`` as posted (a radio nobody ticked is absent: empty)."""
    merged = dict(values)
    for key in STEP_FIELDS[step]:
        merged[key] = posted.get(key, _UNTOUCHED.get(key, ""))
    return merged


def step_with_error(errors: dict[str, Message], fallback: str) -> str:
    """The first step that shows a field in error (the step the user was on for errors of no field)."""
    for step in STEPS:
        if any(key in errors for key in STEP_FIELDS[step]):
            return step
    return fallback


def _until(step: str, values: dict[str, Any]) -> dict[str, Any]:
    """The values of the steps up to ``step``; later steps as if untouched."""
    reached = {key for done in STEPS[: STEPS.index(step) + 1] for key in STEP_FIELDS[done]}
    return {key: values.get(key, "") if key in reached else _UNTOUCHED[key] for key in _FIELDS}


async def check(actor: Actor, step: str, values: dict[str, Any]) -> str:
    """Every step up to ``step`` with the rules of creating a group (ValidationError naming the fields); the
    tariff's use as it will be stored (a cards-only group's tariff documents)."""
    _, mode, _ = await driver_groups.validate_group(actor, _until(step, values))
    return mode


async def move(actor: Actor, token: str, step: str, posted: dict[str, Any], go: str) -> WizardState:
    """From ``step`` with what it posted: back (keeping what was typed, unchecked), or on to the next step when
    every step so far is right; else the first step in error with its messages."""
    step = step_of(step)
    try:
        values = read_draft(actor, token)
    except ValidationError as exc:
        return WizardState(STEPS[0], start().values, exc.errors)
    values = merge(values, step, posted)
    index = STEPS.index(step)
    if go == BACK:
        return WizardState(STEPS[max(index - 1, 0)], values)
    try:
        mode = await check(actor, step, values)
    except ValidationError as exc:
        return WizardState(step_with_error(exc.errors, step), values, exc.errors)
    if index >= STEPS.index("tariff"):
        values["tariff_mode"] = mode
    return WizardState(STEPS[min(index + 1, len(STEPS) - 1)], values)


async def create(actor: Actor, token: str) -> dict[str, Any]:
    """The group of a finished draft, checked in full once more (ValidationError: nothing is created)."""
    return await driver_groups.create_group(actor, read_draft(actor, token))
