"""The permission table: what each route of the app needs, written down here on its own and not read from the
code's guards. tests/integration/test_route_security.py checks the app against it in both directions: each
route's guard asks for exactly this, a caller missing any one of these switches is refused, a caller holding
exactly these is let through, and PUBLIC routes are exactly the app's public list (portal.auth.PUBLIC_PATHS).

A route that is not in the table fails the test, and so does an entry without a route: a new route's
permission is decided here first. docs/security.md explains the rules the table follows:

- PUBLIC: no login; only the login itself, health, static files, the language switch, the API's documentation,
  and machine doors with credentials of their own (station websocket, diagnostics upload).
- LOGIN: any logged-in user (the start page, the own profile, logging out).
- otherwise every switch in the set. Reading an area needs its view switch; changing it needs the manage switch
  together with the view switch, in the portal and the REST API alike. A page that sits on another area's page
  (a charge point's tariff tab, command buttons on a station) needs that area's view switch too.
"""

from __future__ import annotations

from typing import Literal

from core.tenancy.permissions import Permission as P

PUBLIC: Literal["public"] = "public"
LOGIN: Literal["login"] = "login"
Need = frozenset[str] | Literal["public", "login"]


def needs(*permissions: P) -> frozenset[str]:
    return frozenset(p.value for p in permissions)


IV, IM, OPS = P.INFRASTRUCTURE_VIEW, P.INFRASTRUCTURE_MANAGE, P.OPERATIONS_TAB
TV, TM = P.TARIFFS_VIEW, P.TARIFFS_MANAGE
CV, CM = P.CARDS_VIEW, P.CARDS_MANAGE
DGV, DGM = P.DRIVER_GROUPS_VIEW, P.DRIVER_GROUPS_MANAGE
SV, OC, UM = P.SESSIONS_VIEW, P.OCPP_COMMANDS, P.USERS_MANAGE
RV, RM = P.ROAMING_VIEW, P.ROAMING_MANAGE

INFRA_READ, INFRA_WRITE = needs(IV), needs(IV, IM)
TARIFF_READ, TARIFF_WRITE = needs(TV), needs(TV, TM)
GROUP_READ, GROUP_WRITE = needs(DGV), needs(DGV, DGM)
USERS = needs(UM)
ROAMING_READ, ROAMING_WRITE = needs(RV), needs(RV, RM)

