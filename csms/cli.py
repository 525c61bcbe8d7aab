"""The ``csms`` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import core  # noqa: F401 - sets PICCOLO_CONF
from core.errors import DomainError, ValidationError
from core.tenancy.permissions import Permission


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def _with_db(fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    from core import db

    await db.open_pool(2)
    try:
        return await fn()
    finally:
        await db.close_pool()


def cmd_migrate(args: argparse.Namespace) -> int:
    from core import db
    from core.products.setup import prepare_products

    ran = _run(db.migrate())
    if ran:
        print(f"applied {len(ran)} migration{'s' if len(ran) != 1 else ''}:")
        for name in ran:
            print(f"  {name}")
        print("the database is now up to date")
    else:
        print("no migrations needed: the database was already up to date")
    prepared = _run(_with_db(prepare_products))  # the product catalogue; once, the old product tick boxes
    for charge_box_id, name in prepared.converted:
        print(f"station {charge_box_id}: the ticked product {name} is now assigned")
    for charge_box_id, name, reason in prepared.dropped:
        print(f"station {charge_box_id}: the ticked product {name} was not assigned: {reason}")
    return 0


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def cmd_products_list(args: argparse.Namespace) -> int:
    from core.products.catalogue import products

    rows = _run(_with_db(lambda: products(offered_only=False)))
    print(f"{'code':<14} {'name':<28} {'monthly net':>12}  {'kind':<4} {'features':<28} offered")
    for row in rows:
        price = f"{_euros(row['monthly_net_cents'])} {row['currency']}"
        features = ", ".join(row["features"] or [])
        offered = "yes" if row["active"] else "no"
        kind = row["power_type"] or "any"
        print(f"{row['code']:<14} {row['name']:<28} {price:>12}  {kind:<4} {features:<28} {offered}")
    return 0


def cmd_products_set_price(args: argparse.Namespace) -> int:
    from core.products.catalogue import set_price

    row = _run(_with_db(lambda: set_price(args.code, args.price)))
    print(f"{row['name']} ({row['code']}) now costs {_euros(row['monthly_net_cents'])} {row['currency']} net a month")
    print("stations that hold it keep the price approved when it was assigned")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from core.demo import load_demo
    from core.settings import get_settings

    if not get_settings().is_sqlite and not args.force:
        # The demo admin's password is published (README): never into a production database by accident.
        print(
            "error: csms demo creates an admin whose password is published; it refuses a database that is not "
            "the embedded SQLite one (DATABASE_URL). Use --force for a test or evaluation database.",
            file=sys.stderr,
        )
        return 2
    result = _run(_with_db(load_demo))
    if result.created:
        print("demo data loaded")
    else:
        print("demo data already present")
    print(f"demo login: {result.email} / {result.password}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from core.settings import get_settings

    settings = get_settings()
    if args.migrate:
        cmd_migrate(args)
    ssl: dict[str, Any] = {}
    if args.ssl_certfile:
        ssl = {"ssl_certfile": args.ssl_certfile, "ssl_keyfile": args.ssl_keyfile}
    mode = "embedded (SQLite, in-process jobs)" if settings.embedded_jobs and settings.is_sqlite else "production"
    address = f"{args.host}:{args.port}"
    web, ws = ("https", "wss") if ssl else ("http", "ws")
    print(f"csms serving on {web}://{address} (stations: {ws}://{address}/ocpp/<charge box id>) - {mode}", flush=True)
    if not settings.public_url_set:
        print(
            f"warning: PUBLIC_URL is not set; links and upload addresses use {settings.public_url}, which stations "
            "and other machines cannot reach. Set PUBLIC_URL to the address they reach.",
            flush=True,
        )
    from csms.app import create_asgi
    from csms.runtime import tune_gc
    from csms.server import server_config

    config = server_config(create_asgi(settings), host=args.host, port=args.port, log_level=args.log_level, **ssl)
    tune_gc()
    uvicorn.Server(config).run()
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from ocpp_cs.simulator import run_many

    if args.ids:
        ids = [i.strip() for i in args.ids.split(",") if i.strip()]
    else:
        ids = [f"{args.prefix}{n:05d}" for n in range(1, args.stations + 1)]
    tags = [t.strip() for t in (args.id_tags or "").split(",") if t.strip()]
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    print(f"simulating {len(ids)} stations against {args.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the simulation
        _run(run_many(args.url, ids, args.password, id_tags=tags, meter_interval=args.meter_interval))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from core.settings import get_settings

    if not get_settings().redis_url:
        print("csms worker needs REDIS_URL; embedded mode runs jobs inside `csms serve`", file=sys.stderr)
        return 2
    from dramatiq.cli import main as dramatiq_main

    # An idle Dramatiq consumer polls Redis with a backoff of up to this many ms (default 1000): the roaming pushes
    # are due within seconds.
    os.environ.setdefault("dramatiq_worker_timeout", "100")
    sys.argv = ["dramatiq", "csms.worker", "--processes", str(args.processes), "--threads", str(args.threads)]
    return int(dramatiq_main() or 0)


def cmd_tenant_create(args: argparse.Namespace) -> int:
    from core.tenancy import tenants

    parent_id = None

    async def work() -> Any:
        nonlocal parent_id
        if args.parent:
            parent_id = (await tenants.get_tenant_by_slug(args.parent))["id"]
        return await tenants.create_tenant(
            {
                "slug": args.slug,
                "name": args.name,
                "kind": args.kind,
                "country_code": args.country,
                "party_id": args.party_id or "",
                "currency": args.currency,
            },  # fmt: skip
            parent_id=parent_id,
        )

    tenant = _run(_with_db(work))
    print(f"tenant {tenant['slug']} created (id {tenant['id']})")
    return 0


def cmd_tenant_set_reseller_model(args: argparse.Namespace) -> int:
    from core.resellers import sub_cpos

    async def work() -> Any:
        return await sub_cpos.set_reseller_model(args.slug, args.model)

    tenant = _run(_with_db(work))
    print(f"reseller {tenant['slug']}: model {tenant['reseller_model']}")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from core.tenancy import tenants, users
    from core.tenancy.actor import system_actor

    try:
        password = args.password or os.environ.get("CSMS_USER_PASSWORD") or getpass.getpass("Password: ")
    except EOFError:
        print("no password given: type it when asked, or use --password or CSMS_USER_PASSWORD", file=sys.stderr)
        return 2

    async def work() -> Any:
        tenant = await tenants.get_tenant_by_slug(args.tenant)
        actor = system_actor(tenant["id"], "cli")
        return await users.create_user(
            actor, {"email": args.email, "name": args.name or "", "password": password, "is_admin": args.admin}
        )

    user = _run(_with_db(work))
    print(f"user {user['email']} created")
    return 0


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from core.tenancy import api_keys, tenants

    async def work() -> Any:
        tenant = await tenants.get_tenant_by_slug(args.tenant)
        # No --permission: the operator's key grants everything (least privilege: name the switches).
        return await api_keys.create_api_key(tenant["id"], args.name or "", args.permission or None)

    key, _ = _run(_with_db(work))
    print(key)
    print("Store this key now: only its hash is kept.", file=sys.stderr)
    return 0


async def _tenant_actor(slug: str) -> Any:
    from core.tenancy import tenants
    from core.tenancy.actor import system_actor

    tenant = await tenants.get_tenant_by_slug(slug)
    return system_actor(tenant["id"], "cli")


def cmd_roaming_invite(args: argparse.Namespace) -> int:
    """A partner that registers with csms: prints csms's versions URL and the partner's token A (once)."""
    from core.roaming import partners

    async def work() -> Any:
        return await partners.create_partner(await _tenant_actor(args.tenant), {"name": args.name})

    created = _run(_with_db(work))
    print(f"versions URL: {partners.versions_url()}")
    print(f"token A: {created.token_a}")
    print("Give both to the partner; the token A works only until it has registered.", file=sys.stderr)
    return 0


def cmd_roaming_connect(args: argparse.Namespace) -> int:
    """csms registers with a partner that issued it a token A."""
    from core.roaming import connections
    from hub.client import HubLink

    connections.register_link(HubLink())

    async def work() -> Any:
        raw = {"name": args.name, "versions_url": args.versions_url, "token_a": args.token_a,
               "tokens_unencoded": args.tokens_unencoded}  # fmt: skip
        return await connections.connect_to(await _tenant_actor(args.tenant), raw)

    partner = _run(_with_db(work))
    roles = ", ".join(f"{r['role']} {r['country_code']}*{r['party_id']}" for r in partner["roles"])
    print(f"registered with {partner['name']} (partner {partner['id']}): {roles}")
    return 0


def cmd_roaming_prune(args: argparse.Namespace) -> int:
    from core.roaming import exchange_log
    from core.settings import get_settings

    days = args.days if args.days is not None else get_settings().ocpi_log_payload_days
    emptied = _run(_with_db(lambda: exchange_log.prune(days)))
    print(f"{emptied} OCPI exchanges older than {days} days lost their payloads")
    return 0


def cmd_dashboard_rebuild(args: argparse.Namespace) -> int:
    from core.dashboard import buckets

    hours = _run(_with_db(buckets.rebuild_all))
    print(f"dashboard figures rebuilt from the CDRs: {len(hours)} tenants, {sum(hours.values())} hours")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csms", description="Charging Station Management System")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve portal, REST API, OCPP and OCPI")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--migrate", action="store_true", help="apply migrations first")
    serve.add_argument("--ssl-certfile", help="TLS certificate (OCPP security profile 2 without a proxy)")
    serve.add_argument("--ssl-keyfile", help="TLS private key")
    serve.set_defaults(fn=cmd_serve)

    worker = sub.add_parser("worker", help="run background jobs from Redis")
    worker.add_argument("--processes", type=int, default=1)
    worker.add_argument("--threads", type=int, default=4)
    worker.set_defaults(fn=cmd_worker)

    sim = sub.add_parser("simulate", help="connect simulated OCPP 1.6 stations")
    sim.add_argument("--stations", type=int, default=1)
    sim.add_argument("--url", default="ws://127.0.0.1:8000/ocpp")
    sim.add_argument("--password", required=True, help="the stations' OCPP password")
    sim.add_argument("--prefix", default="SIM-", help="charge box ids are PREFIX00001, PREFIX00002, ...")
    sim.add_argument("--ids", help="comma-separated charge box ids instead of --prefix/--stations")
    sim.add_argument("--id-tags", help="comma-separated RFID uids: a quarter of the stations charges with them")
    sim.add_argument("--meter-interval", type=float, default=60.0)
    sim.add_argument("--verbose", action="store_true")
    sim.set_defaults(fn=cmd_simulate)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(fn=cmd_migrate)
    demo = sub.add_parser("demo", help="load demo data (idempotent; embedded SQLite only unless --force)")
    demo.add_argument("--force", action="store_true", help="also into a PostgreSQL database (tests, evaluation)")
    demo.set_defaults(fn=cmd_demo)

    tenant = sub.add_parser("tenant", help="manage tenants").add_subparsers(dest="action", required=True)
    tc = tenant.add_parser("create", help="create a tenant")
    tc.add_argument("--slug", required=True)
    tc.add_argument("--name", required=True)
    tc.add_argument("--kind", default="CPO", choices=["CPO", "EMP", "RESELLER", "HUB"])
    tc.add_argument("--country", default="DE")
    tc.add_argument("--party-id", default="")
    tc.add_argument("--currency", default="EUR")
    tc.add_argument("--parent", help="slug of the reseller this sub-CPO belongs to")
    tc.set_defaults(fn=cmd_tenant_create)
    tm = tenant.add_parser(
        "set-reseller-model", help="how a reseller's sub-CPOs are billed: RESELLER (it bills them) or AFFILIATE"
    )
    tm.add_argument("slug", help="slug of the reseller")
    tm.add_argument("model", choices=["RESELLER", "AFFILIATE"], type=str.upper)
    tm.set_defaults(fn=cmd_tenant_set_reseller_model)

    roaming = sub.add_parser("roaming", help="OCPI partners").add_subparsers(dest="action", required=True)
    ri = roaming.add_parser("invite", help="a partner that registers with csms: print the versions URL and token A")
    ri.add_argument("--tenant", required=True, help="slug of the EMP tenant or the hub operator (kind HUB)")
    ri.add_argument("--name", required=True)
    ri.set_defaults(fn=cmd_roaming_invite)
    rc = roaming.add_parser("connect", help="register with a partner that gave csms its versions URL and token A")
    rc.add_argument("--tenant", required=True, help="slug of the EMP tenant or the hub operator (kind HUB)")
    rc.add_argument("--name", required=True)
    rc.add_argument("--versions-url", required=True)
    rc.add_argument("--token-a", required=True)
    rc.add_argument("--tokens-unencoded", action="store_true", help="the partner sends and expects tokens as they are")
    rc.set_defaults(fn=cmd_roaming_connect)
    rp = roaming.add_parser("prune", help="empty OCPI log payloads older than OCPI_LOG_PAYLOAD_DAYS (for cron)")
    rp.add_argument("--days", type=int, help="instead of OCPI_LOG_PAYLOAD_DAYS")
    rp.set_defaults(fn=cmd_roaming_prune)

    products = sub.add_parser("products", help="the platform's product catalogue").add_subparsers(
        dest="action", required=True
    )
    products.add_parser("list", help="the products with their monthly net prices").set_defaults(fn=cmd_products_list)
    ps = products.add_parser("set-price", help="change a product's monthly net price (new assignments pay it)")
    ps.add_argument("code", help="the product's code, e.g. EOPERATE_AC (see csms products list)")
    ps.add_argument("price", help="monthly net price in euros, e.g. 12,90")
    ps.set_defaults(fn=cmd_products_set_price)

    user = sub.add_parser("user", help="manage staff users").add_subparsers(dest="action", required=True)
    uc = user.add_parser("create", help="create a staff user")
    uc.add_argument("--tenant", required=True, help="tenant slug")
    uc.add_argument("--email", required=True)
    uc.add_argument("--name")
    uc.add_argument("--password", help="prompted when omitted (or CSMS_USER_PASSWORD)")
    uc.add_argument("--admin", action="store_true")
    uc.set_defaults(fn=cmd_user_create)

    apikey = sub.add_parser("apikey", help="manage REST API keys").add_subparsers(dest="action", required=True)
    ac = apikey.add_parser("create", help="create an API key; printed once")
    ac.add_argument("--tenant", required=True, help="tenant slug")
    ac.add_argument("--name", default="")
    ac.add_argument(
        "--permission", action="append", choices=[p.value for p in Permission], metavar="CODE",
        help="grant only this permission (repeatable); without it the key grants every permission",
    )  # fmt: skip
    ac.set_defaults(fn=cmd_apikey_create)

    dashboard = sub.add_parser("dashboard", help="the start page's figures").add_subparsers(
        dest="action", required=True
    )
    dashboard.add_parser("rebuild", help="recompute sessions, energy and revenue per hour from the CDRs").set_defaults(
        fn=cmd_dashboard_rebuild
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: the OCPI log already records each exchange with its partner.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except ValidationError as exc:
        for name, message in exc.errors.items():
            print(f"error: {name}: {message}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
