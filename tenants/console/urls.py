"""The platform console on the apex domain (staff only)."""

from django.urls import URLPattern

app_name = "console"
urlpatterns: list[URLPattern] = []
