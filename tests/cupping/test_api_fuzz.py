"""Schemathesis over the cupping endpoints, in process: no server errors, responses match the schema."""

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
PATHS = r"^/api/v1/(cupping-sheets|green-gradings|cupping-requests|cupping-imports|lot-scores)/"

anon_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
anon_schema.config.generation.update(with_security_parameters=False)
auth_schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex=PATHS)
auth_schema.config.generation.update(with_security_parameters=False)


@pytest.fixture
def seeded(db):
    """A listed lot 1 with a sheet 1, a grading 1 and a request 1, so generated ids hit rows."""
    import datetime

    from cupping import services
    from tests.cupping.conftest import sca_values

    lot = factories.LotFactory.create(pk=1) if not _exists(1) else _lot(1)
    grader = _user("fuzz-seed-grader@example.test", factories.QGraderFactory)
    if not lot.cupping_sheets.exists():
        sheet = services.sheet_submit(
            grader=grader,
            lot=lot,
            protocol="sca2004",
            cupped_on=datetime.date(2026, 11, 1),
            independent=True,
            values=sca_values(),
        )
        services.grading_submit(
            grader=grader,
            lot=lot,
            graded_on=datetime.date(2026, 11, 1),
            data={"quakers": 0, "moisture_pct": "11", "water_activity": "0.5"},
        )
        services.request_create(lot=lot, by=lot.producer)
        assert sheet.pk
    return lot


def _exists(pk: int) -> bool:
    from lots.models import Lot

    return Lot.objects.filter(pk=pk).exists()


def _lot(pk: int):
    from lots.models import Lot

    return Lot.objects.get(pk=pk)


def _user(email: str, factory):
    from accounts.models import User

    return User.objects.filter(email=email).first() or factory(email=email)


@anon_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_cupping_api_anonymous(case, seeded):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


ROLE_FACTORIES = {
    "q_grader": factories.QGraderFactory,
    "producer": factories.ProducerFactory,
    "roaster": factories.RoasterFactory,
    "moderator": factories.ModeratorFactory,
}


@pytest.mark.parametrize("role", list(ROLE_FACTORIES))
@auth_schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_cupping_api_authenticated(case, role, seeded):
    user = _user(f"fuzz-cupping-{role}@example.test", ROLE_FACTORIES[role])
    case.call_and_validate(headers=basic(user), excluded_checks=[positive_data_acceptance, ignored_auth])
