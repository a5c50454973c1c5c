"""Fill Lot.sold_kg from paid contracts and give traded lots the status their kilograms call for.

Before this, a lot went "reserved" after any contract and "sold out" once every kilogram was
committed, so a partly sold lot left the catalogue. Now a lot is listed while kilograms are left,
reserved when all are committed but some are unpaid, and sold out when all are paid for
(lots.services.trade_status). Lots on an open auction keep their status: the auction holds them.
"""

from decimal import Decimal

from django.db import migrations
from django.db.models import Sum

SOLD = ("paid", "shipped", "delivered", "completed")
TRADE = ("listed", "reserved", "sold_out")


def forwards(apps, schema_editor):
    Lot = apps.get_model("lots", "Lot")
    Order = apps.get_model("negotiation", "Order")
    AuctionLot = apps.get_model("auctions", "AuctionLot")
    sold = {
        row["lot_id"]: row["kg"]
        for row in Order.objects.filter(status__in=SOLD).values("lot_id").annotate(kg=Sum("quantity_kg"))
    }
    held = set(AuctionLot.objects.filter(status="open").values_list("lot_id", flat=True))
    for lot in Lot.objects.filter(status__in=TRADE).exclude(pk__in=held).iterator():
        sold_kg = min(sold.get(lot.pk) or Decimal(0), lot.reserved_kg)
        if lot.reserved_kg < lot.weight_kg:
            status = "listed"
        elif sold_kg >= lot.weight_kg:
            status = "sold_out"
        else:
            status = "reserved"
        if (status, sold_kg) != (lot.status, lot.sold_kg):
            Lot.objects.filter(pk=lot.pk).update(status=status, sold_kg=sold_kg)
    for lot_id, kg in sold.items():
        if lot_id in held:
            Lot.objects.filter(pk=lot_id).update(sold_kg=kg)


class Migration(migrations.Migration):
    dependencies = [
        ("negotiation", "0001_initial"),
        ("lots", "0009_lot_sold_kg"),
        ("auctions", "0002_unsold_reason_lot_unavailable"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
