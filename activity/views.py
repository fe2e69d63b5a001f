"""/profile/activity/: a person's own security events, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from activity.devices import describe
from activity.events import page_of

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from users.models import User


@login_required
def activity_page(request: HttpRequest) -> HttpResponse:
    try:
        events, next_cursor = page_of(
            cast("User", request.user), request.GET.get("cursor")
        )
    except ValueError:
        # A cursor mangled in the address bar: back to the newest page.
        return redirect("profile_activity")
    for event in events:
        event.device = describe(event.user_agent) if event.user_agent else ""  # type: ignore[attr-defined]
    return render(
        request,
        "activity/activity.html",
        {"events": events, "next_cursor": next_cursor},
    )
