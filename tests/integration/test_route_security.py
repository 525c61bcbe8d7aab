"""Every route of the app, found by walking the Litestar app, against the permission table in
tests/integration/route_permissions.py, which is written down on its own and not read from the guards:

(0) every route is in the table and every entry is a route; the PUBLIC entries are exactly the routes on the app's
    public list (portal.auth.PUBLIC_PATHS), and every other route's requires(...) guard asks for exactly the
    table's switches (a write weakened from *.manage to *.view fails here);
(a) without a login: a redirect to /login (portal) or 401 (REST API); a public route answers without one;
(b) a logged-in user (or API key) without any switch, and for each switch of the table a user holding every other
    switch: 403, and a write stored nothing;
(c) a user holding exactly the table's switches gets through: a GET of the own objects answers, a write on another
    tenant's objects reaches the lookup (404) and stores nothing; per area, such a user's write changes the row;
(d) a form post without the CSRF token: 403, nothing stored;
(e) ids of ANOTHER tenant in the path: 404 and nothing stored (and the own tenant's ids work for GET, so the 404
    is not an accident of a wrong URL). The caller is a sub-CPO: its reseller's ids are another tenant's too,
    while the reseller's staff see the sub-CPO's objects. Path parameters come from security_targets.py;
(f) a route added later outside the public list needs a login and the CSRF token, wherever it lies (/ocpi too).
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar, get, post
from litestar.routes import ASGIRoute, HTTPRoute

from core.access.tables import ChargingCard, DriverGroup
from core.charging.tables import UnknownStation
from core.infrastructure.tables import ChargingStation, Location
from core.roaming.tables import ContractGroup, StationRoaming
from core.tariffs import tariffs
from core.tariffs.tables import Tariff
from core.tenancy import api_keys
from core.tenancy.permissions import ALL_PERMISSIONS
from core.tenancy.tables import ApiKey, StaffUser
from portal.auth import is_public
from tests.integration.route_permissions import LOGIN, PUBLIC, RESELLER_ONLY, TABLE, Need
from tests.integration.security_targets import BODIES, QUERIES, MissingTarget, World, factory_for
from tests.support import TenantCtx, app_client, csrf_of, login, make_tenant, make_user, post_form, stored_rows

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
EVERYTHING = frozenset(p.value for p in ALL_PERMISSIONS)


@dataclass(frozen=True)
class Route:
    method: str  # "ASGI" for a mount
    path: str  # as Litestar spells it: /infrastructure/stations/{station_id:int}
    params: tuple[str, ...]
    guard: frozenset[str] | None  # what its requires(...) guards ask for; None: it has none
    public: bool  # on the app's public list
    mount: bool = False

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def need(self) -> Need | None:
        return TABLE.get((self.method, self.path))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _guard_permissions(handler: Any) -> frozenset[str] | None:
    found: set[str] | None = None
    for guard in handler.resolve_guards():
        function = getattr(guard, "func", guard)  # Litestar wraps sync guards
        closure = inspect.getclosurevars(function).nonlocals if inspect.isfunction(function) else {}
        if "permissions" in closure:  # portal.auth.requires(...) keeps its switches in the closure
            found = (found or set()) | {p.value for p in closure["permissions"]}
    return frozenset(found) if found is not None else None


def collect_routes(app: Litestar | None = None) -> list[Route]:
    from csms.app import create_app

    routes: list[Route] = []
    for route in (app or create_app()).routes:
        params = tuple(_PARAM.findall(route.path))
        if isinstance(route, ASGIRoute):
            handler = route.route_handler
            routes.append(Route("ASGI", route.path, params, _guard_permissions(handler), is_public(route.path + "/"),
                                mount=True))  # fmt: skip
            continue
        assert isinstance(route, HTTPRoute), f"{route.path}: a {type(route).__name__}, which this test cannot call"
        for handler in route.route_handlers:
            for method in sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"}):
                routes.append(Route(method, route.path, params, _guard_permissions(handler), is_public(route.path)))
    return sorted(routes, key=lambda r: (r.path, r.method))


ALL_ROUTES = collect_routes()
ROUTES = [r for r in ALL_ROUTES if r.need is not None and r.need != PUBLIC]  # behind the login
PUBLIC_ROUTES = [r for r in ALL_ROUTES if r.need == PUBLIC and not r.mount]
GUARDED = [r for r in ROUTES if r.need != LOGIN]  # need at least one switch
UNSAFE_PORTAL_ROUTES = [r for r in ROUTES if not r.api and r.method in UNSAFE]
ROUTES_WITH_PARAMS = [r for r in ROUTES if r.params]


def _switches(route: Route) -> frozenset[str]:
    need = route.need
    assert isinstance(need, frozenset), route
    return need


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
    clients: dict[tuple[bool, frozenset[str], bool], httpx.AsyncClient]  # by (REST API?, switches, reseller?)

    async def client_with(
        self, permissions: frozenset[str], *, api: bool = False, reseller: bool = False
    ) -> httpx.AsyncClient:
        """A logged-in non-admin whose one group holds ``permissions``, or an API key granting just those; of the
        own tenant, or with ``reseller`` of its reseller."""
        tenant_id = (self.reseller if reseller else self.own).ctx.id
        if (api, permissions, reseller) not in self.clients:
            client = app_client()
            if api:
                key, _ = await api_keys.create_api_key(tenant_id, "limited", sorted(permissions))
                client.headers["authorization"] = f"Bearer {key}"
            else:
                user = await make_user(tenant_id, permissions=sorted(permissions))
                await login(client, user["email"])
            self.clients[(api, permissions, reseller)] = client
        return self.clients[(api, permissions, reseller)]

    async def stored(self) -> dict[str, list[tuple[Any, ...]]]:
        return await stored_rows(self.own.ctx.id, self.foreign.ctx.id, self.reseller.ctx.id)


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


# --- (0) the app agrees with the table ---------------------------------------------------------------------------


def test_the_app_has_routes_to_check() -> None:
    paths = {r.path for r in ROUTES}
    assert {"/", "/users", "/groups", "/profile", "/infrastructure/locations", "/cards"} <= paths
    assert len(GUARDED) > 150 and len(PUBLIC_ROUTES) > 10


def test_every_route_is_in_the_permission_table() -> None:
    app_routes = {(r.method, r.path) for r in ALL_ROUTES}
    missing = sorted(f"{m} {p}" for m, p in app_routes - set(TABLE))
    assert missing == [], f"decide what these routes need in tests/integration/route_permissions.py: {missing}"
    gone = sorted(f"{m} {p}" for m, p in set(TABLE) - app_routes)
    assert gone == [], f"these entries of tests/integration/route_permissions.py name no route: {gone}"


def test_the_public_list_opens_exactly_the_public_routes() -> None:
    opened = sorted(str(r) for r in ALL_ROUTES if r.public and r.need != PUBLIC)
    assert opened == [], f"portal.auth.PUBLIC_PATHS opens routes the table keeps behind the login: {opened}"
    closed = sorted(str(r) for r in ALL_ROUTES if r.need == PUBLIC and not r.public)
    assert closed == [], f"public in the table, but not on portal.auth.PUBLIC_PATHS: {closed}"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_the_guard_asks_for_the_tables_switches(route: Route) -> None:
    expected = frozenset() if route.need == LOGIN else _switches(route)
    assert route.guard is not None, f"{route} states no permission: give it a requires(...) guard"
    assert route.guard == expected, (str(route), "guard", sorted(route.guard), "table", sorted(expected))


# --- (a) the login ------------------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=str)
async def test_a_public_route_answers_without_login(route: Route, setup: Setup) -> None:
    response = await _call(setup.anonymous, route, await _url(route, setup.own))
    assert response.status_code != 401 and response.status_code < 500, (str(route), response.status_code)
    assert not response.headers.get("location", "").startswith("/login?next="), str(route)


# --- (b) and (c) the switches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_without_the_permission_the_route_is_forbidden(route: Route, setup: Setup) -> None:
    url = await _url(route, setup.own)
    nobody = await setup.client_with(frozenset(), api=route.api)
    if route.need == LOGIN:
        if route.method == "GET":
            assert (await _call(nobody, route, url)).status_code == 200
        return  # its writes: test_any_user_changes_the_own_profile
    need = _switches(route)
    almost = [await setup.client_with(EVERYTHING - {switch}, api=route.api) for switch in sorted(need)]
    before = await setup.stored()
    response = await _call(nobody, route, url, caller=setup.own)
    assert response.status_code == 403, (str(route), response.status_code)
    assert "Traceback" not in response.text
    for switch, client in zip(sorted(need), almost, strict=True):  # each switch of the table alone is missed
        response = await _call(client, route, url, caller=setup.own)
        assert response.status_code == 403, (str(route), f"with every switch but {switch}", response.status_code)
    if route.method in UNSAFE:
        assert await setup.stored() == before, f"{route} was refused but stored something"


@pytest.mark.parametrize("route", GUARDED, ids=str)
async def test_the_tables_switches_are_enough(route: Route, setup: Setup) -> None:
    """Exactly the table's switches: a GET answers; a write gets past every permission check to the lookup of
    another tenant's ids (404), or, without ids, to the validation of the empty form; nothing is stored."""
    entitled = await setup.client_with(_switches(route), api=route.api, reseller=route.path in RESELLER_ONLY)
    if route.method == "GET":
        response = await _call(entitled, route, await _url(route, setup.own))
        assert response.status_code < 400, (str(route), response.status_code, response.text[:300])
        return
    url = await _url(route, setup.foreign, strict=True)
    before = await setup.stored()
    response = await _call(entitled, route, url, caller=setup.own)
    if route.params:
        assert response.status_code == 404, (str(route), response.status_code, response.text[:300])
    else:
        assert response.status_code not in (401, 403) and response.status_code < 500, (str(route), response.text)
    assert await setup.stored() == before, f"{route} stored something"


