"""factory_boy factories for the cast of actors; apps add their own factories beside their tests."""

from __future__ import annotations

import datetime

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
