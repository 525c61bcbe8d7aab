"""The usage export of the reseller model: per sub-CPO and month its products per station (days, net), its sessions
and energy, its roaming revenue per currency; on screen and as a German CSV (``;``, decimal comma, BOM); only the
reseller's own sub-CPOs, months in the reseller's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.cdrs.tables import Cdr
from core.months import Month
from core.products import assignments
from core.products.catalogue import ProductCode, ensure_catalogue, product_by_code
from core.resellers import sub_cpos, usage
from core.tenancy import logins
from tests.integration.cdrs.conftest import cdr_of, finished_session
from tests.integration.cdrs.test_roaming_sessions import registered_partner, roaming_session
from tests.integration.ocpi.conftest import tenant_with_party
from tests.integration.ocpp.conftest import make_station
from tests.support import TenantCtx, app_client, login, make_tenant, post_form

BERLIN = ZoneInfo("Europe/Berlin")


async def _sub_cpo_with_october(reseller: TenantCtx, unique: str) -> TenantCtx:
    """A sub-CPO with eOperate AC from 11 Oct (local), 360.SUPPORT from 5 Oct, a roaming session (4.00 EUR net) and a
    card session in October, and a roaming session that is November's in Berlin."""
    sub = await make_tenant(parent_id=reseller.id)
    station = await make_station(sub, "U" + unique)
    await ensure_catalogue()
    for code, day in ((ProductCode.EOPERATE_AC, 11), (ProductCode.SUPPORT_360, 5)):
        product = await product_by_code(code)
        assert product is not None
        at = datetime(2026, 10, day, tzinfo=BERLIN)
        await assignments.assign(sub.actor, product["id"], [station.row["id"]], at=at)
    await make_tenant(kind="HUB")
    emp = await tenant_with_party("EMP", "EMU")
    partner = await registered_partner(emp)
    roaming = await finished_session(sub, station, energy_wh=10_000, start=datetime(2026, 10, 3, 12, tzinfo=UTC))
    card = await finished_session(sub, station, energy_wh=5_500, start=datetime(2026, 10, 20, 12, tzinfo=UTC))
    november = await finished_session(sub, station, energy_wh=7_000, start=datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    for session_id in (roaming, november):
        await roaming_session(session_id, partner, "DE-EMU-C1")
    cdrs = [await cdr_of(s) for s in (roaming, card, november)]
    await Cdr.update({Cdr.total_cost_excl_vat: Decimal("4.00"), Cdr.total_vat: Decimal("0.76"),
                      Cdr.total_cost_incl_vat: Decimal("4.76"), Cdr.currency: "EUR"}).where(
        Cdr.id.is_in([c["id"] for c in cdrs]))  # fmt: skip
    return sub


async def test_usage_per_sub_cpo_and_month_on_screen_and_as_csv(unique: str) -> None:
    reseller = await make_tenant(kind="RESELLER")
    sub = await _sub_cpo_with_october(reseller, unique)
    empty_sub = await make_tenant(parent_id=reseller.id)
    other_reseller = await make_tenant(kind="RESELLER")
    foreign = await make_tenant(parent_id=other_reseller.id)
    actor = await logins.actor_for_user(reseller.admin)

    listed = {row["id"]: row for row in await sub_cpos.list_sub_cpos(actor)}
    assert set(listed) == {sub.id, empty_sub.id}
    assert (listed[sub.id]["stations"], listed[sub.id]["users"]) == (1, 1)
    assert (listed[empty_sub.id]["stations"], listed[empty_sub.id]["users"]) == (0, 1)

    october = await usage.usage(actor, Month(2026, 10))
    assert {u.tenant_id for u in october} == {sub.id, empty_sub.id}  # not another reseller's sub-CPO
    [used] = [u for u in october if u.tenant_id == sub.id]
    assert [(p.product_code, p.charge.days, p.charge.net_cents) for p in used.products] == [
        ("EOPERATE_AC", 21, 671),  # 9.90 EUR * 21 / 31 days, rounded half up
        ("SUPPORT_360", 31, 1490),  # a whole month: active at the month's end
    ]
    assert (used.sessions, used.energy_kwh) == (2, Decimal("15.500"))
    assert [(t.currency, t.sessions, t.net) for t in used.roaming] == [("EUR", 1, Decimal("4.00"))]
    assert used.product_totals() == {"EUR": Decimal("21.61")}
    november = await usage.usage(actor, Month(2026, 11), sub.id)
    assert [(u.sessions, u.energy_kwh, [t.net for t in u.roaming]) for u in november] == [
        (1, Decimal("7.000"), [Decimal("4.00")])
    ]  # 31 Oct 23:30 UTC is 1 Nov in Berlin

    async with app_client() as client:
        await login(client, reseller.admin["email"])
        await post_form(client, "/lang", {"language": "en", "next": "/"})
        page = await client.get("/resellers/usage", params={"month": "2026-10"})
        assert page.status_code == 200 and page.text.count('data-testid="usage-sub-cpo"') == 2
        assert page.text.count('data-testid="usage-product-row"') == 2 and "eOperate professional AC" in page.text
        assert "15.500 kWh" in page.text and "4.00 EUR" in page.text and "21 / 31" in page.text
        assert foreign.tenant["name"] not in page.text
        default = await client.get("/resellers/usage")  # the month before the current one, in Berlin
        previous = Month(datetime.now(BERLIN).year, datetime.now(BERLIN).month).previous()
        assert f'value="{previous.period}"' in default.text

        one = await client.get("/resellers/usage.csv", params={"month": "2026-10", "sub_cpo": sub.id})
        assert one.status_code == 200 and one.headers["content-type"].startswith("text/csv")
        assert one.content.startswith("\ufeff".encode())
        lines = one.content.decode("utf-8-sig").strip().splitlines()
        assert lines[0].split(";")[:4] == ["Month", "Sub-CPO", "Debtor number", "Item"]
        cells = [line.split(";") for line in lines[1:]]
        assert [c[3] for c in cells] == ["Product", "Product", "Charging sessions", "Roaming revenue"]
        assert [c[9] for c in cells] == ["6,71", "14,90", "", "4,00"] and cells[2][8] == "15,500"
        assert all(c[0] == "2026-10" and c[1] == sub.tenant["name"] for c in cells)
        every = await client.get("/resellers/usage.csv", params={"month": "2026-10"})
        every_lines = every.content.decode("utf-8-sig").strip().splitlines()
        assert len(every_lines) == 1 + 4 + 1  # the empty sub-CPO has its sessions line
        assert (await client.get("/resellers/usage.csv", params={"sub_cpo": foreign.id})).status_code == 404

    async with app_client() as german:
        await login(german, reseller.admin["email"])
        await post_form(german, "/lang", {"language": "de", "next": "/"})
        lines = (await german.get("/resellers/usage.csv", params={"month": "2026-10", "sub_cpo": sub.id})).content
        text = lines.decode("utf-8-sig")
        assert text.startswith("Monat;Sub-CPO;Debitorennummer") and "Ladevorgänge" in text and "6,71" in text