# --- (d) CSRF, (e) tenants ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", UNSAFE_PORTAL_ROUTES, ids=str)
async def test_a_post_without_csrf_token_is_refused(route: Route, setup: Setup) -> None:
    url = await _url(route, setup.own)
    before = await setup.stored()
    response = await _call(setup.admin, route, url, token=False)
    assert response.status_code == 403, (str(route), response.status_code)
    assert await setup.stored() == before, f"{route} stored something without the CSRF token"


@pytest.mark.parametrize("other", ["unrelated CPO", "parent reseller"])
@pytest.mark.parametrize("route", ROUTES_WITH_PARAMS, ids=str)
async def test_another_tenants_ids_are_not_found(route: Route, other: str, setup: Setup) -> None:
    """A sub-CPO's staff neither reach an unrelated tenant's objects nor their reseller's."""
    client = setup.api if route.api else setup.admin
    if route.path in RESELLER_ONLY:  # its caller is a reseller, to whom another reseller's tenant is just as foreign
        client = setup.reseller_admin
    world = setup.foreign if other == "unrelated CPO" else setup.reseller
    url = await _url(route, world, strict=True)
    before = await setup.stored()
    response = await _call(client, route, url, caller=setup.own)
    assert response.status_code == 404, (str(route), response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    if route.method in UNSAFE:
        assert await setup.stored() == before, f"{route} on {other}'s ids stored something"
    if route.method == "GET":
        own = await _call(client, route, await _url(route, setup.own))
        assert own.status_code < 400, (str(route), "with the own tenant's ids", own.status_code)


@pytest.mark.parametrize("route", [r for r in ROUTES_WITH_PARAMS if r.method == "GET"], ids=str)
async def test_a_reseller_sees_its_sub_cpos_objects(route: Route, setup: Setup) -> None:
    client = setup.reseller_api if route.api else setup.reseller_admin
    response = await _call(client, route, await _url(route, setup.own, strict=True))
    assert response.status_code < 400, (str(route), "reseller on its sub-CPO's ids", response.status_code)


# --- (f) routes added later -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/ocpi-admin",  # a prefix of the OCPI node's mount opens nothing
        "/language-settings",  # a prefix of a public path opens nothing
        "/healthz",
        "/login-history",
        "/static-pages",
        "/station-files/other",
    ],
)
async def test_a_route_added_later_needs_a_login_and_the_csrf_token(path: str, setup: Setup) -> None:
    from csms.app import create_app

    @get(path, sync_to_thread=False)
    def probe_page() -> str:
        return "open"

    @post(path, sync_to_thread=False)
    def probe_write() -> str:
        return "written"

    app = create_app()
    app.register(probe_page)
    app.register(probe_write)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as anonymous:
        await anonymous.get("/login")
        response = await anonymous.get(path, follow_redirects=False)
        assert "open" not in response.text and response.status_code in (303, 401), (path, response.status_code)
        written = await anonymous.post(path, headers={"x-csrftoken": csrf_of(anonymous)}, follow_redirects=False)
        assert "written" not in written.text and written.status_code in (303, 401), (path, written.status_code)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as staff:
        await login(staff, setup.own.ctx.admin["email"])
        assert (await staff.get(path)).text == "open"  # the probe works for the logged-in
        without_token = await staff.post(path, follow_redirects=False)
        assert without_token.status_code == 403 and "written" not in without_token.text, path


