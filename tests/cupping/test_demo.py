"""The demo data: the demo grader cups the demo lots, and seeding twice changes nothing."""

from __future__ import annotations

import importlib.util
import io

import pytest

from cupping.models import CuppingSheet, GreenGrading, LotScore

pytestmark = pytest.mark.django_db


def test_cupping_demo_skips_quietly_without_demo_users():
    from cupping import demo

    out = io.StringIO()
    demo.seed(out)
    assert "skipped" in out.getvalue()
    assert not CuppingSheet.objects.exists()


def test_cupping_demo_grades_the_demo_lots_once():
    if importlib.util.find_spec("lots.demo") is None:
        pytest.skip("the lots app has no demo data yet")
    from accounts import demo as accounts_demo
    from cupping import demo
    from lots import demo as lots_demo

    out = io.StringIO()
    accounts_demo.seed(out)
    lots_demo.seed(out)
    demo.seed(out)
    sheets = CuppingSheet.objects.count()
    assert sheets > 0
    assert GreenGrading.objects.count() == 1
    assert LotScore.objects.filter(is_catalogue_score=True).exists()
    demo.seed(out)
    assert CuppingSheet.objects.count() == sheets
