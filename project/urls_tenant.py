"""URLs of a workspace's own domain (its schema): the app, sign-in and the REST API."""

from django.urls import include, path

from accounts import urls as accounts_urls
from accounts.authentication import API_AUTH
from billing import urls as billing_urls
from crm import urls as crm_urls
from outreach import urls as outreach_urls
from project.api import build_api
from sms import urls as sms_urls
from tenants import urls as tenants_urls

api = build_api(
    title="CRM workspace API",
    version="v1",
    namespace="workspace_api",
    description="Everything in one workspace: leads, products, campaigns, tasks and more. "
    "Authenticate with `Authorization: Bearer <API key or access token>`.",
    auth=API_AUTH,
)
for app_urls in (tenants_urls, accounts_urls, crm_urls, outreach_urls, billing_urls, sms_urls):
    for prefix, router in app_urls.api_routers:
        api.add_router(prefix, router)

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include(tenants_urls.workspace_urlpatterns)),
    path("", include("accounts.urls")),
    path("", include("crm.urls")),
    path("", include("outreach.urls")),
    path("", include(billing_urls.workspace_urlpatterns)),
    path("api/v1/", api.urls),
]

handler400 = "project.views.bad_request"
handler403 = "project.views.forbidden"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
