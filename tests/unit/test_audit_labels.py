"""The history shows labels, never the codes it stores: every recorded action and field has one."""

from __future__ import annotations

import ast
from pathlib import Path

from core.errors import Message
from core.tenancy.permissions import Permission
from portal import audit_labels

CORE = Path(__file__).resolve().parents[2] / "core"


def recorded_actions() -> set[str]:
    """The ``action`` argument of every ``audit.record(actor, tenant, entity_type, entity_id, action, ...)`` call."""
    actions = set()
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            action = node.args[4] if node.func.attr == "record" and len(node.args) >= 5 else None
            if isinstance(action, ast.Constant) and isinstance(action.value, str):
                actions.add(action.value)
    return actions


def test_every_recorded_action_has_a_label() -> None:
    actions = recorded_actions()
    assert {"create", "archive", "tariff_assign"} <= actions  # the scan finds the calls
    assert sorted(actions - set(audit_labels.ACTION_LABELS)) == []


def test_an_unknown_action_reads_as_a_change_not_as_its_code() -> None:
    assert audit_labels.audit_action("tariff_assign").msgid == "Tariff assigned"
    assert audit_labels.audit_action("some_future_action").msgid == "Changed"


def test_codes_among_the_values_become_labels() -> None:
    shown = audit_labels.audit_value([Permission.INFRASTRUCTURE_VIEW.value], "permissions")
    assert isinstance(shown, list) and all(isinstance(item, Message) for item in shown)
    assert audit_labels.audit_value("UNKNOWN", "status") == Message("Unknown")
    assert audit_labels.audit_value({}, "attributes") == "–"
    assert audit_labels.audit_value({"color": "green"}, "attributes") == [
        Message("%(name)s: %(value)s", {"name": "color", "value": "green"})
    ]
    assert audit_labels.audit_field("ac_energy_per_kwh") == Message("AC price per kWh")


def test_a_terminal_is_active_while_a_user_is_active_and_may_log_in() -> None:
    assert audit_labels.audit_field("active", "terminal") == Message("Active")
    assert audit_labels.audit_field("active", "user") == Message("Active (may log in)")
    assert audit_labels.audit_field("active") == Message("Active (may log in)")
