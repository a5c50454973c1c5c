"""A cheap fingerprint of every row the marketplace keeps, to prove a refused request changed nothing.

One hash per table of the project's apps (users, lots, trade, payments … and API tokens), taken in
one query. Tables that change on every request by design are left out: sessions (a request may
store a flash message in its session) and django-axes' login records (a wrong password is
*meant* to be counted); Django's own bookkeeping (permissions, content types, admin log, beat
schedules) is not something a marketplace request writes.

PostgreSQL hashes on the server (``md5`` of every row's text, in a stable order); SQLite sends the
rows' values back and they are hashed here (SHA-256). Either way a changed, added or removed row changes
its table's hash.
"""

from __future__ import annotations

import hashlib
from functools import cache

from django.apps import apps
from django.db import connection

# Apps whose rows a marketplace request may write; everything else is infrastructure.
APPS = (
    "accounts",
    "authtoken",
    "core",
    "lots",
    "cupping",
    "negotiation",
    "auctions",
    "pricing",
    "payments",
    "moderation",
    "knox",  # should the API tokens move to django-rest-knox
)


@cache
def tables() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(table, columns) of every concrete table of APPS, many-to-many tables included."""
    found: dict[str, tuple[str, ...]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label not in APPS or meta.proxy or not meta.managed:
            continue
        found[meta.db_table] = tuple(str(f.column) for f in meta.concrete_fields)
    return tuple(sorted(found.items()))


@cache
def _query() -> str:
    # Table and column names come from the models' metadata, quoted by the backend: no user input.
    q = connection.ops.quote_name
    parts = []
    if connection.vendor == "postgresql":
        for table, _columns in tables():
            parts.append(
                f"SELECT '{table}', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
                f"FROM {q(table)} t"
            )
    else:
        for table, columns in tables():
            row = " || ',' || ".join(f"quote({q(c)})" for c in columns)
            parts.append(
                f"SELECT '{table}', count(*), coalesce(group_concat(r, '|'), '') "  # noqa: S608
                f"FROM (SELECT {row} AS r FROM {q(table)} ORDER BY 1)"
            )
    return " UNION ALL ".join(parts)


def fingerprint() -> dict[str, tuple[int, str]]:
    """table -> (row count, hash of all its rows)."""
    with connection.cursor() as cursor:
        cursor.execute(_query())
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return {table: (count, digest) for table, count, digest in rows}
    return {table: (count, hashlib.sha256(text.encode()).hexdigest()) for table, count, text in rows}


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    """The tables whose rows differ, with their row counts before → after."""
    return [
        f"{table} ({before.get(table, (0, ''))[0]} → {after.get(table, (0, ''))[0]} rows)"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table)
    ]
