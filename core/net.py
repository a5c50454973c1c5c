"""The client's address, under one rule for the login lockout and the API throttles.

Behind the TLS proxy the README prescribes, ``REMOTE_ADDR`` is the proxy for every client, and
``X-Forwarded-For`` is a list the *client* starts and each proxy appends to. Only the entries our
own proxies appended can be believed: with ``TRUSTED_PROXY_COUNT = n`` the client is the n-th
entry from the right; anything further left was written by the client and is ignored. With
``n = 0`` (the default: no proxy in front) the header is ignored altogether.

DRF implements exactly this rule for its throttles (``NUM_PROXIES``), so django-axes is given
the same function (``AXES_CLIENT_IP_CALLABLE``) rather than a second implementation that could
drift (django-ipware, which axes would otherwise use, is not installed and counts differently).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from rest_framework.throttling import BaseThrottle


def client_ip(request: Any) -> str | None:
    """The address django-axes records and locks out, the same one the API throttles count."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address((ident or "").strip()))
    except ValueError:
        # Not an address (a misconfigured proxy): fall back to the peer rather than store junk
        # (the attempt table's column is an inet on PostgreSQL, and junk would be a 500).
        return request.META.get("REMOTE_ADDR") or None
