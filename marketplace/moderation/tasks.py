"""Thin, idempotent tasks: take ids, call one service."""

from __future__ import annotations

from celery import shared_task

from marketplace.moderation.services import claim_recompute


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def recompute_claim_hallmarks(claim_id: int) -> str:
    return claim_recompute(claim_id=claim_id)
