"""The workspace URLconf plus views that fail on purpose, for the error page tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django_ratelimit.exceptions import Ratelimited

from project.urls_tenant import urlpatterns as workspace_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def limited(request: HttpRequest) -> HttpResponse:
    raise Ratelimited()


urlpatterns = [
    path("boom/", boom),
    path("limited/", limited),
    path("api/v1/limited/", limited),
    *workspace_urlpatterns,
]

handler400 = "project.views.bad_request"
handler403 = "project.views.forbidden"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
