"""Issue 14, "One number, one scale": catalogue score filters, sorts and displays per scale.

DOMAIN.md §1: store the form type with every score and never rank a CVA score against a 2004
score as if they were the same number (an all-5 CVA sheet is 79.00, DOMAIN.md §3).
"""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from lots.models import Lot
from tests.factories import LotFactory
from tests.lots.conftest import give_scores

pytestmark = pytest.mark.django_db


def api_names(api_client, **params):
    response = api_client.get("/api/v1/lots/", params)
    assert response.status_code == 200, response.json()
    return [lot["name"] for lot in response.json()["results"]]


def page_names(client, **params):
    response = client.get(reverse("lots:catalogue"), params)
    assert response.status_code == 200
    return [lot.name for lot in response.context["lots"]]


@pytest.fixture
def anon(api):
    return api(None)


@pytest.fixture
def cva_lot(producer):
    return give_scores(LotFactory(producer=producer, name="CVA only"), cva="84.50")


@pytest.fixture
def both_lot(producer):
    return give_scores(LotFactory(producer=producer, name="Both scales"), sca2004="86", cva="88")


# --- filters name their scale ---------------------------------------------------------------------


def test_a_cva_score_does_not_match_an_sca_score_filter(anon, client, cva_lot):
    """DOMAIN.md §1: never rank a CVA score against a 2004 score; score_min alone means SCA 2004."""
    assert api_names(anon, score_min="84") == []
    assert page_names(client, score_min="84") == []
    assert api_names(anon, score_scale="sca2004", score_min="84") == []


def test_a_cva_score_matches_a_cva_score_filter(anon, client, cva_lot):
    """DOMAIN.md §1: a CVA score is filtered on the CVA scale when the filter names it."""
    assert api_names(anon, score_scale="cva", score_min="84") == ["CVA only"]
    assert page_names(client, score_scale="cva", score_min="84") == ["CVA only"]
    assert api_names(anon, score_scale="cva", score_min="84.75") == []
    assert api_names(anon, score_scale="coe", score_min="84") == []


def test_a_lot_with_both_scales_matches_each_filter_on_its_own_number(anon, client, both_lot):
    """DOMAIN.md §1: a lot scored SCA 86 and CVA 88 is 86 on the SCA scale and 88 on the CVA scale."""
    assert api_names(anon, score_min="86", score_max="86") == ["Both scales"]
    assert api_names(anon, score_scale="cva", score_min="88", score_max="88") == ["Both scales"]
    assert page_names(client, score_scale="cva", score_min="88") == ["Both scales"]
    # Neither filter may use the other scale's number.
    assert api_names(anon, score_min="87") == []
    assert api_names(anon, score_scale="cva", score_max="87") == []
    assert page_names(client, score_scale="sca2004", score_min="87") == []


def test_an_earlier_harvests_score_never_counts(anon, client, producer):
    """DOMAIN.md §1 and issue 14: only the lot's current harvest counts for its score."""
    lot = give_scores(LotFactory(producer=producer, name="Last year's star", harvest_year=2024), sca2004="92", cva="91")
    # The producer moved the lot to its 2025 harvest; its rescore (a task after commit) has not run
    # yet, so the 2024 rows and the cached 2024 score are still there.
    Lot.objects.filter(pk=lot.pk).update(harvest_year=2025)
    give_scores(LotFactory(producer=producer, name="This year"), sca2004="84", cva="70")
    assert api_names(anon, score_min="90") == []
    assert api_names(anon, score_scale="cva", score_min="90") == []
    assert page_names(client, score_min="80") == ["This year"]
    # Sorted, the stale scores count for nothing: the lot ranks with the unscored ones.
    assert api_names(anon, sort="score_desc") == ["This year", "Last year's star"]
    assert api_names(anon, sort="score_desc", score_scale="cva") == ["This year", "Last year's star"]


def test_an_unknown_score_scale_is_a_clear_400(anon):
    response = anon.get("/api/v1/lots/", {"score_scale": "scaa", "score_min": "84"})
    assert response.status_code == 400
    assert "score_scale" in response.json()["extra"]["fields"]
    assert "sca2004, cva, coe" in str(response.json()["extra"]["fields"]["score_scale"])
    twice = anon.get("/api/v1/lots/?score_scale=cva&score_scale=sca2004")
    assert twice.status_code == 400 and "score_scale" in twice.json()["extra"]["fields"]


def test_an_unknown_score_scale_on_the_page_shows_an_error_not_a_crash(client, cva_lot):
    response = client.get(reverse("lots:catalogue"), {"score_scale": "scaa"})
    assert response.status_code == 200
    assert "score_scale" in response.context["form"].errors


def test_the_api_schema_documents_the_score_scale_and_its_enum(anon):
    schema = anon.get("/api/schema/", {"format": "json"}).json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/lots/"]["get"]["parameters"]}
    assert sorted(params["score_scale"]["schema"]["enum"]) == ["coe", "cva", "sca2004"]
    assert "SCA 2004" in params["score_min"]["description"]
    assert "score_scale" in params["score_min"]["description"]


def test_the_filter_labels_name_the_scale(client):
    """DOMAIN.md §1: the filter names its scale."""
    body = client.get(reverse("lots:catalogue")).content.decode()
    assert "SCA 2004 score from" in body and "SCA 2004 score to" in body
    cva = client.get(reverse("lots:catalogue"), {"score_scale": "cva"}).content.decode()
    assert "CVA score from" in cva and "SCA 2004 score from" not in cva


# --- sorting never interleaves scales -------------------------------------------------------------


