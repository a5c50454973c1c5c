"""Seed the canonical varieties and their aliases (DOMAIN.md §8)."""

from django.db import migrations

from lots.varieties import CANONICAL, normalise, slugify_name


def seed(apps, schema_editor):
    Variety = apps.get_model("lots", "Variety")
    VarietyAlias = apps.get_model("lots", "VarietyAlias")
    for name, landrace, aliases in CANONICAL:
        variety, _ = Variety.objects.get_or_create(
            name=name, defaults={"slug": slugify_name(name), "is_landrace": landrace}
        )
        keys = set()
        for spelling in [name, *aliases]:
            key = normalise(spelling)
            keys.update({key, key.replace(" ", "")})
        for key in sorted(keys):
            VarietyAlias.objects.get_or_create(alias=key, defaults={"variety": variety})


def unseed(apps, schema_editor):
    # Aliases may be in use by lots (PROTECT); leave the data in place when going back.
    pass


class Migration(migrations.Migration):
    dependencies = [("lots", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
