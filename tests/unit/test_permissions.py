from core.tenancy.permissions import ALL_PERMISSIONS, CATALOGUE, Permission, effective_permissions
from core.tenancy.tenants import tenant_language


def test_admins_hold_every_permission() -> None:
    assert effective_permissions(True, []) == ALL_PERMISSIONS


def test_groups_are_united_and_unknown_codes_ignored() -> None:
    result = effective_permissions(False, [["infrastructure.view"], ["users.manage", "retired.code"]])
    assert result == {Permission.INFRASTRUCTURE_VIEW, Permission.USERS_MANAGE}


def test_catalogue_covers_every_permission_once() -> None:
    assert sorted(info.permission for info in CATALOGUE) == sorted(Permission)


def test_german_by_default_in_german_speaking_countries() -> None:
    assert tenant_language({"country_code": "AT", "language": ""}) == "de"
    assert tenant_language({"country_code": "CH", "language": ""}) == "de"
    assert tenant_language({"country_code": "FR", "language": ""}) == "en"
    assert tenant_language({"country_code": "DE", "language": "en"}) == "en"
