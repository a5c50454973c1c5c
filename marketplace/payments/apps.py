from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "marketplace.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from core.registry import LotSection, NavItem, Panel, register_lot_section, register_nav, register_panel
        from marketplace.payments.views import lot_terms_section, panel_context

        register_nav(
            NavItem(
                label=_("Payments"),
                url_name="payments:index",
                roles=("roaster", "producer", "moderator"),
                order=60,
                anonymous=False,
            )
        )
        register_lot_section(
            LotSection(template="payments/partials/lot_terms.html", context=lot_terms_section, order=80)
        )
        register_panel(
            Panel(
                template="payments/partials/panel.html",
                context=panel_context,
                roles=("roaster", "producer", "moderator"),
                order=60,
            )
        )
