"""The set-based premium sweep: every public lot's premium in a few SQL statements per batch.

On PostgreSQL each batch of lots (an id range) is one ``INSERT … SELECT … ON CONFLICT DO UPDATE``
into ``pricing_lotpremium`` plus one ``UPDATE lots_lot … FROM pricing_lotpremium`` that copies the
ratio where it differs. The reference tables are small, so they are resolved in Python with the very
objects the per-lot path uses (``PricingContext``) and passed in as ``VALUES`` lists; the SQL only
does the per-lot arithmetic, with the same rounding points as ``compute.premium_compute``.

Other databases (the SQLite development default) store decimals as floats, so there the sweep runs
the per-lot arithmetic in Python, batch by batch.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.money import KG_PER_LB
from core.signals import send_evidence_changed_many
from lots.models import PUBLIC_STATUSES, Lot, LotTag
from marketplace.pricing import conf
from marketplace.pricing.compute import CLAIMING_CLASSES, PricingContext
from marketplace.pricing.models import LotPremium, ScoreBand
from marketplace.pricing.selectors import CLAIM_CLOSED_STATUSES, claim_model, pricing_context

Progress = Callable[[int, int], None]
SWEEP_LOCK_KEY = 0x7072_656D  # "prem": the advisory lock that serialises concurrent sweep batches


def _values(name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """``name(col, …) AS (VALUES (%s::type, …), …)``; an all-NULL row when empty (it never joins)."""
    if not rows:
        rows = [tuple(None for _ in columns)]
    row_sql = "(" + ", ".join(f"%s::{cast}" for _col, cast in columns) + ")"
    sql = f"{name}({', '.join(col for col, _cast in columns)}) AS (VALUES {', '.join([row_sql] * len(rows))})"
    return sql, [value for row in rows for value in row]


def _reference_tables(ctx: PricingContext, lot_filter_sql: str, lot_params: list[Any]) -> tuple[str, list[Any]]:
    lot = Lot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT UPPER(l.origin_country), l.incoterm, l.harvest_year FROM {lot} l WHERE {lot_filter_sql}",  # noqa: S608 (table names from _meta, values as parameters)
            lot_params,
        )
        present = cursor.fetchall()
    rate_rows: list[tuple[str, Decimal, datetime.date | None]] = [("USD", Decimal(1), None)]  # as ctx.rate("USD")
    rate_rows += [(cur, rate, on) for cur, (rate, on) in ctx.rates.items() if cur != "USD"]
    adj_rows = sorted(
        {
            (o, inc, ctx.adjustment(o, inc))
            for o, inc, _y in present
            if inc != "FOB" and ctx.adjustment(o, inc) is not None
        }
    )
    base_rows = []
    band_rows = []
    for origin, year in sorted({(o, y) for o, _inc, y in present}):
        row, match = ctx.baselines.choose(origin, year)
        if row is not None:
            base_rows.append((origin, year, row.id, match, row.median))
        for band in ScoreBand.values:
            if band == ScoreBand.ALL:
                continue
            brow, _m = ctx.baselines.choose(origin, year, band)
            if brow is not None:
                band_rows.append((origin, year, band, brow.id, brow.median, brow.p25, brow.p75))
    parts = [
        _values("rates", [("currency", "text"), ("usd", "numeric"), ("valid_on", "date")], rate_rows),
        _values("adj", [("origin", "text"), ("incoterm", "text"), ("usd", "numeric")], adj_rows),
        _values(
            "base",
            [("origin", "text"), ("hy", "integer"), ("id", "bigint"), ("match", "text"), ("median", "numeric")],
            base_rows,
        ),
        _values(
            "band",
            [
                ("origin", "text"),
                ("hy", "integer"),
                ("score_band", "text"),
                ("id", "bigint"),
                ("median", "numeric"),
                ("p25", "numeric"),
                ("p75", "numeric"),
            ],
            band_rows,
        ),
    ]
    return "WITH " + ",\n".join(sql for sql, _p in parts), [p for _sql, params in parts for p in params]


def _claim_sql() -> str:
    model = claim_model()
    if model is None:
        return "FALSE"
    column = model._meta.get_field("lot").column
    condition = ""
    if any(f.name == "status" for f in model._meta.get_fields()):
        closed = ", ".join(f"'{s}'" for s in CLAIM_CLOSED_STATUSES)
        condition = f" AND c.status NOT IN ({closed})"
    return f"EXISTS (SELECT 1 FROM {model._meta.db_table} c WHERE c.{column} = l.id{condition})"  # noqa: S608 (table names from _meta, values as parameters)


_BAND_SQL = """CASE
    WHEN l.official_score IS NULL THEN ''
    WHEN l.official_score >= 90 THEN '90+'
    WHEN l.official_score >= 88 THEN '88-90'
    WHEN l.official_score >= 86 THEN '86-88'
    WHEN l.official_score >= 84 THEN '84-86'
    WHEN l.official_score >= 82 THEN '82-84'
    WHEN l.official_score >= 80 THEN '80-82'
    ELSE '' END"""

_COLUMNS = (
    "lot_id",
    "status",
    "asking_usd_per_kg",
    "fob_usd_per_lb",
    "rate_usd_per_unit",
    "rate_valid_on",
    "incoterm_adjustment",
    "baseline_id",
    "baseline_match",
    "baseline_median",
    "premium_ratio",
    "score_band",
    "band_baseline_id",
    "band_median",
    "band_ratio",
    "band_position",
    "flag_under_2x",
    "flag_over_10x",
    "flag_high_price",
    "computed_at",
    "changed_at",
)


def upsert_sql(with_sql: str) -> str:
    """The batch statement: compute every lot of an id range and upsert its premium row."""
    lot = Lot._meta.db_table
    tag = LotTag._meta.db_table
    premium = LotPremium._meta.db_table
    statuses = ", ".join(f"'{s}'" for s in PUBLIC_STATUSES)
    claiming = ", ".join(f"'{c}'" for c in CLAIMING_CLASSES)
    changed = " OR ".join(
        f"{premium}.{c} IS DISTINCT FROM EXCLUDED.{c}"
        for c in ("premium_ratio", "flag_under_2x", "flag_over_10x", "flag_high_price")
    )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:-2])
    return f"""{with_sql},
