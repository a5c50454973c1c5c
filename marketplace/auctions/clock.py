"""The one source of time for auctions: server time only, replaceable in tests.

Every rule that depends on time (open, ended, soft close, the event clock, the closing sweep)
asks ``clock.now()``, never the client and never ``datetime.now()``. Tests move time with
``clock.set_offset`` (or by monkeypatching ``now``) instead of sleeping.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

_offset = datetime.timedelta(0)
_frozen: datetime.datetime | None = None


def now() -> datetime.datetime:
    if _frozen is not None:
        return _frozen
    return timezone.now() + _offset


def freeze(when: datetime.datetime | None) -> None:
    """Stop the auction clock at ``when`` (tests only); None lets it run again."""
    global _frozen
    _frozen = when


def set_offset(delta: datetime.timedelta) -> None:
    """Shift the auction clock (tests only; the browser journey's live server shares the process)."""
    global _offset
    _offset = delta


def advance(delta: datetime.timedelta) -> None:
    set_offset(_offset + delta)


def reset() -> None:
    freeze(None)
    set_offset(datetime.timedelta(0))
