"""Every route of the app, found by walking the Litestar app, is protected.

For each protected route (everything outside portal.auth.PUBLIC_PREFIXES; the OCPP websocket and OCPI have
their own credentials and tests):
(a) without a login: a redirect to /login (portal) or 401 (REST API);
(b) a user without the route's permission: 403 (a user with an empty group, and for each switch the route's
    guards require a user holding every other switch; for the REST API the same with API keys);
(c) a form post without the CSRF token: 403;
(d) ids of ANOTHER tenant in the path: 404 (and the own tenant's ids work for GET, so the 404 is not an
    accident of a wrong URL). The caller is a sub-CPO: its reseller's ids are another tenant's too, while the
    reseller's staff see the sub-CPO's objects. Path parameters come from tests/integration/security_targets.py.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute

from core.tenancy import api_keys
from core.tenancy.permissions import ALL_PERMISSIONS, Permission
from portal.auth import PUBLIC_PREFIXES
from tests.integration.security_targets import (
    BODIES,
    LOGIN_ONLY,
    OWN_CREDENTIALS,
    PUBLIC_ROUTES,
    QUERIES,
    MissingTarget,
    World,
    factory_for,
)
from tests.support import TenantCtx, app_client, csrf_of, login, make_tenant, make_user

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as Litestar spells it: /infrastructure/stations/{station_id:int}
    params: tuple[str, ...]
    permissions: frozenset[Permission]  # what the requires(...) guards of the handler and its controller ask for

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _guard_permissions(handler: Any) -> frozenset[Permission]:
    found: set[Permission] = set()
    for guard in handler.resolve_guards():
        function = getattr(guard, "func", guard)  # Litestar wraps sync guards
        if inspect.isfunction(function):  # portal.auth.requires(...) keeps its switches in the closure
            found.update(inspect.getclosurevars(function).nonlocals.get("permissions", ()))
    return frozenset(found)


def collect_routes() -> list[Route]:
    from csms.app import create_app

    routes: list[Route] = []
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(PUBLIC_PREFIXES):
            continue  # websockets and ASGI mounts (OCPP, OCPI) authenticate per connection
        for handler in route.route_handlers:
            for method in sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"}):
                params = tuple(_PARAM.findall(route.path))
                routes.append(Route(method, route.path, params, _guard_permissions(handler)))
    return sorted(routes, key=lambda r: (r.path, r.method))


ROUTES = collect_routes()
PORTAL_ROUTES = [r for r in ROUTES if not r.api]
UNSAFE_PORTAL_ROUTES = [r for r in PORTAL_ROUTES if r.method in UNSAFE]
ROUTES_WITH_PARAMS = [r for r in ROUTES if r.params]


@dataclass
class Setup:
    own: World  # a sub-CPO of ``reseller``
    foreign: World  # an unrelated CPO
    reseller: World
    admin: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    api: httpx.AsyncClient
    reseller_admin: httpx.AsyncClient
    reseller_api: httpx.AsyncClient
    clients: dict[tuple[bool, frozenset[str]], httpx.AsyncClient]  # by (REST API?, permission switches)

    async def client_with(self, permissions: frozenset[str], *, api: bool = False) -> httpx.AsyncClient:
        """A logged-in non-admin whose one group holds ``permissions``, or an API key granting just those."""
        if (api, permissions) not in self.clients:
            client = app_client()
            if api:
                key, _ = await api_keys.create_api_key(self.own.ctx.id, "limited", sorted(permissions))
                client.headers["authorization"] = f"Bearer {key}"
            else:
                user = await make_user(self.own.ctx.id, permissions=sorted(permissions))
                await login(client, user["email"])
            self.clients[(api, permissions)] = client
        return self.clients[(api, permissions)]


@pytest.fixture(scope="module")
async def setup() -> AsyncIterator[Setup]:
    reseller: TenantCtx = await make_tenant(kind="RESELLER")
    own: TenantCtx = await make_tenant(parent_id=reseller.id)
    foreign: TenantCtx = await make_tenant()
    anonymous = app_client()
    await anonymous.get("/login")  # a CSRF cookie, so that (a) is about the login and not the token
    admin, api = await _clients(own)
    reseller_admin, reseller_api = await _clients(reseller)
    state = Setup(World(own), World(foreign), World(reseller), admin, anonymous, api, reseller_admin, reseller_api, {})
    yield state
    for client in (admin, anonymous, api, reseller_admin, reseller_api, *state.clients.values()):
        await client.aclose()


async def _clients(ctx: TenantCtx) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    """The tenant's admin logged into the portal, and a REST API client with a key granting everything."""
    admin = app_client()
    await login(admin, ctx.admin["email"])
    key, _ = await api_keys.create_api_key(ctx.id, "route security")
    api = app_client()
    api.headers["authorization"] = f"Bearer {key}"
    return admin, api


