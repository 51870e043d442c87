from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/landing.html", {"base_domain": settings.CRM_BASE_DOMAIN})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {"member_count": User.objects.filter(is_active=True).count()}
    return render(request, "tenants/home.html", context)