@pytest.fixture
def four_lots(producer):
    """SCA 87, CVA 90, SCA 85, CVA 80, plus a CoE-only lot and an unscored one."""
    give_scores(LotFactory(producer=producer, name="SCA 87"), sca2004="87")
    give_scores(LotFactory(producer=producer, name="CVA 90"), cva="90")
    give_scores(LotFactory(producer=producer, name="SCA 85"), sca2004="85")
    give_scores(LotFactory(producer=producer, name="CVA 80"), cva="80")
    give_scores(LotFactory(producer=producer, name="CoE 95"), coe="95")
    LotFactory(producer=producer, name="Unscored")


def test_score_sort_groups_by_scale_and_never_puts_a_cva_score_among_sca_scores(anon, client, four_lots):
    """DOMAIN.md §1: never rank a CVA score against a 2004 score, so CVA 90 is not first."""
    expected = ["SCA 87", "SCA 85", "CVA 90", "CVA 80", "CoE 95", "Unscored"]
    assert api_names(anon, sort="score_desc") == expected
    assert page_names(client, sort="score_desc") == expected


def test_score_sort_on_a_named_scale_orders_by_that_scale_with_the_rest_last(anon, client, four_lots):
    """DOMAIN.md §1: sorting on the CVA scale ranks CVA scores only; lots without one come last."""
    ranked = api_names(anon, sort="score_desc", score_scale="cva")
    assert ranked[:2] == ["CVA 90", "CVA 80"]
    assert set(ranked[2:]) == {"SCA 87", "SCA 85", "CoE 95", "Unscored"}
    assert page_names(client, sort="score_desc", score_scale="sca2004")[:2] == ["SCA 87", "SCA 85"]


def test_a_lot_with_both_scales_sorts_by_the_named_scales_score(anon, producer, both_lot):
    """DOMAIN.md §1: on the CVA scale, the SCA 86 / CVA 88 lot ranks by 88, above a CVA 87 lot."""
    give_scores(LotFactory(producer=producer, name="SCA 87"), sca2004="87")
    give_scores(LotFactory(producer=producer, name="CVA 87"), cva="87")
    assert api_names(anon, sort="score_desc") == ["SCA 87", "Both scales", "CVA 87"]
    assert api_names(anon, sort="score_desc", score_scale="cva") == ["Both scales", "CVA 87", "SCA 87"]


# --- every displayed score carries its scale ------------------------------------------------------


def test_the_catalogue_cards_show_each_score_with_its_scale(client, producer, cva_lot):
    give_scores(LotFactory(producer=producer, name="SCA lot"), sca2004="87.25")
    body = client.get(reverse("lots:catalogue")).content.decode()
    assert "SCA 87.25" in body and "CVA 84.50" in body
    assert "Score 87.25" not in body and ">87.25<" not in body


def test_a_card_filtered_on_another_scale_shows_that_scales_score_too(client, both_lot):
    body = client.get(reverse("lots:catalogue"), {"score_scale": "cva", "score_min": "88"}).content.decode()
    assert "SCA 86.00" in body and "CVA 88.00" in body


def test_the_list_api_labels_each_score_with_its_scale(anon, cva_lot, both_lot):
    rows = {r["name"]: r for r in anon.get("/api/v1/lots/").json()["results"]}
    assert rows["CVA only"]["official_score_label"] == "CVA 84.50"
    assert rows["CVA only"]["official_score_protocol"] == "cva"
    assert rows["Both scales"]["official_score_label"] == "SCA 86.00"
    labels = {s["protocol"]: s for s in rows["Both scales"]["official_scores"]}
    assert set(labels) == {"sca2004", "cva"}


def test_the_offer_list_csv_gives_each_score_with_its_scale(client, producer, cva_lot):
    give_scores(LotFactory(producer=producer, name="SCA lot"), sca2004="87.25")
    response = client.get(reverse("lots:catalogue_csv"), {"sort": "score_desc"})
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["name"], r["official_score_label"], r["official_score_protocol"]) for r in rows] == [
        ("SCA lot", "SCA 87.25", "sca2004"),
        ("CVA only", "CVA 84.50", "cva"),
    ]
    assert Decimal(rows[1]["official_score"]) == Decimal("84.50")


def test_the_offer_list_csv_filters_on_the_named_scale(client, cva_lot, both_lot):
    response = client.get(reverse("lots:catalogue_csv"), {"score_scale": "cva", "score_min": "84"})
    body = b"".join(response.streaming_content).decode()
    assert {r["name"] for r in csv.DictReader(io.StringIO(body))} == {"CVA only", "Both scales"}


# --- fixed query counts ---------------------------------------------------------------------------


def _scored_lots(producer, n):
    for i in range(n):
        lot = LotFactory(producer=producer, name=f"Scored {i}")
        give_scores(lot, **({"sca2004": "86"} if i % 2 else {"cva": "84", "coe": "88"}))


@pytest.mark.parametrize("page_size", [5, 30])
@pytest.mark.parametrize(
    "params",
    [{"sort": "score_desc"}, {"sort": "score_desc", "score_scale": "cva", "score_min": "80"}],
    ids=["grouped", "cva"],
)
def test_score_sorts_and_filters_keep_the_query_count_fixed(
    api, roaster, roaster_client, producer, django_assert_num_queries, page_size, params
):
    from tests.lots.test_catalogue import CATALOGUE_QUERIES_SIGNED_IN

    _scored_lots(producer, 30)
    with django_assert_num_queries(CATALOGUE_QUERIES_SIGNED_IN):
        response = roaster_client.get(reverse("lots:catalogue"), {"page_size": page_size, **params})
    assert len(response.context["lots"]) == (page_size if "score_min" not in params else min(page_size, 15))
    client = api(roaster)
    # variety choices (filter parsing), count, rows, tags, plots, group members, official scores
    with django_assert_num_queries(7):
        listed = client.get("/api/v1/lots/", {"page_size": page_size, **params})
    assert listed.status_code == 200
