"""Schemathesis on the moderation endpoints only: no server error and responses match the schema,
anonymously and as a producer owning a claimed lot and as a moderator."""

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
PATHS = r"^/api/v1/(lots/\{lot_id\}/(claim|verification)/|claims/)"

anon_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
anon_schema.config.generation.update(with_security_parameters=False)
auth_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
auth_schema.config.generation.update(with_security_parameters=False)


@pytest.fixture
def seeded(db):
    """A claimed lot (ids 1.. exist) so generated ids sometimes hit real rows."""
    from marketplace.moderation.models import MicroLotClaim

    if not MicroLotClaim.objects.exists():
        lot = factories.LotFactory(producer=factories.ProducerFactory(email="fuzz-producer@example.test"))
        MicroLotClaim.objects.create(
            lot=lot,
            producer=lot.producer,
            kind="micro",
            isolation="geographic",
            statement="x" * 30,
            waiting_since=lot.created_at,
        )


def test_the_fuzzed_operations_are_the_moderation_ones():
    labels = {op.ok().label for op in auth_schema.get_all_operations()}
    assert labels == {
        "GET /api/v1/lots/{lot_id}/claim/",
        "POST /api/v1/lots/{lot_id}/claim/",
        "GET /api/v1/lots/{lot_id}/verification/",
        "GET /api/v1/claims/",
        "POST /api/v1/claims/{id}/decision/",
        "POST /api/v1/claims/{id}/reply/",
    }


@anon_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_moderation_api_anonymous(case, seeded):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@pytest.mark.parametrize("role", ["producer", "moderator"])
@auth_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_moderation_api_authenticated(case, role, seeded):
    from accounts.models import User

    email = "fuzz-producer@example.test" if role == "producer" else "fuzz-moderator@example.test"
    user = User.objects.filter(email=email).first() or factories.ModeratorFactory(email=email)
    case.call_and_validate(headers=basic(user), excluded_checks=[positive_data_acceptance, ignored_auth])
