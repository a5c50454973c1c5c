"""schemathesis over the payments endpoints, with real rows: generated ids are swapped for a
seeded payment's id half of the time, so the actions run against data and not only 404s."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from marketplace.payments import services
from marketplace.payments.models import Payment, SubjectKind
from marketplace.wsgi import application
from tests import factories
from tests.fuzzing import basic, keep_test_connection  # noqa: F401  (autouse fixture)
from tests.payments.conftest import make_order

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(path_regex="^/api/v1/payments")
schema.config.generation.update(with_security_parameters=False)

ROLES = {
    "roaster": factories.RoasterFactory,
    "producer": factories.ProducerFactory,
    "moderator": factories.ModeratorFactory,
    "q_grader": factories.QGraderFactory,
}


def _seed(role: str) -> tuple[Any, Payment]:
    email = f"fuzz-pay-{role}@example.test"
    from accounts.models import User

    user = User.objects.filter(email=email).first() or ROLES[role](email=email)
    payment = Payment.objects.filter(description__startswith="fuzz").first()
    if payment is None:
        roaster = user if role == "roaster" else factories.RoasterFactory()
        lot = factories.LotFactory()
        order = make_order(lot, roaster, source_id=9000)
        payment = services.payment_open(by=roaster, subject_kind=SubjectKind.ORDER, subject_id=order.pk)
        Payment.objects.filter(pk=payment.pk).update(description="fuzz payment")
        services.payment_mark_received(payment=payment, by=factories.ModeratorFactory(), amount=Decimal("3000.00"))
    return user, payment


@pytest.mark.parametrize("role", sorted(ROLES))
@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_payments_api_fuzzed_in_every_role(case: Any, role: str) -> None:
    user, payment = _seed(role)
    if case.path_parameters and "id" in case.path_parameters and hash(str(case.path_parameters["id"])) % 2 == 0:
        case.path_parameters["id"] = str(payment.public_id)
    case.call_and_validate(headers=basic(user), excluded_checks=[positive_data_acceptance, ignored_auth])
    payment.refresh_from_db()
    assert payment.amount_refunded <= payment.amount_paid


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
@pytest.mark.django_db
def test_payments_api_fuzzed_anonymously(case: Any) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
