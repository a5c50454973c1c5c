from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CuppingConfig(AppConfig):
    name = "cupping"
    verbose_name = _("Cupping")
