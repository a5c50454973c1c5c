from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PricingConfig(AppConfig):
    name = "marketplace.pricing"
    label = "pricing"
    verbose_name = _("Pricing")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from core.registry import LotSection, NavItem, register_lot_section, register_nav
        from core.signals import evidence_changed
        from lots.models import Lot
        from marketplace.pricing.receivers import on_evidence_changed, on_lot_saved
        from marketplace.pricing.views import lot_section_context

        evidence_changed.connect(on_evidence_changed, dispatch_uid="pricing.recompute_premium")
        post_save.connect(on_lot_saved, sender=Lot, dispatch_uid="pricing.premium_on_listing")
        register_nav(NavItem(label=_("Baselines"), url_name="pricing:baselines", roles=("moderator",), order=80))
        register_lot_section(
            LotSection(template="pricing/partials/lot_premium.html", context=lot_section_context, order=40)
        )
