from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from core.selectors import unread_count


def site(request: HttpRequest) -> dict[str, Any]:
    """Values every page needs: the CSP nonce (htmx_script reads ``csp_nonce``) and the unread count."""
    # str() generates the nonce; django-csp then adds it to the header. (bool() on the lazy
    # object only tells whether it was generated yet, so never test it for truth.)
    nonce = getattr(request, "csp_nonce", None)
    user = getattr(request, "user", None)
    return {
        "csp_nonce": str(nonce) if nonce is not None else "",
        "unread_notifications": unread_count(user) if user is not None else 0,
        "site_name": "Micro-lot Market",
        "offline_payments": not settings.STRIPE_SECRET_KEY,
    }
