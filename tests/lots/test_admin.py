import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["farm", "plot", "variety", "lot", "custodyevent"])
def test_admin_lists_and_shows_lots_models(admin_client, draft, model):
    import datetime
    from decimal import Decimal

    from lots import services

    event = services.custody_event_add(
        lot=draft,
        by=draft.producer,
        stage="harvest",
        occurred_on=datetime.date(2025, 10, 1),
        state_in="cherry",
        state_out="cherry",
        weight_in_kg=Decimal(5),
        weight_out_kg=Decimal(5),
        separated=True,
    )
    assert admin_client.get(reverse(f"admin:lots_{model}_changelist")).status_code == 200
    obj = {
        "farm": draft.farm,
        "plot": draft.plots.first(),
        "variety": draft.variety,
        "lot": draft,
        "custodyevent": event,
    }[model]
    assert admin_client.get(reverse(f"admin:lots_{model}_change", args=[obj.pk])).status_code == 200


def test_custody_events_cannot_be_deleted_in_the_admin(admin_client, draft):
    import datetime
    from decimal import Decimal

    from lots import services
    from lots.models import CustodyEvent

    event = services.custody_event_add(
        lot=draft,
        by=draft.producer,
        stage="harvest",
        occurred_on=datetime.date(2025, 10, 1),
        state_in="cherry",
        state_out="cherry",
        weight_in_kg=Decimal(5),
        weight_out_kg=Decimal(5),
        separated=True,
    )
    response = admin_client.post(reverse("admin:lots_custodyevent_delete", args=[event.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert CustodyEvent.objects.filter(pk=event.pk).exists()
