"""Browser journey: a producer asks for cupping, a Q-grader enters an SCA sheet and uploads a CVA
session CSV (previewed, then confirmed), and the lot page shows each official score with its scale
and the radar charts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cupping.models import CuppingRequest, CuppingSheet
from tests import factories
from tests.e2e.conftest import open_menu

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CVA_COLUMNS = (
    "lot,grader,protocol,cupped_on,independent,"
    "fragrance,aroma,flavor,aftertaste,acidity,sweetness,mouthfeel,overall,non_uniform_cups,defective_cups,notes"
)


@pytest.fixture
def eager_tasks():
    """Run the import task in the live server's thread right after commit (no broker in this test)."""
    from marketplace.celery import app

    old = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


def test_cupping_from_request_to_radar_chart(live_server, page, browser_login, producer, q_grader, eager_tasks):
    lot = factories.LotFactory(producer=producer, name="Gesha Lomas", code="GL-7")
    panel = [factories.QGraderFactory(email=f"panel{i}@example.test") for i in range(2)]
    lot_url = f"{live_server.url}{reverse('lots:detail', args=[lot.pk])}"

    # The producer asks the Q-grader, from the lot page.
    browser_login(page, producer)
    page.goto(lot_url)
    page.click("#cupping >> text=Request cupping")
    page.select_option("select[name=grader]", str(q_grader.pk))
    page.click("form.request-form button[type=submit]")
    page.wait_for_selector("td.request-status")
    req = CuppingRequest.objects.get()
    assert (req.lot_id, req.grader_id, req.status) == (lot.pk, q_grader.pk, "open")
    page.context.clear_cookies()

    # The Q-grader finds it in the queue, accepts and enters an SCA 2004 sheet.
    browser_login(page, q_grader)
    open_menu(page)
    page.click("nav >> text=Cupping queue")
    page.click(f"#queue-{req.pk} button[type=submit]")
    page.click(f"#queue-{req.pk} >> text=Enter sheet")
    form = page.locator("form.sheet-form")
    assert form.get_attribute("data-protocol") == "sca2004"
    for name in ("fragrance_aroma", "flavor", "aftertaste", "acidity", "body", "balance"):
        page.fill(f"input[name={name}]", "8.25")
    page.fill("input[name=overall]", "8.5")
    page.fill("textarea[name=notes]", "<b>jasmine</b>")
    page.check("input[name=independent]")
    page.click("form.sheet-form button[type=submit]")
    page.wait_for_selector("#final-score")
    assert page.inner_text("#final-score") == "SCA 88.00"
    assert page.inner_text("#sheet-notes") == "<b>jasmine</b>"  # shown as text, not markup
    req.refresh_from_db()
    assert req.status == "completed"

    # …then uploads a CVA session CSV of their own sheets; the page previews it, they confirm,
    # and the progress bar reports the outcome.
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    rows = [f"{lot.pk},,cva,{day},yes,8,8,8,8,8,7,7,8,0,0,stone fruit"]
    page.goto(f"{live_server.url}{reverse('cupping:import')}")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "session.csv", "mimeType": "text/csv", "buffer": "\n".join([CVA_COLUMNS, *rows]).encode()}],
    )
    page.click("form.import-form button[type=submit]")
    page.wait_for_selector(".job[data-status=previewed]", timeout=15000)
    preview = page.locator(f"#preview-lot-{lot.pk}")
    assert "CVA 93.50" in preview.inner_text()
    assert "SCA 88.00" in preview.inner_text()  # the official score before and after
    assert not CuppingSheet.objects.filter(protocol="cva").exists()  # nothing before confirming
    page.click("form.import-confirm button[type=submit]")
    page.wait_for_selector(".job[data-status=succeeded]", timeout=15000)
    assert "1 sheet imported" in page.inner_text("#import-job")
    assert CuppingSheet.objects.filter(protocol="cva", grader=q_grader).count() == 1

    # A panel member enters their own CVA sheet (the import never takes another grader's).
    from cupping.services import sheet_submit

    names = ("fragrance", "aroma", "flavor", "aftertaste", "acidity", "sweetness", "mouthfeel", "overall")
    sheet_submit(
        grader=panel[0],
        lot=lot,
        protocol="cva",
        cupped_on=timezone.localdate() - datetime.timedelta(days=1),
        independent=True,
        values=dict(zip(names, (7, 8, 8, 7, 8, 8, 7, 8), strict=True)) | {"non_uniform_cups": 0, "defective_cups": 0},
    )
    page.context.clear_cookies()

    # Anyone reading the lot page sees the official scores, each with its scale, and the radar charts.
    page.goto(lot_url)
    section = page.locator("#cupping")
    cva_block = section.locator(".official-score[data-protocol=cva]")
    sca_block = section.locator(".official-score[data-protocol=sca2004]")
    assert cva_block.locator("strong").inner_text() == "CVA 93.13"  # (93.50 + 92.75) / 2, half up
    assert "2 independent graders" in cva_block.inner_text()
    assert sca_block.locator("strong").inner_text() == "SCA 88.00"
    assert "Official score" in sca_block.inner_text()  # SCA 2004 is the primary score
    assert cva_block.locator("svg polygon.radar-shape").count() == 1
    assert sca_block.locator("svg text").count() == 10  # one label per SCA attribute
    box = cva_block.locator("svg").bounding_box()
    assert box is not None and box["width"] <= 390  # fits the phone-sized window
    assert "SCA 88.00" in page.inner_text("#official-score") and "CVA 93.13" in page.inner_text("#official-score")
    lot.refresh_from_db()
    assert (str(lot.official_score), lot.official_score_protocol) == ("88.00", "sca2004")