src AS (
    SELECT l.id AS lot_id, l.harvest_year AS hy, l.official_score AS score, l.classification AS cls,
        l.verified_badge AS badge, UPPER(l.origin_country) AS origin,
        EXISTS (SELECT 1 FROM {tag} t WHERE t.lot_id = l.id AND t.tag = %(tag)s) AS comp,
        {_claim_sql()} AS claim,
        r.usd AS rate, r.valid_on AS rate_on,
        CASE WHEN l.price_unit = 'kg' THEN l.price * %(kg_per_lb)s * r.usd ELSE l.price * r.usd END AS per_lb_raw,
        ROUND(CASE WHEN l.price_unit = 'kg' THEN l.price * r.usd ELSE l.price * r.usd / %(kg_per_lb)s END, 4)
            AS asking,
        CASE WHEN l.incoterm = 'FOB' THEN 0::numeric ELSE a.usd END AS adj,
        {_BAND_SQL} AS band
    FROM {lot} l
    LEFT JOIN rates r ON r.currency = l.currency
    LEFT JOIN adj a ON a.origin = UPPER(l.origin_country) AND a.incoterm = l.incoterm
    WHERE l.status IN ({statuses}) AND l.id >= %(lo)s AND l.id < %(hi)s
),
calc AS (
    SELECT s.*,
        CASE WHEN s.rate IS NULL THEN 'no_rate' WHEN s.adj IS NULL THEN 'no_adjustment'
             WHEN b.id IS NULL THEN 'no_baseline' ELSE 'ok' END AS status,
        ROUND(s.per_lb_raw + s.adj, 4) AS fob,
        b.id AS base_id, b.match AS base_match, b.median AS base_median,
        bd.id AS band_id, bd.median AS band_median, bd.p25 AS band_p25, bd.p75 AS band_p75
    FROM src s
    LEFT JOIN base b ON b.origin = s.origin AND b.hy = s.hy
    LEFT JOIN band bd ON bd.origin = s.origin AND bd.hy = s.hy AND bd.score_band = s.band
),
res AS (
    SELECT c.*,
        CASE WHEN c.status = 'ok' THEN ROUND(c.fob / c.base_median, 3) END AS ratio,
        (c.status = 'ok' AND c.band_id IS NOT NULL) AS has_band
    FROM calc c
)
INSERT INTO {premium} ({", ".join(_COLUMNS)})
SELECT lot_id, status, asking,
    CASE WHEN status IN ('ok', 'no_baseline') THEN fob END,
    rate, rate_on,
    CASE WHEN status IN ('ok', 'no_baseline') THEN adj END,
    CASE WHEN status = 'ok' THEN base_id END,
    CASE WHEN status = 'ok' THEN base_match ELSE '' END,
    CASE WHEN status = 'ok' THEN base_median END,
    ratio,
    CASE WHEN status = 'ok' THEN band ELSE '' END,
    CASE WHEN has_band THEN band_id END,
    CASE WHEN has_band THEN band_median END,
    CASE WHEN has_band THEN ROUND(fob / band_median, 3) END,
    CASE WHEN NOT has_band THEN ''
         WHEN band_p25 IS NULL OR band_p75 IS NULL THEN
            CASE WHEN fob < band_median THEN 'below_median' ELSE 'above_median' END
         WHEN fob < band_p25 THEN 'below_p25'
         WHEN fob < band_median THEN 'p25_median'
         WHEN fob <= band_p75 THEN 'median_p75'
         ELSE 'above_p75' END,
    COALESCE(status = 'ok' AND ratio < %(min_ratio)s AND (cls IN ({claiming}) OR badge <> '' OR claim), FALSE),
    COALESCE(status = 'ok' AND ratio > %(max_ratio)s AND cls <> 'nano' AND NOT comp, FALSE),
    COALESCE(rate IS NOT NULL AND asking >= %(high_price)s AND NOT comp
             AND NOT COALESCE(score >= %(high_score)s, FALSE), FALSE),
    %(now)s, %(now)s
