"""factory_boy factories for the cast of actors; apps add their own factories beside their tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import ProducerProfile, QGraderProfile, RoasterProfile, Role, User

PASSWORD = "correct-horse-coffee"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    display_name = factory.Faker("name")
    role = Role.ROASTER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProducerFactory(UserFactory):
    role = Role.PRODUCER
    profile = factory.RelatedFactory("tests.factories.ProducerProfileFactory", factory_related_name="user")


class ProducerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProducerProfile

    organisation = factory.Sequence(lambda n: f"Finca {n}")
    country = "CO"
    region = "Huila"


class RoasterFactory(UserFactory):
    role = Role.ROASTER
    profile = factory.RelatedFactory("tests.factories.RoasterProfileFactory", factory_related_name="user")


class RoasterProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoasterProfile

    company = factory.Sequence(lambda n: f"Roastery {n}")
    country = "DE"
    competition_alerts = False


class QGraderFactory(UserFactory):
    role = Role.Q_GRADER
    profile = factory.RelatedFactory("tests.factories.QGraderProfileFactory", factory_related_name="user")


class QGraderProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QGraderProfile

    licence_number = factory.Sequence(lambda n: f"Q-{n:05d}")
    licence_type = QGraderProfile.LicenceType.EVOLVED
    licence_expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))
    licence_verified_at = factory.LazyFunction(timezone.now)


class ModeratorFactory(UserFactory):
    role = Role.MODERATOR
    is_staff = True


# --- Lots (shared by every app's tests) ------------------------------------------------------


class FarmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "lots.Farm"

    producer = factory.SubFactory(ProducerFactory)
    name = factory.Sequence(lambda n: f"Farm {n}")
    country = "CO"
    region = "Huila"
    altitude_masl = 1850


class PlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "lots.Plot"

    farm = factory.SubFactory(FarmFactory)
    name = factory.Sequence(lambda n: f"Plot {n}")
    altitude_masl = 1900
    area_ha = Decimal("2.500")
    geometry = factory.LazyFunction(lambda: {"type": "Point", "coordinates": [-75.912345, 1.852345]})


class VarietyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "lots.Variety"
        django_get_or_create = ("name",)

    name = "Gesha"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class LotFactory(factory.django.DjangoModelFactory):
    """A listed 300 kg washed Gesha at 30 USD/kg FOB from one plot of the producer's farm."""

    class Meta:
        model = "lots.Lot"
        skip_postgeneration_save = True

    producer = factory.SubFactory(ProducerFactory)
    farm = factory.SubFactory(FarmFactory, producer=factory.SelfAttribute("..producer"))
    name = factory.Sequence(lambda n: f"Lot {n}")
    code = factory.Sequence(lambda n: f"L-{n:04d}")
    variety = factory.SubFactory(VarietyFactory)
    process = "washed"
    additives = "none"
    harvest_year = 2025
    harvest_start = datetime.date(2025, 10, 1)
    harvest_end = datetime.date(2025, 11, 15)
    weight_kg = Decimal("300.00")
    price = Decimal("30.0000")
    currency = "USD"
    price_unit = "kg"
    incoterm = "FOB"
    incoterm_place = "Buenaventura"
    price_usd_per_kg = factory.LazyAttribute(
        lambda o: o.price if o.currency == "USD" and o.price_unit == "kg" else None
    )
    status = "listed"
    listed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def plots(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [PlotFactory(farm=obj.farm)] if obj.farm_id else []
        obj.plots.set(extracted)
