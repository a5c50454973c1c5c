"""HTML injection in every free-text field renders inert.

Each field gets its own tagged payload (script, img onerror, attribute break-out into an svg
onload, a template expression), written through the apps' services where a user would write it.
Every page that shows the text is parsed with the stdlib HTML parser: no script without our nonce,
no on* attribute, no javascript: link; the tagged text must be there, as text. The API returns the
same text raw (JSON is data, never HTML-escaped). One Chromium check proves no dialog fires.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.security import hostile_files as h

pytestmark = pytest.mark.django_db


def payload(tag: str) -> str:
    return (
        f'<script>alert("{tag}")</script><img src=x onerror=alert("{tag}")>"><svg onload=alert("{tag}")>{{{{ 7*7 }}}}'
    )


def escaped(tag: str) -> str:
    return f"&lt;script&gt;alert(&quot;{tag}&quot;)&lt;/script&gt;"


JS_LINK = "javascript:alert(1)"
URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data", "hx-get", "hx-post")


class LiveMarkup(HTMLParser):
    """Collects what would execute in a browser: scripts, inline handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self.nonces: set[str] = set()
        self.values: list[str] = []  # attribute values, entity-decoded
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not values.get("nonce"):
                self.problems.append(f"script without nonce: {attrs}")
            else:
                self.nonces.add(values["nonce"] or "")
            src = values.get("src") or ""
            if src and not (src.startswith("/static/") or src.startswith("https://js.stripe.com/")):
                self.problems.append(f"script from elsewhere: {src}")
        for name, value in attrs:
            self.values.append(value or "")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            link = (value or "").strip().lower().replace("\t", "")
            if name in URL_ATTRS and link.startswith(("javascript:", "data:text/html")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag} {attrs}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert" in data:
            self.problems.append(f"script body: {data[:80]!r}")
        self.text.append(data)


def inert(html: str) -> LiveMarkup:
    parser = LiveMarkup()
    parser.feed(html)
    parser.close()
    assert not parser.problems, parser.problems
    assert len(parser.nonces) <= 1, parser.nonces  # one nonce per response: ours
    return parser


def _sca_values() -> dict[str, Any]:
    from cupping import scoring

    values: dict[str, Any] = dict.fromkeys(scoring.SCA_QUALITY, Decimal("7.75"))
    values.update(uniform_cups=5, clean_cups=5, sweet_cups=5, taint_cups=0, fault_cups=0)
    return values


