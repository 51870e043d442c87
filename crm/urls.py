"""The crm app's pages and its REST resources, each mounted under its own prefix."""

from django.urls import URLPattern, path
from ninja import Router

from crm.api import activity, analytics, catalog, events, leads
from crm.pages import lead as lead_page
from crm.pages import leads as lead_pages
from crm.pages import search as search_pages

urlpatterns: list[URLPattern] = [
    path("leads/", lead_pages.lead_list, name="lead_list"),
    path("leads/new/", lead_pages.lead_new, name="lead_new"),
    path("leads/<int:lead_id>/", lead_page.lead_detail, name="lead_detail"),
    path("leads/<int:lead_id>/timeline/", lead_page.lead_timeline, name="lead_timeline"),
    path("leads/<int:lead_id>/pipeline/", lead_page.lead_pipeline, name="lead_pipeline"),
    path("leads/<int:lead_id>/tags/", lead_page.lead_tag_add, name="lead_tag_add"),
    path("leads/<int:lead_id>/tags/remove/", lead_page.lead_tag_remove, name="lead_tag_remove"),
    path(
        "leads/<int:lead_id>/tags/suggestions/",
        lead_page.lead_tag_suggestions,
        name="lead_tag_suggestions",
    ),
    path(
        "leads/<int:lead_id>/custom-fields/",
        lead_page.lead_custom_fields,
        name="lead_custom_fields",
    ),
    path("leads/<int:lead_id>/log/", lead_page.lead_log, name="lead_log"),
    path("leads/<int:lead_id>/tasks/", lead_page.lead_open_tasks, name="lead_open_tasks"),
    path("leads/<int:lead_id>/tasks/new/", lead_page.lead_task_new, name="lead_task_new"),
    path(
        "leads/<int:lead_id>/tasks/<int:task_id>/done/",
        lead_page.lead_task_done,
        name="lead_task_done",
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
