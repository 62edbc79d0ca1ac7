"""Members in and out (issue 18): the import of another system's members, a customer's data on
request, its erasure, and the small commands a new owner needs."""

import io
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from service import member_import
from service.actors import system
from service.audit import verify_ledger
from service.auth import known_pos_keys
from service.customer_data import erase_customer
from service.customers import lookup_customer
from service.exceptions import CustomerNotFound, DatabaseBusy
from service.member_import import import_members
from service.points import PointsChange, earn_points, expire_points, redeem_points
from service.report import report_reconciles
from service.store import pos_keys
from service.store import webhooks as webhook_rows

from .harness import database_url
from .helpers import assert_problem, change_programme


def loyalty(database, *args, timeout=120):
    env = {**os.environ, "DATABASE_URL": database_url(database)}
    command = [sys.executable, "-c", "from service import main; main()", *args]
    return subprocess.run(  # noqa: S603 (a fixed command line)
        command, env=env, capture_output=True, text=True, timeout=timeout
    )


def count(conn, sql: str, *params) -> int:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return next(iter(cur.fetchone().values()))


def imports(conn, tenant_id: int) -> int:
    return count(
        conn,
        "SELECT COUNT(*) FROM phone_loyalty_transactions WHERE tenant_id = %s "
        "AND operation_type = 'import_points'",
        tenant_id,
    )


def customers(conn, tenant_id: int) -> int:
    return count(conn, "SELECT COUNT(*) FROM customers WHERE tenant_id = %s", tenant_id)


def numbers(n: int, start: int = 0) -> list[str]:
    """n distinct valid UK mobile numbers, E.164, unique to this test."""
    base = secrets.randbelow(900) * 10**5  # +4477: valid UK mobiles, whatever follows
    return [f"+4477{base + start + i:08d}" for i in range(n)]


def test_a_file_with_every_kind_of_bad_row_is_reported_by_line_and_nothing_is_written(
    shop, conn, database, tmp_path
):
    good_a, good_b, dup = numbers(3)
    path = tmp_path / "members.csv"
    path.write_text(
        "\ufeffpoints;name;phone;earned_at\n"  # BOM, semicolons, columns in another order
        f'10;"Ann; of the semicolon";{good_a};2026-01-05\n'  # line 2: fine (quoted ;)
        "5;Bob;0730650679x;\n"  # line 3: bad phone
        f"7;Cy;{dup};\n"  # line 4: fine
        f"8;Cy again;{dup};\n"  # line 5: duplicate
        f"-3;Dee;{good_b};\n"  # line 6: negative points
        f"4;Eve;{numbers(1, 50)[0]};2026-13-40\n"  # line 7: bad date
        f"1.5;Fay;{numbers(1, 60)[0]};\n"  # line 8: not a whole number
        ";Gus;;\n"  # line 9: no phone
        f"3;Hal;{numbers(1, 70)[0]}\n",  # line 10: a field short
        encoding="utf-8",
    )
    before = customers(conn, shop.tenant.id)
    run = loyalty(database, "customers", "import", shop.tenant.slug, str(path))
    assert run.returncode == 1
    for line, reason in [
        (3, "bad phone"),
        (5, f"duplicate phone {dup} (first on line 4)"),
        (6, "negative points"),
        (7, "bad date"),
        (8, "points '1.5' is not a whole number"),
        (9, "no phone"),
        (10, "3 fields, the header has 4"),
    ]:
        assert f"line {line}: {reason}" in run.stderr, run.stderr
    assert "line 2:" not in run.stderr and "line 4:" not in run.stderr
    assert "Nothing was written" in run.stderr
    assert customers(conn, shop.tenant.id) == before

    dry = loyalty(database, "customers", "import", shop.tenant.slug, str(path), "--dry-run",
                  "--skip-invalid")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "would import 2 customers" in dry.stdout
    assert customers(conn, shop.tenant.id) == before

    done = loyalty(database, "customers", "import", shop.tenant.slug, str(path), "--skip-invalid")
    assert done.returncode == 0, done.stderr
    assert "Imported 2 customers (17 points)" in done.stdout
    card = lookup_customer(conn, shop.tenant, good_a)
    assert (card["name"], card["points_balance"]) == ("Ann; of the semicolon", 10)