# --- (c) per area: the right user's write changes the row --------------------------------------------------------


@dataclass(frozen=True)
class Write:
    route: tuple[str, str]
    target: Callable[[World], Awaitable[dict[str, Any]]]  # the path's values, in the caller's tenant
    data: dict[str, Any]  # the form, or the JSON body of a REST API route
    stored: Callable[[dict[str, Any]], Awaitable[Any]]  # reads back what the write changes

    def __str__(self) -> str:
        return " ".join(self.route)


async def _ids(world: World, **params: str) -> dict[str, Any]:
    return {param: await factory_for("", kind)(world) for param, kind in params.items()}


async def _none(_: World) -> dict[str, Any]:
    return {}


async def _fresh_tariff(world: World) -> dict[str, Any]:
    prices = {"ac_energy_per_kwh": "0.4", "dc_energy_per_kwh": "0.6"}
    tariff = await tariffs.create_tariff(world.ctx.actor, {"name": "Archive me", **prices})
    return {"tariff_id": tariff["id"]}


async def _fresh_unknown_station(world: World) -> dict[str, Any]:
    row = UnknownStation(charge_box_id=f"DISMISS-{uuid.uuid4().hex[:8]}", tenant=world.ctx.id)
    await row.save()
    return {"unknown_id": row.id}


