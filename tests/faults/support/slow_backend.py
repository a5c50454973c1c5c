"""A file-based e-mail backend whose first send (across workers) stalls before writing, so a test
can SIGKILL the worker in the middle of sending a notification. Later sends write at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.filebased import EmailBackend

from tests.faults.support.slowdown import stall_once


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        stall_once("email")
        return super().send_messages(email_messages)
