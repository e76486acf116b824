"""The home page every role lands on and the notifications behind the bell (issue #13)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from clientvault.access import engine
from clientvault.core import notifications
from clientvault.core.http import AppRequest, ctx_of, signed_in_user
from clientvault.home import cards
from clientvault.home.forms import MarkReadForm


@require_safe
@login_required
def index(request: AppRequest) -> HttpResponse:
    ctx = ctx_of(request)
    # Those who work with customer data declare why first (the picker comes back here), as before #13.
    engine.require_purpose(ctx)
    inbox = notifications.for_user(signed_in_user(request).pk, unread_only=True, limit=5)
    return render(request, "home/index.html", {"cards": cards.cards(ctx), "recent": inbox.items})


@require_http_methods(["GET", "POST"])
@login_required
def notification_list(request: AppRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        form = MarkReadForm(request.POST)
        if form.is_valid():
            one = form.cleaned_data.get("id")
            notifications.mark_read(user.pk, [one] if one else None)
            link = notifications.link_of(user.pk, one) if one and request.POST.get("open") else ""
            if link.startswith("/") and not link.startswith("//"):
                return redirect(link)  # "open": mark read and follow the item's own link (a path of this site)
        return redirect("home:notifications")
    inbox = notifications.for_user(user.pk)
    return render(request, "home/notifications.html", {"inbox": inbox})
