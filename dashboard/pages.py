"""/ of a workspace: the dashboard, or the first steps while the workspace has no leads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.authentication import signed_in_user
from dashboard.selectors import PERIODS, dashboard_figures, first_steps, period_days
from project.pages import page


@page()
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    steps = first_steps(user)
    context: dict[str, object] = {
        "steps": steps,
        "steps_left": sum(not step.done for step in steps),
        "periods": PERIODS,
    }
    if steps[0].done:  # the workspace has leads: the numbers replace the checklist
        days = period_days(request.GET.get("days"))
        context["figures"] = dashboard_figures(days=days, user=user, now=timezone.now())
    return render(request, "dashboard/home.html", context)