def test_the_same_file_twice_imports_nothing_twice_and_an_enrolled_phone_is_left_alone(
    shop, conn, database, tmp_path
):
    phones = numbers(30)
    shop.add_customer(phones[0], points=99, name="Already Here")
    path = tmp_path / "m.csv"
    path.write_text(
        "phone,name,points\n" + "".join(f'{p},"Member, {i}",{i}\n' for i, p in enumerate(phones))
    )
    first = loyalty(database, "customers", "import", shop.tenant.slug, str(path))
    assert first.returncode == 0, first.stderr
    assert "Imported 29 customers" in first.stdout
    assert "1 already enrolled" in first.stdout
    again = loyalty(database, "customers", "import", shop.tenant.slug, str(path))
    assert again.returncode == 0, again.stderr
    assert "Imported 0 customers" in again.stdout
    assert "29 already imported from this file, 1 already enrolled" in again.stdout
    assert imports(conn, shop.tenant.id) == 29
    kept = lookup_customer(conn, shop.tenant, phones[0])
    assert (kept["name"], kept["points_balance"]) == ("Already Here", 99)
    assert lookup_customer(conn, shop.tenant, phones[7])["points_balance"] == 7
    with conn.cursor() as cur:
        cur.execute(
            "SELECT actor_kind, actor_label FROM phone_loyalty_transactions WHERE tenant_id = %s "
            "AND operation_type = 'import_points' LIMIT 1",
            (shop.tenant.id,),
        )
        assert cur.fetchone() == {"actor_kind": "system", "actor_label": "import"}


def test_an_import_killed_half_way_then_run_again_imports_every_row_exactly_once(
    shop, conn, database, tmp_path
):
    phones = numbers(20_000)
    path = tmp_path / "big.csv"
    path.write_text("phone,points\n" + "".join(f"{p},{i % 50}\n" for i, p in enumerate(phones)))
    env = {**os.environ, "DATABASE_URL": database_url(database)}
    command = [sys.executable, "-c", "from service import main; main()", "customers", "import",
               shop.tenant.slug, str(path)]  # fmt: skip
    run = subprocess.Popen(  # noqa: S603 (a fixed command line)
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120  # a loaded machine: the check of 20,000 rows comes first
    while imports(conn, shop.tenant.id) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    errors = run.communicate(timeout=10)[1]
    part = imports(conn, shop.tenant.id)
    assert 0 < part < len(phones), f"the kill did not land half-way: {errors[-2000:]}"
    rerun = loyalty(database, "customers", "import", shop.tenant.slug, str(path))
    assert rerun.returncode == 0, rerun.stderr
    assert f"{part} already imported from this file" in rerun.stdout
    assert imports(conn, shop.tenant.id) == customers(conn, shop.tenant.id) == len(phones)
    assert verify_ledger(conn, shop.tenant)[1] == []


def test_points_earned_13_months_ago_under_a_12_month_expiry_expire_at_the_next_run(shop, conn):
    change_programme(conn, shop.tenant, expiry_months=12)
    now = datetime.now(UTC).replace(tzinfo=None)
    expire_points(conn, shop.tenant, now)  # the job has run: its watermark is now
    old, recent = numbers(2)
    earned = (now - timedelta(days=400)).date()
    data = f"phone,points,earned_at\n{old},100,{earned}\n{recent},40,{now.date()}\n".encode()
    report = import_members(conn, shop.tenant, lambda: io.BytesIO(data), system("import"))
    assert report.imported == 2
    with conn.cursor() as cur:
        cur.execute(
            "SELECT operation_details, expires_at, created_at FROM phone_loyalty_transactions "
            "WHERE tenant_id = %s AND operation_type = 'import_points' AND phone = %s",
            (shop.tenant.id, old),
        )
        row = cur.fetchone()
    assert '"earned_at": "' + earned.isoformat() in row["operation_details"]
    assert row["expires_at"] < now <= row["created_at"] + timedelta(seconds=60)
    ran = expire_points(conn, shop.tenant, datetime.now(UTC).replace(tzinfo=None))
    assert (ran.customers, ran.points) == (1, 100)
    assert lookup_customer(conn, shop.tenant, old)["points_balance"] == 0
    assert lookup_customer(conn, shop.tenant, recent)["points_balance"] == 40
    assert verify_ledger(conn, shop.tenant)[1] == []


def test_the_import_endpoint_previews_then_imports_the_same_report(client, shop, conn,
                                                                   admin_headers):  # fmt: skip
    headers = {**admin_headers(shop), "Content-Type": "text/csv"}
    a, b = numbers(2)
    body = f"phone,name,points\n{a},Ann,5\n{b},Bob,-1\n"
    preview = client.post("/api/admin/customers/import?dry_run=true", data=body, headers=headers)
    assert preview.status_code == 200, preview.json
    assert preview.json["refused"] == ["line 3: negative points (-1)"]
    assert (preview.json["to_import"], preview.json["written"]) == (1, False)
    refused = client.post("/api/admin/customers/import", data=body, headers=headers)
    assert (refused.json["imported"], refused.json["written"]) == (0, False)
    assert customers(conn, shop.tenant.id) == 0
    done = client.post("/api/admin/customers/import?skip_invalid=true", data=body,
                       headers=headers)  # fmt: skip
    assert (done.json["imported"], done.json["complete"]) == (1, True)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT actor_kind, actor_label FROM phone_loyalty_transactions "
            "WHERE tenant_id = %s AND operation_type = 'import_points'",
            (shop.tenant.id,),
        )
        assert cur.fetchone() == {"actor_kind": "admin", "actor_label": shop.admin_email}
    unknown = client.post("/api/admin/customers/import", data="phone,email\n", headers=headers)
    assert assert_problem(unknown, 422, "import_file_refused")["detail"] == (
        "line 1: unknown column 'email' (the columns are phone, name, points, earned_at)"
    )
    no_type = client.post("/api/admin/customers/import", data=body, headers=admin_headers(shop))
    assert_problem(no_type, 415, "unsupported_media_type")
    empty = client.post("/api/admin/customers/import", data="", headers=headers)
    assert_problem(empty, 422, "validation_error")
    big = "phone\n" + "".join(f"{p}\n" for p in numbers(5001))
    assert_problem(client.post("/api/admin/customers/import", data=big, headers=headers), 413,
                   "payload_too_large")  # fmt: skip


