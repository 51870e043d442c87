"""URLs of a workspace's own domain (its schema): the app, sign-in and the REST API."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.forms import SignInForm
from project.api import build_api
from tenants.api import workspace_router
from tenants.views import home

api = build_api(
    title="CRM workspace API",
    version="v1",
    namespace="workspace_api",
    description="Everything in one workspace: leads, products, campaigns, tasks and more.",
)
api.add_router("/", workspace_router)

urlpatterns = [
    path("", home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
]

handler400 = "project.views.bad_request"
handler403 = "project.views.forbidden"
handler404 = "project.views.not_found"
handler500 = "project.views.server_error"
