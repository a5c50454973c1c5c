"""Top-level URLs. Each app owns its page URLs (``<app>/urls.py``) and API URLs (``<app>/api_urls.py``)."""

from __future__ import annotations

import importlib.util

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# (page prefix, page urls module, api urls module); modules that do not exist yet are skipped.
APP_URLS = [
    ("accounts/", "accounts.urls", "accounts.api_urls"),
    ("lots/", "lots.urls", "lots.api_urls"),
    ("cupping/", "cupping.urls", "cupping.api_urls"),
    ("trade/", "marketplace.negotiation.urls", "marketplace.negotiation.api_urls"),
    ("auctions/", "marketplace.auctions.urls", "marketplace.auctions.api_urls"),
    ("pricing/", "marketplace.pricing.urls", "marketplace.pricing.api_urls"),
    ("competitions/", "marketplace.competitions.urls", "marketplace.competitions.api_urls"),
    ("payments/", "marketplace.payments.urls", "marketplace.payments.api_urls"),
    ("moderation/", "marketplace.moderation.urls", "marketplace.moderation.api_urls"),
]


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


api_patterns: list[URLPattern | URLResolver] = [
    path("", include(api)) for _prefix, _pages, api in APP_URLS if _exists(api)
]
page_patterns: list[URLPattern | URLResolver] = [
    path(prefix, include(pages)) for prefix, pages, _api in APP_URLS if _exists(pages)
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    *([path("hooks/", include("marketplace.payments.hook_urls"))] if _exists("marketplace.payments.hook_urls") else []),
    path("", include("core.urls")),
    *page_patterns,
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "core.views.error_400"
handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
