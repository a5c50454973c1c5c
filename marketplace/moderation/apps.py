from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "marketplace.moderation"
    label = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from core.registry import LotSection, NavItem, Panel, register_lot_section, register_nav, register_panel
        from core.signals import evidence_changed, evidence_changed_many
        from marketplace.moderation.receivers import on_evidence_changed, on_evidence_changed_many
        from marketplace.moderation.selectors import dashboard_panel, lot_section_context

        evidence_changed.connect(on_evidence_changed, dispatch_uid="moderation.on_evidence_changed")
        evidence_changed_many.connect(on_evidence_changed_many, dispatch_uid="moderation.on_evidence_changed_many")
        register_nav(NavItem(label=_("Moderation"), url_name="moderation:queue", roles=("moderator",), order=80))
        register_nav(NavItem(label=_("My claims"), url_name="moderation:my_claims", roles=("producer",), order=60))
        register_lot_section(
            LotSection(template="moderation/partials/lot_section.html", context=lot_section_context, order=20)
        )
        register_panel(
            Panel(
                template="moderation/partials/dashboard_panel.html",
                context=dashboard_panel,
                roles=("moderator", "producer"),
                order=40,
            )
        )
