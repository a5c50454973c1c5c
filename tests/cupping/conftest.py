"""Shared pieces for the cupping tests: a listed lot of the producer and valid sheet values."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from cupping import scoring
from tests import factories


def sca_values(score: str = "7.50", **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(scoring.SCA_QUALITY, Decimal(score))
    values.update(uniform_cups=5, clean_cups=5, sweet_cups=5, taint_cups=0, fault_cups=0)
    values.update(over)
    return values


def cva_values(h: int = 7, **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(scoring.CVA_AFFECTIVE, h)
    values.update(non_uniform_cups=0, defective_cups=0)
    values.update(over)
    return values


def coe_values(score: str = "6.50", **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(scoring.COE_ATTRIBUTES, Decimal(score))
    values.update(defect_cups=0, defect_intensity=None)
    values.update(over)
    return values


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def lot(producer: Any) -> Any:
    return factories.LotFactory(producer=producer, name="Gesha Lomas", code="GL-1")


@pytest.fixture
def second_grader(db: Any) -> Any:
    return factories.QGraderFactory(email="grader2@example.test", display_name="Gus Grader")


@pytest.fixture
def third_grader(db: Any) -> Any:
    return factories.QGraderFactory(email="grader3@example.test", display_name="Tess Grader")


@pytest.fixture
def unverified_grader(db: Any) -> Any:
    return factories.QGraderFactory(email="new-grader@example.test", profile__licence_verified_at=None)


@pytest.fixture
def submit() -> Any:
    """``submit(grader, lot, protocol="sca2004", **values)`` through the real service."""
    from cupping.services import sheet_submit

    def _submit(
        grader: Any,
        lot: Any,
        protocol: str = scoring.SCA2004,
        *,
        independent: bool = True,
        cupped_on: datetime.date | None = None,
        **values: Any,
    ) -> Any:
        base = {scoring.SCA2004: sca_values, scoring.CVA: cva_values, scoring.COE: coe_values}[protocol]()
        return sheet_submit(
            grader=grader,
            lot=lot,
            protocol=protocol,
            cupped_on=cupped_on or yesterday(),
            independent=independent,
            values=base | values,
        )

    return _submit
