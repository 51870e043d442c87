"""URLs of the apex domain (public schema): site, sign-up API, console, service webhooks."""

from django.urls import include, path

from project.api import build_api
from tenants.api import signup_router
from tenants.console import views as console_views
from tenants.views import landing, signup

api = build_api(
    title="CRM platform API",
    version="1",
    namespace="platform_api",
    description="Self-serve sign-up: create a workspace with its owner account.",
)
api.add_router("/", signup_router)

urlpatterns = [
    path("", landing, name="landing"),
    path("signup/", signup, name="signup"),
    path("api/", api.urls),
    path("console/", include("tenants.console.urls")),
    # base.html's "Sign out" posts to the name "logout" on every host; here it is the console's.
    path("console/logout/", console_views.sign_out, name="logout"),
]

handler400 = "project.views.bad_request"
handler403 = "project.views.forbidden"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
