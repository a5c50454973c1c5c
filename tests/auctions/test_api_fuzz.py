"""Schemathesis over the auctions endpoints, in process: no server errors, responses match the schema."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from marketplace.wsgi import application
from tests import factories
from tests.fuzzing import basic, keep_test_connection  # noqa: F401  (autouse fixture)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
PATHS = r"^/api/v1/auctions/"

anon_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
anon_schema.config.generation.update(with_security_parameters=False)
auth_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
auth_schema.config.generation.update(with_security_parameters=False)


@pytest.fixture
def seeded(db):
    """An open one-lot auction with id 1 (a bid on it), so generated ids hit a real row."""
    from marketplace.auctions import services

    producer = factories.ProducerFactory()
    lot = factories.LotFactory(producer=producer, weight_kg=Decimal("30"))
    now = timezone.now()
    auction = services.auction_create(
        by=producer,
        title="Fuzz",
        lots=[services.LotOffer(lot=lot, opening_price_per_kg="10")],
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=1),
        increment_per_kg="1",
    )
    services.bid_place(item=auction.items.get().pk, bidder=factories.RoasterFactory(), amount_per_kg="10")
    return auction


@anon_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_auctions_api_anonymous(case, seeded):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@pytest.mark.parametrize("role", ["producer", "roaster"])
@auth_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_auctions_api_authenticated(case, role, seeded):
    from accounts.models import User

    email = f"fuzz-auctions-{role}@example.test"
    factory = factories.ProducerFactory if role == "producer" else factories.RoasterFactory
    user = User.objects.filter(email=email).first() or factory(email=email)
    case.call_and_validate(headers=basic(user), excluded_checks=[positive_data_acceptance, ignored_auth])
