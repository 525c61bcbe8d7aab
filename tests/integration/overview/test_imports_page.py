"""The import pages through the real app: template, upload, preview with row errors, valid-only import."""

from __future__ import annotations

import re
import uuid

from core.infrastructure.tables import ChargePoint, ChargingStation
from tests.support import TenantCtx, app_client, csrf_of, login, make_user


def _csv(tag: str) -> bytes:
    return (
        "location_name;address;postal_code;city;charge_box_id;evse_number;standard\n"
        f"Hof {tag};Weg 1;10115;Berlin;IMP-{tag};1;IEC_62196_T2\n"
        f"Hof {tag};Weg 1;10115;Berlin;IMP-{tag};2;CHADEMO\n"
        f"Hof {tag};Weg 1;10115;Berlin;IMP-{tag}-2;x;NOPE\n"
    ).encode()


async def test_upload_preview_and_import_valid_rows(cpo: TenantCtx) -> None:
    tag = uuid.uuid4().hex[:8]
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        index = await client.get("/infrastructure/imports")
        assert index.status_code == 200 and "charge_box_id" in index.text
        template = await client.get("/infrastructure/imports/template.csv")
        assert template.headers["content-type"].startswith("text/csv")
        assert template.text.startswith("location_name;address")

        upload = await client.post(
            "/infrastructure/imports",
            files={"file": ("stations.csv", _csv(tag), "text/csv")},
            data={"_csrf_token": csrf_of(client)},
            follow_redirects=True,
        )
        assert upload.status_code == 200
        job_url = str(upload.url.path)
        assert re.fullmatch(r"/infrastructure/imports/\d+", job_url)
        assert 'data-testid="valid-count">Gültige Zeilen: 2<' in upload.text and "Zeilen mit Fehlern: 1<" in upload.text
        assert "Bitte eine ganze Zahl eingeben." in upload.text or "Enter a whole number." in upload.text
        assert 'data-testid="import-all"' in upload.text and "disabled" in upload.text

        refused = await client.post(job_url + "/run", data={"mode": "all"}, headers={"x-csrftoken": csrf_of(client)})
        assert refused.status_code == 400
        assert await ChargingStation.count().where(ChargingStation.tenant == cpo.id) == 0

        done = await client.post(
            job_url + "/run", data={"mode": "valid"}, headers={"x-csrftoken": csrf_of(client)}, follow_redirects=True
        )
        assert done.status_code == 200 and 'data-testid="import-done"' in done.text
        assert 'data-testid="import-errors"' in done.text  # the skipped row is listed
        assert await ChargePoint.count().where(ChargePoint.tenant == cpo.id) == 2

        listing = await client.get("/infrastructure/imports")
        assert "stations.csv" in listing.text


async def test_upload_errors_and_guards(cpo: TenantCtx, other_cpo: TenantCtx) -> None:
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        missing = await client.post("/infrastructure/imports", data={"_csrf_token": csrf_of(client)}, files={})
        assert missing.status_code in (400, 403)
        latin = await client.post(
            "/infrastructure/imports",
            files={"file": ("x.csv", "Straße".encode("latin-1"), "text/csv")},
            data={"_csrf_token": csrf_of(client)},
        )
        assert latin.status_code == 400 and "UTF-8" in latin.text
        job = await client.post(
            "/infrastructure/imports",
            files={"file": ("x.csv", _csv(uuid.uuid4().hex[:8]), "text/csv")},
            data={"_csrf_token": csrf_of(client)},
        )
        job_url = job.headers["location"]
    async with app_client() as client:
        await login(client, other_cpo.admin["email"])
        assert (await client.get(job_url)).status_code == 404
    viewer = await make_user(cpo.id, permissions=["infrastructure.view"])
    async with app_client() as client:
        await login(client, viewer["email"])
        assert (await client.get("/infrastructure/imports")).status_code == 403


async def test_preview_warns_of_another_operators_evse_id(cpo: TenantCtx) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    data = (
        "location_name;address;postal_code;city;charge_box_id;evse_number;evse_id\n"
        f"Hof {tag};Weg 1;10115;Berlin;IMP-{tag};1;DE*ISE*E{tag}*1\n"
        f"Hof {tag};Weg 1;10115;Berlin;IMP-{tag};2;DE*XYZ*E{tag}*2\n"
    ).encode()
    async with app_client() as client:
        await login(client, cpo.admin["email"])
        upload = await client.post(
            "/infrastructure/imports",
            files={"file": ("evse.csv", data, "text/csv")},
            data={"_csrf_token": csrf_of(client)},
            follow_redirects=True,
        )
        assert upload.status_code == 200
        assert 'data-testid="warning-count">Zeilen mit Warnungen: 1<' in upload.text
        [warning] = re.findall(r'data-testid="import-warning">([^<]+)<', upload.text)
        assert f"DE*XYZ*E{tag}*2" in warning and "Ihre Betreiber-ID DE*ISE" in warning
        assert (
            'data-testid="import-all"' in upload.text
            and "disabled" not in upload.text.split('data-testid="import-all"')[0][-200:]
        )
