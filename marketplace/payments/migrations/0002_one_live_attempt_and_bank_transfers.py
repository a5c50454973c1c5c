"""At most one live attempt per payment (a partial unique constraint), and bank transfers as
append-only receipts that accumulate.

Before the constraint: where a payment has several live attempts (the double-charge bug), all but
the newest are marked canceled here; any of them that did charge is still recorded when its
webhook or the reconcile task reports it, and flagged as a duplicate charge to refund.
Existing offline payments that were received get one receipt row for what was recorded, so a
payment's transfers always add up to its paid amount.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


LIVE = ["started", "requires_action", "processing"]


def supersede_extra_live_attempts(apps, schema_editor):
    Attempt = apps.get_model("payments", "PaymentAttempt")
    seen: set[int] = set()
    for attempt in Attempt.objects.filter(status__in=LIVE).order_by("payment_id", "-number"):
        if attempt.payment_id in seen:
            Attempt.objects.filter(pk=attempt.pk).update(
                status="canceled", error="Superseded by a newer attempt (one live attempt per payment)."
            )
        seen.add(attempt.payment_id)


def receipts_for_recorded_transfers(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    BankTransfer = apps.get_model("payments", "BankTransfer")
    for payment in Payment.objects.filter(provider="offline", amount_paid__gt=0):
        if not BankTransfer.objects.filter(payment=payment).exists():
            BankTransfer.objects.create(payment=payment, amount=payment.amount_paid, currency=payment.currency)


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BankTransfer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=16, verbose_name='amount')),
                ('currency', models.CharField(choices=[('USD', 'USD'), ('EUR', 'EUR'), ('GBP', 'GBP'), ('CHF', 'CHF'), ('JPY', 'JPY'), ('AUD', 'AUD'), ('CAD', 'CAD'), ('BRL', 'BRL'), ('COP', 'COP'), ('MXN', 'MXN'), ('PEN', 'PEN'), ('CRC', 'CRC'), ('ETB', 'ETB'), ('KES', 'KES')], max_length=3)),
                ('reference', models.CharField(blank=True, max_length=200, verbose_name='bank reference')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'bank transfer',
                'verbose_name_plural': 'bank transfers',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AlterField(
            model_name='payment',
            name='status',
            field=models.CharField(choices=[('unpaid', 'Unpaid'), ('pending', 'Pending'), ('partially_paid', 'Partially paid'), ('paid', 'Paid'), ('partially_refunded', 'Partially refunded'), ('refunded', 'Refunded'), ('failed', 'Failed')], db_index=True, default='unpaid', max_length=20, verbose_name='status'),
        ),
        migrations.RunPython(supersede_extra_live_attempts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='paymentattempt',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['started', 'requires_action', 'processing'])), fields=('payment',), name='attempt_one_live_per_payment'),
        ),
        migrations.AddField(
            model_name='banktransfer',
            name='payment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='transfers', to='payments.payment'),
        ),
        migrations.AddField(
            model_name='banktransfer',
            name='received_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='banktransfer',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='transfer_amount_positive'),
        ),
        migrations.AddConstraint(
            model_name='banktransfer',
            constraint=models.UniqueConstraint(condition=models.Q(('reference', ''), _negated=True), fields=('payment', 'reference'), name='transfer_reference_once'),
        ),
        migrations.RunPython(receipts_for_recorded_transfers, migrations.RunPython.noop),
    ]