@pytest.fixture
def world(producer: Any, roaster: Any, q_grader: Any, moderator: Any) -> dict[str, Any]:
    """Every free-text field filled with its own tagged payload, through the services."""
    from accounts.models import ProducerProfile, RoasterProfile
    from accounts.services import profile_upsert
    from core.services import notify
    from cupping import services as cupping
    from lots import services as lots
    from marketplace.auctions import clock
    from marketplace.auctions import services as auctions
    from marketplace.moderation import services as moderation
    from marketplace.negotiation import services as trade
    from marketplace.pricing.models import SpecialtyBaseline

    producer.display_name = payload("producer-name")[:150]
    producer.save(update_fields=["display_name"])
    roaster.display_name = payload("roaster-name")[:150]
    roaster.save(update_fields=["display_name"])
    profile_upsert(
        user=producer,
        data={"organisation": payload("org"), "country": "CO", "is_group": True, "members": [payload("member")]},
    )
    assert ProducerProfile.objects.get(user=producer).organisation == payload("org")
    profile_upsert(user=roaster, data={"company": payload("company"), "country": "DE"})
    assert RoasterProfile.objects.get(user=roaster).company == payload("company")

    farm = lots.farm_create(
        producer=producer, data={"name": payload("farm"), "country": "CO", "region": payload("region")}
    )
    plot = factories.PlotFactory(farm=farm, name=payload("plot"))
    lot = factories.LotFactory(
        producer=producer,
        farm=farm,
        plots=[plot],
        code="INJ-1",
        name=payload("lot-name"),
        story=payload("story") + "\n" + JS_LINK,
        incoterm_place=JS_LINK,
    )
    lots.photos_add(
        lot=lot,
        by=producer,
        uploads=[lots.PhotoUpload(data=h.png_bytes(), kind="plot", caption=payload("caption"), name="p.png")],
    )
    lots.custody_event_add(
        lot=lot,
        by=producer,
        stage="harvest",
        occurred_on=datetime.date(2025, 10, 5),
        state_in="cherry",
        state_out="cherry",
        weight_in_kg=Decimal("400"),
        weight_out_kg=Decimal("390"),
        separated=True,
        place=payload("custody-place"),
        notes=payload("custody-notes"),
        documents=[lots.DocumentUpload(name=payload("doc-name")[:150] + ".png", data=h.png_bytes())],
    )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    sheet = cupping.sheet_submit(
        grader=q_grader,
        lot=lot,
        protocol="sca2004",
        cupped_on=yesterday,
        independent=True,
        values=_sca_values(),
        notes=payload("sheet-notes"),
        descriptor_notes=payload("descriptors"),
    )
    grading = cupping.grading_submit(
        grader=q_grader,
        lot=lot,
        graded_on=yesterday,
        data={"sample_grams": 350, "moisture_pct": "10.8", "water_activity": "0.55", "quakers": 0},
        notes=payload("grading-notes"),
    )
    cupping_request = cupping.request_create(lot=lot, by=producer, note=payload("cupping-request"))

    negotiation = trade.negotiation_open(
        lot=lot,
        by=roaster,
        quantity_kg=Decimal("50"),
        price=Decimal("28.00"),
        currency="USD",
        price_unit="kg",
        incoterm="FOB",
        incoterm_place=JS_LINK,
        shipment_window=payload("window")[:200],
        condition=payload("condition"),
        expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    sample = trade.sample_request(lot=lot, by=roaster, kind="pre_shipment", grams=300, message=payload("sample-msg"))
    trade.sample_accept(sample=sample, by=producer)
    trade.sample_ship(sample=sample, by=producer, courier=payload("s-courier")[:100], tracking=JS_LINK)
    trade.sample_confirm_arrival(sample=sample, by=roaster)
    trade.sample_feedback(sample=sample, by=roaster, score=Decimal("86"), notes=payload("feedback"))

    order = trade.order_create(
        lot=lot,
        buyer=roaster,
        seller=producer,
        quantity_kg=Decimal("60"),
        price_per_kg=Decimal("30.00"),
        currency="USD",
        incoterm="FOB",
        incoterm_place=JS_LINK,
        shipment_window=payload("o-window")[:200],
        conditions=payload("conditions"),
        source="negotiation",
        source_id=9101,
        by=producer,
    )
    trade.order_mark_paid(order=order, by=None, reference="test")
    trade.order_ship(order=order, by=producer, courier=payload("courier")[:100], tracking=JS_LINK)
    trade.order_confirm_delivery(order=order, by=roaster)
    quality_claim = trade.claim_open(order=order, by=roaster, description=payload("q-claim"))
    trade.claim_resolve(claim=quality_claim, by=moderator, outcome="allowance", reason=payload("resolution"))

    claim = moderation.claim_submit(
        lot=lot, by=producer, kind="micro", isolation="geographic", statement=payload("statement")
    )
    moderation.claim_decide(claim=claim, by=moderator, decision="request_evidence", reason=payload("decision"))
    moderation.claim_reply(claim=claim, by=producer, note=payload("reply"))

    nano = factories.LotFactory(
        producer=producer, farm=farm, plots=[plot], code="INJ-NANO", weight_kg=Decimal("30"), name=payload("nano")
    )
    now = clock.now()
    auction = auctions.auction_create(
        by=producer,
        title=payload("auction-title")[:200],
        description=payload("auction-description"),
        lots=[auctions.LotOffer(lot=nano, opening_price_per_kg="100")],
        starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=2),
        increment_per_kg="1",
    )
    baseline = SpecialtyBaseline.objects.create(
        edition="inj",
        harvest_year=2025,
        origin="",
        score_band="all",
        size_band="all",
        median=Decimal("4.00"),
        source=payload("pricing-source"),
        notes=payload("pricing-notes"),
    )
    # A lot left listed (the main one is reserved by its order) for the catalogue.
    listed = factories.LotFactory(
        producer=producer, farm=farm, plots=[plot], code="INJ-CAT", name=payload("catalogue-lot")
    )
    # Reasons given when saying no: a rejected offer, a declined sample, a cancelled contract.
    rejected = trade.negotiation_open(
        lot=listed,
        by=roaster,
        quantity_kg=Decimal("20"),
        price=Decimal("25.00"),
        currency="USD",
        price_unit="kg",
        incoterm="FOB",
        expires_at=timezone.now() + datetime.timedelta(days=3),
    )
    trade.negotiation_reject(negotiation=rejected, by=producer, note=payload("reject-note"))
    declined = trade.sample_request(lot=listed, by=roaster, kind="pre_shipment", grams=200)
    trade.sample_decline(sample=declined, by=producer, reason=payload("decline-reason"))
    cancelled = trade.order_create(
        lot=listed,
        buyer=roaster,
        seller=producer,
        quantity_kg=Decimal("10"),
        price_per_kg=Decimal("30.00"),
        currency="USD",
        incoterm="FOB",
        source="negotiation",
        source_id=9102,
        by=producer,
    )
    trade.order_cancel(order=cancelled, by=roaster, reason=payload("cancel-reason")[:500])
    notify(recipient=producer, kind="test", message=payload("notification"), dedupe_key="inj-1")
    return {
        "lot": lot,
        "farm": farm,
        "plot": plot,
        "sheet": sheet,
        "grading": grading,
        "cupping_request": cupping_request,
        "negotiation": negotiation,
        "sample": sample,
        "order": order,
        "claim": claim,
        "auction": auction,
        "baseline": baseline,
        "rejected": rejected,
        "declined": declined,
        "cancelled": cancelled,
    }


