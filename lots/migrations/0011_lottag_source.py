"""Record who added each lot tag, so the nano-lot alert sweep removes only the tags it added.

Existing ``competition`` tags on nano-lots can only have come from the sweep (it tags nothing
else): they become "auto". Every other tag was put there by a person and stays theirs.
"""

from django.db import migrations, models


def mark_sweep_tags(apps, schema_editor):
    LotTag = apps.get_model("lots", "LotTag")
    LotTag.objects.filter(tag="competition", lot__classification="nano").update(source="auto")


class Migration(migrations.Migration):
    dependencies = [("lots", "0010_custody_stage_wet_hulling")]

    operations = [
        migrations.AddField(
            model_name="lottag",
            name="source",
            field=models.CharField(
                choices=[
                    ("auto", "Automatic (nano-lot alert)"),
                    ("moderator", "A moderator"),
                    ("competition_result", "A verified competition result"),
                ],
                default="moderator",
                max_length=20,
                verbose_name="added by",
            ),
        ),
        migrations.RunPython(mark_sweep_tags, migrations.RunPython.noop),
    ]
