"""Run callables in threads that start together, for the PostgreSQL race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_concurrently(fns: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Each callable in its own thread, released at once by a barrier; ("ok", result) or ("err", exc)."""
    barrier = threading.Barrier(len(fns))
    results: list[tuple[str, Any]] = [("none", None)] * len(fns)

    def worker(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as e:
            results[i] = ("err", e)
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results
