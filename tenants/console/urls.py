"""The platform console on the apex domain (staff only)."""

from django.urls import URLPattern, path

from tenants.console import views

app_name = "console"
urlpatterns: list[URLPattern] = [
    path("", views.workspace_list, name="workspaces"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("workspaces/<int:workspace_id>/", views.workspace_detail, name="workspace"),
    path(
        "workspaces/<int:workspace_id>/suspend/",
        views.workspace_suspend,
        name="workspace_suspend",
    ),
    path(
        "workspaces/<int:workspace_id>/reactivate/",
        views.workspace_reactivate,
        name="workspace_reactivate",
    ),
    path(
        "workspaces/<int:workspace_id>/send-rate/",
        views.workspace_send_rate,
        name="workspace_send_rate",
    ),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_edit, name="plan_create"),
    path("plans/<int:plan_id>/", views.plan_edit, name="plan"),
    path("audit/", views.audit_log, name="audit"),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("waitlist/export.csv", views.waitlist_export, name="waitlist_export"),
]
