"""Error views shared by both URLconfs: JSON for API clients, a page for people."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from project.errors import error_response, wants_json


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return error_response("not_found", f"Nothing at {request.path}.", status=404)
    return render(
        request,
        "errors/page.html",
        {
            "title": "Page not found",
            "message": "There is nothing at this address. Check the link, or go back home.",
        },
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return error_response(
            "server_error",
            "Something went wrong on our side; it has been logged. Try again.",
            status=500,
        )
    return render(
        request,
        "errors/page.html",
        {
            "title": "Something went wrong",
            "message": "It was logged and we will look at it. Try again in a moment.",
        },
        status=500,
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return error_response("forbidden", "You are not allowed to do this.", status=403)
    return render(
        request,
        "errors/page.html",
        {
            "title": "Not allowed",
            "message": "Your account cannot open this page. Ask an admin of the workspace.",
        },
        status=403,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return error_response("bad_request", "The request could not be understood.", status=400)
    return render(
        request,
        "errors/page.html",
        {
            "title": "Bad request",
            "message": "The request could not be understood. Go back and try again.",
        },
        status=400,
    )
