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
from lots.models import PUBLIC_STATUSES, Lot
from marketplace.pricing import conf
from marketplace.pricing.compute import CLAIMING_CLASSES, PricingContext
from marketplace.pricing.models import SCORE_BAND_EDGES, LotPremium, ScoreBand, ScoreBasis, SizeBand
from marketplace.pricing.scores import CVA, LEGACY_PROTOCOL, SCA2004
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


def _edge_kg(lb: int) -> str:
    return format(Decimal(lb) * KG_PER_LB, "f")


# The lot's October–September harvest year and lot-size band, as models.harvest_year_for and
# models.size_band_for compute them (the tests run both paths on the same lots).
_HY_SQL = """CASE
    WHEN l.harvest_start IS NOT NULL THEN CAST(EXTRACT(YEAR FROM l.harvest_start) AS integer)
        - CASE WHEN EXTRACT(MONTH FROM l.harvest_start) >= 10 THEN 0 ELSE 1 END
    WHEN l.harvest_end IS NOT NULL THEN CAST(EXTRACT(YEAR FROM l.harvest_end) AS integer)
        - CASE WHEN EXTRACT(MONTH FROM l.harvest_end) >= 10 THEN 0 ELSE 1 END
    ELSE l.harvest_year END"""
_SIZE_SQL = f"""CASE
    WHEN l.weight_kg < {_edge_kg(1000)} THEN '{SizeBand.LT_1000.value}'
    WHEN l.weight_kg <= {_edge_kg(10000)} THEN '{SizeBand.B1000_10000.value}'
    WHEN l.weight_kg <= {_edge_kg(40000)} THEN '{SizeBand.B10000_40000.value}'
    ELSE '{SizeBand.GT_40000.value}' END"""


def _reference_tables(ctx: PricingContext, lot_filter_sql: str, lot_params: list[Any]) -> list[tuple[str, list[Any]]]:
    """The small reference tables as VALUES lists, resolved in Python for the keys lots have."""
    lot = Lot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT UPPER(l.origin_country), l.incoterm, {_HY_SQL}, {_SIZE_SQL} FROM {lot} l "  # noqa: S608 (table names from _meta, values as parameters)
            f"WHERE {lot_filter_sql}",
            lot_params,
        )
        present = cursor.fetchall()
    rate_rows: list[tuple[str, Decimal, datetime.date | None]] = [("USD", Decimal(1), None)]  # as ctx.rate("USD")
    rate_rows += [(cur, rate, on) for cur, (rate, on) in ctx.rates.items() if cur != "USD"]
    adj_rows = sorted(
        {
            (o, inc, ctx.adjustment(o, inc))
            for o, inc, _y, _s in present
            if inc != "FOB" and ctx.adjustment(o, inc) is not None
        }
    )
    base_rows = []
    for origin, year, size in sorted({(o, y, sz) for o, _inc, y, sz in present}):
        for band in ScoreBand.values:
            row, match = ctx.baselines.choose(origin, year, band, size)
            if row is not None:
                chosen = [row.id, match, row.median, row.edition, row.harvest_year, row.origin, row.score_band]
                base_rows.append((origin, year, band, size, *chosen, row.size_band))
    band_rows = []
    for origin, year in sorted({(o, y) for o, _inc, y, _s in present}):
        for band in ScoreBand.values:
            brow = ctx.baselines.choose_band(origin, year, band)
            if brow is not None:
                chosen = [brow.id, brow.median, brow.p25, brow.p75, brow.edition, brow.harvest_year]
                band_rows.append((origin, year, band, *chosen, brow.origin))
    return [
        _values("rates", [("currency", "text"), ("usd", "numeric"), ("valid_on", "date")], rate_rows),
        _values("adj", [("origin", "text"), ("incoterm", "text"), ("usd", "numeric")], adj_rows),
        _values(
            "base",
            [
                ("origin", "text"),
                ("hy", "integer"),
                ("score_band", "text"),
                ("size_band", "text"),
                ("id", "bigint"),
                ("match", "text"),
                ("median", "numeric"),
                ("edition", "text"),
                ("row_hy", "integer"),
                ("row_origin", "text"),
                ("row_band", "text"),
                ("row_size", "text"),
            ],
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
                ("edition", "text"),
                ("row_hy", "integer"),
                ("row_origin", "text"),
            ],
            band_rows,
        ),
    ]