FROM res
ON CONFLICT (lot_id) DO UPDATE SET {updates},
    computed_at = EXCLUDED.computed_at,
    changed_at = CASE WHEN {changed} THEN EXCLUDED.computed_at ELSE {premium}.changed_at END
RETURNING lot_id, changed_at = computed_at"""  # noqa: S608


def copy_ratio_sql() -> str:
    lot = Lot._meta.db_table
    premium = LotPremium._meta.db_table
    statuses = ", ".join(f"'{s}'" for s in PUBLIC_STATUSES)
    return f"""UPDATE {lot} SET premium_ratio = p.premium_ratio
FROM {premium} p
WHERE p.lot_id = {lot}.id AND {lot}.id >= %(lo)s AND {lot}.id < %(hi)s AND {lot}.status IN ({statuses})
    AND {lot}.premium_ratio IS DISTINCT FROM p.premium_ratio"""  # noqa: S608


def _named(with_sql: str, with_params: list[Any], named: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Turn the positional VALUES placeholders into named ones so one dict carries every parameter."""
    params = dict(named)
    out = []
    parts = with_sql.split("%s")
    for i, part in enumerate(parts[:-1]):
        key = f"v{i}"
        params[key] = with_params[i]
        out.append(part + f"%({key})s")
    out.append(parts[-1])
    return "".join(out), params


def _sweep_postgres(progress: Progress | None, batch: int) -> dict[str, int]:
    ctx = pricing_context()
    statuses = list(PUBLIC_STATUSES)
    placeholders = ", ".join(["%s"] * len(statuses))
    with_sql, with_params = _reference_tables(ctx, f"l.status IN ({placeholders})", statuses)
    lot = Lot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id), COUNT(*) FROM {lot} WHERE status IN ({placeholders})", statuses)  # noqa: S608 (table names from _meta, values as parameters)
        lo_id, hi_id, total = cursor.fetchone()
    if not total:
        if progress:
            progress(0, 0)
        return {"lots": 0, "changed": 0}
    now = timezone.now()
    base_params = {
        "tag": conf.COMPETITION_TAG,
        "kg_per_lb": KG_PER_LB,
        "min_ratio": conf.MICRO_MIN_RATIO,
        "max_ratio": conf.MICRO_MAX_RATIO,
        "high_price": conf.HIGH_PRICE_USD_PER_KG,
        "high_score": conf.HIGH_SCORE,
        "now": now,
    }
    upsert, params = _named(with_sql, with_params, base_params)
    upsert = upsert_sql(upsert)
    copy = copy_ratio_sql()
    done = changed_total = 0
    for lo in range(lo_id, hi_id + 1, batch):
        hi = lo + batch
        with transaction.atomic(), connection.cursor() as cursor:
            # Two sweeps (a moderator's and the nightly one) take turns batch by batch instead of
            # locking the same premium rows in different orders.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
            cursor.execute(upsert, {**params, "lo": lo, "hi": hi})
            rows = cursor.fetchall()
            cursor.execute(copy, {"lo": lo, "hi": hi})
            changed = [lot_id for lot_id, was_changed in rows if was_changed]
            send_evidence_changed_many(sender=LotPremium, lot_ids=changed, kind="premium", detail="premium sweep")
        done += len(rows)
        changed_total += len(changed)
        if progress:
            progress(done, total)
    return {"lots": done, "changed": changed_total}


def _sweep_python(progress: Progress | None, batch: int) -> dict[str, int]:
    from marketplace.pricing.selectors import premium_inputs, sweepable_lots
    from marketplace.pricing.services import premium_store

    ctx = pricing_context()
    ids = list(sweepable_lots().order_by("pk").values_list("pk", flat=True))
    total = len(ids)
    done = changed_total = 0
    now = timezone.now()
    for start in range(0, total, batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            for inputs in premium_inputs(Lot.objects.filter(pk__in=chunk)):
                from marketplace.pricing.compute import premium_compute

                _premium, changed = premium_store(lot_id=inputs.lot_id, result=premium_compute(inputs, ctx), now=now)
                changed_total += int(changed)
        done += len(chunk)
        if progress:
            progress(done, total)
    if progress and not total:
        progress(0, 0)
    return {"lots": done, "changed": changed_total}


def premiums_sweep(*, progress: Progress | None = None, batch: int | None = None) -> dict[str, int]:
    """Recompute every public lot's premium; returns how many lots were seen and changed."""
    batch = batch or conf.SWEEP_BATCH
    if connection.vendor == "postgresql":
        return _sweep_postgres(progress, batch)
    return _sweep_python(progress, batch)
