"""CPU instructions per request, in process, counted by valgrind's callgrind
(`make bench-instructions`).

Wall-clock figures move with whatever else the machine does; instruction counts are
repeatable to a few thousand. For each kind of request a child process sets everything up (a
throwaway database, a tenant, customers, the app, a warm-up), then callgrind counts only the
N requests that follow (``callgrind_control -i on/off`` around them), so start-up and warm-up
cost nothing. The child drives the app through Flask's test client and sets up through
functions every version of the service has, so the same script measures an older checkout
(``--service-root``) for a before/after comparison.

    python -m bench.instructions [--requests 300] [--kinds baseline,lookup,poll,redeem,...]
                                 [--service-root PATH]

Kinds: baseline (bare Flask), lookup, poll (unchanged, 304), redeem, earn_bill (an earn from
a bill under the benches' programme), toast_accrue and toast_redeem (a Toast terminal's ACCRUE
of the same bill, REDEEM of a £2 reward).
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KINDS = ("baseline", "lookup", "poll", "redeem", "earn_bill", "toast_accrue", "toast_redeem")
ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 50
CUSTOMERS = 1000
DB_TIMEOUT = 5.0


def _child(kind: str, requests: int) -> None:
    """Set up, say "ready", wait for "go", run the requests, say "done"."""
    if kind == "baseline":
        from bench.baseline_app import app

        client = app.test_client()

        def one(_i):
            return client.get("/card")
    else:
        one, cleanup = _service_requests(kind)
    for i in range(WARM_UP):
        one(i)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    for i in range(WARM_UP, WARM_UP + requests):
        response = one(i)
        assert response.status_code in (200, 201, 304), (response.status_code, response.data)
    print(f"done {time.perf_counter() - started:.3f}", flush=True)
    sys.stdin.readline()
    if kind != "baseline":
        cleanup()


def _service_requests(kind: str):
    import pymysql

    from service import create_app
    from service.auth import create_admin, create_pos_key
    from service.config import DatabaseSettings
    from service.migrate import upgrade
    from service.tenancy import create_tenant

    server = DatabaseSettings.from_url(
        os.environ.get("DATABASE_URL", "mysql://root@127.0.0.1:3306/loyalty")
    )
    name = f"loyalty_instr_{secrets.token_hex(4)}"
    admin = pymysql.connect(host=server.host, port=server.port, user=server.user,
                            password=server.password, autocommit=True)  # fmt: skip
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    settings = DatabaseSettings(server.host, server.port, server.user, server.password, name)
    from service.db import connect

    conn = connect(settings)
    upgrade(conn)
    tenant = create_tenant(conn, "instr", "Instructions", "GB")
    key = create_pos_key(conn, tenant, "bench")
    create_admin(conn, tenant, "admin@instr.test", "a long password")
    conn.close()
    # Under callgrind everything runs ~50 times slower: a budget that allows for it.
    config = {"DATABASE": settings, "SECRET_KEY": "instructions", "DB_TIMEOUT": DB_TIMEOUT}
    app = create_app({**config, "DB_POOL_SIZE": 4})
    client = app.test_client()
    pos = {"X-API-Key": key}
    phones = [f"+4479001{n:05d}" for n in range(CUSTOMERS)]
    for i, phone in enumerate(phones):
        body = {"phone": phone, "points": 1_000_000, "transaction_reference": f"seed-{i}"}
        assert client.post("/api/customer/loyalty/earn", json=body, headers=pos).status_code == 201

    def cleanup():
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE `{name}`")

    if kind == "lookup":
        return (
            lambda i: client.get(
                "/api/loyalty/phone-lookup",
                query_string={"phone": phones[i % CUSTOMERS]},
                headers=pos,
            ),
            cleanup,
        )
    if kind == "redeem":
        return (
            lambda i: client.post(
                "/api/customer/loyalty/redeem",
                json={
                    "phone": phones[i % CUSTOMERS],
                    "points": 1,
                    "transaction_reference": f"r-{i}",
                },
                headers=pos,
            ),
            cleanup,
        )
    if kind in ("earn_bill", "toast_accrue", "toast_redeem"):
        return _programme_requests(kind, settings, tenant, client, pos, phones), cleanup
    token = client.post(
        "/api/admin/session",
        json={"tenant": "instr", "email": "admin@instr.test", "password": "a long password"},
    ).json["token"]
    time.sleep(2 * DB_TIMEOUT + 1.5)  # past the settle time: unchanged polls are 304
    admin_headers = {"Authorization": f"Bearer {token}"}
    etag = client.get("/api/admin/customers", headers=admin_headers).headers["ETag"]
    admin_headers["If-None-Match"] = etag
    return (lambda _i: client.get("/api/admin/customers", headers=admin_headers), cleanup)


def _programme_requests(kind: str, settings, tenant, client, pos: dict, phones: list[str]):
    """Earns from a £23.40 bill at the till, or a Toast terminal's ACCRUE of the same check or
    REDEEM of a £2 reward, each for the next customer under new references."""
    import uuid

    from bench.loader import PROGRAMME
    from service import toast
    from service.db import connect
    from service.programme import set_programme
    from service.rewards import set_rewards

    conn = connect(settings)
    set_programme(conn, tenant, PROGRAMME, "bench")
    set_rewards(conn, tenant, [{"id": "off2", "name": "£2 off", "points": 200,
                                "amount_minor": 200}])  # fmt: skip
    restaurant = str(uuid.uuid4())
    key = toast.connect_restaurant(conn, tenant, restaurant, None)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO loyalty_identifiers (tenant_id, identifier, customer_id) "
            "SELECT tenant_id, CONCAT('i', phone), id FROM customers WHERE tenant_id = %s",
            (tenant.id,),
        )
    conn.commit()
    conn.close()
    if kind == "earn_bill":
        return lambda i: client.post(
            "/api/customer/loyalty/earn",
            json={"phone": phones[i % CUSTOMERS], "transaction_reference": f"b-{i}",
                  "purchase": {"total_minor": 2340, "currency": "GBP", "excluded_minor": 0}},
            headers=pos,
        )  # fmt: skip
    toast_kind = "LOYALTY_ACCRUE" if kind == "toast_accrue" else "LOYALTY_REDEEM"

    def one(i):
        check = {"guid": f"check-{i}", "selections": [{
            "guid": f"sel-{i}", "price": 23.40, "tax": 0.0, "taxInclusion": "NOT_INCLUDED",
            "voided": False, "deferred": False}]}  # fmt: skip
        information = {"loyaltyIdentifier": f"i{phones[i % CUSTOMERS]}", "check": check}
        if toast_kind == "LOYALTY_REDEEM":
            information["redemptions"] = [
                {"identifier": "off2", "appliedDiscountGuid": f"d-{i}", "amount": 2.0}
            ]
        return client.post(
            "/api/integrations/toast",
            json={"toastTransactionType": toast_kind, "checkTransactionInformation": information},
            headers={"Authorization": key, "Toast-Restaurant-External-ID": restaurant,
                     "Toast-Transaction-Type": toast_kind, "Toast-Transaction-GUID": f"g-{i}"},
        )  # fmt: skip

    return one


VALGRIND = shutil.which("valgrind") or "valgrind"
CALLGRIND_CONTROL = shutil.which("callgrind_control") or "callgrind_control"


def _instrument(pid: int, state: str) -> None:
    subprocess.run(  # noqa: S603 (a fixed command line)
        [CALLGRIND_CONTROL, "-i", state, str(pid)], check=True, capture_output=True
    )


def measure(kind: str, requests: int, service_root: Path) -> float:
    """Instructions per request of ``kind`` (millions), counted by callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        # The child runs as a script: its service (and bench.baseline_app) come from
        # ``service_root``, an older checkout included.
        env = {**os.environ, "PYTHONPATH": str(service_root)}
        child = subprocess.Popen(  # noqa: S603 (a fixed command line)
            [VALGRIND, "--tool=callgrind", "--instr-atstart=no", "--trace-children=no",
             f"--callgrind-out-file={out}", sys.executable, str(Path(__file__).resolve()),
             "--child", kind, "--requests", str(requests)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=(Path(tmp) / "stderr").open("w"),
            text=True, env=env, cwd=tmp,
        )  # fmt: skip
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{kind}: {(Path(tmp) / 'stderr').read_text()[-3000:]}")
        _instrument(child.pid, "on")
        child.stdin.write("go\n")
        child.stdin.flush()
        done = child.stdout.readline()
        assert done.startswith("done"), f"{kind}: {done!r}"
        _instrument(child.pid, "off")
        child.stdin.write("end\n")
        child.stdin.close()
        child.wait(timeout=600)
        totals = re.search(r"^totals: (\d+)", out.read_text(), re.M)
        return int(totals.group(1)) / requests / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument(
        "--service-root",
        type=Path,
        default=ROOT,
        help="a checkout whose service/ is measured (default: this one)",
    )
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.requests)
        return
    print(f"Instructions per request, in process, {args.requests} requests after a warm-up "
          f"(callgrind), service from {args.service_root}:")  # fmt: skip
    for kind in args.kinds.split(","):
        print(f"  {kind:<9} {measure(kind, args.requests, args.service_root):6.2f} M", flush=True)


if __name__ == "__main__":
    main()
