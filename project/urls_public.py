"""URLs of the apex domain (public schema): site, sign-up API, console, service webhooks."""

from django.urls import include, path

from billing import urls as billing_urls
from project.api import build_api
from tenants import urls as tenants_urls

api = build_api(
    title="CRM platform API",
    version="1",
    namespace="platform_api",
    description="Self-serve sign-up: create a workspace with its owner account.",
)
for prefix, router in tenants_urls.public_api_routers:
    api.add_router(prefix, router)

urlpatterns = [
    path("api/", api.urls),
    path("", include(billing_urls.public_urlpatterns)),
    path("", include("tenants.urls")),
]

handler400 = "project.views.bad_request"
handler403 = "project.views.forbidden"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
