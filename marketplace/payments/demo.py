"""Demo payments: the producer asks a deposit on one lot, the roaster's sample fee is paid by bank
transfer and confirmed by the moderator; the demo contract stays awaiting payment to try out."""

from __future__ import annotations

from typing import IO

from accounts.models import User
from lots.models import Lot
from marketplace.payments import providers, services
from marketplace.payments.models import LotPaymentTerms, Payment, PaymentMode, SubjectKind


def seed(stdout: IO[str]) -> None:
    producer = User.objects.filter(email="producer@demo.coffee").first()
    roaster = User.objects.filter(email="roaster@demo.coffee").first()
    moderator = User.objects.filter(email="moderator@demo.coffee").first()
    if producer is None or roaster is None or moderator is None or Payment.objects.filter(payer=roaster).exists():
        return
    lot = Lot.objects.filter(producer=producer).exclude(orders__buyer=roaster).order_by("pk").first()
    if lot is not None and not LotPaymentTerms.objects.filter(lot=lot).exists():
        services.lot_terms_set(lot=lot, by=producer, mode=PaymentMode.DEPOSIT)
    from marketplace.negotiation.models import SampleRequest

    sample = SampleRequest.objects.filter(roaster=roaster, fee__gt=0).exclude(status="declined").order_by("pk").first()
    if sample is None:
        return
    payment = services.payment_open(by=roaster, subject_kind=SubjectKind.SAMPLE, subject_id=sample.pk)
    if payment.provider == providers.OFFLINE:
        payment = services.payment_mark_received(payment=payment, by=moderator, reference="DEMO-WIRE-0001")
    stdout.write(f"Payments demo: sample fee {payment.amount} {payment.currency} ({payment.status})")