def test_the_export_holds_the_customer_every_ledger_row_and_every_webhook_event(
    client, shop, conn, admin_headers
):
    phone = numbers(1)[0]
    earned = earn_points(conn, shop.tenant, PointsChange(phone, 50, "e-1"), name="Ida")
    redeem_points(conn, shop.tenant, PointsChange(phone, 20, "r-1"))
    customer_id = earned["customer_id"]
    response = client.get(f"/api/admin/customers/{customer_id}/export",
                          headers=admin_headers(shop))  # fmt: skip
    assert response.status_code == 200, response.json
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.json
    assert (data["customer"]["phone"], data["customer"]["points_balance"]) == (phone, 30)
    assert [t["operation_type"] for t in data["transactions"]] == [
        "open_account", "earn_points", "redeem_points",
    ]  # fmt: skip
    assert [e["event_type"] for e in data["webhook_events"]] == [
        "loyalty.points_earned", "loyalty.points_redeemed",
    ]  # fmt: skip
    assert data["webhook_events"][0]["payload"]["phone"] == phone
    other = client.get("/api/admin/customers/999999999/export", headers=admin_headers(shop))
    assert_problem(other, 404, "customer_not_found")


def dump(database) -> str:
    tool = shutil.which("mariadb-dump") or "/usr/bin/mariadb-dump"
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        [tool, f"--host={database.host}", f"--port={database.port}", f"--user={database.user}",
         "--single-transaction", "--hex-blob", database.database],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return done.stdout


def test_after_erasure_no_table_and_no_webhook_body_holds_the_phone_or_name(
    client, shop, conn, database, admin_headers, make_shop
):
    phone = numbers(1)[0]
    national = "0" + phone[3:]
    name = f"Zebediah Quux{secrets.token_hex(3)}"
    with conn.cursor() as cur:  # an endpoint, so that deliveries are queued (never sent here)
        cur.execute(
            "INSERT INTO webhook_endpoints (tenant_id, url, secret) VALUES (%s, %s, 's')",
            (shop.tenant.id, "https://example.invalid/hook"),
        )
    earned = earn_points(
        conn,
        shop.tenant,
        PointsChange(phone, 70, f"ord-{national}", details={"note": f"called {national}"}),
        name=name,
    )
    customer_id = earned["customer_id"]
    headers = admin_headers(shop)
    adjust = client.post(f"/api/admin/customers/{customer_id}/adjustments", headers=headers,
                         json={"points": -5, "reason": f"{name} asked, {phone}"})  # fmt: skip
    assert adjust.status_code == 201, adjust.json
    other = make_shop()  # another shop's customer with the same phone is not touched
    other.add_customer(phone, points=3)

    refused = client.delete(f"/api/admin/customers/{customer_id}", headers=headers, json={})
    assert_problem(refused, 422, "validation_error")
    erased = client.delete(f"/api/admin/customers/{customer_id}", headers=headers,
                           json={"reason": f"Request by email from {name}"})  # fmt: skip
    assert erased.status_code == 200, erased.json
    assert erased.json["points_forfeited"] == 65
    assert erased.json["erased_by"] == {"kind": "admin", "label": shop.admin_email}
    assert name not in erased.json["reason"]

    assert lookup_customer(conn, other.tenant, phone)["points_balance"] == 3  # untouched
    erase_customer(conn, other.tenant, lookup_customer(conn, other.tenant, phone)["customer_id"],
                   "its own request", system("tests"))  # fmt: skip
    text = dump(database)
    assert phone[1:] not in text and national not in text
    assert name not in text
    assert verify_ledger(conn, shop.tenant)[1] == []
    closes, total = report_reconciles(conn, shop.tenant)
    assert closes == total == 0
    with conn.cursor() as cur:
        pending = webhook_rows.events_about(cur, shop.tenant.id, customer_id)
    assert {e["payload"]["phone"] for e in pending} == {f"erased-{customer_id}"}
    assert pending[-1]["event_type"] == "loyalty.points_forfeited"
    assert all(d["status"] == "pending" for e in pending for d in e["deliveries"])

    with pytest.raises(CustomerNotFound):
        lookup_customer(conn, shop.tenant, phone)
    again = client.delete(f"/api/admin/customers/{customer_id}", headers=headers,
                          json={"reason": "twice"})  # fmt: skip
    assert again.json["replayed"] is True and again.json["points_forfeited"] == 65
    card = client.get(f"/api/admin/customers/{customer_id}/export", headers=headers).json
    assert card["customer"]["phone"] == f"erased-{customer_id}" and card["erasure"]
    back = client.post("/api/admin/customers", headers=headers, json={"phone": phone})
    assert back.status_code == 201 and back.json["customer_id"] != customer_id
    with conn.cursor() as cur:  # no other test's delivery worker is to try them
        cur.execute(
            "DELETE d FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id "
            "WHERE e.tenant_id = %s",
            (shop.tenant.id,),
        )


