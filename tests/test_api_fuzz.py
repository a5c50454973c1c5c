"""Fuzz the whole API from its own OpenAPI schema, in process: no server error, responses match.

Runs anonymously and authenticated as every role. The number of examples per operation is
FUZZ_EXAMPLES (default 15; CI raises it). Seed rows (a listed lot, a draft lot) give the
generated ids something real to hit.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from marketplace.wsgi import application
from tests import factories
from tests.fuzzing import basic, keep_test_connection  # noqa: F401  (autouse fixture)

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


@pytest.fixture
def seeded(db):
    lot = factories.LotFactory()
    factories.LotFactory(producer=lot.producer, status="draft")
    return lot


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
