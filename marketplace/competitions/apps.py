from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    name = "marketplace.competitions"
    label = "competitions"
    verbose_name = _("Competition results")

    def ready(self) -> None:
        from core.registry import LotSection, NavItem, register_lot_section, register_nav
        from marketplace.competitions.views import lot_section_context

        register_nav(
            NavItem(label=_("Competition results"), url_name="competitions:queue", roles=("moderator",), order=82)
        )
        register_lot_section(
            LotSection(template="competitions/partials/lot_section.html", context=lot_section_context, order=35)
        )
