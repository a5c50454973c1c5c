from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LotsConfig(AppConfig):
    name = "lots"
    verbose_name = _("Lots")

    def ready(self) -> None:
        from core.registry import NavItem, Panel, register_nav, register_panel
        from lots.views import dashboard_panel

        register_nav(NavItem(label=_("Catalogue"), url_name="lots:catalogue", roles=None, order=10))
        register_nav(NavItem(label=_("My lots"), url_name="lots:mine", roles=("producer",), order=20))
        register_panel(
            Panel(template="lots/partials/dashboard_panel.html", context=dashboard_panel, roles=("producer",), order=10)
        )
