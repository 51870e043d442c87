"""The crm app's pages and its REST resources, each mounted under its own prefix."""

from django.urls import URLPattern, path
from ninja import Router

from crm.api import activity, analytics, catalog, events, leads
from crm.pages import leads as lead_pages

urlpatterns: list[URLPattern] = [
    path("leads/", lead_pages.lead_list, name="lead_list"),
    path("leads/new/", lead_pages.lead_new, name="lead_new"),
    path("leads/<int:lead_id>/", lead_pages.lead_detail, name="lead_detail"),
]

api_routers: list[tuple[str, Router]] = [
    ("/leads", leads.router),
    ("/leads", activity.timeline_router),
    ("/imports", leads.imports_router),
    ("/products", catalog.products_router),
    ("/pipeline-stages", catalog.stages_router),
    ("/custom-fields", catalog.fields_router),
    ("/tasks", activity.tasks_router),
    ("/messages", activity.messages_router),
    ("/events", events.router),
    ("/analytics", analytics.router),
]
