"""Run localstripe (a fake Stripe API, dev/test only) on 127.0.0.1.

localstripe's own CLI binds to every interface and pickles its state to a fixed file in the
system temp directory after each POST, which parallel test runs would share. This runner binds to
loopback only and keeps the state in memory.

Usage: python tools/run_localstripe.py [PORT]   (default 8420)
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app


def main() -> None:
    store.dump_to_disk = lambda *a, **k: None  # no shared pickle file between runs
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8420
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
