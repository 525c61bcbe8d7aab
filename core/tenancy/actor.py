"""Who is acting: the tenant scope and permissions every service call is checked against."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import PermissionDenied
from core.tenancy.permissions import ALL_PERMISSIONS, Permission


@dataclass(frozen=True)
class Actor:
    tenant_id: int
    tenant_ids: frozenset[int]  # the own tenant plus, for a reseller, its sub-CPOs
    user_id: int | None
    label: str
    permissions: frozenset[Permission]
    is_admin: bool = False
    session_id: int | None = None  # the portal session (core.tenancy.staff_sessions) the user acts through
    tenant_kind: str = ""  # core.tenancy.tenants.TenantKind of the own tenant: what its menus offer

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDenied()

    def sees(self, tenant_id: int) -> bool:
        return tenant_id in self.tenant_ids

    @property
    def scope(self) -> list[int]:
        return sorted(self.tenant_ids)


def system_actor(tenant_id: int, label: str = "system") -> Actor:
    """For the CLI, the demo loader and background jobs acting on one tenant."""
    return Actor(
        tenant_id=tenant_id,
        tenant_ids=frozenset({tenant_id}),
        user_id=None,
        label=label,
        permissions=ALL_PERMISSIONS,
        is_admin=True,
    )
