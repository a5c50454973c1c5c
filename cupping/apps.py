from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CuppingConfig(AppConfig):
    name = "cupping"
    verbose_name = _("Cupping")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from core.signals import evidence_changed
        from cupping.signals import on_evidence_changed, on_qgrader_profile_saved, on_user_saved

        evidence_changed.connect(on_evidence_changed, dispatch_uid="cupping.rescore_on_new_harvest")
        post_save.connect(
            on_qgrader_profile_saved, sender="accounts.QGraderProfile", dispatch_uid="cupping.licence_changed"
        )
        post_save.connect(on_user_saved, sender="accounts.User", dispatch_uid="cupping.grader_account_changed")

        from core.registry import LotSection, NavItem, Panel, register_lot_section, register_nav, register_panel
        from cupping.views import grader_panel, lot_section_context, producer_panel

        register_nav(NavItem(label=_("Cupping queue"), url_name="cupping:queue", roles=("q_grader",), order=30))
        register_nav(NavItem(label=_("Cupping requests"), url_name="cupping:requests", roles=("producer",), order=35))
        register_nav(NavItem(label=_("Calibration"), url_name="cupping:calibration", roles=("moderator",), order=80))
        register_panel(Panel(template="cupping/partials/panel_grader.html", context=grader_panel, roles=("q_grader",)))
        register_panel(
            Panel(
                template="cupping/partials/panel_producer.html", context=producer_panel, roles=("producer",), order=40
            )
        )
        register_lot_section(
            LotSection(template="cupping/partials/lot_section.html", context=lot_section_context, order=20)
        )