def _scores_sql() -> tuple[str, str]:
    """(joins, select list): each lot's scores per protocol, in SQL, as ``scores.official_scores`` reads them.

    ``scores.official_scores`` is the one definition (the per-lot path, the tagging, the Python
    sweep); this is its set-based twin for PostgreSQL, kept honest by the test that runs both
    sweeps and the per-lot path on the same lots: the cupping LotScore rows of the lot's current
    harvest, and the lot's catalogue score for a protocol they lack (a blank protocol is the 2004 form).
    """
    from cupping.models import LotScore

    table = LotScore._meta.db_table
    own = f"COALESCE(NULLIF(l.official_score_protocol, ''), '{LEGACY_PROTOCOL}')"
    joins = f"""
    LEFT JOIN {table} ls_sca ON ls_sca.lot_id = l.id AND ls_sca.protocol = '{SCA2004}'
        AND ls_sca.harvest_year = l.harvest_year
    LEFT JOIN {table} ls_cva ON ls_cva.lot_id = l.id AND ls_cva.protocol = '{CVA}'
        AND ls_cva.harvest_year = l.harvest_year
    LEFT JOIN LATERAL (
        SELECT x.protocol, x.score FROM (
            SELECT o.protocol, o.mean AS score FROM {table} o
            WHERE o.lot_id = l.id AND o.harvest_year = l.harvest_year AND o.protocol NOT IN ('{SCA2004}', '{CVA}')
            UNION ALL
            SELECT {own}, l.official_score
            WHERE l.official_score IS NOT NULL AND {own} NOT IN ('{SCA2004}', '{CVA}')
                AND NOT EXISTS (
                    SELECT 1 FROM {table} c
                    WHERE c.lot_id = l.id AND c.harvest_year = l.harvest_year AND c.protocol = {own}
                )
        ) x ORDER BY x.protocol LIMIT 1
    ) oth ON TRUE"""  # noqa: S608 (table names from _meta, protocol names are constants)
    sca = f"COALESCE(ls_sca.mean, CASE WHEN {own} = '{SCA2004}' THEN l.official_score END)"
    cva = f"COALESCE(ls_cva.mean, CASE WHEN {own} = '{CVA}' THEN l.official_score END)"
    return joins, f"{sca} AS sca, {cva} AS cva, oth.protocol AS oth_protocol, oth.score AS oth_score"


_BAND_SQL = (
    "CASE " + " ".join(f"WHEN sca >= {edge} THEN '{band!s}'" for edge, band in SCORE_BAND_EDGES) + " ELSE '' END"
)


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


def _competition_sql() -> str:
    """The verified result that names the lot's provenance, as selectors.verified_competition_results orders."""
    from marketplace.competitions.models import CompetitionResult, ResultStatus

    table = CompetitionResult._meta.db_table
    return (
        f"(SELECT c.id FROM {table} c WHERE c.lot_id = l.id AND c.status = '{ResultStatus.VERIFIED.value}' "  # noqa: S608 (table names from _meta)
        "ORDER BY c.year DESC, c.rank ASC, c.id ASC LIMIT 1)"
    )


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
    "lot_harvest_year",
    "lot_size_band",
    "score_basis",
    "score_protocol",
    "score_value",
    "baseline_edition",
    "baseline_harvest_year",
    "baseline_origin",
    "baseline_score_band",
    "baseline_size_band",
    "years_stale",
    "band_edition",
    "band_harvest_year",
    "band_origin",
    "competition_result_id",
    "competition_excused",
    "computed_at",
    "changed_at",
)
# The columns whose change is announced (services._FLAG_FIELDS, the per-lot path).
_CHANGE_COLUMNS = (
    "premium_ratio",
    "flag_under_2x",
    "flag_over_10x",
    "flag_high_price",
    "years_stale",
    "competition_result_id",
    "competition_excused",
)


