"""Each premium names the baseline it used (edition, harvest year, row), how stale it is, the score
that chose its band, and the verified competition result that makes a high price expected.

Also marks the two seeded 2019/20 band rows with DOMAIN.md §6.1's caveat (they coincide with that
year's overall p75 and p25).
"""

import django.db.models.deletion
from django.db import migrations, models

RECHECK = "; equals that year's overall p75/p25: re-check against the v3 PDF before treating it as a median"


def mark_band_rows(apps, schema_editor):
    Baseline = apps.get_model("pricing", "SpecialtyBaseline")
    for band, note in (("86-88", "86–87.99 points"), ("82-84", "82–83.99 points")):
        Baseline.objects.filter(edition="2020 (v3)", harvest_year=2019, origin="", score_band=band, notes=note).update(
            notes=note + RECHECK
        )


class Migration(migrations.Migration):
    dependencies = [
        ("competitions", "0001_initial"),
        ("pricing", "0003_lot_premium_keyed_by_lot"),
    ]

    operations = [
        migrations.AddField(
            model_name="lotpremium",
            name="band_edition",
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="band_harvest_year",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="band_origin",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="baseline_edition",
            field=models.CharField(blank=True, max_length=60),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="baseline_harvest_year",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="baseline_origin",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="baseline_score_band",
            field=models.CharField(blank=True, max_length=6),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="baseline_size_band",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="competition_excused",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="competition_result",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="competitions.competitionresult",
            ),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="lot_harvest_year",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="lot_size_band",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="score_basis",
            field=models.CharField(
                blank=True,
                choices=[
                    ("sca2004", "SCA 2004 score"),
                    ("other_scale", "scored on another scale only (no Transaction Guide band)"),
                    ("none", "no independent score"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="score_protocol",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="score_value",
            field=models.DecimalField(decimal_places=2, max_digits=5, null=True),
        ),
        migrations.AddField(
            model_name="lotpremium",
            name="years_stale",
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="lotpremium",
            name="baseline_match",
            field=models.CharField(
                blank=True,
                choices=[
                    ("origin_year", "origin and harvest year"),
                    ("all_origins_year", "all origins, same harvest year"),
                    ("origin_latest", "origin, an earlier harvest year"),
                    ("all_origins_latest", "all origins, an earlier harvest year"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(mark_band_rows, migrations.RunPython.noop),
    ]
