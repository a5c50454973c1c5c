"""HTML pages: the auction list, an auction with live lots (htmx polling), bidding, creating,
cancelling, and the competition buyers' page. Every write goes through ``services``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.decorators import role_required
from core.errors import Conflict
from lots.models import Lot, LotStatus
from marketplace.auctions import clock, conf, selectors, services
from marketplace.auctions.forms import AuctionForm, BidForm
from marketplace.auctions.models import AuctionLot, AuctionStatus, ItemStatus


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def auction_list(request: HttpRequest) -> HttpResponse:
    auctions = list(selectors.auctions_public()[:100])
    now = clock.now()
    running = [(a, selectors.auction_phase(a, now)) for a in auctions if a.status == AuctionStatus.OPEN]
    closed = [a for a in auctions if a.status == AuctionStatus.CLOSED][:20]
    can_create = getattr(request.user, "role", None) in ("producer", "moderator")
    return render(request, "auctions/list.html", {"running": running, "closed": closed, "can_create": can_create})


def _history(request: HttpRequest, item: AuctionLot) -> list[selectors.HistoryRow]:
    """Everyone sees the history of a closed lot; while it runs, a signed-in user sees their own bids."""
    if request.user.is_authenticated or item.status != ItemStatus.OPEN:
        return selectors.bid_history(item, request.user)
    return []


def _detail_context(request: HttpRequest, auction: Any) -> dict[str, Any]:
    views = selectors.item_views(auction, request.user)
    rows = []
    for view in views:
        history = _history(request, view.item)
        rows.append({"view": view, "form": BidForm(prefix_id=view.item.pk), "history": history})
    return {
        "auction": auction,
        "rows": rows,
        "phase": selectors.auction_phase(auction),
        "manager": selectors.auction_manageable_by(auction, request.user),
        "poll_seconds": conf.POLL_SECONDS,
    }


def auction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    auction = selectors.auction_get(pk)
    if auction is None:
        raise Http404
    return render(request, "auctions/detail.html", _detail_context(request, auction))


def _item_or_404(pk: int, item_pk: int) -> AuctionLot:
    auction = selectors.auction_get(pk)
    if auction is None:
        raise Http404
    item = next((i for i in auction.items.all() if i.pk == item_pk), None)
    if item is None:
        raise Http404
    return item


def _live_context(request: HttpRequest, item: AuctionLot) -> dict[str, Any]:
    auction = item.auction
    view = next(v for v in selectors.item_views(auction, request.user) if v.item.pk == item.pk)
    history = _history(request, view.item)
    return {"auction": auction, "view": view, "history": history, "poll_seconds": conf.POLL_SECONDS}


def item_live(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """The live block of one lot: price, time left, bids, your standing. Polled by htmx."""
    item = _item_or_404(pk, item_pk)
    return render(request, "auctions/partials/item_live.html", {**_live_context(request, item), "oob": False})


@require_POST
@role_required("roaster", "producer", "q_grader", "moderator")
def bid(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = _item_or_404(pk, item_pk)
    form = BidForm(request.POST, prefix_id=item.pk)
    placed = None
    status = 200
    if form.is_valid():
        try:
            placed = services.bid_place(
                item=item.pk,
                bidder=request.user,
                amount_per_kg=form.cleaned_data["amount_per_kg"],
                max_amount_per_kg=form.cleaned_data.get("max_amount_per_kg"),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
            status = 409
        except PermissionDenied as exc:
            if not request.htmx:  # type: ignore[attr-defined]
                raise
            form.add_error(None, str(exc) or _("You cannot bid here."))
            status = 403
    if form.errors and status == 200:
        status = 400
    if not request.htmx:  # type: ignore[attr-defined]
        if placed is not None:
            messages.success(request, _("Your bid is in."))
            return redirect("auctions:detail", pk=pk)
        auction = selectors.auction_get(pk)
        context = _detail_context(request, auction)
        for row in context["rows"]:
            if row["view"].item.pk == item.pk:
                row["form"] = form
        return render(request, "auctions/detail.html", context, status=status)
    fresh = _item_or_404(pk, item_pk)
    context = {
        **_live_context(request, fresh),
        "form": BidForm(prefix_id=item.pk) if placed is not None else form,
        "placed": placed,
        "oob": True,
    }
    # htmx swaps only 2xx responses by default; errors are shown in the form, so answer 200.
    return render(request, "auctions/partials/bid_form.html", context, status=200)


@role_required("producer", "moderator")
def auction_create(request: HttpRequest) -> HttpResponse:
    lots_qs = Lot.objects.filter(status=LotStatus.LISTED).select_related("farm").order_by("name")
    if request.user.role == "producer":  # type: ignore[union-attr]
        lots_qs = lots_qs.filter(producer=request.user)  # type: ignore[misc]
    lots_qs = lots_qs.exclude(auction_items__status=ItemStatus.OPEN)
    lots = list(lots_qs[:200])
    form = AuctionForm(request.POST or None, lots=lots)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            auction = services.auction_create(
                by=request.user,
                title=data["title"],
                description=data["description"],
                lots=[
                    services.LotOffer(
                        lot=lot.pk,
                        opening_price_per_kg=data[f"opening_{lot.pk}"],
                        reserve_price_per_kg=data.get(f"reserve_{lot.pk}"),
                    )
                    for lot in data["chosen"]
                ],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                increment_per_kg=data["increment_per_kg"],
                increment_table=data["increment_table"],
                closing_mode=data["closing_mode"],
                extension_minutes=data["extension_minutes"],
                currency=data["currency"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your auction is set up."))
            return redirect("auctions:detail", pk=auction.pk)
    return render(request, "auctions/create.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@role_required("producer", "moderator")
def auction_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    auction = selectors.auction_get(pk)
    if auction is None:
        raise Http404
    try:
        services.auction_cancel(auction=auction, by=request.user, reason=request.POST.get("reason", ""))
    except Conflict as exc:
        messages.error(request, str(exc))
        return redirect("auctions:detail", pk=pk)
    messages.success(request, _("The auction was cancelled; its lots are listed again."))
    return redirect("auctions:list")


@role_required("roaster")
def competition(request: HttpRequest) -> HttpResponse:
    """Competition buyers' view: nano-lots tagged ``competition`` and open auctions of nano-lots."""
    return render(
        request,
        "auctions/competition.html",
        {
            "lots": list(selectors.competition_lots()[:200]),
            "auctions": list(selectors.competition_auctions()[:50]),
            "min_score": conf.COMPETITION_MIN_SCORE,
            "alerts_on": bool(getattr(getattr(request.user, "roaster_profile", None), "competition_alerts", False)),
        },
    )


def lot_section_context(request: HttpRequest, lot: Any) -> dict[str, Any] | None:
    """The lot page's auction section: shown only while the lot is on an open auction."""
    item = selectors.open_item_for_lot(lot)
    if item is None:
        return None
    return {"item": item, "auction": item.auction, "phase": selectors.auction_phase(item.auction)}


def dashboard_panel_context(request: HttpRequest) -> dict[str, Any]:
    rows = selectors.dashboard_items(request.user)
    for row in rows:
        row["label"] = selectors.standing_label(row["standing"])
    return {"rows": rows, "can_create": getattr(request.user, "role", None) == "producer"}
