"""Make one function slow, once, inside a Celery worker subprocess of the fault tests.

The first call anywhere (shared across workers through a marker file) writes the marker and then
sleeps long enough for the test to SIGKILL the worker; later calls run normally. Every call is
logged with the process id, so a test can tell which worker ran what.

Configured by the environment of the worker subprocess only: ``FAULT_DIR`` (a temp directory),
``FAULT_SLOW`` (``module:attribute:before|after`` — sleep before or after the original runs) and
``FAULT_SLEEP`` (seconds). Nothing here is imported by production code.
"""

from __future__ import annotations

import functools
import importlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARKER = "slow-call.marker"
CALLS = "calls.log"


def fault_dir() -> Path | None:
    value = os.environ.get("FAULT_DIR", "")
    return Path(value) if value else None


def log_call(what: str) -> None:
    folder = fault_dir()
    if folder is None:
        return
    with open(folder / CALLS, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()} {what}\n")


def first_call() -> bool:
    """True for exactly one caller across every process sharing FAULT_DIR (O_EXCL create)."""
    folder = fault_dir()
    if folder is None:
        return False
    try:
        fd = os.open(folder / MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    return True


def stall_once(what: str) -> None:
    log_call(what)
    if first_call():
        time.sleep(float(os.environ.get("FAULT_SLEEP", "120")))


def wrap(original: Callable[..., Any], name: str, when: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def slow(*args: Any, **kwargs: Any) -> Any:
        if when == "before":
            stall_once(name)
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        stall_once(name)
        return result

    return slow


def install() -> None:
    spec = os.environ.get("FAULT_SLOW", "")
    if not spec:
        return
    module_name, attr, when = spec.split(":")
    module = importlib.import_module(module_name)
    setattr(module, attr, wrap(getattr(module, attr), f"{module_name}.{attr}", when))
