"""The crm app's pages and its REST resources, each mounted under its own prefix."""

from django.urls import URLPattern, path
from ninja import Router

from crm.api import activity, analytics, catalog, events, leads
from crm.pages import imports as import_pages
from crm.pages import lead as lead_page
from crm.pages import leads as lead_pages
from crm.pages import pipeline as pipeline_pages
from crm.pages import products as product_pages
from crm.pages import search as search_pages
from crm.pages import settings as settings_pages
from crm.pages import tasks as task_pages

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
    path("pipeline/", pipeline_pages.board, name="pipeline_board"),
    path("pipeline/column/", pipeline_pages.column_more, name="pipeline_column"),
    path("pipeline/move/", pipeline_pages.move, name="pipeline_move"),
    path("tasks/", task_pages.task_list, name="task_list"),
    path("tasks/new/", task_pages.task_new, name="task_new"),
    path("tasks/lead-picker/", task_pages.lead_picker, name="task_lead_picker"),
    path("tasks/<int:task_id>/", task_pages.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/complete/", task_pages.task_complete, name="task_complete"),
    path("tasks/<int:task_id>/reopen/", task_pages.task_reopen, name="task_reopen"),
    path("tasks/<int:task_id>/assign/", task_pages.task_assign, name="task_assign"),
    path("products/", product_pages.product_list, name="product_list"),
    path("products/new/", product_pages.product_new, name="product_new"),
    path("products/<int:product_id>/", product_pages.product_edit, name="product_edit"),
    path(
        "products/<int:product_id>/archive/", product_pages.product_archive, name="product_archive"
    ),
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
