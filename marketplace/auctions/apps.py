from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionsConfig(AppConfig):
    name = "marketplace.auctions"
    label = "auctions"
    verbose_name = _("Auctions")

    def ready(self) -> None:
        from core.registry import (
            LotSection,
            NavItem,
            Panel,
            register_lot_hold,
            register_lot_section,
            register_nav,
            register_panel,
        )
        from core.signals import evidence_changed
        from marketplace.auctions.receivers import on_evidence_changed
        from marketplace.auctions.selectors import lot_auction_hold
        from marketplace.auctions.views import dashboard_panel_context, lot_section_context

        register_nav(NavItem(label=_("Auctions"), url_name="auctions:list", order=30))
        register_nav(
            NavItem(label=_("Competition lots"), url_name="auctions:competition", roles=("roaster",), order=31)
        )
        register_lot_section(
            LotSection(template="auctions/partials/lot_section.html", context=lot_section_context, order=40)
        )
        register_panel(
            Panel(
                template="auctions/partials/dashboard_panel.html",
                context=dashboard_panel_context,
                roles=("roaster", "producer"),
                order=40,
            )
        )
        register_lot_hold(lot_auction_hold)
        evidence_changed.connect(on_evidence_changed, dispatch_uid="auctions-competition-tagging")
