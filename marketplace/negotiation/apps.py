from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NegotiationConfig(AppConfig):
    name = "marketplace.negotiation"
    label = "negotiation"
    verbose_name = _("Negotiation")

    def ready(self) -> None:
        from core.registry import LotSection, NavItem, Panel, register_lot_section, register_nav, register_panel
        from marketplace.negotiation import views

        register_nav(NavItem(label=_("Trade"), url_name="negotiation:trade", roles=("producer", "roaster"), order=40))
        register_nav(NavItem(label=_("Quality claims"), url_name="negotiation:claims", roles=("moderator",), order=85))
        register_lot_section(
            LotSection(template="negotiation/partials/lot_section.html", context=views.lot_section_context, order=40)
        )
        register_panel(
            Panel(
                template="negotiation/partials/panel.html",
                context=views.panel_context,
                roles=("producer", "roaster"),
                order=40,
            )
        )
