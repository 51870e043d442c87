"""The dashboard is the workspace's home page."""

from django.urls import URLPattern, path

from dashboard.pages import home

urlpatterns: list[URLPattern] = [path("", home, name="home")]
