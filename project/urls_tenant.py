"""URLs of a workspace's own domain (its schema): the app, sign-in and the REST API."""

from django.urls import include, path

from accounts.api import api_keys_router, auth_router, team_router
from accounts.authentication import API_AUTH
from crm.api.activity import router as activity_router
from crm.api.catalog import router as catalog_router
from crm.api.events import router as events_router
from crm.api.leads import router as leads_router
from outreach.api.campaigns import router as campaigns_router
from outreach.api.email import router as email_router
from project.api import build_api
from tenants.api import workspace_router
from tenants.views import home

api = build_api(
    title="CRM workspace API",
    version="v1",
    namespace="workspace_api",
    description="Everything in one workspace: leads, products, campaigns, tasks and more. "
    "Authenticate with `Authorization: Bearer <API key or access token>`.",
    auth=API_AUTH,
)
api.add_router("/", workspace_router)
api.add_router("/", auth_router)
api.add_router("/", team_router)
api.add_router("/", api_keys_router)
api.add_router("/", leads_router)
api.add_router("/", events_router)
api.add_router("/", catalog_router)
api.add_router("/", activity_router)
api.add_router("/", campaigns_router)
api.add_router("/", email_router)

urlpatterns = [
    path("", home, name="home"),
    path("", include("accounts.urls")),
    path("", include("outreach.urls")),
    path("api/v1/", api.urls),
]

handler400 = "project.views.bad_request"
handler403 = "project.views.forbidden"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
