"""Seed the reference tables with ONLY the figures in DOMAIN.md §6.1 and §6.2, each dated.

Baselines: Specialty Coffee Transaction Guide (Emory University, transactionguide.coffee), FOB USD/lb.
The 2018 pilot's "median ~$2.89–3.00" spans two harvest years without saying which is which, and the
2024 (v7) per-band medians are not transcribed yet, so neither is seeded.

Incoterm adjustments are OUR ASSUMPTIONS (rough freight, insurance and export-cost allowances), not
published figures; moderators replace them per origin.
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D

from django.db import migrations

TG = "Specialty Coffee Transaction Guide"
TG_URL = "https://www.transactionguide.coffee/home/en"

# DOMAIN.md §6.1: these two band figures coincide with the year's overall p75 and p25.
RECHECK = "; equals that year's overall p75/p25: re-check against the v3 PDF before treating it as a median"
# (edition, published_on, harvest_year, score_band, size_band, p25, median, p75, notes)
BASELINES = [
    ("2020 (v3)", None, 2019, "all", "all", D("1.90"), D("2.60"), D("3.50"), "2019/20 all contracts"),
    ("2020 (v3)", None, 2019, "86-88", "all", None, D("3.50"), None, "86–87.99 points" + RECHECK),
    ("2020 (v3)", None, 2019, "82-84", "all", None, D("1.90"), None, "82–83.99 points" + RECHECK),
    ("2020 (v3)", None, 2019, "all", "lt1000", None, D("4.00"), None, "lots under 1,000 lb"),
    ("2020 (v3)", None, 2019, "all", "gt40000", None, D("1.90"), None, "lots over 40,000 lb"),
    ("2022 (v5, Jan 2023)", datetime.date(2023, 1, 1), 2021, "all", "all", None, D("3.50"), None, "2021/22; C average 2.25"),
    (
        "2023 (v6, Jan 2024)",
        datetime.date(2024, 1, 1),
        2022,
        "all",
        "all",
        None,
        D("3.40"),
        None,
        "2022/23, −3 % while the C average fell 23 % to 1.73; > 100 donors, > 50,000 contracts",
    ),
]

C_SOURCE = "DOMAIN.md §6.2 (brewmethods.com.au, tradingkey.com/Reuters, comunicaffe.com)"
# (observed_on, label, kind, usd_per_lb, usd_per_lb_high, contract)
C_PRICES = [
    (datetime.date(2019, 9, 30), "2018/19 average (~1.04)", "average", D("1.04"), None, ""),
    (datetime.date(2022, 9, 30), "2021/22 average", "average", D("2.25"), None, ""),
    (datetime.date(2023, 9, 30), "2022/23 average", "average", D("1.73"), None, ""),
    (datetime.date(2024, 9, 30), "2023/24 average", "average", D("2.08"), None, ""),
    (datetime.date(2024, 11, 30), "Nov 2024: broke the April 1977 record of 3.39", "level", D("3.39"), None, ""),
    (datetime.date(2025, 2, 7), "6–7 Feb 2025: first close above 4.00 (404.35¢)", "close", D("4.0435"), None, ""),
    (datetime.date(2025, 2, 28), "Feb 2025 peak (~4.30; intraday reports 4.38–4.40)", "peak", D("4.30"), None, ""),
    (datetime.date(2025, 6, 15), "mid-Jun 2025 (~3.49)", "level", D("3.49"), None, ""),
    (datetime.date(2025, 7, 15), "mid-Jul 2025 (~2.87–3.04)", "level", D("2.87"), D("3.04"), "Sep 2025"),
    (datetime.date(2025, 8, 31), "end Aug 2025, US 50 % tariff on Brazil (~3.74)", "level", D("3.74"), None, ""),
    (datetime.date(2025, 9, 16), "16 Sep 2025: 4.24 intraday, close 4.09", "close", D("4.09"), None, ""),
    (datetime.date(2025, 11, 14), "14 Nov 2025: Dec 3.998, Mar-26 3.74", "close", D("3.998"), None, "Dec 2025"),
    (datetime.date(2025, 11, 21), "20–21 Nov 2025, tariff removed (~3.59–3.60)", "level", D("3.59"), D("3.60"), ""),
    (datetime.date(2026, 1, 31), "early 2026 (~3.45)", "level", D("3.45"), None, ""),
]

ASSUMPTION = "Our assumption, not a published figure: "
# (incoterm, USD/lb added to reach FOB, note)
ADJUSTMENTS = [
    ("EXW", D("0.15"), ASSUMPTION + "inland transport, export clearance and port handling to add"),
    ("FCA", D("0.05"), ASSUMPTION + "handover before loading; small handling cost to add"),
    ("CFR", D("-0.25"), ASSUMPTION + "ocean freight to subtract"),
    ("CIF", D("-0.30"), ASSUMPTION + "ocean freight and insurance to subtract"),
    ("DAP", D("-0.60"), ASSUMPTION + "freight, insurance, destination handling and inland delivery to subtract"),
    ("DDP", D("-0.75"), ASSUMPTION + "as DAP plus import clearance to subtract"),
]


def seed(apps, schema_editor):
    Baseline = apps.get_model("pricing", "SpecialtyBaseline")
    CPrice = apps.get_model("pricing", "CPrice")
    Adjustment = apps.get_model("pricing", "IncotermAdjustment")
    for edition, published, year, band, size, p25, median, p75, notes in BASELINES:
        Baseline.objects.get_or_create(
            edition=edition,
            harvest_year=year,
            origin="",
            score_band=band,
            size_band=size,
            defaults={
                "published_on": published,
                "p25": p25,
                "median": median,
                "p75": p75,
                "source": f"{TG}, edition {edition}",
                "source_url": TG_URL,
                "notes": notes,
            },
        )
    for observed_on, label, kind, price, high, contract in C_PRICES:
        CPrice.objects.get_or_create(
            observed_on=observed_on,
            kind=kind,
            contract=contract,
            defaults={"label": label, "usd_per_lb": price, "usd_per_lb_high": high, "source": C_SOURCE},
        )
    for incoterm, value, note in ADJUSTMENTS:
        Adjustment.objects.get_or_create(origin="", incoterm=incoterm, defaults={"usd_per_lb": value, "note": note})


def unseed(apps, schema_editor):
    apps.get_model("pricing", "SpecialtyBaseline").objects.filter(source__startswith=TG).delete()
    apps.get_model("pricing", "CPrice").objects.filter(source=C_SOURCE).delete()
    apps.get_model("pricing", "IncotermAdjustment").objects.filter(note__startswith=ASSUMPTION).delete()


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
