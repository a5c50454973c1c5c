from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from core.registry import NavItem, register_nav

        register_nav(NavItem(label=_("Licences"), url_name="accounts:licences", roles=("moderator",), order=90))
