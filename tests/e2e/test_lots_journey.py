"""A producer lists a lot with its evidence in Chromium; a roaster finds it in the catalogue."""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from lots.models import CustodyEvent, Lot, LotPhoto
from tests.e2e.conftest import confirm_signup_in_the_browser, open_menu
from tests.lots.conftest import gps_exif, jpeg_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_producer_lists_a_lot_with_evidence_and_a_roaster_finds_it(
    live_server, page, roaster, browser_login, tmp_path, mailoutbox
):
    from lots.models import Variety, VarietyAlias
    from lots.varieties import seed

    # Transactional tests that ran before this one flushed the varieties the migration seeded.
    seed(Variety, VarietyAlias)
    url = live_server.url
    # 1. The producer signs up.
    page.goto(f"{url}/accounts/signup/")
    page.check("input[name=role][value=producer]")
    page.fill("input[name=email]", "grower@browser.test")
    page.fill("input[name=password]", "a-long-coffee-pass")
    page.fill("input[name=password_again]", "a-long-coffee-pass")
    page.fill("[name=organisation]", "Finca Navegador")
    page.fill("[name=country]", "CO")
    page.click("form.signup button[type=submit]")
    page.wait_for_url(f"{url}/accounts/signup/sent/")
    confirm_signup_in_the_browser(page, live_server, mailoutbox, "a-long-coffee-pass")
    assert page.locator("#lots-panel").is_visible()

    # 2. Registers a farm and a plot (a point is enough for 2.5 ha).
    open_menu(page)
    page.click("nav a:has-text('My lots')")
    page.click("#add-farm")
    page.fill("[name=name]", "Finca Navegador")
    page.fill("[name=country]", "CO")
    page.fill("[name=region]", "Nariño")
    page.fill("[name=altitude_masl]", "2050")
    page.click("form.farm-form button[type=submit]")
    page.wait_for_url(f"{url}/lots/mine/")
    page.click("a.add-plot")
    page.fill("[name=name]", "La Ventana")
    page.fill("[name=area_ha]", "2.5")
    page.fill("[name=latitude]", "1.234567")
    page.fill("[name=longitude]", "-77.281234")
    page.fill("[name=varieties]", "Geisha")
    page.click("form.plot-form button[type=submit]")
    page.wait_for_url(f"{url}/lots/mine/")
    assert page.locator("#my-farms").get_by_text("La Ventana").is_visible()

    # 3. Creates a lot.
    page.click("#new-lot")
    page.fill("[name=name]", "Ventana Gesha natural")
    page.fill("[name=code]", "NAV-01")
    page.select_option("[name=farm]", label="Finca Navegador")
    page.check("input[name=plots]")
    page.fill("[name=variety]", "Geisha")
    page.select_option("[name=process]", "natural")
    page.check("input[name=additives][value=none]")
    page.fill("[name=harvest_year]", "2025")
    page.fill("[name=weight_kg]", "240")
    page.fill("[name=price]", "19.5")
    page.select_option("[name=price_unit]", "lb")
    page.click("form.lot-form button[type=submit]")
    page.wait_for_url(re.compile(r"/lots/\d+/$"))
    lot = Lot.objects.get(code="NAV-01")
    assert lot.variety.name == "Gesha" and lot.status == "draft"

    # 4. Two photos from the "phone" (one with GPS in its EXIF).
    first, second = tmp_path / "plot.jpg", tmp_path / "drying.jpg"
    first.write_bytes(jpeg_bytes((64, 48), exif=gps_exif(lat=1.234567, lon=-77.281234)))
    second.write_bytes(jpeg_bytes((48, 64), colour="orange"))
    page.click("#manage-photos")
    page.set_input_files("input[name=photos]", [str(first), str(second)])
    page.select_option("[name=kind]", "plot")
    page.click("form.photo-form button[type=submit]")
    page.wait_for_selector(".gallery figure >> nth=1")
    assert LotPhoto.objects.filter(lot=lot).count() == 2
    # No worker runs in browser tests: the page shows the sanitized image until derivatives exist.
    sources = page.eval_on_selector_all(".gallery img", "imgs => imgs.map(i => i.getAttribute('src'))")
    for src in sources:
        served = page.request.get(f"{url}{src}")
        assert served.status == 200 and served.headers["content-type"] == "image/jpeg"

    # 5. Three custody events.
    page.goto(f"{url}/lots/{lot.pk}/custody/new/")
    steps = [
        ("harvest", "cherry", "cherry", "1400", "1400"),
        ("drying", "cherry", "dried_cherry", "1400", "480"),
        ("milling", "dried_cherry", "green", "480", "240"),
    ]
    for i, (stage, s_in, s_out, w_in, w_out) in enumerate(steps):
        page.select_option("[name=stage]", stage)
        page.fill("[name=occurred_on]", f"2025-10-{10 + i * 7:02d}")
        page.select_option("[name=state_in]", s_in)
        page.select_option("[name=state_out]", s_out)
        page.fill("[name=weight_in_kg]", w_in)
        page.fill("[name=weight_out_kg]", w_out)
        page.check("[name=separated]")
        button = "button[name=another]" if i < 2 else "button[name=save]"
        page.click(f"form.custody-form {button}")
        page.wait_for_load_state()
    assert CustodyEvent.objects.filter(lot=lot).count() == 3
    assert page.locator("#chain-status").inner_text() == "Integrity verified"

    # 6. Lists it.
    page.click("#list-lot")
    page.wait_for_selector("#lot-status:has-text('Listed')")
    lot.refresh_from_db()
    assert lot.status == "listed"
    open_menu(page)
    page.click("nav button:has-text('Log out')")

    # 7. A roaster finds it by filter and opens the lot page.
    browser_login(page, roaster)
    open_menu(page)
    page.click("nav a:has-text('Catalogue')")
    page.click(".filter-box summary")
    page.select_option("[name=process]", "natural")
    page.select_option("[name=variety]", label="Gesha")
    page.fill("[name=country]", "CO")
    page.click("#apply-filters")
    page.wait_for_selector(f"#lot-{lot.pk}")
    assert page.locator(".lot-card").count() == 1
    page.click(f"#lot-{lot.pk} h2 a")
    page.wait_for_url(f"{url}/lots/{lot.pk}/")
    assert page.locator("h1").inner_text() == "Ventana Gesha natural"
    assert page.locator("#gallery figure").count() == 2
    assert page.locator("#custody .timeline li").count() == 3
    assert page.locator("#chain-status").inner_text() == "Integrity verified"
    assert page.locator("#lot-origin").get_by_text("La Ventana").is_visible()
    # The roaster sees no private evidence.
    assert page.locator(".private-exif").count() == 0
    assert User.objects.filter(email="grower@browser.test", role="producer").exists()
