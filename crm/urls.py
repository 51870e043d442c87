"""The crm app's pages and its REST resources, each mounted under its own prefix."""

from django.urls import URLPattern, path
from ninja import Router

from crm.api import activity, analytics, catalog, events, leads
from crm.pages import imports as import_pages
from crm.pages import lead as lead_page
from crm.pages import leads as lead_pages
from crm.pages import search as search_pages

urlpatterns: list[URLPattern] = [
    path("leads/", lead_pages.lead_list, name="lead_list"),
    path("leads/new/", lead_pages.lead_new, name="lead_new"),
    path("leads/bulk/", lead_pages.lead_bulk, name="lead_bulk"),
    path("leads/columns/", lead_pages.lead_columns, name="lead_columns"),
    path("leads/export/", lead_pages.lead_export, name="lead_export"),
    path("leads/<int:lead_id>/edit/", lead_pages.lead_edit, name="lead_edit"),
    path("leads/<int:lead_id>/", lead_page.lead_detail, name="lead_detail"),
    path("leads/import/", import_pages.import_upload, name="lead_import"),
    path("leads/import/<int:import_id>/", import_pages.import_detail, name="lead_import_detail"),
    path(
        "leads/import/<int:import_id>/mapping/",
        import_pages.import_mapping,
        name="lead_import_mapping",
    ),
    path(
        "leads/import/<int:import_id>/status/",
        import_pages.import_status,
        name="lead_import_status",
    ),
    path("leads/import/<int:import_id>/run/", import_pages.import_run, name="lead_import_run"),
    path(
        "leads/import/<int:import_id>/leads/",
        import_pages.import_leads,
        name="lead_import_leads",
    ),
    path("search/", search_pages.global_search, name="global_search"),
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