def upsert_sql(with_sql: str) -> str:
    """The batch statement: compute every lot of an id range and upsert its premium row."""
    lot = Lot._meta.db_table
    premium = LotPremium._meta.db_table
    statuses = ", ".join(f"'{s}'" for s in PUBLIC_STATUSES)
    claiming = ", ".join(f"'{c}'" for c in CLAIMING_CLASSES)
    changed = " OR ".join(f"{premium}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _CHANGE_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:-2])
    score_joins, score_columns = _scores_sql()
    high_cva = "FALSE" if conf.HIGH_SCORE_CVA is None else "COALESCE(cva >= %(high_score_cva)s, FALSE)"
    return f"""{with_sql},
scored AS (
    SELECT l.*, {score_columns}
    FROM {lot} l {score_joins}
    WHERE l.status IN ({statuses}) AND l.id >= %(lo)s AND l.id < %(hi)s
),
src AS (
    SELECT l.id AS lot_id, {_HY_SQL} AS hy, {_SIZE_SQL} AS size, l.classification AS cls,
        l.verified_badge AS badge, UPPER(l.origin_country) AS origin,
        {_competition_sql()} AS comp_id,
        {_claim_sql()} AS claim,
        CASE WHEN sca IS NOT NULL THEN '{ScoreBasis.SCA2004.value}'
             WHEN cva IS NOT NULL OR oth_score IS NOT NULL THEN '{ScoreBasis.OTHER_SCALE.value}'
             ELSE '{ScoreBasis.NONE.value}' END AS basis,
        CASE WHEN sca IS NOT NULL THEN '{SCA2004}' WHEN cva IS NOT NULL THEN '{CVA}'
             ELSE COALESCE(oth_protocol, '') END AS protocol,
        COALESCE(sca, cva, oth_score) AS score,
        {_BAND_SQL} AS band,
        COALESCE(sca >= %(high_score)s, FALSE) OR {high_cva} AS high_score,
        r.usd AS rate, r.valid_on AS rate_on,
        CASE WHEN l.price_unit = 'kg' THEN l.price * %(kg_per_lb)s * r.usd ELSE l.price * r.usd END AS per_lb_raw,
        ROUND(CASE WHEN l.price_unit = 'kg' THEN l.price * r.usd ELSE l.price * r.usd / %(kg_per_lb)s END, 4)
            AS asking,
        CASE WHEN l.incoterm = 'FOB' THEN 0::numeric ELSE a.usd END AS adj
    FROM scored l
    LEFT JOIN rates r ON r.currency = l.currency
    LEFT JOIN adj a ON a.origin = UPPER(l.origin_country) AND a.incoterm = l.incoterm
),
calc AS (
    SELECT s.*, s.comp_id IS NOT NULL AS comp,
        CASE WHEN s.rate IS NULL THEN 'no_rate' WHEN s.adj IS NULL THEN 'no_adjustment'
             WHEN b.id IS NULL THEN 'no_baseline' ELSE 'ok' END AS status,
        ROUND(s.per_lb_raw + s.adj, 4) AS fob,
        b.id AS base_id, b.match AS base_match, b.median AS base_median, b.edition AS base_edition,
        b.row_hy AS base_hy, b.row_origin AS base_origin, b.row_band AS base_band, b.row_size AS base_size,
        bd.id AS band_id, bd.median AS band_median, bd.p25 AS band_p25, bd.p75 AS band_p75,
        bd.edition AS band_edition, bd.row_hy AS band_hy, bd.row_origin AS band_origin
    FROM src s
    LEFT JOIN base b ON b.origin = s.origin AND b.hy = s.hy AND b.size_band = s.size
        AND b.score_band = CASE WHEN s.band = '' THEN 'all' ELSE s.band END
    LEFT JOIN band bd ON bd.origin = s.origin AND bd.hy = s.hy AND bd.score_band = s.band
),
res AS (
    SELECT c.*,
        CASE WHEN c.status = 'ok' THEN ROUND(c.fob / c.base_median, 3) END AS ratio,
        (c.status = 'ok' AND c.band_id IS NOT NULL) AS has_band,
        (c.rate IS NOT NULL AND c.asking >= %(high_price)s AND NOT c.high_score) AS would_high
    FROM calc c
),
fin AS (
    SELECT r.*, COALESCE(r.status = 'ok' AND r.ratio > %(max_ratio)s AND r.cls <> 'nano', FALSE) AS would_over
    FROM res r
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
    would_over AND NOT comp,
    COALESCE(would_high AND NOT comp, FALSE),
    hy, size, basis, protocol, score,
    CASE WHEN status = 'ok' THEN base_edition ELSE '' END,
    CASE WHEN status = 'ok' THEN base_hy END,
    CASE WHEN status = 'ok' THEN base_origin ELSE '' END,
    CASE WHEN status = 'ok' THEN base_band ELSE '' END,
    CASE WHEN status = 'ok' THEN base_size ELSE '' END,
    CASE WHEN status = 'ok' THEN hy - base_hy END,
    CASE WHEN has_band THEN band_edition ELSE '' END,
    CASE WHEN has_band THEN band_hy END,
    CASE WHEN has_band THEN band_origin ELSE '' END,
    comp_id,
    comp AND (COALESCE(would_high, FALSE) OR would_over),
    %(now)s, %(now)s
FROM fin
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
    reference = _reference_tables(ctx, f"l.status IN ({placeholders})", statuses)
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
        "kg_per_lb": KG_PER_LB,
        "min_ratio": conf.MICRO_MIN_RATIO,
        "max_ratio": conf.MICRO_MAX_RATIO,
        "high_price": conf.HIGH_PRICE_USD_PER_KG,
        "high_score": conf.HIGH_SCORE,
        "high_score_cva": conf.HIGH_SCORE_CVA,
        "now": now,
    }
    with_sql = "WITH " + ",\n".join(sql for sql, _p in reference)
    upsert, params = _named(with_sql, [p for _sql, ps in reference for p in ps], base_params)
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