def test_erasing_another_shops_customer_is_404(client, shop, make_shop, admin_headers):
    other = make_shop()
    other.add_customer(numbers(1)[0])
    with other.conn.cursor() as cur:
        cur.execute("SELECT id FROM customers WHERE tenant_id = %s", (other.tenant.id,))
        their = cur.fetchone()["id"]
    response = client.delete(f"/api/admin/customers/{their}", headers=admin_headers(shop),
                             json={"reason": "x"})  # fmt: skip
    assert_problem(response, 404, "customer_not_found")


def test_tenants_and_pos_keys_are_listed_without_any_secret(app, client, shop):
    runner = app.test_cli_runner()
    tenants = runner.invoke(args=["tenants", "list"])
    assert tenants.exit_code == 0 and shop.tenant.slug in tenants.output
    prefix = shop.key.removeprefix("lpk_").split("_")[0]
    unused = runner.invoke(args=["pos-keys", "list", shop.tenant.slug]).output
    assert next(line for line in unused.splitlines() if prefix in line).split("\t")[4] == "—"
    client.get("/api/loyalty/phone-lookup", query_string={"phone": "+447306506797"},
               headers=shop.pos_headers)  # fmt: skip
    keys = runner.invoke(args=["pos-keys", "list", shop.tenant.slug])
    assert keys.exit_code == 0, keys.output
    assert prefix in keys.output and "tests" in keys.output
    used = next(line for line in keys.output.splitlines() if prefix in line).split("\t")[4]
    assert used.startswith(str(datetime.now(UTC).year)), used  # the till used it just now
    assert shop.key not in keys.output and shop.key.split("_")[-1] not in keys.output


def test_a_till_is_served_when_its_last_use_cannot_be_recorded(client, shop, monkeypatch):
    def busy(cur, key_id):
        raise DatabaseBusy("lock wait timeout")

    monkeypatch.setattr(pos_keys, "mark_used", busy)
    known_pos_keys.forget_all()  # the key is checked against the database again
    shop.add_customer("+447306506797", points=5)
    response = client.get("/api/loyalty/phone-lookup", query_string={"phone": "+447306506797"},
                          headers=shop.pos_headers)  # fmt: skip
    assert response.status_code == 200, response.json
    assert response.json["points_balance"] == 5


def test_demo_reset_asks_before_dropping_a_database_it_did_not_create(app, conn):
    runner = app.test_cli_runner()
    tenants = count(conn, "SELECT COUNT(*) FROM tenants")
    answer = runner.invoke(args=["demo", "reset"], input="n\n")
    assert answer.exit_code != 0
    assert "was not created by `make run` here" in answer.output
    assert count(conn, "SELECT COUNT(*) FROM tenants") == tenants  # the database is still there


def test_an_earned_at_of_the_shops_today_is_not_in_the_future_where_utc_is_still_yesterday(
    shop, conn, monkeypatch
):
    """09:00 in Auckland is 20:00 UTC the day before: the shop's today is the file's today."""
    change_programme(conn, shop.tenant, timezone="Pacific/Auckland")
    monkeypatch.setattr(member_import, "utc_now", lambda: datetime(2026, 3, 4, 20, 0))
    (phone,) = numbers(1)
    data = f"phone,points,earned_at\n{phone},10,2026-03-05\n".encode()
    report = import_members(conn, shop.tenant, lambda: io.BytesIO(data), system("import"))
    assert report.refused == [] and report.imported == 1