async def _url(route: Route, world: World, *, strict: bool = False) -> str:
    """The route's URL with the world's objects; ``strict``: a parameter missing from the table fails the test
    (the login, permission and CSRF checks come before any lookup, so they get a placeholder)."""
    values: dict[str, Any] = {}
    for param in route.params:
        try:
            values[param] = await factory_for(route.path, param)(world)
        except MissingTarget as exc:
            if strict:
                pytest.fail(str(exc))
            values[param] = 1
    url = _PARAM.sub(lambda m: str(values[m.group(1)]), route.path)
    return f"{url}?{QUERIES[route.path]}" if route.path in QUERIES else url


async def _call(
    client: httpx.AsyncClient, route: Route, url: str, *, token: bool = True, caller: World | None = None
) -> httpx.Response:
    if route.method == "GET":
        return await client.get(url, follow_redirects=False)
    if route.api:
        body = await BODIES[route.path](caller) if caller is not None and route.path in BODIES else {}
        return await client.request(route.method, url, json=body, follow_redirects=False)
    headers = {"x-csrftoken": csrf_of(client)} if token else {}
    return await client.request(route.method, url, data={}, headers=headers, follow_redirects=False)


def test_the_app_has_routes_to_check() -> None:
    paths = {r.path for r in ROUTES}
    assert {"/", "/users", "/groups", "/profile", "/infrastructure/locations"} <= paths
    assert not any(p.startswith(("/login", "/static", "/ocpp", "/api/docs")) for p in paths)
    assert len(ROUTES) > 50


def test_public_routes_are_only_the_intended_ones() -> None:
    from csms.app import create_app

    unexpected = [
        route.path
        for route in create_app().routes
        if isinstance(route, HTTPRoute)
        and route.path.startswith(PUBLIC_PREFIXES)
        and not (route.path + "/").startswith(OWN_CREDENTIALS)
        and route.path not in PUBLIC_ROUTES
    ]
    assert unexpected == [], (
        "these routes are reachable without a login through portal.auth.PUBLIC_PREFIXES; if that is meant, "
        "list them in PUBLIC_ROUTES in tests/integration/security_targets.py"
    )


@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_without_login_the_route_asks_for_one(route: Route, setup: Setup) -> None:
    response = await _call(setup.anonymous if not route.api else app_client(), route, await _url(route, setup.own))
    if route.api:
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/json")
    else:
        assert response.status_code == 303, response.text
        assert response.headers["location"].startswith("/login?next=")
        if route.method == "GET":  # an HTMX request is told where to go instead of swapping the login page in
            url = await _url(route, setup.own)
            fragment = await setup.anonymous.get(url, headers={"hx-request": "true"}, follow_redirects=False)
            assert fragment.status_code == 401 and fragment.headers["hx-redirect"].startswith("/login?next=")


@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_without_the_permission_the_route_is_forbidden(route: Route, setup: Setup) -> None:
    url = await _url(route, setup.own)
    nobody = await setup.client_with(frozenset(), api=route.api)
    if (route.method, route.path) in LOGIN_ONLY:
        assert not route.permissions, f"{route} is listed as login-only but has a permission guard"
        if route.method == "GET":
            assert (await _call(nobody, route, url)).status_code == 200
        return
    assert route.permissions, (
        f"{route} has no requires(...) guard: guard it, or list it in LOGIN_ONLY in security_targets.py"
    )
    response = await _call(nobody, route, url)
    assert response.status_code == 403, (str(route), response.status_code)
    assert "Traceback" not in response.text
    for permission in sorted(route.permissions):  # each required switch alone is missed
        everything_else = frozenset(p.value for p in ALL_PERMISSIONS - {permission})
        response = await _call(await setup.client_with(everything_else, api=route.api), route, url)
        assert response.status_code == 403, (str(route), f"with every switch but {permission}", response.status_code)


@pytest.mark.parametrize("route", UNSAFE_PORTAL_ROUTES, ids=str)
async def test_a_post_without_csrf_token_is_refused(route: Route, setup: Setup) -> None:
    response = await _call(setup.admin, route, await _url(route, setup.own), token=False)
    assert response.status_code == 403, (str(route), response.status_code)


@pytest.mark.parametrize("other", ["unrelated CPO", "parent reseller"])
@pytest.mark.parametrize("route", ROUTES_WITH_PARAMS, ids=str)
async def test_another_tenants_ids_are_not_found(route: Route, other: str, setup: Setup) -> None:
    """A sub-CPO's staff neither reach an unrelated tenant's objects nor their reseller's."""
    client = setup.api if route.api else setup.admin
    world = setup.foreign if other == "unrelated CPO" else setup.reseller
    response = await _call(client, route, await _url(route, world, strict=True), caller=setup.own)
    assert response.status_code == 404, (str(route), response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    if route.method == "GET":
        own = await _call(client, route, await _url(route, setup.own))
        assert own.status_code < 400, (str(route), "with the own tenant's ids", own.status_code)


@pytest.mark.parametrize("route", [r for r in ROUTES_WITH_PARAMS if r.method == "GET"], ids=str)
async def test_a_reseller_sees_its_sub_cpos_objects(route: Route, setup: Setup) -> None:
    client = setup.reseller_api if route.api else setup.reseller_admin
    response = await _call(client, route, await _url(route, setup.own, strict=True))
    assert response.status_code < 400, (str(route), "reseller on its sub-CPO's ids", response.status_code)