async def _fresh_user(world: World) -> dict[str, Any]:
    return {"user_id": (await make_user(world.ctx.id))["id"]}


async def _fresh_api_key(world: World) -> dict[str, Any]:
    return {"key_id": (await api_keys.create_api_key(world.ctx.id, "revoke me", []))[1]["id"]}


async def _first(query: Any) -> Any:
    return await query.first()


WRITES = [
    Write(("POST", "/infrastructure/stations/{station_id:int}/password"), lambda w: _ids(w, station_id="station_id"),
          {}, lambda v: _first(ChargingStation.select(ChargingStation.ocpp_password_hash)
                               .where(ChargingStation.id == v["station_id"]))),
    Write(("PATCH", "/api/v1/locations/{item_id:int}"), lambda w: _ids(w, item_id="location_id"),
          {"name": "Renamed by the API"}, lambda v: _first(Location.select(Location.name)
                                                          .where(Location.id == v["item_id"]))),
    Write(("POST", "/cards"), _none, {"uid": "C4FE01", "status": "ACTIVE"},
          lambda _: ChargingCard.count().where(ChargingCard.uid == "C4FE01")),
    Write(("POST", "/api/v1/cards"), _none, {"uid": "C4FE02"},
          lambda _: ChargingCard.count().where(ChargingCard.uid == "C4FE02")),
    Write(("POST", "/driver-groups/{driver_group_id:int}/rename"),
          lambda w: _ids(w, driver_group_id="driver_group_id"), {"name": "Renamed"},
          lambda v: _first(DriverGroup.select(DriverGroup.name).where(DriverGroup.id == v["driver_group_id"]))),
    Write(("PATCH", "/api/v1/driver-groups/{driver_group_id:int}"),
          lambda w: _ids(w, driver_group_id="driver_group_id"), {"name": "Renamed by the API"},
          lambda v: _first(DriverGroup.select(DriverGroup.name).where(DriverGroup.id == v["driver_group_id"]))),
    Write(("POST", "/roaming/contract-groups/{contract_group_id:int}"),
          lambda w: _ids(w, contract_group_id="contract_group_id"), {"name": "Renamed"},
          lambda v: _first(ContractGroup.select(ContractGroup.name).where(ContractGroup.id == v["contract_group_id"]))),
    Write(("PATCH", "/api/v1/contract-groups/{contract_group_id:int}"),
          lambda w: _ids(w, contract_group_id="contract_group_id"), {"name": "Renamed by the API"},
          lambda v: _first(ContractGroup.select(ContractGroup.name).where(ContractGroup.id == v["contract_group_id"]))),
    Write(("POST", "/roaming/stations/{station_id:int}/access"), lambda w: _ids(w, station_id="station_id"),
          {"access_type": "PUBLIC_FREE"},  # marketing on would need a product (core.products)
          lambda v: _first(ChargingStation.select(ChargingStation.access_type)
                           .where(ChargingStation.id == v["station_id"]))),
    Write(("POST", "/roaming/stations/{station_id:int}/hub"), lambda w: _ids(w, station_id="station_id"),
          {"hub_authorised": "on"},
          lambda v: _first(StationRoaming.select(StationRoaming.hub_authorised)
                           .where(StationRoaming.station == v["station_id"]))),
    Write(("POST", "/tariffs/{tariff_id:int}/archive"), _fresh_tariff, {},
          lambda v: _first(Tariff.select(Tariff.archived_at).where(Tariff.id == v["tariff_id"]))),
    Write(("PATCH", "/api/v1/tariffs/{tariff_id:int}"), lambda w: _ids(w, tariff_id="tariff_id"),
          {"name": "Renamed by the API"}, lambda v: _first(Tariff.select(Tariff.name)
                                                          .where(Tariff.id == v["tariff_id"]))),
    Write(("POST", "/operations/unknown-stations/{unknown_id:int}/dismiss"), _fresh_unknown_station, {},
          lambda v: UnknownStation.count().where(UnknownStation.id == v["unknown_id"])),
    Write(("POST", "/users/{user_id:int}/password"), _fresh_user, {"password": "a-new-password-2026"},
          lambda v: _first(StaffUser.select(StaffUser.password_hash).where(StaffUser.id == v["user_id"]))),
    Write(("POST", "/settings/api-keys/{key_id:int}/revoke"), _fresh_api_key, {},
          lambda v: _first(ApiKey.select(ApiKey.revoked_at).where(ApiKey.id == v["key_id"]))),
]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=str)
async def test_the_right_users_write_changes_the_row(write: Write, setup: Setup) -> None:
    """Holding exactly the table's switches is enough for the write itself, not just for passing the guards."""
    method, path = write.route
    need = TABLE[write.route]
    assert isinstance(need, frozenset)
    api = path.startswith("/api/")
    client = await setup.client_with(need, api=api)
    values = await write.target(setup.own)
    url = _PARAM.sub(lambda m: str(values[m.group(1)]), path)
    before = await write.stored(values)
    if api:
        response = await client.request(method, url, json=write.data)
    else:
        headers = {"x-csrftoken": csrf_of(client)}
        response = await client.request(method, url, data=write.data, headers=headers, follow_redirects=False)
    assert response.status_code < 400, (str(write), response.status_code, response.text[:300])
    assert await write.stored(values) != before, f"{write} answered {response.status_code} but changed nothing"


async def test_any_user_changes_the_own_profile(setup: Setup) -> None:
    user = await make_user(setup.own.ctx.id, permissions=[])
    async with app_client() as client:
        await login(client, user["email"])
        saved = await post_form(client, "/profile", {"name": "Selbst geändert", "language": "en"})
        assert saved.status_code < 400, saved.text
        assert (await client.get("/profile")).status_code == 200
        out = await post_form(client, "/logout", {}, follow_redirects=False)
        assert out.status_code == 303 and (await client.get("/", follow_redirects=False)).status_code == 303
    row = await StaffUser.select(StaffUser.name, StaffUser.language).where(StaffUser.id == user["id"]).first()
    assert row == {"name": "Selbst geändert", "language": "en"}
