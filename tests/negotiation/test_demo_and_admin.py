"""Demo data loads through the services and is idempotent; admin pages render; dashboard panel."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from marketplace.negotiation import demo, services
from marketplace.negotiation.models import Negotiation, Order, SampleRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users() -> None:
    from accounts import demo as accounts_demo

    accounts_demo.seed(io.StringIO())


def test_demo_seed_is_idempotent(demo_users: None) -> None:
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    assert Negotiation.objects.count() == 2
    assert Negotiation.objects.filter(status="countered", turn="buyer").count() == 1
    assert Order.objects.count() == 1
    sample = SampleRequest.objects.get()
    assert sample.status == "arrived" and sample.feedback_due_at and sample.fee > 0


def test_admin_pages_render(admin_client: Client, open_negotiation: Negotiation, producer: Any) -> None:
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    for url in (
        "/admin/negotiation/negotiation/",
        f"/admin/negotiation/negotiation/{open_negotiation.pk}/change/",
        "/admin/negotiation/order/",
        f"/admin/negotiation/order/{order.pk}/change/",
        "/admin/negotiation/samplerequest/",
        "/admin/negotiation/qualityclaim/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_admin_marks_an_order_paid_through_the_service(
    admin_client: Client, admin_user: Any, open_negotiation: Negotiation, producer: Any
) -> None:
    from accounts.models import Role

    admin_user.role = Role.MODERATOR
    admin_user.save()
    order = services.negotiation_accept(negotiation=open_negotiation, by=producer)
    admin_client.post("/admin/negotiation/order/", {"action": "mark_paid", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == "paid" and order.events.filter(action="paid").exists()


def test_dashboard_panel_counts_what_waits_for_the_user(producer_client: Client, open_negotiation: Negotiation) -> None:
    html = producer_client.get("/accounts/dashboard/").content.decode()
    assert 'id="trade-panel"' in html
    assert "1 of 1 open negotiations wait for your answer." in html
