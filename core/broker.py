"""The embedded broker for running without Redis: kombu's filesystem transport, made safe.

kombu's filesystem transport creates a message file and then writes into it, while a consumer may
already move and read it: a half-written (empty) message then kills the worker with a JSON error.
Here each message is written to a staging folder and renamed into the queue folder, so a consumer
only ever sees complete files (rename is atomic within one file system). Development only: it is
still not crash-safe, so production and CI use Redis.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "safefs"


class Channel(filesystem.Channel):
    def _put(self, queue: Any, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        staging = os.path.join(os.path.dirname(os.path.normpath(self.data_folder_out)), "staging")
        os.makedirs(staging, exist_ok=True)
        temp = os.path.join(staging, name)
        with open(temp, "wb") as f:
            f.write(str_to_bytes(dumps(message)))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, os.path.join(self.data_folder_out, name))


class Transport(filesystem.Transport):
    Channel = Channel
    driver_type = "filesystem"
    driver_name = SCHEME


TRANSPORT_ALIASES[SCHEME] = "core.broker:Transport"
