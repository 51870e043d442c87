"""The crm app's routes: its REST resources, each mounted under its own prefix."""

from ninja import Router

from crm.api import activity, analytics, catalog, events, leads

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
