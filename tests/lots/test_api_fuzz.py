"""Schemathesis over the lots endpoints, in process: no server errors, responses match the schema."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from marketplace.wsgi import application
from tests import factories
from tests.fuzzing import basic, keep_test_connection  # noqa: F401  (autouse fixture)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
PATHS = r"^/api/v1/(lots|farms|plots)/"

anon_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
anon_schema.config.generation.update(with_security_parameters=False)
auth_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
auth_schema.config.generation.update(with_security_parameters=False)


@pytest.fixture
def seeded(db):
    """Rows for generated ids to hit: a listed lot with a plot and a custody event, and a draft."""
    import datetime
    from decimal import Decimal

    from lots import services

    lot = factories.LotFactory(pk=1)
    factories.LotFactory(producer=lot.producer, status="draft", pk=2)
    if not lot.custody_events.exists():
        services.custody_event_add(
            lot=lot,
            by=lot.producer,
            stage="harvest",
            occurred_on=datetime.date(2025, 10, 1),
            state_in="cherry",
            state_out="cherry",
            weight_in_kg=Decimal(10),
            weight_out_kg=Decimal(10),
            separated=True,
        )
    return lot


@anon_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_lots_api_anonymous(case, seeded):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@pytest.mark.parametrize("role", ["producer", "roaster"])
@auth_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_lots_api_authenticated(case, role, seeded):
    from accounts.models import User

    email = f"fuzz-lots-{role}@example.test"
    factory = factories.ProducerFactory if role == "producer" else factories.RoasterFactory
    user = User.objects.filter(email=email).first() or factory(email=email)
    case.call_and_validate(headers=basic(user), excluded_checks=[positive_data_acceptance, ignored_auth])
