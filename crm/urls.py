"""The crm app's pages and its REST resources, each mounted under its own prefix."""

from django.urls import URLPattern, path
from ninja import Router

from crm.api import activity, analytics, catalog, events, leads
from crm.pages import lead as lead_page
from crm.pages import leads as lead_pages
from crm.pages import search as search_pages
from crm.pages import settings as settings_pages

urlpatterns: list[URLPattern] = [
    path("leads/", lead_pages.lead_list, name="lead_list"),
    path("leads/new/", lead_pages.lead_new, name="lead_new"),
    path("leads/<int:lead_id>/", lead_page.lead_detail, name="lead_detail"),
    path("search/", search_pages.global_search, name="global_search"),
    path("settings/fields/", settings_pages.field_list, name="field_list"),
    path("settings/fields/<int:field_id>/", settings_pages.field_edit, name="field_edit"),
    path(
        "settings/fields/<int:field_id>/delete/", settings_pages.field_delete, name="field_delete"
    ),
    path("settings/stages/", settings_pages.stage_list, name="stage_list"),
    path("settings/stages/reorder/", settings_pages.stage_reorder, name="stage_reorder"),
    path(
        "settings/stages/<int:stage_id>/rename/", settings_pages.stage_rename, name="stage_rename"
    ),
    path("settings/stages/<int:stage_id>/move/", settings_pages.stage_move, name="stage_move"),
    path(
        "settings/stages/<int:stage_id>/delete/", settings_pages.stage_delete, name="stage_delete"
    ),
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
