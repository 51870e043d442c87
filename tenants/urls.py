"""The platform's public site on the apex domain: landing page, sign-up, the console."""

from django.urls import URLPattern, URLResolver, include, path
from ninja import Router

from tenants import api, pages
from tenants.console import views as console_views
from tenants.views import find_workspace, landing, pricing, signup, waitlist

urlpatterns: list[URLPattern | URLResolver] = [
    path("", landing, name="landing"),
    path("signup/", signup, name="signup"),
    path("pricing/", pricing, name="pricing"),
    path("waitlist/", waitlist, name="waitlist"),
    path("find-workspace/", find_workspace, name="find_workspace"),
    path("console/", include("tenants.console.urls")),
    # base.html's "Sign out" posts to the name "logout" on every host; here it is the console's.
    path("console/logout/", console_views.sign_out, name="logout"),
]

# The workspace's own settings pages, on its domain (project.urls_tenant includes them).
workspace_urlpatterns: list[URLPattern | URLResolver] = [
    path("settings/", pages.settings_index, name="settings"),
    path("settings/workspace/", pages.workspace_profile, name="workspace_profile"),
    path("settings/danger/", pages.danger_zone, name="danger_zone"),
    path("workspace-logo/<str:logo_hash>/", pages.logo, name="workspace_logo"),
]

# The apex API (self-serve sign-up) and the workspace API's own resource.
public_api_routers: list[tuple[str, Router]] = [("/workspaces", api.signup_router)]
api_routers: list[tuple[str, Router]] = [("/workspace", api.workspace_router)]