# (method, path as Litestar spells it) -> what it needs. "ASGI" is a mount (it answers every method itself).
TABLE: dict[tuple[str, str], Need] = {
    # --- public: no login -----------------------------------------------------------------------------------
    ("GET", "/health"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/lang"): PUBLIC,
    ("GET", "/lang/{language:str}"): PUBLIC,
    ("GET", "/static/{file_path:path}"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/api/docs/openapi.json"): PUBLIC,
    ("GET", "/api/docs/swagger"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/api/docs/oauth2-redirect.html"): PUBLIC,
    ("GET", "/api/docs/{path:str}"): PUBLIC,
    ("ASGI", "/ocpp"): PUBLIC,  # the station's own password
    ("ASGI", "/ocpi"): PUBLIC,  # each OCPI partner's credentials token
    ("POST", "/station-files/diagnostics/{token:str}"): PUBLIC,  # the command's upload token
    # the driver's Direct Payment pages (no login) and the payment provider's webhook (its signature)
    ("GET", "/pay/{evse_id:str}"): PUBLIC,
    ("POST", "/pay/{evse_id:str}"): PUBLIC,
    ("GET", "/pay/{evse_id:str}/status"): PUBLIC,
    ("GET", "/pay/sandbox/challenge/{reference:str}"): PUBLIC,
    ("POST", "/pay/sandbox/challenge/{reference:str}"): PUBLIC,
    ("GET", "/pay/p/{uid:str}"): PUBLIC,
    ("GET", "/pay/p/{uid:str}/return"): PUBLIC,  # reads only: a page that goes on by POST
    ("POST", "/pay/p/{uid:str}/return"): PUBLIC,  # the session's CSRF token
    ("GET", "/pay/p/{uid:str}/progress"): PUBLIC,
    ("POST", "/pay/p/{uid:str}/stop"): PUBLIC,
    ("POST", "/pay/webhooks/{provider:str}"): PUBLIC,
    ("GET", "/pay/receipt"): PUBLIC,
    ("POST", "/pay/receipt"): PUBLIC,
    ("GET", "/pay/receipt/{token:str}"): PUBLIC,
    # community charging's driver page: its own magic links and driver session (core.community.links)
    ("GET", "/driver"): PUBLIC,
    ("POST", "/driver/login"): PUBLIC,
    ("POST", "/driver/logout"): PUBLIC,
    ("GET", "/driver/link/{link_token:str}"): PUBLIC,
    ("POST", "/driver/link/{link_token:str}"): PUBLIC,
    ("GET", "/driver/statements/{statement_id:int}"): PUBLIC,
    # a new staff user's set-password page: the invitation's single-use token (core.tenancy.invitations)
    ("GET", "/invitation/{invitation_token:str}"): PUBLIC,
    ("POST", "/invitation/{invitation_token:str}"): PUBLIC,
    ("PUT", "/station-files/diagnostics/{token:str}"): PUBLIC,
    ("POST", "/station-files/diagnostics/{token:str}/{filename:str}"): PUBLIC,
    ("PUT", "/station-files/diagnostics/{token:str}/{filename:str}"): PUBLIC,
    # --- any logged-in user ---------------------------------------------------------------------------------
    ("GET", "/"): LOGIN,
    ("POST", "/logout"): LOGIN,
    ("GET", "/profile"): LOGIN,
    ("POST", "/profile"): LOGIN,
    ("POST", "/profile/password"): LOGIN,
    ("POST", "/profile/sessions/{portal_session_id:int}/end"): LOGIN,
    ("POST", "/profile/sessions/end-others"): LOGIN,
    # --- infrastructure: locations ----------------------------------------------------------------------------
    ("GET", "/infrastructure/locations"): INFRA_READ,
    ("GET", "/infrastructure/locations/{location_id:int}"): INFRA_READ,
    ("GET", "/infrastructure/locations/new"): INFRA_WRITE,
    ("POST", "/infrastructure/locations"): INFRA_WRITE,
    ("GET", "/infrastructure/locations/{location_id:int}/edit"): INFRA_WRITE,
    ("POST", "/infrastructure/locations/{location_id:int}"): INFRA_WRITE,
    ("GET", "/infrastructure/locations/{location_id:int}/decommission"): INFRA_WRITE,
    ("POST", "/infrastructure/locations/{location_id:int}/decommission"): INFRA_WRITE,
    ("GET", "/infrastructure/locations/{location_id:int}/load-management"): INFRA_READ,
    ("POST", "/infrastructure/locations/{location_id:int}/load-management"): INFRA_WRITE,
    # payment terminals (Bezahlterminals); a terminal's start is an OCPP command through the API
    ("GET", "/infrastructure/terminals"): INFRA_READ,
    ("GET", "/infrastructure/terminals/{terminal_id:int}"): INFRA_READ,
    ("GET", "/infrastructure/terminals/new"): INFRA_WRITE,
    ("POST", "/infrastructure/terminals"): INFRA_WRITE,
    ("GET", "/infrastructure/terminals/{terminal_id:int}/edit"): INFRA_WRITE,
    ("POST", "/infrastructure/terminals/{terminal_id:int}"): INFRA_WRITE,
    ("GET", "/infrastructure/terminals/{terminal_id:int}/stations"): INFRA_WRITE,
    ("POST", "/infrastructure/terminals/{terminal_id:int}/stations"): INFRA_WRITE,
    ("POST", "/api/v1/terminals/{terminal_id:int}/start"): needs(OC),
    ("GET", "/api/v1/terminals"): INFRA_READ,
    ("GET", "/api/v1/terminals/{terminal_id:int}"): INFRA_READ,
    ("GET", "/infrastructure/terminals/{terminal_id:int}/remove"): INFRA_WRITE,
    ("POST", "/infrastructure/terminals/{terminal_id:int}/remove"): INFRA_WRITE,
    ("GET", "/api/v1/locations"): INFRA_READ,
    ("GET", "/api/v1/locations/{item_id:int}"): INFRA_READ,
    ("POST", "/api/v1/locations"): INFRA_WRITE,
    ("PATCH", "/api/v1/locations/{item_id:int}"): INFRA_WRITE,
    ("POST", "/api/v1/locations/{item_id:int}/decommission"): INFRA_WRITE,
    ("GET", "/api/v1/locations/{location_id:int}/load-management"): INFRA_READ,
    ("PATCH", "/api/v1/locations/{location_id:int}/load-management"): INFRA_WRITE,
    # --- infrastructure: stations -----------------------------------------------------------------------------
    ("GET", "/infrastructure/stations"): INFRA_READ,
    ("GET", "/infrastructure/stations/{station_id:int}"): INFRA_READ,
    ("GET", "/infrastructure/stations/{station_id:int}/tab/{key:str}"): INFRA_READ,
    ("GET", "/infrastructure/stations/new"): INFRA_WRITE,
    ("POST", "/infrastructure/stations"): INFRA_WRITE,
    ("GET", "/infrastructure/stations/{station_id:int}/edit"): INFRA_WRITE,
    ("GET", "/infrastructure/stations/{station_id:int}/stickers"): INFRA_READ,
    ("POST", "/infrastructure/stations/{station_id:int}"): INFRA_WRITE,
    ("POST", "/infrastructure/stations/{station_id:int}/attributes"): INFRA_WRITE,
    ("POST", "/infrastructure/stations/{station_id:int}/password"): INFRA_WRITE,
    ("POST", "/infrastructure/stations/{station_id:int}/check-signatures"): INFRA_WRITE,
    ("GET", "/infrastructure/stations/{station_id:int}/clone"): INFRA_WRITE,
    ("POST", "/infrastructure/stations/{station_id:int}/clone"): INFRA_WRITE,
    ("GET", "/infrastructure/stations/{station_id:int}/operator"): INFRA_WRITE,
    ("POST", "/infrastructure/stations/{station_id:int}/operator"): INFRA_WRITE,
    ("GET", "/infrastructure/stations/{station_id:int}/decommission"): INFRA_WRITE,
    ("POST", "/infrastructure/stations/{station_id:int}/decommission"): INFRA_WRITE,
    ("GET", "/api/v1/stations"): INFRA_READ,
    ("GET", "/api/v1/stations/{item_id:int}"): INFRA_READ,
    ("POST", "/api/v1/stations"): INFRA_WRITE,
    ("PATCH", "/api/v1/stations/{item_id:int}"): INFRA_WRITE,
    ("POST", "/api/v1/stations/{item_id:int}/decommission"): INFRA_WRITE,
    # --- infrastructure: charge points (EVSEs) and connectors ------------------------------------------------
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}"): INFRA_READ,
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}/tab/device"): INFRA_READ,
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}/head"): INFRA_READ,  # the live heading
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}/tab/configuration"): INFRA_READ,
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}/qr.svg"): INFRA_READ,
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}/qr.png"): INFRA_READ,
    ("GET", "/infrastructure/charge-points/new"): INFRA_WRITE,
    ("POST", "/infrastructure/charge-points"): INFRA_WRITE,
    ("POST", "/infrastructure/charge-points/{charge_point_id:int}/configuration"): INFRA_WRITE,
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}/decommission"): INFRA_WRITE,
    ("POST", "/infrastructure/charge-points/{charge_point_id:int}/decommission"): INFRA_WRITE,
    ("GET", "/infrastructure/charge-points/{charge_point_id:int}/connectors/new"): INFRA_WRITE,
    ("POST", "/infrastructure/charge-points/{charge_point_id:int}/connectors"): INFRA_WRITE,
    ("GET", "/infrastructure/connectors/{connector_id:int}/edit"): INFRA_WRITE,
    ("POST", "/infrastructure/connectors/{connector_id:int}"): INFRA_WRITE,
    ("POST", "/infrastructure/connectors/{connector_id:int}/delete"): INFRA_WRITE,
    ("GET", "/api/v1/evses"): INFRA_READ,
    ("GET", "/api/v1/evses/{item_id:int}"): INFRA_READ,
    ("POST", "/api/v1/evses"): INFRA_WRITE,
    ("PATCH", "/api/v1/evses/{item_id:int}"): INFRA_WRITE,
    ("POST", "/api/v1/evses/{item_id:int}/decommission"): INFRA_WRITE,
    ("GET", "/api/v1/connectors"): INFRA_READ,
    ("GET", "/api/v1/connectors/{item_id:int}"): INFRA_READ,
    ("POST", "/api/v1/connectors"): INFRA_WRITE,
    ("PATCH", "/api/v1/connectors/{item_id:int}"): INFRA_WRITE,
    ("DELETE", "/api/v1/connectors/{item_id:int}"): INFRA_WRITE,
    # --- infrastructure: overview and CSV import -------------------------------------------------------------
    ("GET", "/infrastructure/overview"): INFRA_READ,
    ("POST", "/infrastructure/overview/selection"): INFRA_READ,
    # Products (core.products): assigning and ending need Kostenfreigabe too, the wizard's steps before it do not
    ("GET", "/infrastructure/products"): INFRA_READ,
    ("POST", "/infrastructure/products/assign/select"): INFRA_WRITE,
    ("GET", "/infrastructure/products/assign"): INFRA_WRITE,
    ("GET", "/infrastructure/products/assign/review"): INFRA_WRITE,
    ("POST", "/infrastructure/products/assign"): needs(IV, IM, P.COST_APPROVAL),
    ("GET", "/infrastructure/products/stations/{station_id:int}/tab"): INFRA_READ,
    ("GET", "/infrastructure/products/assignments/{product_assignment_id:int}/end"): INFRA_WRITE,
    ("POST", "/infrastructure/products/assignments/{product_assignment_id:int}/end"): needs(IV, IM, P.COST_APPROVAL),
    ("GET", "/infrastructure/imports"): INFRA_WRITE,
    ("GET", "/infrastructure/imports/template.csv"): INFRA_WRITE,
    ("POST", "/infrastructure/imports"): INFRA_WRITE,
    ("GET", "/infrastructure/imports/{job_id:int}"): INFRA_WRITE,
    ("GET", "/infrastructure/imports/{job_id:int}/progress"): INFRA_WRITE,
    ("POST", "/infrastructure/imports/{job_id:int}/run"): INFRA_WRITE,
    # --- charging cards: owner notes are personal data, so not under the infrastructure switches --------------
    ("GET", "/cards"): needs(CV),
    ("POST", "/cards"): needs(CV, CM),
    ("GET", "/cards/import"): needs(CV, CM),
    ("POST", "/cards/import"): needs(CV, CM),  # choosing a driver group also needs DGM (core refuses without)
    ("GET", "/api/v1/cards"): needs(CV),
    ("GET", "/api/v1/cards/{card_id:int}"): needs(CV),
    ("POST", "/api/v1/cards"): needs(CV, CM),  # into a driver group also needs DGM (core refuses without)
    ("POST", "/api/v1/cards/bulk"): needs(CV, CM),  # into a driver group also needs DGM (core refuses without)
    ("PATCH", "/api/v1/cards/{card_id:int}"): needs(CV, DGV, DGM),  # moves the card into a driver group
    # --- driver groups ----------------------------------------------------------------------------------------
    ("GET", "/driver-groups"): GROUP_READ,
    ("GET", "/driver-groups/{driver_group_id:int}"): GROUP_READ,
    ("GET", "/driver-groups/new"): GROUP_WRITE,
    ("POST", "/driver-groups"): GROUP_WRITE,
    ("POST", "/driver-groups/new"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/rename"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/tariff"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/scope"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/cards"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/cards/{card_id:int}/remove"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/archive"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/restore"): GROUP_WRITE,
    ("POST", "/driver-groups/{driver_group_id:int}/delete"): GROUP_WRITE,
    # community charging: a community is a driver group; members' names and addresses are driver-group data
    ("GET", "/communities"): GROUP_READ,
    ("GET", "/communities/{community_id:int}"): GROUP_READ,
    ("GET", "/communities/{community_id:int}/statements/{statement_id:int}"): GROUP_READ,
    ("GET", "/communities/{community_id:int}/credit-notes/{note_id:int}"): GROUP_READ,
    ("GET", "/communities/{community_id:int}/members/{member_id:int}"): needs(DGV, SV),
    ("POST", "/communities"): GROUP_WRITE,
    ("POST", "/communities/{community_id:int}"): GROUP_WRITE,
    ("POST", "/communities/{community_id:int}/invite"): GROUP_WRITE,
    ("POST", "/communities/{community_id:int}/members/{member_id:int}/resend"): GROUP_WRITE,
    ("POST", "/communities/{community_id:int}/members/{member_id:int}/remove"): GROUP_WRITE,
    ("POST", "/communities/{community_id:int}/members/{member_id:int}/cards"): GROUP_WRITE,
    ("POST", "/communities/{community_id:int}/members/{member_id:int}/cards/{card_id:int}/remove"): GROUP_WRITE,
    ("GET", "/api/v1/driver-groups"): GROUP_READ,
    ("GET", "/api/v1/driver-groups/{driver_group_id:int}"): GROUP_READ,
    ("GET", "/api/v1/driver-groups/{driver_group_id:int}/cards"): GROUP_READ,
    ("POST", "/api/v1/driver-groups"): GROUP_WRITE,
    ("PATCH", "/api/v1/driver-groups/{driver_group_id:int}"): GROUP_WRITE,
    ("DELETE", "/api/v1/driver-groups/{driver_group_id:int}"): GROUP_WRITE,
    ("POST", "/api/v1/driver-groups/{driver_group_id:int}/cards"): GROUP_WRITE,
    ("DELETE", "/api/v1/driver-groups/{driver_group_id:int}/cards/{card_id:int}"): GROUP_WRITE,
    # --- tariffs and their assignments -----------------------------------------------------------------------
    ("GET", "/tariffs"): TARIFF_READ,
    ("GET", "/tariffs/{tariff_id:int}"): TARIFF_READ,
    ("POST", "/tariffs/preview"): TARIFF_READ,  # computes an example price, stores nothing
    ("GET", "/tariffs/charge-points/{charge_point_id:int}/tab"): needs(TV, IV),  # a tab of the charge point page
    ("GET", "/tariffs/new"): TARIFF_WRITE,
    ("POST", "/tariffs"): TARIFF_WRITE,
    ("POST", "/tariffs/{tariff_id:int}"): TARIFF_WRITE,
    ("POST", "/tariffs/{tariff_id:int}/archive"): TARIFF_WRITE,
    ("POST", "/tariffs/assignments/{assignment_id:int}/cancel"): TARIFF_WRITE,
    # The assignment wizard chooses charge points: it needs to see the infrastructure.
    ("GET", "/tariffs/assign"): needs(TV, TM, IV),
    ("POST", "/tariffs/assign/tariff"): needs(TV, TM, IV),
    ("POST", "/tariffs/assign/review"): needs(TV, TM, IV),
    ("POST", "/tariffs/assign/confirm"): needs(TV, TM, IV),
    ("GET", "/api/v1/tariffs"): TARIFF_READ,
    ("GET", "/api/v1/tariffs/{tariff_id:int}"): TARIFF_READ,
    ("GET", "/api/v1/tariffs/{tariff_id:int}/assignments"): TARIFF_READ,
    ("GET", "/api/v1/tariff-assignments"): TARIFF_READ,
    ("GET", "/api/v1/tariff-assignments/{assignment_id:int}"): TARIFF_READ,
    ("POST", "/api/v1/tariffs"): TARIFF_WRITE,
    ("PATCH", "/api/v1/tariffs/{tariff_id:int}"): TARIFF_WRITE,
    ("POST", "/api/v1/tariffs/{tariff_id:int}/assignments"): TARIFF_WRITE,
    ("POST", "/api/v1/tariff-assignments/{assignment_id:int}/cancel"): TARIFF_WRITE,
    # --- charging data ----------------------------------------------------------------------------------------
    ("GET", "/charging-data"): needs(SV),
    ("GET", "/charging-data/export.csv"): needs(SV),
    ("GET", "/charging-data/{cdr_id:int}"): needs(SV),
    # billing: the operator (HUB tenant) reads every run and previews/finalises; any other tenant its own lines
    ("GET", "/billing"): needs(P.BILLING_VIEW),
    ("GET", "/billing/export.csv"): needs(P.BILLING_VIEW),
    ("GET", "/billing/commission"): needs(P.BILLING_VIEW),
    ("POST", "/billing/preview"): needs(P.BILLING_VIEW, P.BILLING_MANAGE),
    ("POST", "/billing/finalise"): needs(P.BILLING_VIEW, P.BILLING_MANAGE),
    ("GET", "/roaming/settlement"): needs(SV),
    ("GET", "/roaming/settlement/export.csv"): needs(SV),
    ("GET", "/api/v1/cdrs"): needs(SV),
    ("GET", "/api/v1/cdrs/{cdr_id:int}"): needs(SV),
    ("GET", "/api/v1/sessions"): needs(SV),
    ("GET", "/api/v1/sessions/{session_id:int}"): needs(SV),
    ("GET", "/api/v1/sessions/{session_id:int}/meter-values"): needs(SV),
    # --- operations: commands on the station and charge point pages (which need infrastructure.view) -----------
    ("GET", "/operations/charge-points/{charge_point_id:int}/control"): needs(IV),  # status; buttons need OC
    ("GET", "/operations/charge-points/{charge_point_id:int}/status"): needs(IV),  # the live status fragment
    ("POST", "/operations/charge-points/{charge_point_id:int}/commands/{name:str}"): needs(IV, OC),
    ("GET", "/operations/charge-points/{charge_point_id:int}/parameters"): needs(IV, OC),
    ("GET", "/operations/commands/{record_id:int}"): needs(IV, OC),  # the result of a command just sent
    ("GET", "/operations/commands/{record_id:int}/diagnostics"): needs(IV, OPS),
    ("GET", "/operations/stations/{station_id:int}/operations"): needs(IV, OPS),
    ("GET", "/operations/stations/{station_id:int}/history"): needs(IV, OPS),
    # 360.SUPPORT on the Betriebsführung tab (seed 001): activating and ending need Kostenfreigabe too
    ("GET", "/operations/stations/{station_id:int}/support360/activate"): needs(IV, OPS, P.COST_APPROVAL),
    ("POST", "/operations/stations/{station_id:int}/support360/activate"): needs(IV, OPS, P.COST_APPROVAL),
    ("POST", "/operations/stations/{station_id:int}/support360/deactivate"): needs(IV, OPS, P.COST_APPROVAL),
    ("GET", "/operations/stations/{station_id:int}/support360/stickers"): needs(IV, OPS),
    ("POST", "/operations/stations/{station_id:int}/commands/{name:str}"): needs(IV, OPS, OC),
    ("GET", "/operations/stations/{station_id:int}/parameters"): needs(IV, OC),
    ("GET", "/operations/stations/{station_id:int}/parameters/keys"): needs(IV, OC),
    ("POST", "/operations/stations/{station_id:int}/parameters"): needs(IV, OC),
    ("GET", "/operations/bulk"): needs(IV, OC),
    ("POST", "/operations/bulk/select"): needs(IV, OC),
    ("POST", "/operations/bulk"): needs(IV, OC),
    ("GET", "/operations/bulk/{job:str}"): needs(IV, OC),
    # Firmware campaigns (core.firmware): like the bulk commands; the station's Diagnostics tab like its operations tab
    ("GET", "/operations/firmware"): needs(IV, OC),
    ("POST", "/operations/firmware/select"): needs(IV, OC),
    ("GET", "/operations/firmware/new"): needs(IV, OC),
    ("GET", "/operations/firmware/review"): needs(IV, OC),
    ("POST", "/operations/firmware"): needs(IV, OC),
    ("GET", "/operations/firmware/{campaign_id:int}"): needs(IV, OC),
    ("POST", "/operations/firmware/{campaign_id:int}/cancel"): needs(IV, OC),
    ("POST", "/operations/firmware/{campaign_id:int}/retry"): needs(IV, OC),
    ("GET", "/api/v1/firmware-campaigns"): needs(IV, OC),
    ("POST", "/api/v1/firmware-campaigns"): needs(IV, OC),
    ("GET", "/api/v1/firmware-campaigns/{campaign_id:int}"): needs(IV, OC),
    ("POST", "/api/v1/firmware-campaigns/{campaign_id:int}/cancel"): needs(IV, OC),
    ("POST", "/api/v1/firmware-campaigns/{campaign_id:int}/retry"): needs(IV, OC),
    ("GET", "/operations/stations/{station_id:int}/diagnostics"): needs(IV, OPS),
    ("POST", "/api/v1/stations/{station_id:int}/commands/{name:str}"): needs(OC),
    ("POST", "/api/v1/evses/{charge_point_id:int}/commands/{name:str}"): needs(OC),
    ("GET", "/api/v1/stations/{station_id:int}/commands"): needs(OC),
    ("GET", "/api/v1/commands/{record_id:int}"): needs(OC),
    ("GET", "/api/v1/commands/{record_id:int}/diagnostics"): needs(OC, OPS),  # like the operations tab
    # --- operations: OCPP log, Freischaltmonitor, anomalies, unknown stations ----------------------------------
    ("GET", "/operations/stations/{station_id:int}/log"): needs(OC, IV),  # the log of one station
    ("GET", "/operations/stations/{station_id:int}/log/rows"): needs(OC, IV),
    ("GET", "/operations/stations/{station_id:int}/log.csv"): needs(OC, IV),
    ("GET", "/operations/authorizations"): needs(OC),
    ("GET", "/operations/charge-points/{charge_point_id:int}/summary"): needs(OC),
    ("GET", "/operations/anomalies"): needs(OC),
    ("POST", "/operations/anomalies/{kind:str}/{item_id:int}/resolve"): needs(OC),
    ("GET", "/operations/unknown-stations"): needs(OC),
    ("POST", "/operations/unknown-stations/{unknown_id:int}/dismiss"): needs(OC),
    # Accepting unknown stations and adopting one creates infrastructure.
    ("POST", "/operations/unknown-stations/settings"): needs(OC, IV, IM),
    ("GET", "/operations/unknown-stations/{unknown_id:int}/adopt"): needs(OC, IV, IM),
    ("POST", "/operations/unknown-stations/{unknown_id:int}/adopt"): needs(OC, IV, IM),
    # --- roaming: contract groups, the hub switch, the station tabs Access and Roaming ------------------------
    ("GET", "/roaming/contract-groups"): ROAMING_READ,
    ("GET", "/roaming/contract-groups/new"): ROAMING_WRITE,
    ("POST", "/roaming/contract-groups"): ROAMING_WRITE,
    ("GET", "/roaming/contract-groups/{contract_group_id:int}"): ROAMING_WRITE,
    ("POST", "/roaming/contract-groups/{contract_group_id:int}"): ROAMING_WRITE,
    ("POST", "/roaming/contract-groups/{contract_group_id:int}/delete"): ROAMING_WRITE,
    ("GET", "/roaming/settings"): ROAMING_READ,
    ("POST", "/roaming/settings"): ROAMING_WRITE,
    ("GET", "/roaming/stations/{station_id:int}/access"): INFRA_READ,
    ("POST", "/roaming/stations/{station_id:int}/access"): needs(IV, RV, RM),
    ("GET", "/roaming/stations/{station_id:int}/hub"): needs(IV, RV),
    ("POST", "/roaming/stations/{station_id:int}/hub"): needs(IV, RV, RM),
    ("GET", "/api/v1/contract-groups"): ROAMING_READ,
    ("POST", "/api/v1/contract-groups"): ROAMING_WRITE,
    ("GET", "/api/v1/contract-groups/{contract_group_id:int}"): ROAMING_READ,
    ("PATCH", "/api/v1/contract-groups/{contract_group_id:int}"): ROAMING_WRITE,
    ("DELETE", "/api/v1/contract-groups/{contract_group_id:int}"): ROAMING_WRITE,
    # --- users, user groups, API keys ------------------------------------------------------------------------
    ("GET", "/users"): USERS,
    ("GET", "/users/new"): USERS,
    ("POST", "/users"): USERS,
    ("GET", "/users/{user_id:int}"): USERS,
    ("POST", "/users/{user_id:int}"): USERS,
    ("POST", "/users/{user_id:int}/password"): USERS,
    ("GET", "/groups"): USERS,
    ("GET", "/groups/new"): USERS,
    ("POST", "/groups"): USERS,
    ("GET", "/groups/{group_id:int}"): USERS,
    ("POST", "/groups/{group_id:int}"): USERS,
    ("POST", "/groups/{group_id:int}/permission"): USERS,
    ("POST", "/groups/{group_id:int}/delete"): USERS,
    ("GET", "/settings/api-keys"): USERS,
    ("POST", "/settings/api-keys"): USERS,
    ("POST", "/settings/api-keys/{key_id:int}/revoke"): USERS,
    # --- the e-mail outbox: recipients' addresses and bodies are personal data, a switch of their own ----------
    ("GET", "/settings/mail"): needs(P.MAIL_VIEW),
    ("GET", "/settings/mail/{mail_id:int}"): needs(P.MAIL_VIEW),
    ("POST", "/settings/mail/test"): needs(P.MAIL_VIEW),
    # --- company data and Direct Payment settings: printed on every receipt, a switch pair of their own ---------
    ("GET", "/settings/company"): needs(P.COMPANY_VIEW),
    ("POST", "/settings/company"): needs(P.COMPANY_VIEW, P.COMPANY_MANAGE),
    ("POST", "/settings/company/direct-payment"): needs(P.COMPANY_VIEW, P.COMPANY_MANAGE),
    # --- alerts and notification groups (core.alerts) -------------------------------------------------------
    ("GET", "/alerts"): needs(P.ALERTS_VIEW),
    ("GET", "/alerts/stations/{station_id:int}/tab"): needs(P.ALERTS_VIEW, P.INFRASTRUCTURE_VIEW),
    ("POST", "/alerts/{alert_id:int}/acknowledge"): needs(P.ALERTS_VIEW, P.ALERTS_MANAGE),
    ("GET", "/alerts/groups/new"): needs(P.ALERTS_VIEW, P.ALERTS_MANAGE),
    ("POST", "/alerts/groups"): needs(P.ALERTS_VIEW, P.ALERTS_MANAGE),
    ("GET", "/alerts/groups/{notification_group_id:int}"): needs(P.ALERTS_VIEW),
    ("POST", "/alerts/groups/{notification_group_id:int}"): needs(P.ALERTS_VIEW, P.ALERTS_MANAGE),
    ("POST", "/alerts/groups/{notification_group_id:int}/delete"): needs(P.ALERTS_VIEW, P.ALERTS_MANAGE),
    # --- roaming: OCPI partners and their logs ---------------------------------------------------------------
    ("GET", "/roaming/partners"): ROAMING_READ,
    ("POST", "/roaming/partners"): ROAMING_WRITE,
    ("POST", "/roaming/partners/connect"): ROAMING_WRITE,
    ("GET", "/roaming/partners/{partner_id:int}"): ROAMING_READ,
    ("POST", "/roaming/partners/{partner_id:int}/token-a"): ROAMING_WRITE,
    ("POST", "/roaming/partners/{partner_id:int}/reconnect"): ROAMING_WRITE,
    ("POST", "/roaming/partners/{partner_id:int}/rotate"): ROAMING_WRITE,
    ("POST", "/roaming/partners/{partner_id:int}/end"): ROAMING_WRITE,
    ("POST", "/roaming/partners/{partner_id:int}/encoding"): ROAMING_WRITE,
    ("POST", "/roaming/partners/{partner_id:int}/push-again"): ROAMING_WRITE,
    ("GET", "/roaming/partners/{partner_id:int}/sessions"): needs(RV, SV),  # its drivers' charging data
    ("GET", "/roaming/partners/{partner_id:int}/cdrs"): needs(RV, SV),
    ("GET", "/roaming/partners/{partner_id:int}/log"): ROAMING_READ,
    ("GET", "/roaming/partners/{partner_id:int}/log/rows"): ROAMING_READ,
    ("GET", "/roaming/partners/{partner_id:int}/log.csv"): ROAMING_READ,
    # --- resellers: their sub-CPOs and the usage export (only a reseller tenant: RESELLER_ONLY) -----------------
    ("GET", "/resellers/sub-cpos"): needs(P.SUB_CPOS_MANAGE),
    ("GET", "/resellers/sub-cpos/new"): needs(P.SUB_CPOS_MANAGE),
    ("POST", "/resellers/sub-cpos"): needs(P.SUB_CPOS_MANAGE),
    ("GET", "/resellers/sub-cpos/{sub_cpo_id:int}"): needs(P.SUB_CPOS_MANAGE),
    ("POST", "/resellers/sub-cpos/{sub_cpo_id:int}"): needs(P.SUB_CPOS_MANAGE),
    ("POST", "/resellers/sub-cpos/{sub_cpo_id:int}/invitation"): needs(P.SUB_CPOS_MANAGE),
    ("GET", "/resellers/usage"): needs(P.SUB_CPOS_MANAGE),
    ("GET", "/resellers/usage.csv"): needs(P.SUB_CPOS_MANAGE),
}

# Routes only a reseller tenant's staff reach (core refuses every other tenant, whatever its switches): the
# route-security test calls them as the reseller, whose sub-CPO the test's own tenant is.
RESELLER_ONLY: frozenset[str] = frozenset(path for _, path in TABLE if path.startswith("/resellers/"))
