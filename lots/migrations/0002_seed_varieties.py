"""Seed the canonical varieties and their aliases (DOMAIN.md §8)."""

from django.db import migrations

from lots.varieties import seed as seed_varieties


def seed(apps, schema_editor):
    seed_varieties(apps.get_model("lots", "Variety"), apps.get_model("lots", "VarietyAlias"))


def unseed(apps, schema_editor):
    # Aliases may be in use by lots (PROTECT); leave the data in place when going back.
    pass


class Migration(migrations.Migration):
    dependencies = [("lots", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
