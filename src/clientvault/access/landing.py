"""Where each person starts (the logo, the error pages' way back, after sign-in, ``/``).

Since issue #13 every member of staff starts on the home page (``home:index``): it says what needs them
today — approvals waiting, their own requests, follow-ups due, customers pending review, alerts — and shows
each role only the cards its capabilities allow, so it is a page every role may open. An open break-glass
window is what its holder came for: its customer list first. ``access`` names the page by URL only (home
sits above it in the layers).
"""

from __future__ import annotations

from django.urls import reverse

from clientvault.core.context import Context


def landing_url(ctx: Context, *, break_glass: bool = False) -> str:
    """The start page of the person in ``ctx``."""
    if ctx.actor is None:
        return reverse("accounts:login")
    if break_glass:
        return reverse("customers:list")
    return reverse("home:index")
