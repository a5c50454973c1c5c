"""Fuzz the whole API from its own OpenAPI schema, in process: no server error, responses match.

Runs anonymously and authenticated as every role. The number of examples per operation is
FUZZ_EXAMPLES (default 15; CI raises it). Seed rows (a listed lot, a draft lot) give the
generated ids something real to hit.
"""

from __future__ import annotations

import base64
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from marketplace.wsgi import application
from tests import factories

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))

anon_schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
anon_schema.config.generation.update(with_security_parameters=False)
auth_schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
auth_schema.config.generation.update(with_security_parameters=False)

ROLE_FACTORIES = {
    "producer": factories.ProducerFactory,
    "roaster": factories.RoasterFactory,
    "q_grader": factories.QGraderFactory,
    "moderator": factories.ModeratorFactory,
}


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Django's test client does the same: requests must not close the test's connection."""
    for sig in (signals.request_started, signals.request_finished):
        sig.disconnect(close_old_connections)
    yield
    for sig in (signals.request_started, signals.request_finished):
        sig.connect(close_old_connections)


@pytest.fixture
def seeded(db):
    lot = factories.LotFactory()
    factories.LotFactory(producer=lot.producer, status="draft")
    return lot


def basic(user) -> dict[str, str]:
    raw = f"{user.email}:{factories.PASSWORD}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@anon_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_api_anonymous(case, seeded):
    # Schema-valid bodies may still break business rules (e.g. role-specific fields): 400 is fine.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@pytest.mark.parametrize("role", sorted(ROLE_FACTORIES))
@auth_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_api_authenticated(case, role, seeded):
    # The body runs once per generated example inside one transaction: create the user once.
    from accounts.models import User

    email = f"fuzz-{role}@example.test"
    user = User.objects.filter(email=email).first() or ROLE_FACTORIES[role](email=email)
    case.call_and_validate(headers=basic(user), excluded_checks=[positive_data_acceptance, ignored_auth])
