"""The Stripe webhook: signature first, then each event id once, then the shared services."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.payments import providers, services

log = logging.getLogger(__name__)


@csrf_exempt  # Stripe cannot send our CSRF token; the signature is the authentication.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = providers.verify_webhook(request.body, request.headers.get("Stripe-Signature", ""))
    except providers.BadSignature as exc:
        log.warning("refused a webhook: %s", exc)
        return JsonResponse({"status": "bad-signature"}, status=400)
    outcome = services.webhook_process(event=event)
    return JsonResponse({"status": outcome})
