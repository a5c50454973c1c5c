from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CuppingConfig(AppConfig):
    name = "cupping"
    verbose_name = _("Cupping")

    def ready(self) -> None:
        from core.registry import LotSection, NavItem, register_lot_section, register_nav
        from cupping.views import lot_section_context

        register_nav(NavItem(label=_("Cupping queue"), url_name="cupping:queue", roles=("q_grader",), order=30))
        register_nav(NavItem(label=_("Cupping requests"), url_name="cupping:requests", roles=("producer",), order=35))
        register_nav(NavItem(label=_("Calibration"), url_name="cupping:calibration", roles=("moderator",), order=80))
        register_lot_section(
            LotSection(template="cupping/partials/lot_section.html", context=lot_section_context, order=20)
        )
