"""A Redis cache that degrades to "no cache" while Redis is unreachable.

Django's RedisCache raises redis' ConnectionError from every call when the server is down or
restarting, which turned every throttled endpoint (API token, sign-up, bids) into a 500. The site
keeps nothing in the cache that it cannot recompute, so an outage now reads as a miss and a write
as a no-op (throttles fail open for that time; django-axes, in the database, still guards logins).
Short socket timeouts keep a silently dropped connection from hanging requests.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrade(fallback: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def guarded(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                log.warning("cache unavailable, %s skipped: %s", method.__name__, exc)
                return fallback(*args, **kwargs)

        return guarded

    return decorate


def _default(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _none(*args: Any, **kwargs: Any) -> None:
    return None


def _empty(*args: Any, **kwargs: Any) -> Any:
    return {}


def _no_keys(data: Any, *args: Any, **kwargs: Any) -> list[Any]:
    return list(data)  # set_many reports the keys it failed to store


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = {"socket_connect_timeout": 1, "socket_timeout": 1, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})

    get = _degrade(_default)(RedisCache.get)
    add = _degrade(_false)(RedisCache.add)
    set = _degrade(_none)(RedisCache.set)
    touch = _degrade(_false)(RedisCache.touch)
    delete = _degrade(_false)(RedisCache.delete)
    has_key = _degrade(_false)(RedisCache.has_key)
    get_many = _degrade(_empty)(RedisCache.get_many)
    set_many = _degrade(_no_keys)(RedisCache.set_many)
    delete_many = _degrade(_none)(RedisCache.delete_many)
    clear = _degrade(_false)(RedisCache.clear)