def _client(user: Any | None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _pages(w: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(who, url, tags that page must show as text)."""
    lot = w["lot"].pk
    return [
        ("anon", reverse("lots:catalogue"), ["catalogue-lot"]),
        ("anon", reverse("lots:detail", args=[lot]), ["lot-name", "story", "farm", "caption"]),
        ("producer", reverse("lots:detail", args=[lot]), ["lot-name", "story", "custody-place", "custody-notes"]),
        ("producer", reverse("lots:mine"), ["lot-name"]),
        ("producer", reverse("lots:custody_add", args=[lot]), []),
        ("producer", reverse("lots:photos", args=[lot]), ["caption"]),
        ("producer", reverse("lots:farm_edit", args=[w["farm"].pk]), []),
        ("producer", reverse("accounts:dashboard"), []),
        ("producer", reverse("accounts:profile"), []),
        ("producer", "/notifications/", ["notification"]),
        ("producer", reverse("negotiation:trade"), []),
        ("producer", reverse("negotiation:negotiation_detail", args=[w["negotiation"].pk]), ["condition"]),
        ("roaster", reverse("negotiation:negotiation_detail", args=[w["negotiation"].pk]), ["condition"]),
        ("roaster", reverse("negotiation:sample_detail", args=[w["sample"].pk]), ["sample-msg", "feedback"]),
        ("producer", reverse("negotiation:sample_detail", args=[w["sample"].pk]), ["sample-msg", "feedback"]),
        ("roaster", reverse("negotiation:order_detail", args=[w["order"].pk]), ["conditions", "q-claim", "resolution"]),
        ("producer", reverse("negotiation:order_detail", args=[w["order"].pk]), ["conditions", "q-claim"]),
        ("moderator", reverse("negotiation:claims"), []),
        ("roaster", reverse("negotiation:negotiation_detail", args=[w["rejected"].pk]), ["reject-note"]),
        ("roaster", reverse("negotiation:sample_detail", args=[w["declined"].pk]), ["decline-reason"]),
        ("producer", reverse("negotiation:order_detail", args=[w["cancelled"].pk]), []),
        ("roaster", reverse("accounts:dashboard"), []),
        ("producer", reverse("moderation:my_claims"), []),
        ("producer", reverse("moderation:claim", args=[w["claim"].pk]), ["statement", "decision", "reply"]),
        ("moderator", reverse("moderation:claim", args=[w["claim"].pk]), ["statement", "decision", "reply"]),
        ("moderator", reverse("moderation:queue"), []),
        ("moderator", reverse("accounts:dashboard"), []),
        ("moderator", reverse("lots:detail", args=[lot]), ["story", "custody-notes"]),
        ("moderator", reverse("pricing:baselines"), ["pricing-source"]),
        (
            "moderator",
            reverse("pricing:edit", args=["baseline", w["baseline"].pk]),
            ["pricing-source", "pricing-notes"],
        ),
        ("anon", reverse("auctions:list"), ["auction-title"]),
        ("anon", reverse("auctions:detail", args=[w["auction"].pk]), ["auction-title", "auction-description"]),
        ("roaster", reverse("auctions:detail", args=[w["auction"].pk]), ["auction-title", "auction-description"]),
        ("q_grader", reverse("cupping:sheet", args=[w["sheet"].pk]), ["sheet-notes", "descriptors"]),
        ("producer", reverse("cupping:sheet", args=[w["sheet"].pk]), ["sheet-notes", "descriptors"]),
        ("q_grader", reverse("cupping:grading", args=[w["grading"].pk]), ["grading-notes"]),
        ("q_grader", reverse("cupping:queue"), []),
        ("q_grader", reverse("accounts:dashboard"), []),
        ("producer", reverse("cupping:requests"), []),
    ]


def test_every_page_showing_user_text_renders_it_inert(
    world: dict[str, Any], producer: Any, roaster: Any, q_grader: Any, moderator: Any
) -> None:
    who = {"anon": None, "producer": producer, "roaster": roaster, "q_grader": q_grader, "moderator": moderator}
    clients = {k: _client(v) for k, v in who.items()}
    seen: set[str] = set()
    missing: list[tuple[str, str, str]] = []
    for role, url, tags in _pages(world):
        response = clients[role].get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        html = response.content.decode()
        parsed = inert(html)
        text = "".join(parsed.text) + "\n".join(parsed.values)
        for tag in tags:
            # Escaped in the markup, so the browser shows the payload as plain text (or a form value).
            if escaped(tag) not in html or f'<script>alert("{tag}")</script>' not in text:
                missing.append((role, url, tag))
        seen.update(t for t in _all_tags() if escaped(t) in html)
    assert not missing, "; ".join(map(repr, missing))
    # Every field's payload was shown somewhere (and so checked) by at least one page.
    unseen = set(_all_tags()) - seen
    assert not unseen, sorted(unseen)


def _all_tags() -> list[str]:
    return [
        "producer-name",
        "roaster-name",
        "org",
        "member",
        "company",
        "farm",
        "plot",
        "lot-name",
        "story",
        "caption",
        "custody-place",
        "custody-notes",
        "doc-name",
        "sheet-notes",
        "descriptors",
        "grading-notes",
        "cupping-request",
        "window",
        "condition",
        "sample-msg",
        "s-courier",
        "feedback",
        "o-window",
        "conditions",
        "courier",
        "q-claim",
        "resolution",
        "statement",
        "decision",
        "reply",
        "nano",
        "catalogue-lot",
        "reject-note",
        "decline-reason",
        "cancel-reason",
        "auction-title",
        "auction-description",
        "pricing-source",
        "pricing-notes",
        "notification",
    ]


def test_htmx_partials_render_user_text_inert(world: dict[str, Any], producer: Any) -> None:
    """The catalogue's htmx partial and the lot page share templates; the partial must escape too."""
    response = _client(None).get(reverse("lots:catalogue"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    inert(html)
    assert escaped("catalogue-lot") in html


def test_api_returns_the_raw_text(world: dict[str, Any], producer: Any, api: Any) -> None:
    lot = world["lot"]
    client = api(producer)
    data = client.get(f"/api/v1/lots/{lot.pk}/").json()
    assert data["name"] == payload("lot-name")
    assert data["story"] == payload("story") + "\n" + JS_LINK
    assert "&lt;" not in str(data)
    events = client.get(f"/api/v1/lots/{lot.pk}/custody-events/").json()
    items = events["results"] if isinstance(events, dict) and "results" in events else events
    assert items[0]["notes"] == payload("custody-notes")
    assert items[0]["place"] == payload("custody-place")
    farm = client.get(f"/api/v1/farms/{world['farm'].pk}/").json()
    assert farm["name"] == payload("farm")
    response = client.get(f"/api/v1/lots/{lot.pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_chromium_fires_no_dialog_on_an_injected_lot_page(live_server: Any, page: Any, producer: Any) -> None:
    lot = factories.LotFactory(producer=producer, name=payload("lot-name"), story=payload("story"))
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.goto(f"{live_server.url}/lots/{lot.pk}/")
    page.wait_for_load_state("networkidle")
    # The payload is on the page as text, and the DOM grew no element from it.
    assert page.get_by_text('<script>alert("story")</script>', exact=False).count() >= 1
    assert page.locator("svg[onload], img[onerror]").count() == 0
    # A script injected into the DOM by hand is refused by the CSP (no unsafe-inline).
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'alert(2)';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(300)
    assert dialogs == []
    assert any("Content Security Policy" in c for c in console), console


def test_import_errors_that_echo_csv_cells_render_inert(q_grader: Any, moderator: Any) -> None:
    """Both CSV imports report problems row by row; a hostile cell must come back as text."""
    import csv
    import io

    from cupping import imports as cupping

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=cupping.IMPORT_COLUMNS)
    writer.writeheader()
    writer.writerow(dict.fromkeys(cupping.IMPORT_COLUMNS, payload("csv-cell")))
    job = cupping.cupping_import_start(by=q_grader, data=out.getvalue().encode())
    assert cupping.cupping_import_run(job_id=job.pk) == "invalid"
    response = _client(q_grader).get(f"/jobs/{job.pk}/")
    assert response.status_code == 200
    inert(response.content.decode())

    from marketplace.pricing.services import CSV_COLUMNS

    columns = CSV_COLUMNS["rate"][0]
    row = {"currency": payload("rate-cell")[:3], "usd_per_unit": payload("n"), "valid_on": payload("d"), "source": "x"}
    body = ",".join(columns) + "\n" + ",".join('"' + row.get(c, "").replace('"', '""') + '"' for c in columns)
    page = _client(moderator).post(
        reverse("pricing:import", args=["rate"]),
        {"file": SimpleUploadedFile("r.csv", body.encode())},
    )
    assert page.status_code == 400
    inert(page.content.decode())


def test_form_errors_redisplay_hostile_input_inert(producer: Any) -> None:
    """A refused form shows what was typed back to the user: escaped, in the field's value."""
    lot = factories.LotFactory(producer=producer)
    response = _client(producer).post(
        reverse("lots:custody_add", args=[lot.pk]),
        {"stage": "harvest", "occurred_on": "not a date", "place": payload("form-place"), "notes": payload("form")},
    )
    assert response.status_code == 400
    html = response.content.decode()
    inert(html)
    assert escaped("form") in html and escaped("form-place") in html
