"""Trade pages: samples, negotiations (offer threads with htmx), contracts, quality claims."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.decorators import role_required
from marketplace.negotiation import selectors


@role_required()
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_for(user=request.user, pk=pk)
    return render(request, "negotiation/order_detail.html", {"order": order})


@role_required("moderator")
def claims(request: HttpRequest) -> HttpResponse:
    return render(request, "negotiation/claims.html", {"claims": selectors.open_claims()})
