"""Load mix for `make load`: catalogue browsing, lot pages, API reads, offers and bids.

LOAD_MODE=floor hits only a minimal Django view (the floor); LOAD_MODE=mix runs the marketplace
mix. Offers and bids are real writes; a business refusal (400/409: outbid, lot no longer
available) is a correct answer and counted apart, not as an error. Only 5xx, connection errors
and unexpected codes are errors.
"""

from __future__ import annotations

import json
import os
import random
from decimal import Decimal
from pathlib import Path

from locust import HttpUser, between, events, task

MODE = os.environ.get("LOAD_MODE", "mix")
FIXTURE = json.loads(Path(os.environ["LOAD_FIXTURE"]).read_text())
REFUSED = {"count": 0}


@events.test_stop.add_listener
def _write_refusals(environment, **kwargs):  # type: ignore[no-untyped-def]
    out = os.environ.get("LOAD_REFUSALS")
    if out:
        Path(out).write_text(json.dumps(REFUSED))


class FloorUser(HttpUser):
    """The floor: a minimal Django view (one SELECT 1) through the same stack."""

    wait_time = between(0, 0.01)
    weight = 1 if MODE == "floor" else 0

    @task
    def floor(self) -> None:
        self.client.get("/healthz/", name="floor /healthz/")


class MarketUser(HttpUser):
    wait_time = between(0, 0.05)
    weight = 1 if MODE == "mix" else 0

    def on_start(self) -> None:
        self.token = random.choice(FIXTURE["roaster_tokens"])
        self.headers = {"Authorization": f"Token {self.token}"}

    @task(6)
    def catalogue(self) -> None:
        query = random.choice(
            ["", "?process=washed", "?classification=micro", "?sort=price", "?q=gesha", "?page=2", "?country=CO"]
        )
        self.client.get(f"/lots/{query}", name="catalogue")

    @task(5)
    def lot_page(self) -> None:
        self.client.get(f"/lots/{random.choice(FIXTURE['lot_ids'])}/", name="lot page")

    @task(4)
    def api_lots(self) -> None:
        self.client.get("/api/v1/lots/?page_size=25", name="api lots list", headers=self.headers)

    @task(2)
    def api_lot(self) -> None:
        self.client.get(f"/api/v1/lots/{random.choice(FIXTURE['lot_ids'])}/", name="api lot", headers=self.headers)

    @task(1)
    def offer(self) -> None:
        body = {
            "lot": random.choice(FIXTURE["offer_lot_ids"]),
            "quantity_kg": "1.00",
            "price": f"{random.randint(20, 40)}.00",
            "currency": "USD",
            "price_unit": "kg",
            "incoterm": "FOB",
        }
        with self.client.post(
            "/api/v1/negotiations/", json=body, headers=self.headers, name="offer", catch_response=True
        ) as response:
            self._judge(response, ok=(201,))

    @task(2)
    def bid(self) -> None:
        auction_id = FIXTURE["auction_id"]
        with self.client.get(
            f"/api/v1/auctions/{auction_id}/", headers=self.headers, name="auction", catch_response=True
        ) as current:
            if current.status_code != 200:
                current.failure(f"auction read {current.status_code}")
                return
            data = current.json()
        item = data["lots"][0]
        minimum = Decimal(str(item["minimum_bid_per_kg"]))
        step = Decimal(str(data.get("increment_per_kg") or "1"))
        # Some bids at the minimum, some with a proxy maximum above it: both paths under load.
        body = {"lot": item["id"], "amount_per_kg": str(minimum)}
        if random.random() < 0.3:
            body["max_amount_per_kg"] = str(minimum + step * random.randint(2, 6))
        with self.client.post(
            f"/api/v1/auctions/{auction_id}/bids/", json=body, headers=self.headers, name="bid", catch_response=True
        ) as response:
            self._judge(response, ok=(201,))

    def _judge(self, response, ok: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
        if response.status_code in ok:
            response.success()
        elif response.status_code in (400, 409):
            REFUSED["count"] += 1
            response.success()
        else:
            response.failure(f"unexpected {response.status_code}")
