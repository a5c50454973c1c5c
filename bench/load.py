"""`make load`: a bounded load test of the marketplace against gunicorn, PostgreSQL and Redis.

1. Seeds its own PostgreSQL database (``LOAD_DATABASE_URL``, default .../load): demo data, extra
   listed lots, an open auction, roaster tokens.
2. Starts gunicorn on a free loopback port (``DEBUG=false``, Redis cache and broker).
3. Runs locust twice for ``LOAD_SECONDS`` each (default 30) with ``LOAD_USERS`` users (default 20):
   the floor (a minimal Django view) and the marketplace mix (catalogue, lot pages, API reads,
   offers, bids).
4. Prints and writes ``bench/results/load.json``: throughput, median and p99 latency and errors,
   each mix figure also as a ratio to the floor. Exits non-zero if any request errored.
Everything stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results"
SECONDS = int(os.environ.get("LOAD_SECONDS", "30"))
USERS = int(os.environ.get("LOAD_USERS", "20"))
DB_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/load")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env() -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "load-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "THROTTLE_AUTH": "100000/minute",
        "THROTTLE_BIDS": "1000000/minute",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "LOG_LEVEL": "WARNING",
    }


def seed() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from bench.common import _ensure_database

    _ensure_database(DB_URL)
    os.environ.update(
        {k: v for k, v in server_env().items() if k in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    )
    os.environ["DEBUG"] = "true"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import ApiToken, Role, User
    from accounts.services_tokens import api_token_create
    from lots.models import Lot, LotStatus
    from marketplace.auctions import services as auctions
    from tests import factories

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    producer = User.objects.get(email="producer@demo.coffee")
    from lots.models import Farm

    farm, _ = Farm.objects.get_or_create(producer=producer, name="Load test farm", defaults={"country": "CO"})
    run = secrets.token_hex(3)

    def lot(**kw: Any) -> Lot:
        n = Lot.objects.count()
        return factories.LotFactory(
            producer=producer, farm=farm, plots=[], code=f"LOAD-{run}-{n}", name=f"Load lot {n}", **kw
        )

    have = Lot.objects.filter(status=LotStatus.LISTED).count()
    for _ in range(max(0, 300 - have)):
        lot(weight_kg=Decimal("900.00"))
    roasters = list(User.objects.filter(role=Role.ROASTER)[:1])
    while len(roasters) < 10:
        roasters.append(factories.RoasterFactory(email=f"load-roaster-{secrets.token_hex(4)}@load.test"))
    # Tokens are stored hashed, so each run issues fresh ones (and drops the last run's: reruns
    # must not reach the per-user token limit).
    ApiToken.objects.filter(user__in=roasters, name="load test").delete()
    tokens = [api_token_create(user=u, name="load test")[1] for u in roasters]
    now = timezone.now()
    nano = lot(weight_kg=Decimal("20.00"))
    auction = auctions.auction_create(
        by=producer,
        title=f"Load auction {now:%H%M%S}",
        lots=[auctions.LotOffer(lot=nano, opening_price_per_kg=Decimal("100"))],
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=2),
        increment_per_kg=Decimal("1"),
    )
    public = list(Lot.objects.filter(status=LotStatus.LISTED).values_list("id", flat=True)[:300])
    big = list(Lot.objects.filter(status=LotStatus.LISTED, weight_kg__gte=500).values_list("id", flat=True)[:100])
    return {"roaster_tokens": tokens, "lot_ids": public, "offer_lot_ids": big, "auction_id": auction.pk}


def run_locust(mode: str, host: str, fixture: Path) -> dict[str, Any]:
    prefix = OUT / f"load-{mode}"
    refusals = OUT / f"load-{mode}-refused.json"
    env = {**os.environ, "LOAD_MODE": mode, "LOAD_FIXTURE": str(fixture), "LOAD_REFUSALS": str(refusals)}
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(USERS),
            "-r",
            str(USERS),
            "-t",
            f"{SECONDS}s",
            "--host",
            host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "5",
        ],
        env=env,
        check=False,
        timeout=SECONDS + 120,
        cwd=ROOT,
    )
    rows = list(csv.DictReader((prefix.with_name(prefix.name + "_stats.csv")).open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    per = {r["Name"]: r for r in rows if r["Name"] != "Aggregated"}
    refused = json.loads(refusals.read_text())["count"] if refusals.exists() else 0
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "refused_business_rule": refused,
        "rps": float(total["Requests/s"]),
        "median_ms": float(total["Median Response Time"]),
        "p99_ms": float(total["99%"]),
        "per_endpoint": {
            name: {
                "requests": int(r["Request Count"]),
                "errors": int(r["Failure Count"]),
                "median_ms": float(r["Median Response Time"]),
                "p99_ms": float(r["99%"]),
            }
            for name, r in per.items()
        },
    }


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    print("seeding…", flush=True)
    fixture_data = seed()
    fixture = OUT / "load-fixture.json"
    fixture.write_text(json.dumps(fixture_data))
    # Production static storage (hashed names from a manifest), as gunicorn will serve it.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=server_env(), check=True
    )
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    workers = os.environ.get("LOAD_GUNICORN_WORKERS", "4")
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "marketplace.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--access-logfile",
            "-" if os.environ.get("LOAD_ACCESS_LOG") else "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(),
        start_new_session=True,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{host}/healthz/", timeout=2)
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not come up") from None
                time.sleep(0.5)
        print(f"floor: {USERS} users for {SECONDS}s…", flush=True)
        floor = run_locust("floor", host, fixture)
        print(f"mix: {USERS} users for {SECONDS}s…", flush=True)
        mix = run_locust("mix", host, fixture)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    ratios = {
        "throughput": mix["rps"] / floor["rps"] if floor["rps"] else None,
        "median": mix["median_ms"] / floor["median_ms"] if floor["median_ms"] else None,
        "p99": mix["p99_ms"] / floor["p99_ms"] if floor["p99_ms"] else None,
    }
    report = {
        "users": USERS,
        "seconds": SECONDS,
        "gunicorn_workers": int(workers),
        "floor": floor,
        "mix": mix,
        "ratio_to_floor": ratios,
    }
    (OUT / "load.json").write_text(json.dumps(report, indent=2))
    print(f"\n{'':8} {'req/s':>8} {'median ms':>10} {'p99 ms':>8} {'requests':>9} {'errors':>7} {'refused':>8}")
    for name, r in (("floor", floor), ("mix", mix)):
        print(
            f"{name:8} {r['rps']:8.1f} {r['median_ms']:10.0f} {r['p99_ms']:8.0f} {r['requests']:9d} "
            f"{r['errors']:7d} {r['refused_business_rule']:8d}"
        )
    print(f"ratio    {ratios['throughput'] or 0:8.2f} {ratios['median'] or 0:10.2f} {ratios['p99'] or 0:8.2f}")
    print("\nper endpoint (mix):")
    for name, r in sorted(mix["per_endpoint"].items()):
        latency = f"median {r['median_ms']:6.0f} ms  p99 {r['p99_ms']:6.0f} ms"
        print(f"  {name:16} {r['requests']:7d} req  {latency}  errors {r['errors']}")
    print(f"\nwritten: {OUT / 'load.json'}")
    return 1 if floor["errors"] or mix["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
