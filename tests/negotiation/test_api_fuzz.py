"""Schemathesis over /api/v1/samples/, /negotiations/ and /orders/, in process: no server errors,
every response matches the schema, anonymous callers are refused."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from marketplace.wsgi import application
from tests import factories
from tests.fuzzing import basic, keep_test_connection  # noqa: F401  (autouse fixture)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
PATHS = r"^/api/v1/(samples|negotiations|orders|sample-price)/"

anon_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
anon_schema.config.generation.update(with_security_parameters=False)
auth_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
auth_schema.config.generation.update(with_security_parameters=False)


def cast() -> dict[str, Any]:
    """A producer and a roaster with a lot, a sample, a negotiation and an order between them."""
    from accounts.models import User
    from marketplace.negotiation import services
    from tests.negotiation.conftest import terms

    producer = User.objects.filter(email="fuzz-trade-producer@example.test").first()
    if producer is None:
        producer = factories.ProducerFactory(email="fuzz-trade-producer@example.test")
        roaster = factories.RoasterFactory(email="fuzz-trade-roaster@example.test")
        lot = factories.LotFactory(producer=producer)
        services.sample_request(lot=lot, by=roaster, kind="offer", grams=250)
        services.negotiation_open(lot=lot, by=roaster, **terms(quantity_kg=50))
        other = factories.LotFactory(producer=producer)
        deal = services.negotiation_open(lot=other, by=roaster, **terms(quantity_kg=50))
        services.negotiation_accept(negotiation=deal, by=producer)
    roaster = User.objects.get(email="fuzz-trade-roaster@example.test")
    return {"producer": producer, "roaster": roaster}


@anon_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_trade_api_anonymous(case: Any) -> None:
    cast()
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    assert response.status_code in (400, 401, 403, 404, 405)


@pytest.mark.parametrize("role", ["producer", "roaster"])
@auth_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_trade_api_authenticated(case: Any, role: str) -> None:
    user = cast()[role]
    case.call_and_validate(headers=basic(user), excluded_checks=[positive_data_acceptance, ignored_auth])
