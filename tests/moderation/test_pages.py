"""The HTML pages: queue, claim evidence page, submit, decide, answer, lot section; who may see what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from lots.models import Lot
from marketplace.moderation import services
from marketplace.moderation.models import ClaimDecision, MicroLotClaim
from tests import factories
from tests.moderation.builders import genuine_lot

pytestmark = pytest.mark.django_db


def test_the_queue_lists_waiting_claims_riskiest_first_or_oldest_first(moderator_client, claim, producer, no_broker):
    risky_lot = factories.LotFactory(producer=producer, weight_kg=Decimal("1500"))
    risky = services.claim_submit(
        lot=risky_lot, by=producer, kind="micro", isolation="process", statement="A big lot, honestly separated."
    )
    services.claim_recompute(claim_id=risky.pk)
    body = moderator_client.get(reverse("moderation:queue")).content.decode()
    assert body.index(f"queue-claim-{risky.pk}") < body.index(f"queue-claim-{claim.pk}")
    body = moderator_client.get(reverse("moderation:queue") + "?sort=age").content.decode()
    assert body.index(f"queue-claim-{claim.pk}") < body.index(f"queue-claim-{risky.pk}")


@pytest.mark.parametrize("who", ["producer_client", "roaster_client", "q_grader_client", "outsider_client"])
def test_only_moderators_open_the_queue(who, request):
    assert request.getfixturevalue(who).get(reverse("moderation:queue")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(anon_client, claim):
    for url in (reverse("moderation:queue"), reverse("moderation:claim", args=[claim.pk])):
        response = anon_client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_claim_page_shows_hallmarks_and_the_evidence(moderator_client, claim):
    response = moderator_client.get(reverse("moderation:claim", args=[claim.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for key in ("provenance", "volume", "separation", "score", "premium", "documentation", "integrity", "disclosure"):
        assert f'id="hallmark-{key}" data-result="pass"' in body
    assert "The hash chain of 6 events verifies" in body
    assert "taken at the plot" in body and "in the harvest window" in body
    assert "signed original" in body and "specialty grade" in body
    assert 'name="decision"' in body


def test_producers_see_only_their_own_claims(second_producer_client, outsider_client, roaster_client, claim):
    for client in (second_producer_client, outsider_client, roaster_client):
        assert client.get(reverse("moderation:claim", args=[claim.pk])).status_code == 404


def test_the_producer_sees_the_decision_and_reason_and_can_answer(producer_client, claim, moderator):
    services.claim_decide(claim=claim, by=moderator, decision="request_evidence", reason="Please add the mill slip.")
    body = producer_client.get(reverse("moderation:claim", args=[claim.pk])).content.decode()
    assert "Please add the mill slip." in body and 'name="note"' in body and 'name="decision"' not in body
    response = producer_client.post(reverse("moderation:reply", args=[claim.pk]), {"note": "Mill slip is attached."})
    assert response.status_code == 302
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "pending"


def test_a_moderator_decides_in_the_browser_form(moderator_client, claim):
    url = reverse("moderation:decide", args=[claim.pk])
    response = moderator_client.post(
        url, {"decision": "approve", "reason": "All eight hallmarks pass.", "evidence_version": claim.evidence_version}
    )
    assert response.status_code == 302
    assert Lot.objects.get(pk=claim.lot_id).verified_badge == "micro"


def test_a_decision_without_reason_shows_the_error_and_writes_nothing(moderator_client, claim):
    response = moderator_client.post(
        reverse("moderation:decide", args=[claim.pk]), {"decision": "approve", "reason": ""}
    )
    assert response.status_code == 400
    assert 'id="field-reason"' in response.content.decode() and "has-error" in response.content.decode()
    assert not ClaimDecision.objects.exists()


def test_a_stale_form_is_refused_with_a_message(moderator_client, claim):
    from core.signals import send_evidence_changed

    send_evidence_changed(sender=Lot, lot_id=claim.lot_id, kind="photo", detail="photo added")
    response = moderator_client.post(
        reverse("moderation:decide", args=[claim.pk]),
        {"decision": "approve", "reason": "All eight hallmarks pass.", "evidence_version": claim.evidence_version},
    )
    assert response.status_code == 400 and "evidence changed" in response.content.decode()
    assert Lot.objects.get(pk=claim.lot_id).verified_badge == ""


def test_a_moderator_sees_no_decision_form_on_their_own_lot(moderator, q_grader, no_broker):
    from tests.conftest import _client_for

    lot = genuine_lot(moderator, q_grader)
    claim = services.claim_submit(lot=lot, by=moderator, kind="micro", isolation="varietal", statement="x" * 30)
    client = _client_for(moderator)
    body = client.get(reverse("moderation:claim", args=[claim.pk])).content.decode()
    assert 'name="decision"' not in body and "another moderator must decide" in body
    response = client.post(reverse("moderation:decide", args=[claim.pk]), {"decision": "approve", "reason": "Mine."})
    assert response.status_code == 403


def test_non_moderators_cannot_post_decisions(producer_client, outsider_client, claim):
    for client in (producer_client, outsider_client):
        response = client.post(
            reverse("moderation:decide", args=[claim.pk]), {"decision": "approve", "reason": "ok ok"}
        )
        assert response.status_code == 403
    assert MicroLotClaim.objects.get(pk=claim.pk).status == "pending"


def test_a_producer_submits_a_claim_through_the_form(producer_client, lot, no_broker):
    url = reverse("moderation:submit", args=[lot.pk])
    assert producer_client.get(url).status_code == 200
    response = producer_client.post(url, {"kind": "micro", "isolation": "geographic", "statement": "too short"})
    assert response.status_code == 400 and not MicroLotClaim.objects.exists()
    response = producer_client.post(
        url, {"kind": "micro", "isolation": "geographic", "statement": "Top terrace, picked twice, processed apart."}
    )
    claim = MicroLotClaim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("moderation:claim", args=[claim.pk])


def test_another_producer_cannot_claim_my_lot(second_producer_client, outsider_client, lot):
    for client in (second_producer_client,):
        assert client.get(reverse("moderation:submit", args=[lot.pk])).status_code == 404
    assert outsider_client.get(reverse("moderation:submit", args=[lot.pk])).status_code == 403


def test_my_claims_lists_only_mine(producer_client, second_producer_client, claim):
    assert f"claim-{claim.pk}" in producer_client.get(reverse("moderation:my_claims")).content.decode()
    assert f"claim-{claim.pk}" not in second_producer_client.get(reverse("moderation:my_claims")).content.decode()


def test_the_lot_section_shows_the_badge_and_the_owner_link(rf, claim, moderator, lot, roaster):
    from marketplace.moderation.selectors import lot_section_context

    request = rf.get("/")
    request.user = roaster
    assert lot_section_context(request, lot) is None  # nothing to show a buyer yet
    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    lot.refresh_from_db()
    ctx = lot_section_context(request, lot)
    assert ctx is not None and ctx["badge"] == "micro" and ctx["claim"] is None
    request.user = lot.producer
    ctx = lot_section_context(request, lot)
    assert ctx["claim"].pk == claim.pk and ctx["summary"] == {"pass": 8} and not ctx["can_submit"]


def test_a_disclosed_infused_lot_is_labelled_on_the_lot_page(client, producer, q_grader):
    lot = genuine_lot(producer, q_grader, additives="infused", additives_detail="passion fruit")
    body = client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert 'id="infused-label"' in body and "passion fruit" in body


def test_the_owner_sees_a_submit_link_on_the_lot_page(producer_client, lot):
    body = producer_client.get(reverse("lots:detail", args=[lot.pk])).content.decode()
    assert reverse("moderation:submit", args=[lot.pk]) in body


def test_nav_links_by_role(producer_client, moderator_client, roaster_client):
    assert reverse("moderation:my_claims") in producer_client.get("/").content.decode()
    assert reverse("moderation:queue") in moderator_client.get("/").content.decode()
    body = roaster_client.get("/").content.decode()
    assert reverse("moderation:queue") not in body and reverse("moderation:my_claims") not in body


def test_recompute_answers_htmx_with_the_hallmarks_panel_only(moderator_client, claim, lot):
    from lots.models import CustodyEvent

    CustodyEvent.objects.filter(lot=lot, seq=2).update(separated=False)  # tampering, seen on recompute
    url = reverse("moderation:recompute", args=[claim.pk])
    response = moderator_client.post(url, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<section class="card" id="hallmarks-panel">')
    assert 'id="hallmark-integrity" data-result="fail"' in body and "<html" not in body
    assert moderator_client.post(url).status_code == 302


def test_non_moderators_cannot_recompute(producer_client, outsider_client, claim):
    for client in (producer_client, outsider_client):
        assert client.post(reverse("moderation:recompute", args=[claim.pk])).status_code == 403


def test_the_queue_speaks_spanish(moderator_client, claim):
    moderator_client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    body = moderator_client.get(reverse("moderation:queue")).content.decode()
    assert "Solicitudes de microlote en espera" in body


def test_the_admin_lists_claims_read_only(claim):
    from django.test import Client

    admin = factories.ModeratorFactory(is_superuser=True)
    client = Client()
    client.force_login(admin, backend="accounts.backends.EmailBackend")
    assert client.get("/admin/moderation/microlotclaim/").status_code == 200
    assert client.get(f"/admin/moderation/microlotclaim/{claim.pk}/change/").status_code == 200
    assert client.get("/admin/moderation/microlotclaim/add/").status_code == 403


def test_a_real_photo_upload_reopens_an_approved_claim(claim, moderator, lot):
    import io

    from PIL import Image

    from lots.services import PhotoUpload, photos_add

    services.claim_decide(claim=claim, by=moderator, decision="approve", reason="Every hallmark passes.")
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "JPEG")
    photos_add(lot=lot, by=lot.producer, uploads=[PhotoUpload(data=buf.getvalue(), kind="plot")])
    claim.refresh_from_db()
    assert claim.status == "pending" and Lot.objects.get(pk=lot.pk).verified_badge == ""
    assert claim.evidence_changes.get().kind == "photo"


def test_the_queue_does_not_query_per_claim(moderator_client, producer, no_broker, django_assert_max_num_queries):
    for i in range(6):
        lot = factories.LotFactory(producer=producer)
        services.claim_submit(
            lot=lot, by=producer, kind="micro", isolation="process", statement=f"Kept apart at every stage, lot {i}."
        )
    moderator_client.get(reverse("moderation:queue"))  # warm caches (content types, session)
    with django_assert_max_num_queries(12):
        response = moderator_client.get(reverse("moderation:queue"))
    assert response.content.decode().count('id="queue-claim-') == 6


def test_dashboard_panels_for_moderators_and_producers(moderator_client, producer_client, roaster_client, claim):
    body = moderator_client.get(reverse("accounts:dashboard")).content.decode()
    assert 'id="moderation-panel"' in body and "1 claim waiting for a moderator" in body
    body = producer_client.get(reverse("accounts:dashboard")).content.decode()
    assert 'id="moderation-panel"' in body and reverse("moderation:claim", args=[claim.pk]) in body
    assert 'id="moderation-panel"' not in roaster_client.get(reverse("accounts:dashboard")).content.decode()


def test_htmx_decisions_swap_the_claim_in_place(moderator_client, claim):
    url = reverse("moderation:decide", args=[claim.pk])
    response = moderator_client.post(url, {"decision": "approve", "reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "has-error" in response.content.decode()  # htmx swaps 2xx only
    assert not ClaimDecision.objects.exists()
    response = moderator_client.post(
        url, {"decision": "approve", "reason": "All eight hallmarks pass."}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="claim-main"' in body and 'data-status="approved"' in body
    assert 'id="done"' in body
    assert Lot.objects.get(pk=claim.lot_id).verified_badge == "micro"
